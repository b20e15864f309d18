"""Bulk actions on selected desk queue rows: assign, add a work note, or a kind's state change.

Each row goes through the same service, with the same permission checks, as a single change on the ticket
page, in its own transaction: a row that is refused is reported (number and reason) and the others apply.
Rows are fetched once, scoped to the engineer; a number outside that scope reads as unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from . import registry, services
from .models import AssignmentGroup, Ticket

# One submission changes at most this many rows (a queue page shows 25; "select all" stays well below).
MAX_ROWS = 500


@dataclass(frozen=True)
class RowFailure:
    """A row the action was not applied to, and why (in words for the engineer)."""

    number: str
    reason: str


@dataclass
class BulkResult:
    """Numbers the action applied to, and the rows it was refused on."""

    applied: list[str] = field(default_factory=list)
    failed: list[RowFailure] = field(default_factory=list)


def _reason(error: Exception) -> str:
    if isinstance(error, PermissionDenied):
        return _("You may not do that on this ticket.")
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, TransitionNotAllowed):
        return _("That cannot be done in its current state.")
    return str(error)


def apply_to_rows(
    *, actor, numbers: Sequence[str], operation: Callable[[Ticket], object], kind: str | None = None
) -> BulkResult:
    """Run `operation` on each ticket the actor may work on, each in its own transaction; collect refusals."""
    services.require(actor, "servicedesk.access_desk")
    numbers = list(dict.fromkeys(numbers))[:MAX_ROWS]
    found = {
        ticket.number: ticket
        for ticket in Ticket.objects.for_desk(actor).filter(number__in=numbers).only("pk", "number", "kind")
    }
    result = BulkResult()
    for number in numbers:
        ticket = found.get(number)
        if ticket is None:
            result.failed.append(RowFailure(number, _("No such ticket in your queues.")))
            continue
        if kind is not None and ticket.kind != kind:
            label = registry.get_kind(kind).label
            result.failed.append(RowFailure(number, _("This action is only for: %(kind)s.") % {"kind": label}))
            continue
        try:
            with transaction.atomic():
                operation(ticket)
        except (services.TicketError, PermissionDenied, ValidationError, TransitionNotAllowed) as error:
            result.failed.append(RowFailure(number, _reason(error)))
        else:
            result.applied.append(number)
    return result


def bulk_assign(*, actor, numbers: Sequence[str], group: AssignmentGroup, assignee=None) -> BulkResult:
    """Route every selected ticket to a group and, optionally, one of its members."""
    return apply_to_rows(
        actor=actor,
        numbers=numbers,
        operation=lambda ticket: services.assign_ticket(ticket=ticket, actor=actor, group=group, assignee=assignee),
    )


def bulk_add_note(*, actor, numbers: Sequence[str], body: str, time_spent_minutes: int = 0) -> BulkResult:
    """Add the same internal work note (with the time it took, per ticket) to every selected ticket."""
    return apply_to_rows(
        actor=actor,
        numbers=numbers,
        operation=lambda ticket: services.add_comment(
            ticket=ticket, author=actor, body=body, internal=True, time_spent_minutes=time_spent_minutes
        ),
    )


def bulk_change_state(*, actor, numbers: Sequence[str], kind: str, action: str, values: dict) -> BulkResult:
    """Run a kind's registered bulk state action on every selected ticket of that kind."""
    bulk_action = registry.get_kind(kind).bulk_actions[action]
    return apply_to_rows(
        actor=actor,
        numbers=numbers,
        kind=kind,
        operation=lambda ticket: bulk_action.run(ticket=ticket, actor=actor, **values),
    )
