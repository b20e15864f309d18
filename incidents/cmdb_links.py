"""Incidents and the CMDB: the incidents shown on a CI page, and the CMDB panel on an incident's desk page
(the impacted business services of its CI and other open incidents on related CIs: a possible common cause).

Both list only the incidents the viewing user may open on the desk: an engineer of another group sees neither
their numbers nor their titles here (they are left out, not counted)."""

from __future__ import annotations

from django.db.models import Q

from cmdb.choices import ImpactDirection
from cmdb.selectors import analyse_impact, reached_ids

from .models import OPEN_STATES, Incident

RECENT_ROWS = 10
RELATED_DEPTH = 2
SERVICE_DEPTH = 5
RELATED_ROWS = 10


def _on(ci_ids) -> Q:
    return Q(configuration_item__in=ci_ids) | Q(affected_service__in=ci_ids)


def ci_incidents(*, ci, user) -> dict:
    """The CI page's section: open incidents on the CI (or naming it as the affected service), and recent closed."""
    if not user.has_perm("servicedesk.access_desk"):
        # A CMDB or Change Manager without a desk role opens no ticket: say so rather than show empty lists.
        return {"open": [], "recent": [], "outside_desk": True}
    rows = (
        Incident.objects.for_desk(user)
        .filter(_on([ci.pk]))
        .only("kind", "number", "title", "state", "priority", "created_at", "updated_at")
    )
    return {
        "open": list(rows.filter(state__in=OPEN_STATES).order_by("-created_at")[:RECENT_ROWS]),
        "recent": list(rows.exclude(state__in=OPEN_STATES).order_by("-updated_at")[:RECENT_ROWS]),
    }


def incident_cmdb_panel(ticket, *, user) -> dict | None:
    """The desk panel's data for an incident with a CI or affected service, as `user` sees it; None otherwise."""
    if ticket.kind != Incident.KIND:
        return None
    incident = Incident.objects.select_related("configuration_item", "affected_service").filter(pk=ticket.pk).first()
    if incident is None:
        return None
    ci = incident.configuration_item or incident.affected_service
    if ci is None:
        return {"incident": incident, "ci": None}
    # Every business service above the CI, with its path; only the ids of the CIs near it (a core switch has
    # a thousand within two hops, none of them needed as an object).
    services = analyse_impact(ci, direction=ImpactDirection.UPSTREAM, depth=SERVICE_DEPTH, limit=0).services
    related = {ci.pk} | reached_ids(ci, direction=ImpactDirection.UPSTREAM, depth=RELATED_DEPTH)
    related |= reached_ids(ci, direction=ImpactDirection.DOWNSTREAM, depth=RELATED_DEPTH)
    if incident.affected_service_id:
        related.add(incident.affected_service_id)
    others = list(
        Incident.objects.for_desk(user)
        .filter(_on(related), state__in=OPEN_STATES)
        .exclude(pk=incident.pk)
        .select_related("configuration_item", "affected_service")
        .only("number", "title", "state", "priority", "configuration_item__name", "affected_service__name")
        .order_by("-created_at")[:RELATED_ROWS]
    )
    return {"incident": incident, "ci": ci, "services": services, "related_incidents": others}
