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
        if event.is_public
        and event.kind in NOTIFY_REQUESTER
        and event.actor_id != ticket.requester_id
        and (event.kind != EventKind.STATE or ticket.kind_info.state(event.new_value).notify_requester)
    ]
    if not rows:
        return
    for row in Notification.objects.bulk_create(rows):
        # robust: the change is committed whatever the broker does; an unsent row stays pending in the outbox
        # instead of turning the user's successful request into an error (and each row gets its own try).
        # (a lambda, not functools.partial: Django logs a robust hook's failure by its __qualname__)
        transaction.on_commit(lambda pk=row.pk: deliver_notification.delay(pk), robust=True)
