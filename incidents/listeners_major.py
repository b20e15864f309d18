"""What major incidents hook into the core (registered in IncidentsConfig.ready).

- `resolve_children_with_parent`, a change listener: a major incident that is resolved resolves its open
  children with the same code and notes, inside the same transaction, as the system.
- `major_incident_banners`, a banner provider: the portal tells the affected users about an open major incident.
"""

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind
from servicedesk.models import Ticket
from servicedesk.registry import Banner

from .choices import IncidentState
from .models import Incident
from .services import run_transition


def resolve_children_with_parent(*, ticket, events) -> None:
    """A major incident was resolved: resolve each of its open children the same way, as the system.

    Runs inside the parent's change (its row is locked). Each child is locked after the parent, in id order,
    the order every major incident use case follows. A child's own change calls the listeners again; it has
    no children of its own (linking refuses that), so it stops there.
    """
    if ticket.kind != Incident.KIND or not getattr(ticket, "is_major", False):
        return
    if not any(e.kind == EventKind.STATE and e.new_value == IncidentState.RESOLVED for e in events):
        return
    reason = _("Resolved with the major incident %(number)s.") % {"number": ticket.number}
    for child in Incident.objects.filter(parent_id=ticket.pk, is_open=True).order_by("pk"):
        try:
            run_transition(
                child,
                actor=None,
                name="resolve",
                reason=reason,
                code=ticket.resolution_code,
                notes=ticket.resolution_notes,
            )
        except core.TicketError:
            continue  # resolved, cancelled or merged by someone else meanwhile: nothing left to do


def major_incident_banners(user) -> list[Banner]:
    """A banner per open major incident the user is affected by: they raised or watch it or one of its children.

    One query whatever the number of major incidents (the partial index on is_major keeps it short).
    """
    if not user.is_authenticated:
        return []
    watched = Ticket.watchers.through.objects.filter(user_id=user.pk).values("ticket_id")
    concerns_user = Q(requester_id=user.pk) | Q(pk__in=watched)
    affected_child = Incident.objects.filter(concerns_user, parent_id=OuterRef("pk"))
    majors = (
        Incident.objects.filter(is_major=True, is_open=True)
        .filter(concerns_user | Q(Exists(affected_child)))
        .annotate(is_theirs=ExpressionWrapper(concerns_user, output_field=BooleanField()))
        .only("number", "kind", "title", "state", "major_announcement")
        .order_by("created_at", "pk")
    )
    return [
        Banner(
            key=f"major-{major.number}",
            heading=_("Major incident %(number)s: %(title)s") % {"number": major.number, "title": major.title},
            status=str(major.state_info.public_label),
            text=major.major_announcement,
            url=reverse("servicedesk:portal_ticket", args=[major.number]) if major.is_theirs else "",
            colour="danger",
        )
        for major in majors
    ]
