"""Reads that views share: every ticket lookup is scoped to the user before anything else."""

from datetime import datetime, timedelta

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from .models import (
    Attachment,
    CannedResponse,
    Comment,
    SavedFilter,
    Ticket,
    TicketEvent,
    TicketPresence,
    support_group_ids,
)


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
        "sla_due_at",
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
    events = TicketEvent.objects.filter(ticket=ticket).select_related("actor", "comment__author", "attachment")
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


# -- desk tools --------------------------------------------------------------------------------------


def saved_filters_for(user) -> QuerySet[SavedFilter]:
    """The engineer's own saved queue filters and the ones others shared with the desk."""
    return SavedFilter.objects.filter(Q(owner_id=user.pk) | Q(is_shared=True)).select_related("owner")


def canned_responses_for(user) -> QuerySet[CannedResponse]:
    """Active canned responses offered to the engineer: shared ones, their own, and their groups'.

    An owner keeps a response to themselves; a group offers it only to its members.
    """
    return CannedResponse.objects.filter(
        Q(owner__isnull=True) | Q(owner_id=user.pk),
        Q(group__isnull=True) | Q(group_id__in=support_group_ids(user)),
        is_active=True,
    )


# How long a presence poll counts: the page polls every 10 s, so a few missed polls are forgiven.
PRESENCE_WINDOW = timedelta(seconds=30)


def others_on_ticket(ticket: Ticket, user) -> list[TicketPresence]:
    """Other engineers who had this ticket open in the desk within the last 30 seconds, editors first."""
    since = timezone.now() - PRESENCE_WINDOW
    return list(
        TicketPresence.objects.filter(ticket=ticket, last_seen__gte=since)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("-is_editing", "user__username")
    )


def time_spent_on(ticket: Ticket) -> int:
    """Minutes booked on the ticket's notes and replies, in all."""
    return Comment.objects.filter(ticket=ticket).aggregate(total=Sum("time_spent_minutes"))["total"] or 0


def _booked_time(user, start: datetime, end: datetime) -> QuerySet[Comment]:
    """Notes with time booked in [start, end) on tickets the user may see in the desk (managers: all)."""
    return Comment.objects.filter(
        ticket__in=Ticket.objects.for_desk(user),
        created_at__gte=start,
        created_at__lt=end,
        time_spent_minutes__gt=0,
    )


def time_spent_by_group(user, start: datetime, end: datetime) -> list[dict]:
    """Minutes booked per assignment group of the ticket (one row for tickets without a group), most first."""
    return list(
        _booked_time(user, start, end)
        .values("ticket__assignment_group_id", "ticket__assignment_group__name")
        .annotate(minutes=Sum("time_spent_minutes"), tickets=Count("ticket_id", distinct=True))
        .order_by("-minutes", "ticket__assignment_group__name")
    )


def time_spent_by_engineer(user, start: datetime, end: datetime) -> list[dict]:
    """Minutes booked per engineer (the note's author, with a display `name`), most first."""
    rows = list(
        _booked_time(user, start, end)
        .values("author_id", "author__username", "author__first_name", "author__last_name")
        .annotate(minutes=Sum("time_spent_minutes"), tickets=Count("ticket_id", distinct=True))
        .order_by("-minutes", "author__username")
    )
    for row in rows:
        full_name = f"{row['author__first_name']} {row['author__last_name']}".strip()
        row["name"] = full_name or row["author__username"]
    return rows


# Beyond this many matching tickets a queue says "more than 1,000": counting further costs and tells nothing.
QUEUE_COUNT_CAP = 1000


def capped_count(queryset: QuerySet, *, cap: int) -> int:
    """How many rows, counting no further than `cap` + 1 (SELECT count(*) FROM (... LIMIT cap + 1)).

    Ordered like the queues' partial indexes, so PostgreSQL walks an index of open tickets instead of
    scanning the table until it has seen enough.
    """
    return queryset.order_by("priority", "created_at")[: cap + 1].count()
