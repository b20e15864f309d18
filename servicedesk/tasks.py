"""Background work of the core: deliver outbox notifications (idempotent, retried with backoff)."""

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from . import notifications, services
from .models import Notification


@shared_task(bind=True, max_retries=None)
def deliver_notification(self, notification_id: int) -> str:
    """Send one outbox row (email or chat webhook); safe to run twice, retried with backoff until it gives up.

    The row counts its own attempts (a redelivery by the beat job counts too), so Celery's retry budget is
    unlimited here and `notifications.MAX_ATTEMPTS` decides when the row is marked failed.
    """
    outcome = notifications.deliver(notification_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


# Outbox rows written together travel to the broker in chunks: one message per chunk rather than per row (the
# SLA sweep tells hundreds of people at once, and a publish costs about a millisecond), small enough that the
# chunks still spread over the workers.
DELIVERY_CHUNK = 20


def chunked(ids: Iterable[int], size: int = DELIVERY_CHUNK) -> Iterator[list[int]]:
    ids = list(ids)
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@shared_task
def deliver_notifications(notification_ids: list[int]) -> dict:
    """Send several outbox rows, each as `deliver_notification` does; a row that failed gets its own retry.

    A worker that dies half way leaves the rest pending: the message comes back (late acknowledgement) and
    the redelivery job finds them too, while the rows already sent are skipped.
    """
    outcomes: Counter = Counter()
    for pk in notification_ids:
        outcome = notifications.deliver(pk)
        if outcome.retry_in is not None:
            deliver_notification.apply_async((pk,), countdown=outcome.retry_in)
        outcomes[outcome.status] += 1
    return dict(outcomes)


@shared_task
def redeliver_pending_notifications(older_than_seconds: int = 60, limit: int = 500) -> int:
    """Beat job: queue again what is still pending (the broker was down at commit, or a worker died)."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=cutoff)
        # A row waiting out its backoff already has a retry queued for that time.
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    for chunk in chunked(ids):
        deliver_notifications.delay(chunk)
    return len(ids)


@shared_task
def purge_stale_presence() -> int:
    """Beat job: forget who had a ticket open more than a day ago (the collision warning looks 30 s back)."""
    return services.purge_stale_presence()
