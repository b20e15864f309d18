"""Outbox rows written together reach the broker in chunks (one message per chunk), and a chunk sends each row once."""

import pytest

from servicedesk import notifications, tasks
from servicedesk.models import Notification
from tests.factories import UserFactory


@pytest.fixture
def queued_chunks(monkeypatch):
    chunks: list[list[int]] = []

    class RecordingTask:
        delay = staticmethod(chunks.append)

    monkeypatch.setattr("servicedesk.tasks.deliver_notifications", RecordingTask)
    return chunks


def test_many_recipients_are_queued_after_commit_in_chunks_of_twenty(
    incident, queued_chunks, django_capture_on_commit_callbacks
):
    people = UserFactory.create_batch(45)
    event = incident.events.get()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = notifications.notify(event, people, "state_changed")

    assert len(ids) == 45 and len(callbacks) == 3
    assert [len(chunk) for chunk in queued_chunks] == [20, 20, 5]
    assert [pk for chunk in queued_chunks for pk in chunk] == ids


def test_the_redelivery_job_queues_pending_rows_in_chunks(incident, queued_chunks):
    notifications.notify(incident.events.get(), UserFactory.create_batch(25), "state_changed")

    assert tasks.redeliver_pending_notifications(older_than_seconds=-1) == 25

    assert [len(chunk) for chunk in queued_chunks] == [20, 5]


def test_a_chunk_sends_each_row_once_and_retries_only_the_row_that_failed(incident, monkeypatch, mailoutbox):
    alice, bob, carol = UserFactory.create_batch(3)
    ids = notifications.notify(incident.events.get(), [alice, bob, carol], "state_changed")
    bob_row = Notification.objects.get(recipient=bob)
    retries = []
    monkeypatch.setattr(
        tasks.deliver_notification, "apply_async", lambda args, countdown: retries.append((args, countdown))
    )
    real_send = notifications._send_email

    def send(notification):
        if notification.recipient_id == bob.pk:
            raise ConnectionError("mail server unreachable")
        real_send(notification)

    monkeypatch.setattr(notifications, "_send_email", send)

    assert tasks.deliver_notifications.run(ids) == {"sent": 2, "retry": 1}
    assert tasks.deliver_notifications.run(ids) == {"skipped": 3}  # sent, or waiting out its backoff

    assert sorted(mail.to[0] for mail in mailoutbox) == sorted([alice.email, carol.email])
    assert retries == [((bob_row.pk,), notifications.retry_delay(1))]
    assert set(Notification.objects.exclude(pk=bob_row.pk).values_list("status", flat=True)) == {"sent"}
    bob_row.refresh_from_db()
    assert (bob_row.status, bob_row.attempts) == ("pending", 1)
