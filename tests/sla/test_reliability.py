"""The sweep and the outbox survive what production does to them, checked with real programs: Celery workers and
beats started as processes, on a Redis server of the test's own, against the test database.

* A worker killed (SIGKILL, with its pool) in the middle of a sweep batch: the batch leaves nothing behind, the
  next sweep fires what was left, and every level fires once.
* Redis restarted (without persistence) while deliveries wait in its queue: the messages are gone from Redis,
  the outbox still holds them, and the redelivery job sends each one, once.
* Two beats (the classic mistake of a second scheduler) sending sweeps every second to two worker processes:
  the sweeps run at the same time, share the clocks, and fire nothing twice; a breach is recorded within
  seconds of its deadline.

"Once" is checked on the tables (timeline, activity log, outbox) and at the receiving end: the mails written
(by Message-ID) and the messages the chat webhook received.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from servicedesk.choices import EventKind
from servicedesk.models import IMWebhook, Notification, Ticket, TicketEvent
from servicedesk.tasks import DELIVERY_CHUNK
from sla.models import BusinessCalendar, ClockStatus, SLAAction, SLAClock, SLAClockEvent, SLAPolicy
from tests.factories import AssignmentGroupFactory, UserFactory
from tests.processes import CeleryProcesses, WebhookReceiver, wait_for

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

SWEEP = "sla.tasks.sweep_sla_clocks"
REDELIVER = "servicedesk.tasks.redeliver_pending_notifications"
BATCH = 50  # the sweep's batch size in the workers here: several batches a pass, so a kill lands between them


@pytest.fixture
def receiver():
    hook = WebhookReceiver()
    yield hook
    hook.close()


@pytest.fixture
def celery(redis, tmp_path):
    processes = CeleryProcesses(redis, tmp_path, SLA_SWEEP_BATCH_SIZE=str(BATCH), SLA_SWEEP_SECONDS="1")
    yield processes
    processes.stop_all()


@pytest.fixture
def engineers(receiver):
    """Three engineers with email in a group whose Slack webhook is the receiver: each warning is one email
    and one chat message."""
    people = [UserFactory(username=f"engineer{n}", email=f"engineer{n}@example.com") for n in range(3)]
    manager = UserFactory(username="manager", email="manager@example.com")
    group = AssignmentGroupFactory(name="Operations", manager=manager, members=[*people, manager])
    IMWebhook.objects.create(name="Ops channel", kind=IMWebhook.Kind.SLACK, url=receiver.url, group=group)
    return people, group


def due_clocks(count: int, engineers, *, breach_in: timedelta | None = None) -> list[SLAClock]:
    """`count` assigned incidents whose resolution clock is 80 % through a 10 h target: the 75 % warning is due.

    The tickets are written in bulk (the sweep and the outbox need only the ticket row); the policy notifies
    the assignee at 75 % and the group's manager at breach.
    """
    people, group = engineers
    calendar = BusinessCalendar.objects.create(name="Always", time_zone="UTC", is_24x7=True)
    policy = SLAPolicy.objects.create(name="Reliability", kind="incident", calendar=calendar)
    SLAAction.objects.create(policy=policy, at_percent=75, action=SLAAction.Do.NOTIFY_ASSIGNEE)
    SLAAction.objects.create(policy=policy, at_percent=100, action=SLAAction.Do.NOTIFY_MANAGER)
    now = timezone.now()
    tickets = Ticket.objects.bulk_create(
        Ticket(
            number=f"INC9{n:06d}",
            kind="incident",
            title=f"Disk filling up on host {n}",
            requester=people[0],
            opened_by=people[0],
            assignment_group=group,
            assignee=people[n % len(people)],
            state="assigned",
            priority=3,
        )
        for n in range(count)
    )
    clocks = [
        SLAClock(
            ticket=ticket,
            metric="resolution",
            policy=policy,
            status=ClockStatus.RUNNING,
            target=timedelta(hours=10),
            started_at=now - timedelta(hours=8),
            resumed_at=now - timedelta(hours=8),
            breach_at=now + timedelta(hours=2),
            next_check_at=now - timedelta(seconds=1),
        )
        for ticket in tickets
    ]
    if breach_in is not None:
        # The last clock has only its breach left, `breach_in` from now.
        last = clocks[-1]
        last.resumed_at = last.started_at = now + breach_in - last.target
        last.breach_at = last.next_check_at = now + breach_in
        last.warned_percent = 90
    return SLAClock.objects.bulk_create(clocks)


@contextmanager
def slow_batches(seconds: float = 0.3):
    """Each batch of the sweep pauses inside its transaction (a statement trigger on the timeline) and leaves
    the id of its database backend behind: a kill can be aimed at an open batch, and concurrent sweeps told apart.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE reliability_batch_writer (pid integer NOT NULL)")
        cursor.execute(
            f"""
            CREATE FUNCTION reliability_slow_batch() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO reliability_batch_writer VALUES (pg_backend_pid());
                PERFORM pg_sleep({seconds});
                RETURN NULL;
            END $$
            """
        )
        cursor.execute(
            "CREATE TRIGGER reliability_slow_batch AFTER INSERT ON sla_slaclockevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION reliability_slow_batch()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS reliability_slow_batch ON sla_slaclockevent")
            cursor.execute("DROP FUNCTION IF EXISTS reliability_slow_batch()")
            cursor.execute("DROP TABLE IF EXISTS reliability_batch_writer")


def batch_writers() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM reliability_batch_writer")
        return [row[0] for row in cursor.fetchall()]


def backend_in_batch() -> int | None:
    """The backend of a sweep paused inside its open batch transaction, if one is."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'")
        row = cursor.fetchone()
    return row[0] if row else None


def backend_gone(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] == 0


def warnings_recorded() -> int:
    return SLAClockEvent.objects.filter(kind=SLAClockEvent.Kind.WARNED).count()


def assert_each_level_once(clocks: list[SLAClock], *, levels: dict[str, int]) -> None:
    """Every clock's levels are on its timeline, on the ticket's activity log and in the outbox, once each."""
    ids = [clock.pk for clock in clocks]
    timeline = Counter(
        SLAClockEvent.objects.filter(clock_id__in=ids, kind__in=["warned", "breached"]).values_list("clock_id", "kind")
    )
    activity = Counter(
        TicketEvent.objects.filter(kind=EventKind.SLA, ticket_id__in=[c.ticket_id for c in clocks]).values_list(
            "ticket_id", "field"
        )
    )
    assert sum(timeline.values()) == sum(levels.values()) and set(timeline.values()) == {1}
    assert sum(activity.values()) == sum(levels.values()) and set(activity.values()) == {1}
    assert Counter(kind for _clock, kind in timeline) == Counter(levels)
    # Each SLA activity row gives one email and one chat message to whom the policy names.
    outbox = Counter(Notification.objects.filter(event__kind=EventKind.SLA).values_list("event_id", "channel"))
    assert len(outbox) == 2 * sum(levels.values()) and set(outbox.values()) == {1}


def assert_delivered_once(celery: CeleryProcesses, receiver: WebhookReceiver) -> None:
    """Every outbox row was sent, by one delivery: one mail per email row, one chat message per chat row."""
    rows = Notification.objects.all()
    assert rows.exclude(status=Notification.Status.SENT).count() == 0
    mails = celery.emails_by_notification()
    email_ids = set(rows.filter(channel="email").values_list("pk", flat=True))
    assert set(mails) == email_ids and set(mails.values()) == {1}
    chat = receiver.texts()
    assert sum(chat.values()) == rows.exclude(channel="email").count() and set(chat.values()) == {1}


def all_sent() -> bool:
    return not Notification.objects.exclude(status=Notification.Status.SENT).exists()


def test_a_worker_killed_mid_batch_leaves_nothing_half_done_and_the_next_sweep_fires_the_rest_once(
    engineers, celery, receiver
):
    clocks = due_clocks(300, engineers)
    sender = celery.sender()
    with slow_batches():
        worker = celery.worker(concurrency=1)
        sender.send_task(SWEEP)
        # Wait for a committed batch and for the next one to be inside its transaction, then kill the worker.
        in_batch = wait_for(
            lambda: warnings_recorded() >= BATCH and backend_in_batch(), timeout=60, what="a sweep inside a batch"
        )
        celery.kill(worker)
        wait_for(lambda: backend_gone(in_batch), timeout=30, what="the killed worker's transaction to end")

    # What the dead worker committed is whole batches, each complete: no clock marked without its rows.
    fired = warnings_recorded()
    assert fired % BATCH == 0 and BATCH <= fired < len(clocks)
    assert SLAClock.objects.filter(warned_percent=75).count() == fired
    assert TicketEvent.objects.filter(kind=EventKind.SLA).count() == fired
    assert Notification.objects.count() == 2 * fired

    # A new worker; beat sends the next sweep, and in time the redelivery of what the dead worker held.
    celery.worker(concurrency=2)
    sender.send_task(SWEEP)
    wait_for(lambda: warnings_recorded() == len(clocks), timeout=60, what="the next sweep to fire the rest")
    sender.send_task(REDELIVER, kwargs={"older_than_seconds": 0})
    wait_for(all_sent, timeout=120, what="every notification to be sent")

    assert_each_level_once(clocks, levels={"warned": len(clocks)})
    assert_delivered_once(celery, receiver)


def test_deliveries_lost_with_a_restarted_redis_are_sent_from_the_outbox_once(engineers, celery, redis, receiver):
    clocks = due_clocks(100, engineers)
    sender = celery.sender()
    # This worker runs only the sweep, so the deliveries it queues wait in Redis.
    sweeper = celery.worker(queues="sweeps")
    sender.send_task(SWEEP, queue="sweeps")
    wait_for(lambda: celery.finished(SWEEP), timeout=60, what="the sweep")
    assert warnings_recorded() == len(clocks)
    assert Notification.objects.count() == 2 * len(clocks)
    # Queued in chunks (one message per chunk of rows), none of them taken: nothing consumes that queue.
    assert redis.queue_length() >= 2 * len(clocks) / DELIVERY_CHUNK

    celery.kill(sweeper)
    redis.restart()  # no persistence: the queued deliveries are gone
    assert redis.queue_length() == 0

    celery.worker(concurrency=2)
    sender.send_task(REDELIVER, kwargs={"older_than_seconds": 0})  # what beat sends every minute
    wait_for(all_sent, timeout=120, what="every notification to be sent")

    assert_each_level_once(clocks, levels={"warned": len(clocks)})
    assert_delivered_once(celery, receiver)
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_two_beats_sweeping_at_once_fire_each_level_once_and_a_breach_is_recorded_within_seconds(
    engineers, celery, receiver
):
    with slow_batches(0.5):
        celery.worker(concurrency=2)
        celery.worker(concurrency=2)
        celery.beat()
        celery.beat()
        # The clocks come due while both beats run: a pass takes 3 s (six batches), beat sends every second.
        clocks = due_clocks(300, engineers, breach_in=timedelta(seconds=5))
        breaching = clocks[-1]
        wait_for(lambda: warnings_recorded() == len(clocks) - 1, timeout=90, what="the warnings")
        # Sweeps from both beats ran side by side: batches were written by more than one database backend.
        assert len(set(batch_writers())) >= 2
        wait_for(lambda: SLAClockEvent.objects.filter(kind="breached").exists(), timeout=60, what="the breach")
    recorded = TicketEvent.objects.get(kind=EventKind.SLA, field="breach").created_at
    breaching.refresh_from_db()
    # Beat sends a sweep every second here (every 30 s by default): the breach is recorded within a few
    # seconds of its deadline, never before it.
    assert breaching.breached_at is not None
    assert timedelta(0) <= recorded - breaching.breach_at < timedelta(seconds=10)
    wait_for(all_sent, timeout=120, what="every notification to be sent")

    assert_each_level_once(clocks, levels={"warned": len(clocks) - 1, "breached": 1})
    assert_delivered_once(celery, receiver)
