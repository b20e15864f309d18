"""Service requests and the CMDB: the requests on a CI page (orders whose form answered a CI question with it)."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from .models import RequestAnswer, ServiceRequest

RECENT_ROWS = 10


def ci_requests(*, ci, user) -> dict:
    """The CI page's section: open requests naming the CI in an answer, and recently ended ones, within desk scope."""
    if not user.has_perm("servicedesk.access_desk"):
        # A CMDB or Change Manager without a desk role opens no ticket: say so rather than show empty lists.
        return {"open": [], "recent": [], "outside_desk": True}
    answers = RequestAnswer.objects.filter(value_ci=ci)
    # A subquery rather than a join: a request that names the CI in several answers or lines is listed once.
    rows = (
        ServiceRequest.objects.for_desk(user)
        .filter(pk__in=answers.values("line__request_id"))
        .annotate(
            # The question the CI answered ("Device", "Server" ...), the first one when several did.
            ci_question=Subquery(
                answers.filter(line__request_id=OuterRef("pk"))
                .order_by("line__position", "position")
                .values("label")[:1]
            )
        )
        .select_related("requester")
        .only(
            "kind",
            "number",
            "title",
            "state",
            "created_at",
            "updated_at",
            "requester__username",
            "requester__first_name",
            "requester__last_name",
        )
    )
    return {
        "open": list(rows.filter(is_open=True).order_by("-created_at")[:RECENT_ROWS]),
        "recent": list(rows.filter(is_open=False).order_by("-updated_at")[:RECENT_ROWS]),
    }
