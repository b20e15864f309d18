"""Background work of the core: deliver outbox notifications (idempotent, retried with backoff)."""

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
    for pk in ids:
        deliver_notification.delay(pk)
    return len(ids)


@shared_task
def purge_stale_presence() -> int:
    """Beat job: forget who had a ticket open more than a day ago (the collision warning looks 30 s back)."""
    return services.purge_stale_presence()
