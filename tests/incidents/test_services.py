"""Incident use cases: report, take, start, resolve, accept, reopen, cancel, and every refusal."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from incidents import services
from incidents.choices import IncidentState
from incidents.models import Incident
from servicedesk.choices import EventKind, Priority
from servicedesk.models import Attachment, TicketCounter, TicketEvent
from servicedesk.services import ChangedMeanwhile, TicketError, add_comment
from tests.factories import EXE_BYTES, report, stored_files, ticket_state, upload


def _state_events(incident):
    return list(TicketEvent.objects.filter(ticket=incident, kind=EventKind.STATE))


@pytest.fixture
def closed_incident(resolved_incident, alice):
    return services.accept_resolution(incident=resolved_incident, actor=alice)


@pytest.fixture
def cancelled_incident(incident, alice):
    return services.cancel_incident(incident=incident, actor=alice, reason="Works again")


# -- report ------------------------------------------------------------------------------------------


def test_a_reported_incident_is_new_low_priority_from_the_portal(incident, alice):
    assert isinstance(incident, Incident)
    assert (incident.state, incident.priority, incident.channel) == (IncidentState.NEW, Priority.LOW, "portal")
    assert (incident.requester, incident.opened_by) == (alice, alice)
    assert incident.description == "Since **this morning**."


@pytest.mark.parametrize("title", ["", "   "])
def test_a_title_is_required_and_nothing_is_created(alice, service_desk, title):
    with pytest.raises(TicketError, match="short title"):
        report(alice, title=title)

    assert Incident.objects.count() == 0
    assert not TicketCounter.objects.exists()  # no number was used up


def test_files_reported_with_the_incident_are_attached_publicly(alice, service_desk, settings):
    incident = report(alice, files=[upload("error.png")])

    attachment = Attachment.objects.get(ticket=incident)
    assert (attachment.filename, attachment.is_internal, attachment.uploaded_by) == ("error.png", False, alice)
    assert incident.version == 2  # opened, then the attachment was recorded
    assert len(stored_files(settings.MEDIA_ROOT)) == 1


def test_a_refused_file_refuses_the_report(alice, service_desk, settings):
    with pytest.raises(ValidationError, match="does not look like"):
        report(alice, files=[upload("error.png", EXE_BYTES)])

    assert Incident.objects.count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []


# -- the happy path, one transition at a time ---------------------------------------------------------


def test_start_work_moves_new_to_in_progress_and_logs_it(incident, lin):
    incident = services.start_work(incident=incident, actor=lin)

    assert incident.state == IncidentState.IN_PROGRESS
    (event,) = _state_events(incident)
    assert (event.actor, event.field, event.old_value, event.new_value) == (lin, "state", "new", "in_progress")
    assert event.is_public


def test_take_assigns_to_me_and_starts_work(incident, lin, service_desk):
    incident = services.take_incident(incident=incident, actor=lin)

    assert (incident.state, incident.assignee, incident.assignment_group) == ("in_progress", lin, service_desk)
    kinds = [(e.kind, e.field) for e in TicketEvent.objects.filter(ticket=incident).exclude(kind=EventKind.CREATED)]
    # Assignment makes a New incident Assigned (the incident's listener), then work starts.
    assert kinds == [(EventKind.FIELD, "assignee"), (EventKind.STATE, "state"), (EventKind.STATE, "state")]
    assert [(e.old_value, e.new_value) for e in _state_events(incident)] == [
        ("new", "assigned"),
        ("assigned", "in_progress"),
    ]


def test_take_of_an_incident_in_progress_only_reassigns(in_progress_incident, mona, service_desk):
    service_desk.members.add(mona)

    incident = services.take_incident(incident=in_progress_incident, actor=mona)

    assert (incident.state, incident.assignee) == (IncidentState.IN_PROGRESS, mona)
    assert len(_state_events(incident)) == 2  # lin's take (New -> Assigned -> In Progress); mona's adds none


def test_resolve_records_code_notes_and_time(in_progress_incident, lin):
    incident = services.resolve_incident(
        incident=in_progress_incident, actor=lin, code="workaround", notes="  Use the wired port.  "
    )

    assert incident.state == IncidentState.RESOLVED
    assert (incident.resolution_code, incident.resolution_notes) == ("workaround", "Use the wired port.")
    assert incident.resolved_at is not None
    assert not incident.is_open
    fields = {e.field: e for e in TicketEvent.objects.filter(ticket=incident, actor=lin).exclude(field="")}
    assert (fields["state"].old_value, fields["state"].new_value) == ("in_progress", "resolved")
    assert (fields["resolution_code"].old_value, fields["resolution_code"].new_value) == ("", "workaround")
    assert fields["resolution_notes"].new_value == "Use the wired port."
    assert not fields["resolution_code"].is_public


def test_a_new_incident_can_be_resolved_straight_away(incident, lin):
    assert services.resolve_incident(incident=incident, actor=lin, code="remote", notes="Fixed").state == "resolved"


@pytest.mark.parametrize(
    ("code", "notes", "message"),
    [
        ("", "Reset the router", "resolution code"),
        ("made_up", "Reset the router", "resolution code"),
        ("permanent", "", "Describe the resolution"),
        ("permanent", "   ", "Describe the resolution"),
    ],
    ids=["no-code", "unknown-code", "no-notes", "blank-notes"],
)
def test_resolve_needs_a_code_and_notes(in_progress_incident, lin, code, notes, message):
    before = ticket_state(in_progress_incident)

    with pytest.raises(TicketError, match=message):
        services.resolve_incident(incident=in_progress_incident, actor=lin, code=code, notes=notes)

    assert ticket_state(in_progress_incident) == before


def test_accepting_the_resolution_closes(resolved_incident, alice):
    incident = services.accept_resolution(incident=resolved_incident, actor=alice)

    assert (incident.state, incident.is_open) == (IncidentState.CLOSED, False)
    assert incident.closed_at is not None
    assert _state_events(incident)[-1].actor == alice


def test_reopen_comes_back_in_progress_with_the_reason(resolved_incident, alice):
    incident = services.reopen_incident(incident=resolved_incident, actor=alice, reason="  Drops again at noon. ")

    assert (incident.state, incident.is_open, incident.reopen_count) == (IncidentState.IN_PROGRESS, True, 1)
    assert (incident.resolution_code, incident.resolution_notes, incident.resolved_at) == ("", "", None)
    state_event = _state_events(incident)[-1]
    assert (state_event.old_value, state_event.new_value) == ("resolved", "in_progress")
    assert (state_event.actor, state_event.reason) == (alice, "Drops again at noon.")
    reply = TicketEvent.objects.filter(ticket=incident, kind=EventKind.COMMENT).get()
    assert (reply.comment.body, reply.comment.is_internal, reply.is_public) == ("Drops again at noon.", False, True)


def test_each_reopen_counts(resolved_incident, alice, lin):
    incident = services.reopen_incident(incident=resolved_incident, actor=alice, reason="No")
    incident = services.resolve_incident(incident=incident, actor=lin, code="permanent", notes="Again")
    incident = services.reopen_incident(incident=incident, actor=alice, reason="Still no")

    assert incident.reopen_count == 2


@pytest.mark.parametrize("reason", ["", "  "])
def test_reopen_needs_a_reason(resolved_incident, alice, reason):
    before = ticket_state(resolved_incident)

    with pytest.raises(TicketError, match="what is still wrong"):
        services.reopen_incident(incident=resolved_incident, actor=alice, reason=reason)

    assert ticket_state(resolved_incident) == before


def test_cancel_while_new(incident, alice):
    incident = services.cancel_incident(incident=incident, actor=alice, reason="It works again")

    assert (incident.state, incident.is_open) == (IncidentState.CANCELLED, False)
    assert incident.closed_at is not None
    assert _state_events(incident)[-1].reason == "It works again"


# -- refusals leave the incident exactly as it was ----------------------------------------------------

ACTIONS = {
    "start": lambda i, users, **kw: services.start_work(incident=i, actor=users["lin"], **kw),
    "resolve": lambda i, users, **kw: services.resolve_incident(
        incident=i, actor=users["lin"], code="permanent", notes="Done", **kw
    ),
    "accept": lambda i, users, **kw: services.accept_resolution(incident=i, actor=users["alice"], **kw),
    "reopen": lambda i, users, **kw: services.reopen_incident(incident=i, actor=users["alice"], reason="No", **kw),
    "cancel": lambda i, users, **kw: services.cancel_incident(incident=i, actor=users["alice"], **kw),
}

INVALID = [
    ("incident", "accept"),
    ("incident", "reopen"),
    ("in_progress_incident", "start"),
    ("in_progress_incident", "accept"),
    ("in_progress_incident", "reopen"),
    ("in_progress_incident", "cancel"),
    ("resolved_incident", "start"),
    ("resolved_incident", "resolve"),
    ("resolved_incident", "cancel"),
    *(("closed_incident", action) for action in ACTIONS),
    *(("cancelled_incident", action) for action in ACTIONS),
]


@pytest.fixture
def users(alice, lin):
    return {"alice": alice, "lin": lin}


@pytest.mark.parametrize(("fixture", "action"), INVALID, ids=[f"{f.split('_')[0]}-{a}" for f, a in INVALID])
def test_an_invalid_transition_raises_and_changes_nothing(request, users, fixture, action):
    incident = request.getfixturevalue(fixture)
    before = ticket_state(incident)

    with pytest.raises(TicketError, match="cannot be done now"):
        ACTIONS[action](incident, users)

    assert ticket_state(incident) == before


VALID_FROM = {
    "start": "incident",
    "resolve": "in_progress_incident",
    "accept": "resolved_incident",
    "reopen": "resolved_incident",
    "cancel": "incident",
}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_stale_version_raises_changed_meanwhile_and_changes_nothing(request, users, lin, action):
    incident = request.getfixturevalue(VALID_FROM[action])
    stale = incident.version
    add_comment(ticket=incident, author=lin, body="Checked the switch.", internal=True)  # meanwhile
    before = ticket_state(incident)

    with pytest.raises(ChangedMeanwhile):
        ACTIONS[action](incident, users, expected_version=stale)

    assert ticket_state(incident) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_the_current_version_goes_through(request, users, action):
    incident = request.getfixturevalue(VALID_FROM[action])

    ACTIONS[action](incident, users, expected_version=incident.version)

    assert ticket_state(incident)["version"] > incident.version


# -- who may run each transition ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "action", "who"),
    [
        ("incident", "start", "alice"),
        ("incident", "start", "lee"),
        ("in_progress_incident", "resolve", "alice"),
        ("in_progress_incident", "resolve", "lee"),
        ("resolved_incident", "accept", "bob"),
        ("resolved_incident", "accept", "lee"),
        ("resolved_incident", "reopen", "bob"),
        ("incident", "cancel", "bob"),
        ("incident", "cancel", "lee"),
    ],
)
def test_a_transition_outside_ones_scope_is_denied(request, network_team, fixture, action, who):
    incident = request.getfixturevalue(fixture)
    actor = request.getfixturevalue(who)
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        ACTIONS[action](incident, {"alice": actor, "lin": actor})

    assert ticket_state(incident) == before


def test_the_manager_resolves_any_incident(in_progress_incident, mona):
    incident = services.resolve_incident(incident=in_progress_incident, actor=mona, code="permanent", notes="Done")

    assert incident.state == IncidentState.RESOLVED


def test_the_desk_may_close_on_the_requesters_behalf(resolved_incident, lin):
    assert services.accept_resolution(incident=resolved_incident, actor=lin).state == IncidentState.CLOSED


def test_a_watcher_cannot_accept_for_the_requester(resolved_incident, bob):
    resolved_incident.watchers.add(bob)

    with pytest.raises(PermissionDenied):
        services.accept_resolution(incident=resolved_incident, actor=bob)


def test_no_reply_is_accepted_on_a_closed_incident(resolved_incident, alice, lin):
    closed = services.accept_resolution(incident=resolved_incident, actor=alice)
    before = ticket_state(closed)

    with pytest.raises(TicketError, match="closed"):
        add_comment(ticket=closed, author=alice, body="One more thing")
    with pytest.raises(TicketError, match="closed"):
        add_comment(ticket=closed, author=lin, body="A late note", internal=True)

    assert ticket_state(closed) == before
