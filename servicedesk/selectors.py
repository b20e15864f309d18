"""Reads that views share: every ticket lookup is scoped to the user before anything else."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from .models import Attachment, Ticket, TicketEvent


def ticket_for_user(user, number: str, *, surface: str) -> Ticket:
    """The ticket with this number if the user may see it on this surface ("portal" or "desk"), else 404.

    The answer is the same whether the ticket does not exist or is not the user's.
    """
    scope = Ticket.objects.for_desk(user) if surface == "desk" else Ticket.objects.for_portal(user)
    ticket = (
        scope.select_related("requester", "assignment_group", "assignee", "opened_by").filter(number=number).first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def queue_tickets(user, queue: str) -> QuerySet[Ticket]:
    """The desk's queues: `mine`, `unassigned` (my groups, nobody on it), `open` (everything open I may see), `all`."""
    from .models import support_group_ids

    tickets = Ticket.objects.for_desk(user)
    if queue == "mine":
        tickets = tickets.open().filter(assignee_id=user.pk)
    elif queue == "unassigned":
        tickets = tickets.open().filter(assignee__isnull=True, assignment_group_id__in=support_group_ids(user))
    elif queue == "open":
        tickets = tickets.open()
    return tickets.select_related("requester", "assignment_group", "assignee").only(*_only_columns())


def _only_columns() -> tuple[str, ...]:
    return (
        "id",
        "number",
        "kind",
        "title",
        "priority",
        "state",
        "is_open",
        "created_at",
        "updated_at",
        "requester_id",
        "assignment_group_id",
        "assignee_id",
        "requester__username",
        "requester__first_name",
        "requester__last_name",
        "assignment_group__name",
        "assignee__username",
        "assignee__first_name",
        "assignee__last_name",
    )


def portal_tickets(user) -> QuerySet[Ticket]:
    """An end user's tickets (raised by them or watched), newest first."""
    return (
        Ticket.objects.for_portal(user)
        .select_related("assignment_group")
        .only(
            "id",
            "number",
            "kind",
            "title",
            "state",
            "is_open",
            "created_at",
            "updated_at",
            "assignment_group_id",
            "assignment_group__name",
        )
        .order_by("-created_at")
    )


def ticket_timeline(ticket: Ticket, *, public_only: bool) -> list[TicketEvent]:
    """The ticket's activity log in order, with comments and attachments; public rows only for the portal."""
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor", "comment", "attachment")
    if public_only:
        events = events.filter(is_public=True)
    timeline = list(
        events.prefetch_related(
            Prefetch(
                "comment__attachments",
                queryset=Attachment.objects.filter(is_internal=False) if public_only else Attachment.objects.all(),
            )
        )
    )
    # Field events name the practice's own columns (an incident's resolution code …), so each row gets
    # the page's ticket as its practice's model; this also saves one query per row when rendering.
    ticket = specific(ticket)
    for event in timeline:
        event.ticket = ticket
    return timeline


def attachment_for_user(user, pk: int, *, surface: str) -> Attachment:
    """An attachment the user may download on this surface, else 404 (internal ones never in the portal)."""
    scope = Ticket.objects.for_desk(user) if surface == "desk" else Ticket.objects.for_portal(user)
    attachments = Attachment.objects.filter(ticket__in=scope)
    if surface == "portal":
        attachments = attachments.filter(is_internal=False)
    attachment = attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


def specific(ticket: Ticket) -> Ticket:
    """The ticket as its practice's model (an Incident …), for pages that show the kind's own fields."""
    from django.apps import apps

    model = apps.get_model(ticket.kind_info.model_label)
    if isinstance(ticket, model):
        return ticket
    return model.objects.select_related("requester", "assignment_group", "assignee", "opened_by").get(pk=ticket.pk)
