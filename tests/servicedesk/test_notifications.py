"""The notification outbox: rows written in the change's transaction, delivered after commit, sent once."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from incidents import escalation
from incidents import services as incident_services
from servicedesk import services
from servicedesk.choices import EventKind
from servicedesk.models import Comment, Notification, NotificationTopic
from servicedesk.tasks import deliver_notification, redeliver_pending_notifications
from tests.factories import upload


def _notifications(ticket):
    return list(Notification.objects.filter(event__ticket=ticket).select_related("event"))


# -- what writes a notification ----------------------------------------------------------------------


def test_an_agents_public_reply_notifies_the_requester_once(incident, lin, alice):
    services.add_comment(ticket=incident, author=lin, body="Please restart.", files=[upload("screen.png")])

    (notification,) = _notifications(incident)
    assert notification.recipient == alice
    assert notification.event.kind == EventKind.COMMENT
    assert notification.status == Notification.Status.PENDING


def test_a_resolution_notifies_the_requester_once(in_progress_incident, lin):
    already = len(_notifications(in_progress_incident))

    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")

    new = _notifications(in_progress_incident)[already:]
    assert [(n.event.kind, n.event.new_value, n.recipient.username) for n in new] == [
        (EventKind.STATE, "resolved", "alice")
    ]


def test_the_requesters_own_reply_notifies_nobody(incident, alice):
    services.add_comment(ticket=incident, author=alice, body="Any news?")

    assert _notifications(incident) == []


def test_the_requesters_own_transition_notifies_nobody(incident, alice):
    incident_services.cancel_incident(incident=incident, actor=alice)

    assert _notifications(incident) == []


def test_a_work_note_notifies_nobody(incident, lin):
    services.add_comment(ticket=incident, author=lin, body="Internal", internal=True)

    assert _notifications(incident) == []


def test_a_reassignment_notifies_nobody(incident, mona, network_team):
    services.assign_ticket(ticket=incident, actor=mona, group=network_team)

    assert _notifications(incident) == []


def test_the_notification_is_part_of_the_changes_transaction(incident, lin):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.add_comment(ticket=incident, author=lin, body="Please restart.")
        assert len(_notifications(incident)) == 1
        raise RuntimeError("the rest of the request fails")

    assert _notifications(incident) == []
    assert not Comment.objects.filter(ticket=incident).exists()


def test_delivery_is_enqueued_only_after_commit(incident, lin, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.add_comment(ticket=incident, author=lin, body="Please restart.")
        assert sent_tasks == []  # not before the commit

    (notification,) = _notifications(incident)
    assert len(callbacks) == 1
    assert sent_tasks == [notification.pk]


def test_a_broker_outage_keeps_the_change_and_the_pending_row(
    incident, lin, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    class BrokerDown:
        @staticmethod
        def delay(notification_ids):
            raise ConnectionError("broker unreachable")

    monkeypatch.setattr("servicedesk.tasks.deliver_notifications", BrokerDown)

    with django_capture_on_commit_callbacks(execute=True):
        comment = services.add_comment(ticket=incident, author=lin, body="Please restart.")

    assert Comment.objects.filter(pk=comment.pk).exists()
    assert [n.status for n in _notifications(incident)] == [Notification.Status.PENDING]
    assert "broker unreachable" in caplog.text


# -- delivery ----------------------------------------------------------------------------------------


@pytest.fixture
def pending(incident, lin):
    services.add_comment(ticket=incident, author=lin, body="Please **restart** the laptop.")
    return Notification.objects.get(event__ticket=incident)


def test_delivery_sends_one_email(pending, mailoutbox, settings):
    assert deliver_notification.run(pending.pk) == "sent"

    (email,) = mailoutbox
    assert email.to == ["alice@example.com"]
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert "INC0000001" in email.subject
    assert "Please **restart** the laptop." in email.body
    assert f"{settings.SITE_URL}/portal/tickets/INC0000001/" in email.body
    pending.refresh_from_db()
    assert (pending.status, pending.attempts) == (Notification.Status.SENT, 1)
    assert pending.sent_at is not None


def test_delivering_twice_sends_once(pending, mailoutbox):
    deliver_notification.run(pending.pk)

    assert deliver_notification.run(pending.pk) == "skipped"
    assert len(mailoutbox) == 1
    pending.refresh_from_db()
    assert pending.attempts == 1


def test_a_state_change_email_names_the_new_state(in_progress_incident, lin, mailoutbox):
    incident_services.resolve_incident(incident=in_progress_incident, actor=lin, code="permanent", notes="Done")
    notification = Notification.objects.get(event__new_value="resolved")

    deliver_notification.run(notification.pk)

    assert "Solved: please confirm" in mailoutbox[0].subject


def test_an_escalation_email_tells_the_manager_who_asked_and_why(incident, lin, mona, mailoutbox):
    escalation.escalate_to_manager(incident=incident, actor=lin, reason="The whole floor is offline")
    notification = Notification.objects.get(recipient=mona)
    assert notification.topic == NotificationTopic.ESCALATED

    assert deliver_notification.run(notification.pk) == "sent"

    (email,) = mailoutbox
    assert email.to == ["mona@example.com"]
    assert email.subject == "[INC0000001] Cannot connect to the Wi-Fi (Escalated to you)"
    assert f"{lin.get_full_name()} escalated INC0000001 to you." in email.body
    assert "Reason: The whole floor is offline" in email.body
    assert "Open it in the desk: http://" in email.body and "/desk/tickets/INC0000001/" in email.body


def test_a_recipient_without_an_address_is_marked_failed(pending, alice, mailoutbox):
    alice.email = ""
    alice.save()

    assert deliver_notification.run(pending.pk) == "failed"

    assert mailoutbox == []
    pending.refresh_from_db()
    assert (pending.status, pending.last_error) == (Notification.Status.FAILED, "recipient has no email address")
    assert deliver_notification.run(pending.pk) == "skipped"


def test_an_unknown_notification_is_skipped(db, mailoutbox):
    assert deliver_notification.run(999999) == "skipped"
    assert mailoutbox == []


# -- redelivery of what stayed pending -------------------------------------------------------------------


def test_redelivery_queues_only_old_pending_rows(incident, lin, sent_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.add_comment(ticket=incident, author=lin, body="Old reply")
    (old,) = _notifications(incident)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        with django_capture_on_commit_callbacks(execute=False):
            services.add_comment(ticket=incident, author=lin, body="Fresh reply")
        fresh = next(n for n in _notifications(incident) if n.pk != old.pk)

        assert redeliver_pending_notifications(older_than_seconds=60) == 1

    assert sent_tasks == [old.pk]
    assert fresh.pk not in sent_tasks
