"""Readers' views and verdicts, the flag they raise, links to tickets, drafts from tickets, contribution figures."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from incidents.models import Incident
from knowledge import selectors, services
from knowledge.models import Article, ArticleEvent, Audience, Feedback, TicketLink
from knowledge.services import ArticleError
from servicedesk import roles
from tests.factories import AssignmentGroupFactory, UserFactory, in_threads, report

K = ArticleEvent.Kind


def counters(article) -> dict:
    row = Article.objects.get(pk=article.pk)
    return {
        "views": row.view_count,
        "helpful": row.helpful_count,
        "unhelpful": row.unhelpful_count,
        "links": row.link_count,
        "solved": row.solved_count,
    }


def readers(count: int) -> list:
    return [UserFactory(roles=[roles.REQUESTER]) for _ in range(count)]


# -- views -------------------------------------------------------------------------------------------


def test_views_are_counted_on_live_articles_only(published, draft, alice, lin):
    assert services.record_view(article=published, user=alice) is True
    assert services.record_view(article=published, user=lin) is True

    assert counters(published)["views"] == 2
    other = services.create_article(author=lin, title="Unpublished", body="x")
    assert services.record_view(article=other, user=lin) is False
    assert counters(other)["views"] == 0


def test_a_reader_who_may_not_read_it_is_refused(internal, alice):
    with pytest.raises(PermissionDenied):
        services.record_view(article=internal, user=alice)
    with pytest.raises(PermissionDenied):
        services.give_feedback(article=internal, user=alice, helpful=True)
    assert counters(internal) == {"views": 0, "helpful": 0, "unhelpful": 0, "links": 0, "solved": 0}


# -- feedback ----------------------------------------------------------------------------------------


def test_one_verdict_per_reader_and_a_change_of_mind_moves_the_counters(published, alice, bob):
    services.give_feedback(article=published, user=alice, helpful=True)
    services.give_feedback(article=published, user=bob, helpful=True, comment="Worked first time")
    assert counters(published) | {"views": None} == {
        "views": None,
        "helpful": 2,
        "unhelpful": 0,
        "links": 0,
        "solved": 0,
    }

    feedback = services.give_feedback(article=published, user=alice, helpful=False, comment=" The link is dead ")
    assert (counters(published)["helpful"], counters(published)["unhelpful"]) == (1, 1)
    assert (feedback.helpful, feedback.comment, feedback.version) == (False, "The link is dead", 1)

    services.give_feedback(article=published, user=alice, helpful=False, comment="Still dead")
    assert (counters(published)["helpful"], counters(published)["unhelpful"]) == (1, 1)

    services.give_feedback(article=published, user=alice, helpful=True)
    assert (counters(published)["helpful"], counters(published)["unhelpful"]) == (2, 0)
    assert Feedback.objects.filter(article=published).count() == 2


def test_feedback_only_on_published_articles(draft, lin):
    with pytest.raises(ArticleError, match="not published"):
        services.give_feedback(article=draft, user=lin, helpful=True)
    with pytest.raises(ArticleError, match="helped"):
        services.give_feedback(article=draft, user=lin, helpful="yes")
    assert not Feedback.objects.exists()


def test_unhelpful_verdicts_flag_the_article_when_they_reach_the_threshold_and_outnumber_helpful_ones(
    published, settings
):
    settings.KNOWLEDGE_FLAG_UNHELPFUL = 3
    fans, critics = readers(3), readers(4)
    for reader in fans:
        services.give_feedback(article=published, user=reader, helpful=True)
    for reader in critics[:3]:
        services.give_feedback(article=published, user=reader, helpful=False)
    assert not Article.objects.get(pk=published.pk).flagged  # 3 against 3: no majority

    services.give_feedback(article=published, user=critics[3], helpful=False, comment="Outdated screenshots")

    article = Article.objects.get(pk=published.pk)
    assert article.flagged
    assert article.flag_reason == "Readers found version 1 unhelpful (4 not helpful, 3 helpful)."
    event = ArticleEvent.objects.get(article=article, kind=K.FLAGGED)
    assert event.actor is None
    assert list(selectors.flagged_for(published.owner)) == [article]


def test_too_few_unhelpful_verdicts_do_not_flag(published, settings):
    settings.KNOWLEDGE_FLAG_UNHELPFUL = 3
    for reader in readers(2):
        services.give_feedback(article=published, user=reader, helpful=False)
    assert not Article.objects.get(pk=published.pk).flagged


def test_a_new_version_starts_afresh(published, lin, kate, settings):
    settings.KNOWLEDGE_FLAG_UNHELPFUL = 2
    critics = readers(3)
    for reader in critics[:2]:
        services.give_feedback(article=published, user=reader, helpful=False)
    assert Article.objects.get(pk=published.pk).flagged

    services.update_article(article=published, actor=lin, body="Rewritten from scratch.")
    services.publish_article(article=published, actor=kate)
    services.give_feedback(article=published, user=critics[2], helpful=False)

    article = Article.objects.get(pk=published.pk)
    assert not article.flagged  # one verdict on version 2; the two on version 1 no longer count
    assert (article.helpful_count, article.unhelpful_count) == (0, 3)  # lifetime totals


def test_flags_by_engineers_and_who_clears_them(published, lee, lin, alice, kate):
    with pytest.raises(PermissionDenied):
        services.flag_article(article=published, actor=alice, reason="Wrong")
    with pytest.raises(ArticleError, match="what is wrong"):
        services.flag_article(article=published, actor=lee, reason="")

    services.flag_article(article=published, actor=lee, reason="Client 6 has a new sign-in page.")
    assert list(selectors.flagged_for(lin)) == [Article.objects.get(pk=published.pk)]
    assert not selectors.flagged_for(lee).exists()
    with pytest.raises(PermissionDenied):
        services.clear_flag(article=published, actor=lee)

    services.clear_flag(article=published, actor=lin)
    services.clear_flag(article=published, actor=kate)  # nothing to clear: nothing recorded

    assert not Article.objects.get(pk=published.pk).flagged
    assert [e.kind for e in ArticleEvent.objects.filter(kind__in=[K.FLAGGED, K.UNFLAGGED])] == [K.FLAGGED, K.UNFLAGGED]


# -- links to tickets --------------------------------------------------------------------------------


def test_links_are_idempotent_and_a_link_becomes_solved_once(published, incident, lin):
    first = services.link_to_ticket(article=published, ticket=incident, actor=lin)
    again = services.link_to_ticket(article=published, ticket=incident, actor=lin)
    assert first.pk == again.pk
    assert (counters(published)["links"], counters(published)["solved"]) == (1, 0)

    solved = services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True)
    services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True)
    services.link_to_ticket(article=published, ticket=incident, actor=lin)  # never un-solves

    assert solved.solved and solved.solved_at is not None
    assert TicketLink.objects.get().solved
    assert (counters(published)["links"], counters(published)["solved"]) == (1, 1)


def test_unlinking_takes_the_counts_back(published, incident, lin, alice):
    other = report(alice, title="VPN drops every hour")
    services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True)
    services.link_to_ticket(article=published, ticket=other, actor=lin)

    assert services.unlink(article=published, ticket=incident, actor=lin) is True
    assert services.unlink(article=published, ticket=incident, actor=lin) is False

    assert (counters(published)["links"], counters(published)["solved"]) == (1, 0)
    assert list(TicketLink.objects.values_list("ticket_id", flat=True)) == [other.pk]


def test_only_engineers_on_the_ticket_link_it(published, incident, alice, lee, internal, lin):
    for actor in (alice, lee):  # the requester; an engineer outside the ticket's group
        with pytest.raises(PermissionDenied):
            services.link_to_ticket(article=published, ticket=incident, actor=actor)
    assert not TicketLink.objects.exists()

    services.link_to_ticket(article=internal, ticket=incident, actor=lin)
    assert counters(internal)["links"] == 1


def test_unpublished_articles_are_not_linked(draft, incident, lin):
    with pytest.raises(ArticleError, match="only published articles"):
        services.link_to_ticket(article=draft, ticket=incident, actor=lin)
    assert counters(draft)["links"] == 0


# -- drafts from tickets -----------------------------------------------------------------------------


def test_a_draft_from_a_resolved_incident(resolved_incident, lin):
    ticket = resolved_incident.ticket_ptr  # the core row, as the desk hands it over

    article = services.draft_from_ticket(ticket=ticket, actor=lin)

    assert (article.title, article.owner, article.state) == ("Cannot connect to the Wi-Fi", lin, "draft")
    assert article.audience == Audience.INTERNAL
    assert article.source_ticket_id == resolved_incident.pk
    assert article.body == "## Symptoms\n\nSince **this morning**.\n\n## Resolution\n\nReplaced the access point."
    assert article.summary == "Replaced the access point."
    assert ArticleEvent.objects.get(article=article).kind == K.CREATED


def test_a_draft_from_an_open_ticket_has_no_resolution(incident, lin):
    article = services.draft_from_ticket(ticket=Incident.objects.get(pk=incident.pk), actor=lin)
    assert article.body == "## Symptoms\n\nSince **this morning**."


def test_only_engineers_on_the_ticket_draft_from_it(resolved_incident, alice, lee):
    for actor in (alice, lee):
        with pytest.raises(PermissionDenied):
            services.draft_from_ticket(ticket=resolved_incident, actor=actor)
    assert not Article.objects.exists()


# -- contribution ------------------------------------------------------------------------------------


def test_contribution_per_engineer_and_group(published, incident, lin, lee, kate, ken, alice, service_desk):
    """lin wrote the VPN article (kate published it) and it solved two tickets; ken reviewed lee's article."""
    AssignmentGroupFactory(name="Knowledge", members=[kate, ken])
    service_desk.members.add(lee)
    services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True)
    services.link_to_ticket(article=published, ticket=report(alice, title="VPN again"), actor=lin, solved=True)
    services.link_to_ticket(article=published, ticket=report(alice, title="VPN once more"), actor=lin)
    lees = services.create_article(author=lee, title="Reset MFA", body="x")
    services.submit_for_review(article=lees, actor=lee)
    services.comment_on_review(article=lees, actor=ken, text="Which app?")
    services.comment_on_review(article=lees, actor=lee, text="Any.")  # the owner answering is not reviewing
    services.send_back(article=lees, actor=ken, text="Name the app.")
    services.update_article(article=published, actor=lin, body="v2")
    services.publish_article(article=published, actor=ken)  # a second version: still one article written
    kates = services.create_article(author=kate, title="Style guide", body="x")
    services.publish_article(article=kates, actor=kate)  # published own draft: written, not reviewed

    report_ = selectors.contribution()

    engineers = {row.subject.username: (row.written, row.reviewed, row.solved) for row in report_.engineers}
    assert engineers == {"lin": (1, 0, 2), "kate": (1, 1, 0), "ken": (0, 2, 0)}
    assert [row.subject.username for row in report_.engineers] == ["lin", "kate", "ken"]
    groups = {row.subject.name: (row.written, row.reviewed, row.solved) for row in report_.groups}
    # Knowledge: kate wrote one; kate and ken reviewed lin's article (one) and ken lee's (two in all).
    assert groups == {"Service Desk": (1, 0, 2), "Knowledge": (1, 2, 0)}


def test_contribution_in_a_period(published, incident, lin):
    now = timezone.now()
    with time_machine.travel(now + timedelta(days=10)):
        services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True)

    earlier = selectors.contribution(period=(now.date() - timedelta(days=1), now.date() + timedelta(days=5)))
    later = selectors.contribution(period=(now + timedelta(days=5), now + timedelta(days=15)))

    assert [(r.subject.username, r.written, r.reviewed, r.solved) for r in earlier.engineers] == [
        ("kate", 0, 1, 0),  # equal totals: by name
        ("lin", 1, 0, 0),
    ]
    assert [(r.subject.username, r.written, r.reviewed, r.solved) for r in later.engineers] == [("lin", 0, 0, 1)]
    assert later.engineers[0].total == 1


# -- at the same moment ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_counters_stay_right_when_readers_and_engineers_act_at_once(published, incident, lin, lee, service_desk):
    """Eight readers vote, two of them change their minds, views are counted and the same link is made twice."""
    service_desk.members.add(lee)
    voters = readers(8)
    for reader in voters[:2]:
        services.give_feedback(article=published, user=reader, helpful=False)

    calls = [
        *(
            lambda reader=reader: services.give_feedback(article=published, user=reader, helpful=True)
            for reader in voters
        ),
        *(lambda reader=reader: services.record_view(article=published, user=reader) for reader in voters),
        lambda: services.link_to_ticket(article=published, ticket=incident, actor=lin, solved=True),
        lambda: services.link_to_ticket(article=published, ticket=incident, actor=lee, solved=True),
    ]
    results = in_threads(*calls)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert counters(published) == {"views": 8, "helpful": 8, "unhelpful": 0, "links": 1, "solved": 1}
    assert Feedback.objects.filter(article=published).count() == 8
    assert TicketLink.objects.count() == 1
