"""Background work of the core: deliver outbox notifications (idempotent, retried with backoff)."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import services
from .models import Notification


@shared_task(bind=True, autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def deliver_notification(self, notification_id: int) -> str:
    """Send one pending notification; a second run finds it sent (or locked by another worker) and does nothing."""
    with transaction.atomic():
        # of=("self",): PostgreSQL refuses to lock the nullable side of the outer joins (actor, comment).
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("event__ticket", "event__actor", "event__comment", "recipient")
            .filter(pk=notification_id, status=Notification.Status.PENDING)
            .first()
        )
        if notification is None:
            return "skipped"
        notification.attempts += 1
        recipient = notification.recipient
        if not recipient.email:
            notification.status = Notification.Status.FAILED
            notification.last_error = "recipient has no email address"
            notification.save(update_fields=["status", "attempts", "last_error"])
            return "failed"
        event = notification.event
        with translation.override(settings.LANGUAGE_CODE):
            context = {
                "event": event,
                "ticket": event.ticket,
                "recipient": recipient,
                "for_requester": recipient.pk == event.ticket.requester_id,
                "site_url": settings.SITE_URL,
            }
            # A practice may word its own events: "<app>/email/<event kind>_subject.txt", else the core's update.
            app_label = event.ticket.kind_info.model_label.split(".")[0]
            subject = render_to_string(_templates(app_label, event.kind, "subject"), context).strip()
            body = render_to_string(_templates(app_label, event.kind, "body"), context)
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
        notification.status = Notification.Status.SENT
        notification.sent_at = timezone.now()
        notification.save(update_fields=["status", "attempts", "sent_at"])
    return "sent"


def _templates(app_label: str, event_kind: str, part: str) -> list[str]:
    return [f"{app_label}/email/{event_kind}_{part}.txt", f"servicedesk/email/update_{part}.txt"]


@shared_task
def redeliver_pending_notifications(older_than_seconds: int = 60, limit: int = 500) -> int:
    """Beat job: queue again what is still pending (the broker was down at commit, or a worker died)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=cutoff)
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
