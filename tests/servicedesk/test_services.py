"""The core's use cases: numbering, routing, assignment, replies, work notes and attachments."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from servicedesk import registry, services
from servicedesk.choices import EventKind
from servicedesk.models import Attachment, Comment, TicketEvent
from tests.factories import (
    EXE_BYTES,
    PDF_BYTES,
    AssignmentGroupFactory,
    report,
    stored_files,
    ticket_state,
    upload,
)

# -- numbering and opening ---------------------------------------------------------------------------


def test_numbers_start_at_one_and_count_up_per_kind(alice, service_desk):
    numbers = [report(alice).number for _ in range(3)]

    assert numbers == ["INC0000001", "INC0000002", "INC0000003"]


def test_reserve_hands_out_consecutive_blocks(db):
    kind = registry.get_kind("incident")

    assert services.reserve_ticket_numbers(kind, 3) == ["INC0000001", "INC0000002", "INC0000003"]
    assert services.reserve_ticket_numbers(kind) == ["INC0000004"]


def test_a_rolled_back_creation_gives_its_number_back(alice, service_desk):
    with pytest.raises(RuntimeError), transaction.atomic():
        report(alice)
        raise RuntimeError("the caller's transaction fails")

    assert report(alice).number == "INC0000001"


def test_new_ticket_goes_to_the_default_group(incident, service_desk):
    assert incident.assignment_group == service_desk
    assert incident.assignee is None


def test_new_ticket_stays_unrouted_without_an_active_default_group(alice, db):
    AssignmentGroupFactory(name="Retired desk", is_default=True, is_active=False)

    assert report(alice).assignment_group is None


def test_opening_records_one_public_created_event_by_the_actor(incident, alice):
    (event,) = TicketEvent.objects.filter(ticket=incident)

    assert event.kind == EventKind.CREATED
    assert event.actor == alice
    assert event.is_public
    assert incident.version == 1
    assert incident.is_open


def test_an_engineer_reports_on_behalf_of_a_requester(lin, alice, service_desk):
    incident = report(lin, requester=alice, channel="phone")

    assert incident.requester == alice
    assert incident.opened_by == lin
    assert incident.channel == "phone"


def test_an_end_user_cannot_report_on_behalf_of_someone_else(alice, bob, service_desk):
    with pytest.raises(PermissionDenied):
        report(bob, requester=alice)


# -- assignment --------------------------------------------------------------------------------------


def test_assign_records_each_field_change_with_actor_old_and_new(incident, lin, lee, network_team, service_desk):
    services.assign_ticket(ticket=incident, actor=lin, group=network_team, assignee=lee, reason="Needs L2")

    events = {e.field: e for e in TicketEvent.objects.filter(ticket=incident, kind=EventKind.FIELD)}
    assert set(events) == {"assignment_group", "assignee"}
    group, assignee = events["assignment_group"], events["assignee"]
    assert (group.actor, group.old_value, group.new_value) == (lin, str(service_desk.pk), str(network_team.pk))
    assert (group.old_display, group.new_display) == ("Service Desk", "Network Operations")
    assert (assignee.old_value, assignee.new_value, assignee.new_display) == ("", str(lee.pk), lee.get_full_name())
    assert group.reason == assignee.reason == "Needs L2"
    assert group.is_public and not assignee.is_public  # the requester sees which team, not which person
    # The incident kind's before_commit hook makes the New incident Assigned in the same save.
    assert TicketEvent.objects.get(ticket=incident, kind=EventKind.STATE).new_value == "assigned"
    assert ticket_state(incident)["version"] == 2


def test_the_log_keeps_the_names_people_saw(incident, lin, network_team):
    services.assign_ticket(ticket=incident, actor=lin, group=network_team)
    network_team.name = "Network Engineering"
    network_team.save()

    event = TicketEvent.objects.get(ticket=incident, field="assignment_group")
    assert event.new_display == "Network Operations"


def test_assigning_what_is_already_there_records_nothing(incident, lin, service_desk):
    before = ticket_state(incident)

    services.assign_ticket(ticket=incident, actor=lin, group=service_desk)

    assert ticket_state(incident) == before


def test_assignee_must_be_a_member_of_the_group(incident, lin, lee, service_desk):
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match="not a member"):
        services.assign_ticket(ticket=incident, actor=lin, group=service_desk, assignee=lee)

    assert ticket_state(incident) == before


def test_an_assignee_needs_a_group(incident, lin):
    before = ticket_state(incident)

    with pytest.raises(services.TicketError):
        services.assign_ticket(ticket=incident, actor=lin, group=None, assignee=lin)

    assert ticket_state(incident) == before


def test_an_inactive_group_is_refused(incident, lin):
    retired = AssignmentGroupFactory(name="Retired", is_active=False)
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match="not an active group"):
        services.assign_ticket(ticket=incident, actor=lin, group=retired)

    assert ticket_state(incident) == before


def test_a_closed_ticket_cannot_be_reassigned(resolved_incident, lin, service_desk):
    before = ticket_state(resolved_incident)

    with pytest.raises(services.TicketError, match="no longer open"):
        services.assign_ticket(ticket=resolved_incident, actor=lin, group=service_desk, assignee=lin)

    assert ticket_state(resolved_incident) == before


@pytest.mark.parametrize("who", ["alice", "lee"])
def test_only_engineers_in_scope_assign(request, incident, network_team, who):
    """alice is an end user; lee is an engineer outside the Service Desk group."""
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        services.assign_ticket(ticket=incident, actor=request.getfixturevalue(who), group=network_team)

    assert ticket_state(incident) == before


def test_the_manager_assigns_any_ticket(incident, mona, lee, network_team):
    services.assign_ticket(ticket=incident, actor=mona, group=network_team, assignee=lee)

    assert ticket_state(incident)["assignee_id"] == lee.pk


def test_a_stale_version_is_refused_and_changes_nothing(incident, lin, network_team):
    services.add_comment(ticket=incident, author=lin, body="Looking", internal=True)  # version 1 -> 2
    before = ticket_state(incident)

    with pytest.raises(services.ChangedMeanwhile, match="changed by someone else"):
        services.assign_ticket(ticket=incident, actor=lin, group=network_team, expected_version=1)

    assert ticket_state(incident) == before


def test_assign_to_me_keeps_the_group_the_engineer_is_in(incident, lin, service_desk):
    services.assign_to_me(ticket=incident, actor=lin)

    state = ticket_state(incident)
    assert (state["assignment_group_id"], state["assignee_id"]) == (service_desk.pk, lin.pk)


def test_assign_to_me_moves_an_unrouted_ticket_to_my_group(alice, lee, network_team):
    incident = report(alice)  # no default group exists: unrouted
    assert incident.assignment_group is None

    services.assign_to_me(ticket=incident, actor=lee)

    state = ticket_state(incident)
    assert (state["assignment_group_id"], state["assignee_id"]) == (network_team.pk, lee.pk)


def test_assign_to_me_needs_a_group_membership(incident, mona):
    """mona manages the groups but is a member of none."""
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match="not a member of any"):
        services.assign_to_me(ticket=incident, actor=mona)

    assert ticket_state(incident) == before


def test_assign_to_me_outside_my_scope_is_refused(incident, lee, network_team):
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        services.assign_to_me(ticket=incident, actor=lee)

    assert ticket_state(incident) == before


def test_assign_to_me_refuses_a_closed_ticket(resolved_incident, mona, service_desk):
    service_desk.members.add(mona)
    before = ticket_state(resolved_incident)

    with pytest.raises(services.TicketError, match="no longer open"):
        services.assign_to_me(ticket=resolved_incident, actor=mona)

    assert ticket_state(resolved_incident) == before


# -- replies and work notes --------------------------------------------------------------------------


def test_an_agent_reply_is_public(incident, lin):
    comment = services.add_comment(ticket=incident, author=lin, body="Please restart the laptop.")

    event = TicketEvent.objects.get(ticket=incident, kind=EventKind.COMMENT)
    assert not comment.is_internal
    assert (event.comment, event.actor, event.is_public) == (comment, lin, True)
    assert ticket_state(incident)["version"] == 2


def test_a_work_note_is_internal(incident, lin):
    comment = services.add_comment(ticket=incident, author=lin, body="Router logs show drops.", internal=True)

    event = TicketEvent.objects.get(ticket=incident, kind=EventKind.WORK_NOTE)
    assert comment.is_internal
    assert (event.comment, event.is_public) == (comment, False)


def test_the_requester_replies_publicly(incident, alice):
    comment = services.add_comment(ticket=incident, author=alice, body="  Still broken.  ")

    assert comment.body == "Still broken."
    assert not comment.is_internal


def test_the_requester_cannot_write_a_work_note(incident, alice):
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        services.add_comment(ticket=incident, author=alice, body="secret", internal=True)

    assert ticket_state(incident) == before


def test_someone_elses_ticket_cannot_be_replied_to(incident, bob):
    before = ticket_state(incident)

    with pytest.raises(PermissionDenied):
        services.add_comment(ticket=incident, author=bob, body="me too")

    assert ticket_state(incident) == before


def test_a_watcher_may_reply(incident, bob):
    incident.watchers.add(bob)

    assert services.add_comment(ticket=incident, author=bob, body="Same here.").author == bob


def test_an_empty_reply_is_refused(incident, alice):
    before = ticket_state(incident)

    with pytest.raises(services.TicketError, match="Write a message"):
        services.add_comment(ticket=incident, author=alice, body="   ")

    assert ticket_state(incident) == before


# -- attachments -------------------------------------------------------------------------------------


def test_attachments_are_stored_with_their_original_name(incident, alice, settings):
    services.add_comment(
        ticket=incident, author=alice, body="See files", files=[upload("screen.png"), upload("report.pdf", PDF_BYTES)]
    )

    attachments = list(Attachment.objects.filter(ticket=incident))
    assert [a.filename for a in attachments] == ["screen.png", "report.pdf"]
    assert [a.content_type for a in attachments] == ["image/png", "application/pdf"]
    assert attachments[0].size == len(upload().read())
    assert all(a.comment.body == "See files" and not a.is_internal for a in attachments)
    assert TicketEvent.objects.filter(ticket=incident, kind=EventKind.ATTACHMENT, is_public=True).count() == 2
    assert len(stored_files(settings.MEDIA_ROOT)) == 2
    # Stored under a random name: the uploaded name never becomes a path on disk.
    assert not any("screen" in path for path in stored_files(settings.MEDIA_ROOT))


def test_a_file_alone_is_a_valid_reply(incident, alice):
    assert services.add_comment(ticket=incident, author=alice, body="", files=[upload()]) is None
    assert Attachment.objects.get(ticket=incident).comment is None


def test_an_attachment_on_a_work_note_is_internal(incident, lin):
    services.add_comment(ticket=incident, author=lin, body="capture", internal=True, files=[upload("trace.txt", b"x")])

    attachment = Attachment.objects.get(ticket=incident)
    assert attachment.is_internal
    assert not TicketEvent.objects.get(ticket=incident, kind=EventKind.ATTACHMENT).is_public


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("huge.png", None, "larger than the limit"),
        ("setup.exe", EXE_BYTES, "not accepted"),
        ("page.html", b"<script>alert(1)</script>", "not accepted"),
        ("no-extension", b"hello", "not accepted"),
        ("holiday.png", EXE_BYTES, "does not look like"),
        ("invoice.pdf", EXE_BYTES, "does not look like"),
        ("notes.txt", EXE_BYTES, "does not look like"),
    ],
    ids=["too-large", "exe", "html", "no-extension", "exe-renamed-png", "exe-renamed-pdf", "binary-renamed-txt"],
)
def test_a_refused_upload_changes_nothing_and_leaves_no_file(incident, alice, settings, name, content, message):
    settings.ATTACHMENT_MAX_BYTES = 1024
    content = content if content is not None else b"\x89PNG\r\n\x1a\n" + b"\x00" * 2048
    before = ticket_state(incident)

    with pytest.raises(ValidationError, match=message):
        services.add_comment(ticket=incident, author=alice, body="see file", files=[upload(name, content)])

    assert ticket_state(incident) == before
    assert stored_files(settings.MEDIA_ROOT) == []


def test_one_bad_file_refuses_the_whole_reply(incident, alice, settings):
    before = ticket_state(incident)

    with pytest.raises(ValidationError) as refused:
        services.add_comment(
            ticket=incident, author=alice, body="two files", files=[upload("ok.png"), upload("bad.png", EXE_BYTES)]
        )

    assert refused.value.messages == ["bad.png does not look like a .png file."]
    assert ticket_state(incident) == before
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.fixture
def failing_listener():
    """A change listener (as the SLA app will register) that fails after the files are written."""

    def listener(*, ticket, events):
        raise RuntimeError("listener failed")

    registry.register_listener(listener)
    yield listener
    registry.unregister_listener(listener)


def test_a_failure_after_storing_removes_the_files_written(incident, alice, settings, failing_listener):
    before = ticket_state(incident)

    with pytest.raises(RuntimeError, match="listener failed"):
        services.add_comment(ticket=incident, author=alice, body="file", files=[upload("a.png"), upload("b.png")])

    assert ticket_state(incident) == before
    assert stored_files(settings.MEDIA_ROOT) == []


def test_a_stale_reply_is_refused_and_stores_no_file(incident, alice, lin, settings):
    services.add_comment(ticket=incident, author=lin, body="Which floor?")
    before = ticket_state(incident)

    with pytest.raises(services.ChangedMeanwhile):
        services.add_comment(ticket=incident, author=alice, body="Third", files=[upload()], expected_version=1)

    assert ticket_state(incident) == before
    assert Comment.objects.filter(body="Third").count() == 0
    assert stored_files(settings.MEDIA_ROOT) == []
