"""Tell requesters about public updates made by someone else: outbox rows now, delivery after commit."""

from django.db import transaction

from .choices import EventKind
from .models import Notification, TicketEvent

# Events worth an email to the requester (field changes like a new group are not).
NOTIFY_REQUESTER = frozenset({EventKind.COMMENT, EventKind.STATE})


def requester_updates_listener(*, ticket, events: list[TicketEvent]) -> None:
    """Change listener: queue one email per public update the requester did not make themselves."""
    from .tasks import deliver_notification

    rows = [
        Notification(event=event, recipient_id=ticket.requester_id)
        for event in events
        if event.is_public and event.kind in NOTIFY_REQUESTER and event.actor_id != ticket.requester_id
    ]
    if not rows:
        return
    ids = [row.pk for row in Notification.objects.bulk_create(rows)]
    transaction.on_commit(lambda: [deliver_notification.delay(pk) for pk in ids])
