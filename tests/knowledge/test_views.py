"""Knowledge pages: portal search, article, feedback and suggestions; desk lists, editor, actions, versions,
contributions; the panel on desk tickets; bad input changes nothing; queries per page stay constant."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from incidents.services import resolve_incident, take_incident
from knowledge import services
from knowledge.models import Article, ArticleEvent, ArticleState, Feedback, TicketLink
from tests.factories import report

from . import factories as kb


@pytest.fixture(autouse=True)
def indexed():
    """The real search index (the package's conftest stubs it for the service tests)."""
    return None


def events(article, kind=None) -> int:
    rows = ArticleEvent.objects.filter(article=article)
    return rows.filter(kind=kind).count() if kind else rows.count()


def fresh(article) -> Article:
    return Article.objects.get(pk=article.pk)


# -- portal search -------------------------------------------------------------------------------------


def test_search_shows_highlighted_snippets_and_filters(login, alice):
    network = kb.category("Network")
    vpn = kb.category("VPN", parent=network)
    printing = kb.category("Printing")
    remote = kb.tag("remote")
    wifi = kb.article("Wi-Fi drops <b>often</b>", "The wireless connection drops in meeting rooms.", categories=(vpn,))
    kb.article("Printer wireless setup", "Join the printer to the wireless network.", categories=(printing,))
    tagged = kb.article("Remote wireless access", "Use the wireless hotspot.", tags=(remote,))
    client = login(alice)

    response = client.get(reverse("knowledge:portal_search"), {"q": "wireless"})
    assert response.status_code == 200
    assert len(response.context["hits"]) == 3
    body = response.content.decode()
    assert "<mark>wireless</mark>" in body
    assert "<b>often</b>" not in body  # titles are escaped; only the snippet is HTML
    by_category = client.get(reverse("knowledge:portal_search"), {"q": "wireless", "category": network.pk})
    assert [hit.number for hit in by_category.context["hits"]] == [wifi.number]
    by_tag = client.get(reverse("knowledge:portal_search"), {"q": "wireless", "tag": remote.pk})
    assert [hit.number for hit in by_tag.context["hits"]] == [tagged.number]


def test_search_empty_state_and_bad_filters(login, alice):
    kb.article("Printer shows paper jam", "Open tray 2.")
    client = login(alice)
    empty = client.get(reverse("knowledge:portal_search"), {"q": "submarine"})
    assert 'id="kb-empty"' in empty.content.decode()
    assert "Report an issue" in empty.content.decode()
    bad = client.get(reverse("knowledge:portal_search"), {"q": "printer", "category": "999999", "page": "x"})
    assert bad.status_code == 200
    assert bad.context["form"].errors
    assert bad.context["hits"] == []
    start = client.get(reverse("knowledge:portal_search"))
    assert [article.title for article in start.context["popular"]] == ["Printer shows paper jam"]


def test_search_paginates(login, alice):
    for n in range(23):
        kb.article(f"Mailbox quota {n}", "The mailbox is full: archive old mail.")
    client = login(alice)
    first = client.get(reverse("knowledge:portal_search"), {"q": "mailbox"})
    assert len(first.context["hits"]) == 20 and first.context["has_next"]
    assert 'rel="next"' in first.content.decode()
    second = client.get(reverse("knowledge:portal_search"), {"q": "mailbox", "page": 2})
    assert len(second.context["hits"]) == 3 and not second.context["has_next"]
    assert not {hit.id for hit in first.context["hits"]} & {hit.id for hit in second.context["hits"]}


# -- portal article --------------------------------------------------------------------------------------


def test_article_renders_sanitized_markdown_and_counts_the_view(login, alice):
    article = kb.article(
        "Reset your password",
        "# Steps\n\n1. Open **Settings**\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))",
    )
    response = login(alice).get(reverse("knowledge:portal_article", args=[article.number]))
    body = response.content.decode()
    assert "<strong>Settings</strong>" in body
    assert "<script>alert(1)" not in body
    assert 'href="javascript' not in body
    assert fresh(article).view_count == 1


def test_feedback_with_htmx_swaps_the_box_and_counts(login, alice, published):
    client = login(alice)
    url = reverse("knowledge:portal_feedback", args=[published.number])
    response = client.post(url, {"helpful": "yes", "comment": "Worked at once."}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="kb-feedback-thanks"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert fresh(published).helpful_count == 1
    assert Feedback.objects.get(article=published, user=alice).comment == "Worked at once."


def test_feedback_without_javascript_redirects_back(login, alice, published):
    client = login(alice)
    url = reverse("knowledge:portal_feedback", args=[published.number])
    response = client.post(url, {"helpful": "no"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("knowledge:portal_article", args=[published.number])
    assert "Thank you for your feedback." in response.content.decode()
    assert fresh(published).unhelpful_count == 1


def test_bad_feedback_changes_nothing(login, alice, published):
    client = login(alice)
    url = reverse("knowledge:portal_feedback", args=[published.number])
    response = client.post(url, {"helpful": "maybe"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert 'id="kb-feedback-form"' in response.content.decode()
    client.post(url, {"helpful": "yes", "comment": "x" * 2001})
    row = fresh(published)
    assert (row.helpful_count, row.unhelpful_count) == (0, 0)
    assert not Feedback.objects.exists()


# -- suggestions while reporting an issue ----------------------------------------------------------------


def test_report_form_carries_the_suggestion_panel(login, alice):
    body = login(alice).get(reverse("incidents:report")).content.decode()
    assert 'id="kb-suggestions"' in body
    assert reverse("knowledge:portal_suggest") in body
    assert "keyup changed delay:400ms" in body


def test_suggestions_show_up_to_five_public_articles_never_internal(login, alice, lin):
    for n in range(7):
        kb.article(f"VPN client error {n}", "Reinstall the VPN client.", summary=f"Fix number {n}")
    secret = kb.article("VPN concentrator failover", "VPN internal runbook.", audience="internal")
    for user in (alice, lin):  # an engineer on the portal form gets the public ones too
        response = login(user).get(reverse("knowledge:portal_suggest"), {"title": "VPN error", "description": ""})
        body = response.content.decode()
        assert body.count('class="mb-2 kb-suggestion"') == 5
        assert secret.number not in body and "concentrator" not in body
        assert 'target="_blank"' in body


def test_suggestions_for_nothing_are_empty(login, alice):
    kb.article("VPN client error", "Reinstall.")
    response = login(alice).get(reverse("knowledge:portal_suggest"), {"q": "   "})
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


# -- desk: lists and search --------------------------------------------------------------------------------


def test_desk_search_includes_internal_articles(login, lin, published, internal):
    response = login(lin).get(reverse("knowledge:desk_home"), {"q": "firewall"})
    assert [hit.number for hit in response.context["hits"]] == [internal.number]
    audience = login(lin).get(reverse("knowledge:desk_home"), {"q": "firewall", "audience": "public"})
    assert audience.context["hits"] == []


def test_desk_tabs_list_drafts_flagged_and_retired(login, lin, kate, published):
    draft = services.create_article(author=lin, title="Printer drivers", body="Install.")
    services.flag_article(article=published, actor=kate, reason="Client version 5 changed the screens.")
    retired = services.create_article(author=lin, title="Fax", body="Fax.")
    services.retire_article(article=retired, actor=lin, reason="No fax.")
    client = login(lin)

    def numbers(tab):
        return [row.number for row in client.get(reverse("knowledge:desk_home"), {"tab": tab}).context["page"]]

    assert numbers("drafts") == [draft.number]
    assert numbers("flagged") == [published.number]
    assert numbers("retired") == [retired.number]
    assert "Client version 5" in client.get(reverse("knowledge:desk_home"), {"tab": "flagged"}).content.decode()


# -- desk: writing -------------------------------------------------------------------------------------------


def article_form(**changes) -> dict:
    data = {
        "title": "Map a network drive",
        "summary": "Reach the team share from Explorer.",
        "body": "1. Open Explorer\n2. Map network drive",
        "audience": "public",
        "language": "en",
        "tags": "share, Explorer , share",
        "review_by": "",
    }
    data.update(changes)
    return data


def test_new_article_is_a_draft_with_tags_and_attachment(login, lin):
    from tests.factories import PDF_BYTES, upload

    category = kb.category("Files")
    data = article_form(categories=[category.pk], files=[upload("steps.pdf", PDF_BYTES)])
    response = login(lin).post(reverse("knowledge:desk_new"), data)
    article = Article.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("knowledge:desk_article", args=[article.number])
    assert article.state == ArticleState.DRAFT and article.owner == lin
    assert sorted(tag.name for tag in article.tags.all()) == ["Explorer", "share"]
    assert list(article.categories.all()) == [category]
    assert [file.filename for file in article.attachments.all()] == ["steps.pdf"]


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ""},
        {"body": "   "},
        {"audience": "everyone"},
        {"review_by": "2000-01-01"},
        {"categories": ["999999"]},
        {"tags": "x" * 51},
    ],
)
def test_new_article_bad_input_shows_errors_and_creates_nothing(login, lin, changes):
    response = login(lin).post(reverse("knowledge:desk_new"), article_form(**changes))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Article.objects.exists()


def test_edit_changes_the_working_copy_and_a_published_one_starts_a_version(login, lin, published):
    client = login(lin)
    page = client.get(reverse("knowledge:desk_edit", args=[published.number]))
    assert page.context["form"].initial["tags"] == "VPN, remote work"
    data = article_form(title="Connect to the VPN (v5 client)", body=published.body, summary=published.summary)
    response = client.post(reverse("knowledge:desk_edit", args=[published.number]), data)
    assert response.status_code == 302
    row = fresh(published)
    assert row.title == "Connect to the VPN (v5 client)"
    assert row.state == ArticleState.DRAFT and row.is_live
    assert row.published_version.title == "Connect to the VPN"


def test_edit_bad_input_changes_nothing(login, lin, draft):
    before = (fresh(draft).title, events(draft))
    response = login(lin).post(reverse("knowledge:desk_edit", args=[draft.number]), article_form(title=""))
    assert response.status_code == 200 and response.context["form"].errors
    assert (fresh(draft).title, events(draft)) == before


def test_edit_refused_by_the_service_is_forbidden_and_changes_nothing(login, lin, ken, internal):
    """Opening a live internal article to everyone is for editors: lin gets 403."""
    data = article_form(title=internal.title, body=internal.body, summary="", audience="public", tags="")
    response = login(lin).post(reverse("knowledge:desk_edit", args=[internal.number]), data)
    assert response.status_code == 403
    assert fresh(internal).audience == "internal"


# -- desk: lifecycle actions ---------------------------------------------------------------------------


def action(client, article, name, text=None):
    data = {"text": text} if text is not None else {}
    return client.post(reverse("knowledge:desk_action", args=[article.number, name]), data, follow=True)


def test_lifecycle_through_the_desk(login, lin, kate, draft):
    engineer, editor = login(lin), login(kate)
    assert 'id="kb-submit"' in engineer.get(reverse("knowledge:desk_article", args=[draft.number])).content.decode()
    action(engineer, draft, "submit")
    assert fresh(draft).state == ArticleState.IN_REVIEW
    action(editor, draft, "comment", "Add a screenshot.")
    action(editor, draft, "send_back", "Screenshot missing.")
    assert fresh(draft).state == ArticleState.DRAFT
    action(engineer, draft, "submit")
    response = action(editor, draft, "publish", "First version")
    assert "Published." in response.content.decode()
    assert fresh(draft).is_live
    action(engineer, draft, "start_revision")
    assert fresh(draft).state == ArticleState.DRAFT
    action(engineer, draft, "retire", "Replaced by the new VPN.")
    assert fresh(draft).state == ArticleState.RETIRED and not fresh(draft).is_live
    action(engineer, draft, "restore")
    assert fresh(draft).state == ArticleState.DRAFT
    history = engineer.get(reverse("knowledge:desk_article", args=[draft.number])).content.decode()
    assert "Screenshot missing." in history and "Replaced by the new VPN." in history


@pytest.mark.parametrize("name", ["comment", "retire", "flag"])
def test_actions_without_their_text_change_nothing(login, lin, kate, published, draft, name):
    article = draft if name == "comment" else published
    before = (fresh(article).state, fresh(article).flagged, events(article))
    response = action(login(kate), article, name, "   ")
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.content.decode()
    assert (fresh(article).state, fresh(article).flagged, events(article)) == before


def test_action_in_the_wrong_state_is_explained(login, lin, published):
    response = action(login(lin), published, "submit")
    assert "only a draft can be submitted" in response.content.decode()
    assert fresh(published).state == ArticleState.PUBLISHED


def test_flag_and_clear(login, lee, lin, published):
    action(login(lee), published, "flag", "Screens changed.")
    assert fresh(published).flagged
    action(login(lin), published, "clear_flag")
    assert not fresh(published).flagged


def test_versions_list_and_diff(login, lin, kate, published):
    services.update_article(article=published, actor=lin, body="1. Install the client v5.\n2. Sign in.\n")
    services.publish_article(article=published, actor=kate, change_note="v5 client")
    client = login(lin)
    page = client.get(reverse("knowledge:desk_article", args=[published.number])).content.decode()
    assert reverse("knowledge:desk_version", args=[published.number, 2]) in page
    diff = client.get(reverse("knowledge:desk_version", args=[published.number, 2]))
    body = diff.content.decode()
    assert "+1. Install the client v5." in body and "diff-add" in body and "diff-del" in body
    assert client.get(reverse("knowledge:desk_version", args=[published.number, 9])).status_code == 404


def test_contributions_per_engineer_and_group(login, lin, kate, published, service_desk):
    client = login(lin)
    response = client.get(reverse("knowledge:desk_contributions"))
    report_ = response.context["report"]
    assert [(row.subject, row.written) for row in report_.engineers if row.subject == lin] == [(lin, 1)]
    assert any(row.subject == service_desk and row.written == 1 for row in report_.groups)
    assert 'id="kb-engineers"' in response.content.decode()
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    empty = client.get(reverse("knowledge:desk_contributions"), {"start": future})
    assert empty.context["report"].engineers == []
    bad = client.get(reverse("knowledge:desk_contributions"), {"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.context["report"] is None and bad.context["form"].errors


# -- the panel on desk tickets ---------------------------------------------------------------------------


def test_ticket_panel_shows_matches_and_links(login, lin, alice, service_desk, kate):
    incident = report(alice, title="VPN client error 809", description="The VPN does not connect from home.")
    vpn = kb.article("VPN error 809", "Open UDP 500 on the home router for the VPN.")
    runbook = kb.article("VPN gateway runbook", "VPN gateway restart for engineers.", audience="internal")
    kb.article("Printer toner", "Replace the toner.")
    client = login(lin)
    page = client.get(reverse("servicedesk:desk_ticket", args=[incident.number]))
    panel = page.content.decode()
    assert 'id="kb-ticket-panel"' in panel
    assert vpn.number in panel and runbook.number in panel and "Printer toner" not in panel
    assert 'id="kb-draft"' not in panel  # the ticket is open

    client.post(reverse("knowledge:ticket_link", args=[incident.number]), {"article": vpn.pk, "solved": "1"})
    link = TicketLink.objects.get(article=vpn, ticket_id=incident.pk)
    assert link.solved and fresh(vpn).solved_count == 1
    panel = client.get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()
    linked = panel.split('id="kb-linked"')[1].split("</ul>")[0]
    assert vpn.number in linked and "Solved by this" in linked

    client.post(reverse("knowledge:ticket_unlink", args=[incident.number]), {"article": vpn.pk})
    assert not TicketLink.objects.exists()


def test_ticket_link_to_an_unknown_article_is_404(login, lin, incident):
    response = login(lin).post(reverse("knowledge:ticket_link", args=[incident.number]), {"article": "nope"})
    assert response.status_code == 404


def test_draft_from_a_resolved_ticket_opens_the_editor(login, lin, incident):
    client = login(lin)
    refused = client.post(reverse("knowledge:ticket_draft", args=[incident.number]), follow=True)
    assert "once the ticket is resolved" in refused.content.decode()
    assert not Article.objects.exists()
    take_incident(incident=incident, actor=lin)
    resolve_incident(incident=incident, actor=lin, code="permanent", notes="Forgot the network and rejoined.")
    panel = client.get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()
    assert 'id="kb-draft"' in panel
    response = client.post(reverse("knowledge:ticket_draft", args=[incident.number]))
    article = Article.objects.get()
    assert response.url == reverse("knowledge:desk_edit", args=[article.number])
    assert article.source_ticket_id == incident.pk and article.audience == "internal"
    assert "Forgot the network" in article.body


# -- queries per page stay constant -----------------------------------------------------------------------


def _queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _many(n, start, **fields):
    tag = kb.tag("printing")
    category = kb.category("Printing")
    return [
        kb.article(f"Printer problem {i}", f"Printer fix {i}.", tags=(tag,), categories=(category,), **fields)
        for i in range(start, start + n)
    ]


@pytest.mark.parametrize("who", ["alice", "lin"])
def test_search_pages_cost_the_same_for_5_and_30_articles(request, login, django_assert_max_num_queries, who):
    client = login(request.getfixturevalue(who))
    _many(5, 0)
    url = (
        (reverse("knowledge:portal_search") if who == "alice" else reverse("knowledge:desk_home"))
        + "?q=printer&tag="
        + str(kb.tag("printing").pk)
    )
    baseline = _queries(client, url)
    _many(25, 5)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["hits"]) == 20


@pytest.mark.parametrize("tab", ["drafts", "retired", "flagged"])
def test_desk_lists_cost_the_same_for_5_and_30_articles(login, lin, kate, django_assert_max_num_queries, tab):
    def add(n, start):
        for i in range(start, start + n):
            article = services.create_article(author=lin, title=f"Article {i}", body="Text.")
            if tab == "retired":
                services.retire_article(article=article, actor=lin, reason="Old.")
            if tab == "flagged":
                services.publish_article(article=article, actor=kate)
                services.flag_article(article=article, actor=kate, reason="Check it.")

    client = login(lin)
    url = reverse("knowledge:desk_home") + f"?tab={tab}"
    add(5, 0)
    baseline = _queries(client, url)
    add(25, 5)
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 25


def test_article_pages_cost_the_same_with_few_or_many_attachments_versions_and_events(
    login, lin, kate, alice, published, django_assert_max_num_queries
):
    from tests.factories import PDF_BYTES, upload

    def grow(n):
        """n more files, n more review comments and one more version."""
        services.attach_files(article=published, actor=lin, files=[upload(f"f{i}.pdf", PDF_BYTES) for i in range(n)])
        services.update_article(article=published, actor=lin, body=f"Text {n}.")
        for i in range(n):
            services.comment_on_review(article=published, actor=kate, text=f"note {i}")
        services.publish_article(article=published, actor=kate)

    grow(5)
    desk, portal = login(lin), login(alice)
    desk_url = reverse("knowledge:desk_article", args=[published.number])
    portal_url = reverse("knowledge:portal_article", args=[published.number])
    desk_baseline, portal_baseline = _queries(desk, desk_url), _queries(portal, portal_url)
    grow(25)
    with django_assert_max_num_queries(desk_baseline):
        desk.get(desk_url)
    with django_assert_max_num_queries(portal_baseline):
        portal.get(portal_url)
