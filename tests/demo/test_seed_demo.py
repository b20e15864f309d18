"""seed_demo: idempotent demo data, bulk tickets for benchmarks, never under the production profile."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from incidents.models import Incident
from servicedesk.models import AssignmentGroup, Comment, Ticket, TicketEvent


def _counts():
    return {
        "users": get_user_model().objects.count(),
        "groups": AssignmentGroup.objects.count(),
        "tickets": Ticket.objects.count(),
        "events": TicketEvent.objects.count(),
    }


def test_demo_people_can_log_in_with_their_roles(db, client):
    call_command("seed_demo")

    assert client.login(username="alice", password="demo")
    lin = get_user_model().objects.get(username="lin")
    assert set(lin.groups.values_list("name", flat=True)) == {"Agent L1"}
    assert lin.support_groups.get().is_default
    assert get_user_model().objects.get(username="admin").is_superuser
    assert AssignmentGroup.objects.get(name="Service Desk").manager.username == "mona"


def test_demo_password_comes_from_the_environment(db, client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-secret-42")
    call_command("seed_demo")

    assert not client.login(username="bob", password="demo")
    assert client.login(username="bob", password="another-secret-42")


def test_demo_tickets_tell_a_story_and_a_second_run_adds_nothing(db):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")

    assert _counts() == first
    states = dict(Incident.objects.values_list("title", "state"))
    assert states["Outlook keeps asking for my password"] == "resolved"
    assert states["Printer on floor 2 prints blank pages"] == "in_progress"
    assert states["Cannot connect to the office Wi-Fi"] == "new"
    vpn = Incident.objects.get(title="VPN disconnects every 10 minutes")
    assert (vpn.assignment_group.name, vpn.assignee.username, vpn.state) == ("Network Operations", "lee", "assigned")
    assert "VPN" in vpn.routing_reason  # the demo's assignment rule routed it


def test_if_empty_loads_nothing_into_a_database_with_users(db, django_user_model):
    django_user_model.objects.create_user("someone")

    call_command("seed_demo", "--if-empty")

    assert not django_user_model.objects.filter(username="alice").exists()


def test_it_refuses_the_production_profile(db, settings):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_bulk_tickets_are_complete_numbered_rows(db):
    call_command("seed_demo")
    before = Ticket.objects.count()

    call_command("seed_demo", "--tickets", "500", "--requesters", "20")

    bulk = Ticket.objects.order_by("pk")[before:]
    assert len(bulk) == 500
    assert Incident.objects.count() == Ticket.objects.count()  # every ticket has its incident row
    numbers = [int(t.number[3:]) for t in bulk]
    assert numbers == list(range(numbers[0], numbers[0] + 500))
    assert TicketEvent.objects.filter(ticket__in=bulk, kind="created").count() == 500
    assert Comment.objects.filter(ticket__in=bulk).exists()
    # About 8 % are open; is_open agrees with the state everywhere.
    open_share = sum(t.is_open for t in bulk) / 500
    assert 0.02 < open_share < 0.2
    assert all(t.is_open == (t.state in ("new", "assigned", "in_progress", "on_hold")) for t in bulk)
    # New tickets have no assignee; every other bulk ticket's assignee is a member of its group.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM servicedesk_ticket t WHERE t.assignee_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM servicedesk_assignmentgroup_members m
                   WHERE m.assignmentgroup_id = t.assignment_group_id AND m.user_id = t.assignee_id)"""
        )
        assert cursor.fetchone()[0] == 0


def test_the_next_ticket_after_a_bulk_seed_gets_the_next_number(db):
    from tests.factories import report

    call_command("seed_demo", "--tickets", "50", "--requesters", "5")
    last = Ticket.objects.order_by("-number").values_list("number", flat=True)[0]

    incident = report(get_user_model().objects.get(username="alice"))

    assert int(incident.number[3:]) == int(last[3:]) + 1
