"""Who may open which knowledge page and post which action: anonymous, end user, engineer, editor, out of scope."""

import pytest
from django.urls import reverse

from knowledge import services
from knowledge.models import Article, ArticleAttachment, ArticleEvent, ArticleState, TicketLink
from servicedesk import roles
from tests.factories import PDF_BYTES, UserFactory, upload


@pytest.fixture(autouse=True)
def indexed():
    """The real search index (the package's conftest stubs it for the service tests)."""
    return None


@pytest.fixture
def editor(db):
    return UserFactory(username="kim", first_name="Kim", roles=[roles.KNOWLEDGE_EDITOR])


@pytest.fixture
def retired(lin, kate):
    article = services.create_article(author=lin, title="Old fax setup", body="Dial 0 first.")
    services.publish_article(article=article, actor=kate)
    return services.retire_article(article=article, actor=lin, reason="No more fax machines.")


def attach(article, actor, name="guide.pdf"):
    return services.attach_files(article=article, actor=actor, files=[upload(name, PDF_BYTES)])[0]


def snapshot(article) -> dict:
    row = Article.objects.get(pk=article.pk)
    return {
        "state": row.state,
        "title": row.title,
        "is_live": row.is_live,
        "events": ArticleEvent.objects.filter(article=row).count(),
        "links": TicketLink.objects.filter(article=row).count(),
    }


def desk_urls(number: str, ticket: str) -> list[tuple[str, str]]:
    return [
        ("get", reverse("knowledge:desk_home")),
        ("get", reverse("knowledge:desk_home") + "?tab=drafts"),
        ("get", reverse("knowledge:desk_new")),
        ("get", reverse("knowledge:desk_contributions")),
        ("get", reverse("knowledge:desk_article", args=[number])),
        ("get", reverse("knowledge:desk_edit", args=[number])),
        ("get", reverse("knowledge:desk_version", args=[number, 1])),
        ("post", reverse("knowledge:desk_action", args=[number, "retire"])),
        ("post", reverse("knowledge:ticket_link", args=[ticket])),
        ("post", reverse("knowledge:ticket_unlink", args=[ticket])),
        ("post", reverse("knowledge:ticket_draft", args=[ticket])),
    ]


# -- anonymous ---------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_log_in_everywhere(client, published, incident):
    urls = [
        ("get", reverse("knowledge:portal_search")),
        ("get", reverse("knowledge:portal_suggest") + "?q=vpn"),
        ("get", reverse("knowledge:portal_article", args=[published.number])),
        ("post", reverse("knowledge:portal_feedback", args=[published.number])),
        ("get", reverse("knowledge:attachment", args=[1])),
        *desk_urls(published.number, incident.number),
    ]
    for method, url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url
    assert Article.objects.get(pk=published.pk).view_count == 0


# -- end users -----------------------------------------------------------------------------------------


def test_end_user_gets_403_on_every_desk_page_and_action(login, alice, published, incident):
    client = login(alice)
    before = snapshot(published)
    for method, url in desk_urls(published.number, incident.number):
        response = getattr(client, method)(url, {"text": "gone", "article": published.pk})
        assert response.status_code == 403, url
    assert snapshot(published) == before


def test_end_user_reads_only_published_public_articles(login, alice, published, internal, draft, retired, kate):
    in_review = services.create_article(author=kate, title="Printer drivers", body="Install them.")
    client = login(alice)
    assert client.get(reverse("knowledge:portal_article", args=[published.number])).status_code == 200
    for article in (internal, retired, in_review):
        assert client.get(reverse("knowledge:portal_article", args=[article.number])).status_code == 404
        response = client.post(reverse("knowledge:portal_feedback", args=[article.number]), {"helpful": "yes"})
        assert response.status_code == 404
    assert client.get(reverse("knowledge:portal_article", args=["KB9999999"])).status_code == 404
    assert client.get(reverse("knowledge:portal_article", args=["nonsense"])).status_code == 404
    assert Article.objects.get(pk=internal.pk).helpful_count == 0


def test_a_draft_revision_of_a_published_article_shows_the_published_version(login, alice, published, lin):
    services.update_article(article=published, actor=lin, title="DRAFT TITLE", body="Draft text.")
    assert Article.objects.get(pk=published.pk).state == ArticleState.DRAFT
    response = login(alice).get(reverse("knowledge:portal_article", args=[published.number]))
    assert response.status_code == 200
    assert "Connect to the VPN" in response.content.decode()
    assert "DRAFT TITLE" not in response.content.decode()


def test_end_user_never_finds_internal_or_draft_articles(login, alice, published, internal, draft):
    client = login(alice)
    for query in ("firewall", "VPN"):
        response = client.get(reverse("knowledge:portal_search"), {"q": query})
        numbers = [hit.number for hit in response.context["hits"]]
        assert internal.number not in numbers
    assert [hit.number for hit in response.context["hits"]] == [published.number]
    suggestions = client.get(reverse("knowledge:portal_suggest"), {"q": "firewall cluster reboot"})
    assert internal.number not in suggestions.content.decode()


def test_attachments_download_only_for_readers_of_the_article(login, alice, lin, published, internal):
    public_file = attach(published, lin)
    internal_file = attach(internal, lin, "runbook.pdf")
    client = login(alice)
    response = client.get(reverse("knowledge:attachment", args=[public_file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert client.get(reverse("knowledge:attachment", args=[internal_file.pk])).status_code == 404
    assert client.get(reverse("knowledge:attachment", args=[999999])).status_code == 404
    assert login(lin).get(reverse("knowledge:attachment", args=[internal_file.pk])).status_code == 200


def test_attachment_of_a_draft_is_not_served_to_end_users(login, alice, lin, draft):
    file = attach(draft, lin)
    assert ArticleAttachment.objects.count() == 1
    assert login(alice).get(reverse("knowledge:attachment", args=[file.pk])).status_code == 404


# -- engineers and editors ------------------------------------------------------------------------------


def test_engineer_cannot_publish_send_back_or_see_the_review_queue(login, lin, draft):
    services.submit_for_review(article=draft, actor=lin)
    client = login(lin)
    before = snapshot(draft)
    assert client.post(reverse("knowledge:desk_action", args=[draft.number, "publish"])).status_code == 403
    response = client.post(reverse("knowledge:desk_action", args=[draft.number, "send_back"]), {"text": "Fix it"})
    assert response.status_code == 403
    assert snapshot(draft) == before
    assert client.get(reverse("knowledge:desk_home"), {"tab": "review"}).status_code == 403
    page = client.get(reverse("knowledge:desk_article", args=[draft.number]))
    assert page.context["can"]["publish"] is False
    assert 'id="kb-publish"' not in page.content.decode()


def test_editor_sees_the_review_queue_and_publishes(login, lin, kate, draft):
    services.submit_for_review(article=draft, actor=lin)
    client = login(kate)
    queue = client.get(reverse("knowledge:desk_home"), {"tab": "review"})
    assert queue.status_code == 200
    assert [article.number for article in queue.context["page"].object_list] == [draft.number]
    page = client.get(reverse("knowledge:desk_article", args=[draft.number]))
    assert page.context["can"]["publish"] and page.context["can"]["send_back"]
    response = client.post(reverse("knowledge:desk_action", args=[draft.number, "publish"]), {"text": "First"})
    assert response.status_code == 302
    assert Article.objects.get(pk=draft.pk).state == ArticleState.PUBLISHED


def test_editor_cannot_review_their_own_submitted_article(login, kate):
    article = services.create_article(author=kate, title="Editor's own", body="Text.")
    services.submit_for_review(article=article, actor=kate)
    client = login(kate)
    assert client.get(reverse("knowledge:desk_article", args=[article.number])).context["can"]["publish"] is False
    response = client.post(reverse("knowledge:desk_action", args=[article.number, "publish"]), follow=True)
    assert "another Knowledge Editor" in response.content.decode()
    assert Article.objects.get(pk=article.pk).state == ArticleState.IN_REVIEW


def test_engineer_cannot_open_another_engineers_draft_nor_edit_their_published_article(login, lin, lee, published):
    other = services.create_article(author=lee, title="Lee's draft", body="Text.")
    client = login(lin)
    assert client.get(reverse("knowledge:desk_article", args=[other.number])).status_code == 404
    assert client.get(reverse("knowledge:desk_edit", args=[other.number])).status_code == 404
    lee_client = login(lee)
    assert lee_client.get(reverse("knowledge:desk_article", args=[published.number])).status_code == 200
    assert lee_client.get(reverse("knowledge:desk_edit", args=[published.number])).status_code == 403
    before = snapshot(published)
    response = lee_client.post(reverse("knowledge:desk_edit", args=[published.number]), {"title": "Hijacked"})
    assert response.status_code == 403
    response = lee_client.post(reverse("knowledge:desk_action", args=[published.number, "retire"]), {"text": "x"})
    assert response.status_code == 403
    assert snapshot(published) == before


def test_editor_without_desk_role_uses_the_knowledge_desk_but_not_ticket_panels(login, editor, published, incident):
    client = login(editor)
    assert client.get(reverse("knowledge:desk_home")).status_code == 200
    assert client.get(reverse("knowledge:desk_article", args=[published.number])).status_code == 200
    response = client.post(reverse("knowledge:ticket_link", args=[incident.number]), {"article": published.pk})
    assert response.status_code == 403
    assert TicketLink.objects.count() == 0


def test_ticket_actions_need_access_to_the_ticket(login, lee, lin, published, incident, network_team):
    """lee works in Network Operations; alice's incident is in the Service Desk group: 404, nothing linked."""
    client = login(lee)
    for name in ("ticket_link", "ticket_unlink", "ticket_draft"):
        response = client.post(reverse(f"knowledge:{name}", args=[incident.number]), {"article": published.pk})
        assert response.status_code == 404, name
    assert TicketLink.objects.count() == 0
    response = login(lin).post(reverse("knowledge:ticket_link", args=[incident.number]), {"article": published.pk})
    assert response.status_code == 302
    assert TicketLink.objects.filter(article=published, ticket_id=incident.pk).exists()


def test_unknown_action_is_404(login, lin, draft):
    assert login(lin).post(reverse("knowledge:desk_action", args=[draft.number, "explode"])).status_code == 404


def test_get_on_an_action_is_refused(login, lin, draft):
    assert login(lin).get(reverse("knowledge:desk_action", args=[draft.number, "submit"])).status_code == 405
    assert Article.objects.get(pk=draft.pk).state == ArticleState.DRAFT
