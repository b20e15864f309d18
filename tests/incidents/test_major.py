"""Major incidents: promote, link and unlink children, the announcement, the cascade on resolution, the banner."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import major, services
from incidents.choices import IncidentState
from incidents.listeners_major import major_incident_banners, resolve_children_with_parent
from incidents.models import Incident
from servicedesk import registry, roles
from servicedesk.choices import EventKind, Priority
from servicedesk.models import Comment, Notification, TicketEvent
from servicedesk.services import ChangedMeanwhile, TicketError, assign_ticket
from tests.factories import UserFactory, in_threads, messages_of, report, ticket_state


@pytest.fixture(autouse=True)
def major_hooks():
    """The cascade listener and the banner provider, registered here until IncidentsConfig.ready does it."""
    added_listener = resolve_children_with_parent not in registry.listeners()
    added_provider = major_incident_banners not in registry.banner_providers()
    registry.register_listener(resolve_children_with_parent)
    registry.register_banner_provider(major_incident_banners)
    yield
    if added_listener:
        registry.unregister_listener(resolve_children_with_parent)
    if added_provider:
        registry.unregister_banner_provider(major_incident_banners)


@pytest.fixture
def carol(db):
    return UserFactory(username="carol", roles=[roles.REQUESTER])


@pytest.fixture
def dave(db):
    return UserFactory(username="dave", roles=[roles.REQUESTER])


@pytest.fixture
def major_incident(incident, lin):
    """alice's incident, promoted to a major incident by lin with an announcement."""
    return major.promote_to_major(
        incident=incident, actor=lin, reason="Mail is down for everyone", announcement="We are on it."
    )


@pytest.fixture
def child(major_incident, bob, lin):
    """bob's incident, linked to the major incident."""
    return major.link_child(parent=major_incident, child=report(bob, title="Cannot send mail"), actor=lin)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def log(incident, after: int = 0) -> list[tuple]:
    """The incident's activity rows after the first `after` ones: kind, field, from, to, actor, reason."""
    events = TicketEvent.objects.filter(ticket=incident).order_by("created_at", "pk")[after:]
    return [(e.kind, e.field, e.old_value, e.new_value, e.actor_id, e.reason) for e in events]


# -- promote -----------------------------------------------------------------------------------------


def test_promote_makes_it_major_at_p1_and_logs_the_reason(incident, lin):
    before = TicketEvent.objects.filter(ticket=incident).count()

    promoted = major.promote_to_major(
        incident=incident, actor=lin, reason="Mail is down for everyone", announcement="  We are on it.  "
    )

    row = fresh(promoted)
    assert (row.is_major, row.priority, row.priority_overridden) == (True, Priority.CRITICAL, True)
    assert row.major_announcement == "We are on it."
    reason = "Mail is down for everyone"
    assert log(incident, before) == [
        (EventKind.FIELD, "priority", str(Priority.LOW.value), str(Priority.CRITICAL.value), lin.pk, reason),
        (EventKind.FIELD, "is_major", "False", "True", lin.pk, reason),
        (EventKind.FIELD, "major_announcement", "", "We are on it.", lin.pk, reason),
    ]


def test_a_manager_may_promote_any_incident(incident, mona):
    assert major.promote_to_major(incident=incident, actor=mona, reason="Whole site").is_major


@pytest.mark.parametrize(
    ("setup", "reason", "message"),
    [
        ("none", "", "Say why"),
        ("none", "   ", "Say why"),
        ("resolved", "Outage", "no longer open"),
        ("major", "Again", "already a major incident"),
        ("child", "Outage", "linked to the major incident"),
    ],
    ids=["no-reason", "blank-reason", "resolved", "already-major", "is-a-child"],
)
def test_promote_refusals_change_nothing(request, incident, lin, bob, setup, reason, message):
    target = incident
    if setup == "resolved":
        target = request.getfixturevalue("resolved_incident")
    elif setup == "major":
        target = major.promote_to_major(incident=incident, actor=lin, reason="Outage")
    elif setup == "child":
        parent = major.promote_to_major(incident=report(bob, title="Mail down"), actor=lin, reason="Outage")
        target = major.link_child(parent=parent, child=incident, actor=lin)
    before = ticket_state(target)

    with pytest.raises(TicketError, match=message):
        major.promote_to_major(incident=target, actor=lin, reason=reason)

    assert ticket_state(target) == before


def test_promote_with_a_stale_version_is_changed_meanwhile(incident, lin):
    before = ticket_state(incident)

    with pytest.raises(ChangedMeanwhile):
        major.promote_to_major(incident=incident, actor=lin, reason="Outage", expected_version=incident.version - 1)

    assert ticket_state(incident) == before


@pytest.mark.parametrize("who", ["alice", "lee"])
def test_promote_out_of_scope_is_denied(request, incident, network_team, who):
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        major.promote_to_major(incident=incident, actor=request.getfixturevalue(who), reason="Outage")

    assert ticket_state(incident) == before


# -- link and unlink ---------------------------------------------------------------------------------


def test_link_child_points_it_at_the_major_and_notes_it_on_both(major_incident, bob, lin):
    other = report(bob, title="Cannot send mail")
    parent_events = TicketEvent.objects.filter(ticket=major_incident).count()

    linked = major.link_child(parent=major_incident, child=other, actor=lin, reason="Same outage")

    assert fresh(linked).parent_id == major_incident.pk
    event = TicketEvent.objects.filter(ticket=other, field="parent").get()
    assert (event.old_value, event.new_value, event.actor, event.reason) == (
        "",
        str(major_incident.pk),
        lin,
        "Same outage",
    )
    assert event.new_display == str(fresh(major_incident))
    note = Comment.objects.filter(ticket=major_incident).get()
    assert note.is_internal
    assert note.body.startswith(f"Linked {other.number} (Cannot send mail) to this major incident.")
    assert [e[0] for e in log(major_incident, parent_events)] == [EventKind.WORK_NOTE]


def _major_of(user, lin, title="Another outage"):
    return major.promote_to_major(incident=report(user, title=title), actor=lin, reason="Outage")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("parent-not-major", "is not a major incident"),
        ("parent-resolved", "no longer open"),
        ("child-resolved", "no longer open"),
        ("itself", "cannot be linked to itself"),
        ("already-here", "already linked to"),
        ("linked-elsewhere", "already linked to .*: unlink it there first"),
        ("major-with-children", "linked incidents of its own"),
        ("parent-is-a-child", "is itself linked to"),
    ],
)
def test_link_refusals_change_nothing(major_incident, child, bob, carol, lin, case, message):
    parent, target = major_incident, report(carol, title="Mail slow")
    if case == "parent-not-major":
        parent = report(carol, title="Printer")
    elif case == "parent-resolved":
        parent = services.resolve_incident(incident=major_incident, actor=lin, code="permanent", notes="Fixed")
        target = report(carol, title="Mail slow")
    elif case == "child-resolved":
        target = services.resolve_incident(incident=target, actor=lin, code="permanent", notes="Fixed")
    elif case == "itself":
        target = major_incident
    elif case == "already-here":
        target = child
    elif case == "linked-elsewhere":
        parent = _major_of(carol, lin)
        target = child
    elif case == "major-with-children":
        target = major_incident
        parent = _major_of(carol, lin)
    elif case == "parent-is-a-child":
        small_major = _major_of(carol, lin, "Small outage")
        major.link_child(parent=major_incident, child=small_major, actor=lin)
        parent = small_major
    before = (ticket_state(parent), ticket_state(target))

    with pytest.raises(TicketError, match=message):
        major.link_child(parent=parent, child=target, actor=lin)

    assert (ticket_state(parent), ticket_state(target)) == before


def test_link_out_of_scope_child_is_denied(major_incident, bob, lin, mona, network_team):
    other = assign_ticket(ticket=report(bob, title="Router"), actor=mona, group=network_team)
    before = ticket_state(other)

    with pytest.raises(PermissionDenied):
        major.link_child(parent=major_incident, child=other, actor=lin)

    assert ticket_state(other) == before


def test_link_with_a_stale_parent_version_is_changed_meanwhile(major_incident, bob, lin):
    other = report(bob, title="Mail slow")
    before = ticket_state(other)

    with pytest.raises(ChangedMeanwhile):
        major.link_child(parent=major_incident, child=other, actor=lin, expected_version=major_incident.version - 1)

    assert ticket_state(other) == before


def test_unlink_child(major_incident, child, lin):
    unlinked = major.unlink_child(parent=major_incident, child=child, actor=lin, reason="Different cause")

    assert fresh(unlinked).parent_id is None
    event = TicketEvent.objects.filter(ticket=child, field="parent").last()
    assert (event.old_value, event.new_value, event.reason) == (str(major_incident.pk), "", "Different cause")
    assert Comment.objects.filter(ticket=major_incident).last().body.startswith(f"Unlinked {child.number}")


def test_unlink_of_an_incident_not_linked_is_refused(major_incident, child, carol, lin):
    other = report(carol, title="Printer")
    before = (ticket_state(major_incident), ticket_state(other))

    with pytest.raises(TicketError, match="is not linked to"):
        major.unlink_child(parent=major_incident, child=other, actor=lin)

    assert (ticket_state(major_incident), ticket_state(other)) == before


# -- announcement ------------------------------------------------------------------------------------


def test_update_announcement_is_logged(major_incident, lin):
    before = TicketEvent.objects.filter(ticket=major_incident).count()

    major.update_announcement(incident=major_incident, actor=lin, announcement="Back at 14:00.")

    assert fresh(major_incident).major_announcement == "Back at 14:00."
    assert log(major_incident, before) == [
        (EventKind.FIELD, "major_announcement", "We are on it.", "Back at 14:00.", lin.pk, "")
    ]


def test_an_unchanged_announcement_records_nothing(major_incident, lin):
    before = ticket_state(major_incident)

    major.update_announcement(incident=major_incident, actor=lin, announcement=" We are on it. ")

    assert ticket_state(major_incident) == before


def test_the_announcement_of_an_ordinary_incident_is_refused(incident, lin):
    before = ticket_state(incident)

    with pytest.raises(TicketError, match="not a major incident"):
        major.update_announcement(incident=incident, actor=lin, announcement="Hello")

    assert ticket_state(incident) == before


# -- resolving the major resolves its children -------------------------------------------------------


@pytest.fixture
def family(major_incident, child, carol, dave, lin):
    """The major incident with three more children: one In Progress, one On Hold, one cancelled before."""
    in_progress = major.link_child(parent=major_incident, child=report(carol, title="Mail bounces"), actor=lin)
    in_progress = services.take_incident(incident=in_progress, actor=lin)
    on_hold = services.take_incident(incident=report(dave, title="Calendar down"), actor=lin)
    on_hold = services.put_on_hold(incident=on_hold, actor=lin, reason="awaiting_vendor")
    on_hold = major.link_child(parent=major_incident, child=on_hold, actor=lin)
    cancelled = major.link_child(parent=major_incident, child=report(dave, title="Mail gone"), actor=lin)
    cancelled = services.cancel_incident(incident=cancelled, actor=lin, reason="Duplicate report")
    return {"new": child, "in_progress": in_progress, "on_hold": on_hold, "cancelled": cancelled}


def test_resolving_the_major_resolves_its_open_children_the_same_way(major_incident, family, lin):
    marks = {name: TicketEvent.objects.filter(ticket=c).count() for name, c in family.items()}
    parent_mark = TicketEvent.objects.filter(ticket=major_incident).count()
    cancelled_before = ticket_state(family["cancelled"])

    services.resolve_incident(incident=major_incident, actor=lin, code="workaround", notes="Mail rerouted.")

    reason = f"Resolved with the major incident {major_incident.number}."
    for name in ("new", "in_progress", "on_hold"):
        row = fresh(family[name])
        assert (row.state, row.resolution_code, row.resolution_notes) == (
            IncidentState.RESOLVED,
            "workaround",
            "Mail rerouted.",
        )
        assert row.resolved_at is not None
        expected = [(EventKind.STATE, "state", str(family[name].state), "resolved", None, reason)]
        if name == "on_hold":
            expected.append((EventKind.FIELD, "on_hold_reason", "awaiting_vendor", "", None, reason))
        expected += [
            (EventKind.FIELD, "resolution_code", "", "workaround", None, reason),
            (EventKind.FIELD, "resolution_notes", "", "Mail rerouted.", None, reason),
        ]
        assert log(family[name], marks[name]) == expected, name
        # The requester hears of it, as of any resolution.
        assert Notification.objects.filter(
            event__ticket=family[name], event__kind=EventKind.STATE, recipient=family[name].requester
        ).exists()
    assert ticket_state(family["cancelled"]) == cancelled_before
    # The major's own log holds its own resolution only.
    assert log(major_incident, parent_mark) == [
        (EventKind.STATE, "state", "new", "resolved", lin.pk, ""),
        (EventKind.FIELD, "resolution_code", "", "workaround", lin.pk, ""),
        (EventKind.FIELD, "resolution_notes", "", "Mail rerouted.", lin.pk, ""),
    ]


def test_the_cascade_is_part_of_the_parents_transaction(major_incident, child, lin):
    before = ticket_state(child)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.resolve_incident(incident=major_incident, actor=lin, code="permanent", notes="Fixed")
        raise RuntimeError("the request failed after the resolution")

    assert ticket_state(child) == before
    assert fresh(major_incident).state == IncidentState.NEW


def test_resolving_an_ordinary_incident_touches_no_other(incident, bob, lin):
    other = report(bob, title="Unrelated")
    before = ticket_state(other)

    services.resolve_incident(incident=incident, actor=lin, code="permanent", notes="Fixed")

    assert ticket_state(other) == before


# -- the banner --------------------------------------------------------------------------------------


def _banner(client) -> str:
    html = client.get(reverse("servicedesk:portal_home")).content.decode()
    start = html.find('id="banner-major-')
    return html[start : html.find("</div>\n</div>", start)] if start >= 0 else ""


def test_the_banner_shows_to_affected_users_only(login, major_incident, child, alice, bob, carol, dave, lin):
    child.watchers.add(carol)  # watching a child counts as affected
    report(dave, title="My own printer")

    for user in (alice, bob, carol):
        banner = _banner(login(user))
        assert major_incident.number in banner, user
        assert "Cannot connect to the Wi-Fi" in banner
        assert "Received: waiting for an engineer" in banner  # the plain-language state
        assert "We are on it." in banner
    assert _banner(login(dave)) == ""
    # Only the major's own requester may open it in the portal: only she gets the link.
    assert reverse("servicedesk:portal_ticket", args=[major_incident.number]) in _banner(login(alice))
    assert "href" not in _banner(login(bob))


def test_the_banner_is_on_every_portal_page_but_not_in_the_desk(login, major_incident, lin):
    major_incident.watchers.add(lin)
    client = login(lin)

    assert "banner-major-" in client.get(reverse("servicedesk:portal_tickets")).content.decode()
    assert "banner-major-" in client.get(reverse("incidents:report")).content.decode()
    desk_page = client.get(reverse("servicedesk:desk_ticket", args=[major_incident.number]))
    assert desk_page.status_code == 200
    assert "banner-major-" not in desk_page.content.decode()


def test_the_banner_goes_when_the_major_is_resolved(login, major_incident, child, bob, lin):
    assert _banner(login(bob))

    services.resolve_incident(incident=major_incident, actor=lin, code="permanent", notes="Fixed")

    assert _banner(login(bob)) == ""
    assert _banner(login(major_incident.requester)) == ""


def test_no_banner_for_anonymous_visitors(major_incident):
    assert "banner-major-" not in Client().get(reverse("login")).content.decode()


def test_the_portal_home_costs_the_same_queries_with_and_without_banners(
    login, alice, bob, lin, service_desk, django_assert_max_num_queries
):
    client = login(bob)
    report(bob, title="My own issue")
    client.get(reverse("servicedesk:portal_home"))  # warm up: the session, the content types
    with CaptureQueriesContext(connection) as without:
        assert _banner(client) == ""

    for n in range(3):
        parent = major.promote_to_major(incident=report(alice, title=f"Outage {n}"), actor=lin, reason="Outage")
        major.link_child(parent=parent, child=report(bob, title=f"Broken {n}"), actor=lin)

    with django_assert_max_num_queries(len(without)):
        html = client.get(reverse("servicedesk:portal_home")).content.decode()
    assert html.count('id="banner-major-') == 3
    banner_queries = [q for q in without.captured_queries if '"is_major"' in q["sql"]]
    assert len(banner_queries) == 1


# -- desk pages --------------------------------------------------------------------------------------


def test_promote_view(login, lin, incident):
    response = login(lin).post(
        reverse("incidents:promote_major", args=[incident.number]),
        {"reason": "Mail down", "announcement": "On it", "version": incident.version},
    )

    assert messages_of(response) == [f"{incident.number} is now a major incident."]
    assert response["Location"] == reverse("servicedesk:desk_ticket", args=[incident.number])
    assert fresh(incident).is_major


def test_link_and_unlink_views(login, lin, major_incident, bob):
    other = report(bob, title="Cannot send mail")
    client = login(lin)
    url = reverse("incidents:link_child", args=[major_incident.number])

    response = client.post(url, {"number": f" {other.number.lower()} ", "version": major_incident.version})

    assert messages_of(response) == [f"{other.number} is linked to {major_incident.number}."]
    assert fresh(other).parent_id == major_incident.pk
    response = client.post(reverse("incidents:unlink_child", args=[major_incident.number]), {"number": other.number})
    assert messages_of(response)[-1] == f"{other.number} is no longer linked to {major_incident.number}."
    assert fresh(other).parent_id is None


def test_announcement_view(login, lin, major_incident):
    response = login(lin).post(
        reverse("incidents:major_announcement", args=[major_incident.number]), {"announcement": "Fixed by 5 pm"}
    )

    assert messages_of(response) == ["The announcement is saved."]
    assert fresh(major_incident).major_announcement == "Fixed by 5 pm"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("promote_major", {"reason": ""}, "This field is required."),
        ("promote_major", {"reason": "x", "version": "0"}, "changed by someone else meanwhile"),
        ("link_child", {"number": "not a number"}, "is not a ticket number"),
        ("link_child", {"number": ""}, "This field is required."),
        ("link_child", {"number": "SELF"}, "cannot be linked to itself"),
        ("link_child", {"number": "INC1", "version": "abc"}, "Enter a whole number."),
        ("unlink_child", {"number": "SELF"}, "is not linked to"),
        ("major_announcement", {"announcement": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_input_gives_a_message_and_changes_nothing(login, lin, major_incident, name, data, message):
    data = {k: major_incident.number if v == "SELF" else v for k, v in data.items()}
    before = ticket_state(major_incident)

    response = login(lin).post(reverse(f"incidents:{name}", args=[major_incident.number]), data)

    assert response.status_code == 302
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert ticket_state(major_incident) == before


def test_promote_on_a_closed_incident_gives_a_message(login, lin, resolved_incident):
    before = ticket_state(resolved_incident)

    response = login(lin).post(
        reverse("incidents:promote_major", args=[resolved_incident.number]), {"reason": "Outage"}
    )

    assert messages_of(response) == [f"{resolved_incident.number} is no longer open."]
    assert ticket_state(resolved_incident) == before


DESK_VIEWS = {
    "promote_major": {"reason": "Outage"},
    "major_announcement": {"announcement": "Hello"},
    "link_child": {"number": "OTHER"},
    "unlink_child": {"number": "OTHER"},
    "merge": {"numbers": "OTHER"},
}


@pytest.fixture
def other_incident(bob):
    return report(bob, title="Cannot send mail")


def _post(client, name, major_incident, other):
    data = {k: other.number if v == "OTHER" else v for k, v in DESK_VIEWS[name].items()}
    return client.post(reverse(f"incidents:{name}", args=[major_incident.number]), data)


@pytest.mark.parametrize("name", DESK_VIEWS)
@pytest.mark.parametrize("who", ["anonymous", "alice", "lee"])
def test_permission_matrix(request, login, major_incident, other_incident, network_team, name, who):
    before = (ticket_state(major_incident), ticket_state(other_incident))
    client = Client() if who == "anonymous" else login(request.getfixturevalue(who))

    response = _post(client, name, major_incident, other_incident)

    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    else:
        assert response.status_code == {"alice": 403, "lee": 404}[who]
    assert (ticket_state(major_incident), ticket_state(other_incident)) == before


@pytest.mark.parametrize("name", ["link_child", "unlink_child", "merge"])
def test_another_number_out_of_scope_is_404(login, lin, mona, major_incident, bob, network_team, name):
    other = assign_ticket(ticket=report(bob, title="Router"), actor=mona, group=network_team)
    before = (ticket_state(major_incident), ticket_state(other))

    response = _post(login(lin), name, major_incident, other)

    assert response.status_code == 404
    assert (ticket_state(major_incident), ticket_state(other)) == before


def test_an_unknown_number_is_404(login, lin, major_incident):
    response = login(lin).post(reverse("incidents:link_child", args=[major_incident.number]), {"number": "INC9999999"})

    assert response.status_code == 404


@pytest.mark.parametrize("name", DESK_VIEWS)
def test_the_views_answer_post_only(login, lin, major_incident, name):
    assert login(lin).get(reverse(f"incidents:{name}", args=[major_incident.number])).status_code == 405


def test_the_desk_panel_of_an_open_incident_offers_promote_and_merge(login, lin, incident):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[incident.number])).content.decode()

    assert 'id="promote-form"' in html
    assert 'id="merge-form"' in html
    assert 'id="major-badge"' not in html


def test_the_desk_panel_of_a_major_lists_its_children(login, lin, major_incident, child):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[major_incident.number])).content.decode()

    assert 'id="major-badge"' in html
    assert reverse("servicedesk:desk_ticket", args=[child.number]) in html
    assert 'id="link-child-form"' in html
    assert 'id="announcement-form"' in html
    assert 'id="promote-form"' not in html


def test_the_desk_panel_of_a_child_links_its_parent(login, lin, major_incident, child):
    html = login(lin).get(reverse("servicedesk:desk_ticket", args=[child.number])).content.decode()

    assert 'id="major-parent"' in html
    assert reverse("servicedesk:desk_ticket", args=[major_incident.number]) in html
    assert 'id="promote-form"' not in html


# -- at the same moment ------------------------------------------------------------------------------

ROUNDS = 4


@pytest.fixture
def race_people(transactional_db, sent_tasks, alice, bob, lin, mona, service_desk):
    """Committed people for threads (each thread has its own connection and sees only committed rows)."""
    return {"alice": alice, "bob": bob, "lin": lin, "mona": mona}


def _family_of(people, size=2):
    parent = major.promote_to_major(incident=report(people["alice"], title="Outage"), actor=people["lin"], reason="x")
    children = [
        major.link_child(parent=parent, child=report(people["bob"], title=f"Broken {n}"), actor=people["lin"])
        for n in range(size)
    ]
    return parent, children


def _state_events(incident) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE).values_list("new_value", flat=True))


def _no_unexpected_errors(results):
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, TicketError)]
    assert not unexpected, unexpected  # a deadlock would show here as an OperationalError


def test_the_major_and_a_child_resolved_at_once_resolve_each_once(race_people):
    lin, mona = race_people["lin"], race_people["mona"]
    for _ in range(ROUNDS):
        parent, (first, second) = _family_of(race_people)

        results = in_threads(
            lambda p=parent: services.resolve_incident(incident=p, actor=lin, code="workaround", notes="Rerouted"),
            lambda c=first: services.resolve_incident(incident=c, actor=mona, code="permanent", notes="Own fix"),
        )

        _no_unexpected_errors(results)
        assert fresh(parent).state == IncidentState.RESOLVED
        for child in (first, second):
            assert fresh(child).state == IncidentState.RESOLVED
            assert _state_events(child) == ["resolved"]
        assert (fresh(second).resolution_code, fresh(second).resolution_notes) == ("workaround", "Rerouted")


def test_linking_while_the_major_is_resolved_leaves_no_open_child(race_people):
    lin, bob = race_people["lin"], race_people["bob"]
    for _ in range(ROUNDS):
        parent, _children = _family_of(race_people, size=1)
        late = report(bob, title="Late report")

        results = in_threads(
            lambda p=parent: services.resolve_incident(incident=p, actor=lin, code="workaround", notes="Rerouted"),
            lambda p=parent, c=late: major.link_child(parent=p, child=c, actor=lin),
        )

        _no_unexpected_errors(results)
        row = fresh(late)
        if isinstance(results[1], TicketError):  # the resolution came first: the major no longer takes children
            assert (row.parent_id, row.state) == (None, IncidentState.NEW)
        else:  # the link came first: the cascade resolved it with the others
            assert (row.parent_id, row.state) == (parent.pk, IncidentState.RESOLVED)


# A change that updates a child twice in one transaction (take = assign + start; merge = reply + close) makes
# PostgreSQL re-check the child's foreign key to its major with FOR KEY SHARE. lock_ticket locks with
# FOR NO KEY UPDATE, which does not conflict with that; with FOR UPDATE these races deadlocked.


def test_taking_a_child_while_the_major_is_resolved_does_not_deadlock(race_people):
    lin, mona = race_people["lin"], race_people["mona"]
    for _ in range(ROUNDS):
        parent, (first, _second) = _family_of(race_people)

        results = in_threads(
            lambda p=parent: services.resolve_incident(incident=p, actor=mona, code="workaround", notes="Rerouted"),
            lambda c=first: services.take_incident(incident=c, actor=lin),
        )

        _no_unexpected_errors(results)
        assert fresh(first).state == IncidentState.RESOLVED
        assert _state_events(first)[-1] == "resolved"


def test_merging_children_while_the_major_is_resolved_does_not_deadlock(race_people):
    from incidents.merge import merge_incidents

    lin, mona = race_people["lin"], race_people["mona"]
    for _ in range(ROUNDS):
        parent, (first, second) = _family_of(race_people)

        results = in_threads(
            lambda p=parent: services.resolve_incident(incident=p, actor=lin, code="workaround", notes="Rerouted"),
            # The original has the higher id: locking it first would be the opposite order to the cascade's.
            lambda o=second, d=first: merge_incidents(original=o, duplicates=[d], actor=mona),
        )

        _no_unexpected_errors(results)
        assert fresh(second).state == IncidentState.RESOLVED
        assert fresh(first).state in (IncidentState.RESOLVED, IncidentState.CLOSED)
        assert len(_state_events(first)) == 1
