"""The knowledge walk in a real browser: alice starts reporting an issue, a matching article appears as she types
(never the internal one), she opens it in a new tab, finds it helpful, and the article's helpful count goes up."""

import re

import pytest
from playwright.sync_api import expect

from knowledge import services
from knowledge.models import Article
from servicedesk import roles
from tests.factories import UserFactory

from .test_walk import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def articles(lin):
    kate = UserFactory(username="kate", roles=[roles.KNOWLEDGE_EDITOR])
    public = services.create_article(
        author=lin,
        title="Outlook keeps asking for the password",
        summary="Clear the saved credentials and sign in again.",
        body="1. Close **Outlook**.\n2. Open Credential Manager and remove the Outlook entries.\n3. Start Outlook.",
    )
    services.publish_article(article=public, actor=kate)
    internal = services.create_article(
        author=lin,
        title="Outlook password loop: reset the mailbox token",
        body="Run the Exchange token reset for the mailbox.",
        audience="internal",
    )
    services.publish_article(article=internal, actor=kate)
    return Article.objects.get(pk=public.pk), Article.objects.get(pk=internal.pk)


def test_suggested_article_is_opened_and_found_helpful(live_server, new_context, alice, lin, service_desk, articles):
    public, internal = articles
    base = live_server.url
    page = new_context().new_page()
    log_in(page, base, "alice")

    page.goto(f"{base}/portal/report/")
    page.locator("#id_title").press_sequentially("Outlook asks for my password", delay=20)
    suggestion = page.locator(f'#kb-suggestions .kb-suggestion[data-number="{public.number}"]')
    expect(suggestion).to_be_visible()
    expect(page.locator(f'#kb-suggestions [data-number="{internal.number}"]')).to_have_count(0)
    page.locator("#id_description").press_sequentially(" since this morning", delay=10)
    expect(suggestion).to_be_visible()

    with page.context.expect_page() as opened:
        suggestion.locator("a").click()
    article = opened.value
    article.wait_for_load_state()
    expect(article).to_have_url(re.compile(rf"/portal/kb/{public.number}/$"))
    expect(article.locator(".kb-body strong")).to_have_text("Outlook")

    article.locator("#kb-feedback-comment").fill("Fixed it in a minute.")
    article.locator("#kb-helpful-yes").click()
    expect(article.locator("#kb-feedback-thanks")).to_be_visible()

    row = Article.objects.get(pk=public.pk)
    assert row.helpful_count == 1
    assert row.view_count == 1
    assert Article.objects.get(pk=internal.pk).view_count == 0
