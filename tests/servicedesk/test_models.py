"""The core tables: the append-only activity log, the protected state column, group constraints."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from servicedesk.models import AssignmentGroup, Ticket, TicketEvent


@pytest.fixture
def event(incident):
    return TicketEvent.objects.get(ticket=incident)


def _unchanged(event):
    fresh = TicketEvent.objects.get(pk=event.pk)
    return (fresh.kind, fresh.reason, fresh.actor_id) == (event.kind, event.reason, event.actor_id)


def test_saving_an_existing_event_raises(event):
    event.reason = "rewritten history"

    with pytest.raises(ValueError, match="append-only"):
        event.save()

    assert TicketEvent.objects.get(pk=event.pk).reason == ""


def test_a_queryset_update_of_events_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).update(reason="rewritten history")

    assert _unchanged(event)


def test_a_queryset_delete_of_events_is_refused_by_the_database(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TicketEvent.objects.filter(pk=event.pk).delete()

    assert TicketEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE servicedesk_ticketevent SET reason = 'rewritten' WHERE id = %s",
        "UPDATE servicedesk_ticketevent SET actor_id = NULL WHERE id = %s",
        "DELETE FROM servicedesk_ticketevent WHERE id = %s",
    ],
    ids=["update-reason", "update-actor", "delete"],
)
def test_raw_sql_cannot_change_the_activity_log(event, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])

    # The savepoint rolled back: the connection is usable and the row is as it was.
    assert _unchanged(event)


def test_new_events_can_still_be_appended(incident, lin, event):
    TicketEvent.objects.create(ticket=incident, kind="comment", actor=lin)

    assert TicketEvent.objects.filter(ticket=incident).count() == 2


def test_the_state_column_cannot_be_assigned(incident):
    with pytest.raises(AttributeError):
        incident.state = "closed"

    assert Ticket.objects.get(pk=incident.pk).state == "new"


def test_the_state_column_cannot_be_assigned_on_the_core_ticket_either(incident):
    ticket = Ticket.objects.get(pk=incident.pk)

    with pytest.raises(AttributeError):
        ticket.state = "closed"


def test_only_one_default_group_can_exist(service_desk):
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentGroup.objects.create(name="Second desk", is_default=True)


def test_any_number_of_groups_are_not_default(service_desk, network_team):
    AssignmentGroup.objects.create(name="Field Services")

    assert AssignmentGroup.objects.filter(is_default=False).count() == 2


def test_a_ticket_reads_as_number_and_title(incident):
    assert str(incident) == "INC0000001 Cannot connect to the Wi-Fi"


def test_a_ticket_knows_its_kind_and_state_labels(incident):
    assert incident.kind_info.prefix == "INC"
    assert str(incident.state_info.label) == "New"
    assert incident.state_info.is_open
