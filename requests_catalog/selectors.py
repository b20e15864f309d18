"""Reads that the catalog's views, tasks and exports share."""

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from servicedesk.models import Ticket

from .choices import ApprovalState
from .models import (
    Approval,
    ApprovalDelegation,
    CatalogCategory,
    CatalogItem,
    FulfilmentTask,
    RequestAnswer,
    RequestItem,
    ServiceRequest,
)
from .services import delegators_of, may_order


def orderable_items(user) -> list[CatalogItem]:
    """Every item the user may order, with category, in catalog order (the catalog is small: tens to hundreds)."""
    items = (
        CatalogItem.objects.orderable()
        .filter(category__is_active=True)
        .select_related("category", "current_version")
        .prefetch_related("allowed_groups", "allowed_departments")
    )
    return [item for item in items if may_order(user, item)]


def search_items(user, query: str) -> list[CatalogItem]:
    """Items the user may order whose name or description matches; typo-tolerant on the name (trigram)."""
    query = (query or "").strip()
    if not query:
        return orderable_items(user)
    matching = set(
        CatalogItem.objects.orderable()
        .annotate(similarity=TrigramWordSimilarity(query, "name"))
        .filter(
            Q(name__icontains=query)
            | Q(short_description__icontains=query)
            | Q(description__icontains=query)
            | Q(category__name__icontains=query)
            | Q(similarity__gte=0.4)
        )
        .values_list("pk", flat=True)
    )
    return [item for item in orderable_items(user) if item.pk in matching]


def active_categories() -> list[CatalogCategory]:
    return list(CatalogCategory.objects.filter(is_active=True))


def category_paths(categories: list[CatalogCategory]) -> dict[int, list[CatalogCategory]]:
    """Each category's path from the root, from one list in memory (no query per level or per category)."""
    by_id = {category.pk: category for category in categories}
    paths = {}
    for category in categories:
        path, node, seen = [], category, set()
        while node is not None and node.pk not in seen:
            path.append(node)
            seen.add(node.pk)
            node = by_id.get(node.parent_id)
        paths[category.pk] = path[::-1]
    return paths


def item_for_order(user, slug: str) -> CatalogItem:
    """The item if the user may order it, else 404 (whether it exists or not)."""
    item = (
        CatalogItem.objects.orderable()
        .select_related("category", "current_version", "fulfilment_group")
        .prefetch_related("allowed_groups", "allowed_departments")
        .filter(slug=slug)
        .first()
    )
    if item is None or not may_order(user, item):
        raise Http404("No such item.")
    return item


def request_lines(request: ServiceRequest) -> list[RequestItem]:
    """The request's lines with their answers, approval trail and tasks, in three queries."""
    return list(
        RequestItem.objects.filter(request=request)
        .select_related("item", "item_version")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=RequestAnswer.objects.select_related("value_user", "value_ci", "value_attachment"),
            ),
            Prefetch("approvals", queryset=Approval.objects.select_related("approver", "decided_by")),
            Prefetch(
                "tasks",
                queryset=FulfilmentTask.objects.select_related("assignment_group", "assignee").order_by("step", "pk"),
            ),
        )
    )


def service_request(ticket: Ticket) -> ServiceRequest:
    return ServiceRequest.objects.select_related("requested_for").get(pk=ticket.pk)


def pending_approvals(user) -> QuerySet[Approval]:
    """What waits for this person's decision, theirs or a colleague's who is away and named them."""
    return (
        Approval.objects.filter(state=ApprovalState.REQUESTED, approver_id__in=delegators_of(user))
        .select_related("approver", "line__item", "line__request__requested_for", "line__request__requester")
        .order_by("requested_at", "pk")
    )


def decided_approvals(user, limit: int = 20) -> list[Approval]:
    return list(
        Approval.objects.filter(decided_by=user)
        .select_related("line__item", "line__request")
        .order_by("-decided_at")[:limit]
    )


def approval_for_user(user, pk: int) -> Approval:
    """An approval the user may decide or did decide, else 404."""
    approval = (
        Approval.objects.filter(pk=pk)
        .filter(Q(approver_id__in=delegators_of(user)) | Q(decided_by=user))
        .select_related(
            "approver",
            "decided_by",
            "line__item",
            "line__item_version",
            "line__request__requested_for",
            "line__request__requester",
        )
        .first()
    )
    if approval is None:
        raise Http404("No such approval.")
    return approval


def automation_payload(task: FulfilmentTask) -> dict:
    """What the webhook receives: the request, the task, the item and version, and the answers as JSON."""
    line = task.line
    answers = {}
    for answer in line.answers.select_related("value_user", "value_ci", "value_attachment"):
        answers[answer.key] = _answer_json(answer)
    return {
        "request": task.request.number,
        "task": task.number,
        "requested_for": task.request.requested_for.get_username(),
        "item": line.item_version.definition.get("slug"),
        "item_version": line.item_version.number,
        "quantity": line.quantity,
        "answers": answers,
    }


def _answer_json(answer: RequestAnswer):
    value = answer.value
    if answer.field_type in ("user", "ci"):
        return None if value is None else {"id": value.pk, "display": answer.display}
    if answer.field_type == "attachment":
        return None if value is None else {"filename": value.filename}
    if answer.field_type == "number":
        return None if value is None else format(value.normalize(), "f")
    if answer.field_type == "date":
        return None if value is None else value.isoformat()
    return value


def delegations_of(user) -> dict[str, list[ApprovalDelegation]]:
    """The delegations the user gave and the ones given to them, newest first."""
    return {
        "given": list(ApprovalDelegation.objects.filter(delegator=user).select_related("delegate")),
        "received": list(ApprovalDelegation.objects.filter(delegate=user).select_related("delegator")),
    }
