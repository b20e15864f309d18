"""Request use cases: order, approve or reject, fulfil, cancel. Each is one transaction recorded by the core.

Locks are taken in one order, task before request, so two fulfilers finishing parallel tasks of one request
queue on the request's row and the second sees the first's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from servicedesk import services as core
from servicedesk.choices import Channel, EventKind
from servicedesk.models import AssignmentGroup, TicketEvent, department_ids, line_manager

from .choices import ApprovalState, ApproverType, ItemState, RequestState, TaskState
from .models import (
    Approval,
    ApprovalDelegation,
    CartLine,
    CatalogItem,
    CatalogItemVersion,
    FulfilmentTask,
    RequestAnswer,
    RequestItem,
    ServiceRequest,
    StagedUpload,
)

R = RequestState
A = ApprovalState


class RequestError(core.TicketError):
    """A request use case refused: the message says why, and nothing was changed."""


# -- who may order what ----------------------------------------------------------------------------


def may_order(user, item: CatalogItem) -> bool:
    """Active items with a published version, open to everyone or to one of the user's groups or departments."""
    if not user.is_authenticated or not item.is_active or item.current_version_id is None:
        return False
    groups = {g.pk for g in item.allowed_groups.all()}
    departments = {d.pk for d in item.allowed_departments.all()}
    if not groups and not departments:
        return True
    my_groups, my_departments = _ordering_scope(user)
    return bool(groups & my_groups or departments & my_departments)


def _ordering_scope(user) -> tuple[frozenset[int], frozenset[int]]:
    """The user's auth groups and departments, read once per request (the catalog checks every item)."""
    cached = getattr(user, "_itsm_ordering_scope", None)
    if cached is None:
        cached = (frozenset(user.groups.values_list("pk", flat=True)), department_ids(user))
        user._itsm_ordering_scope = cached
    return cached


# -- ordering ----------------------------------------------------------------------------------------


@dataclass
class OrderLine:
    """One item to order: the version whose form was answered, how many, and the engine's typed answers."""

    version: CatalogItemVersion
    quantity: int = 1
    answers: list = field(default_factory=list)  # form_engine.TypedAnswer


def submit_request(
    *, actor, lines: Sequence[OrderLine], requested_for=None, note: str = "", channel: str = Channel.PORTAL
) -> ServiceRequest:
    """Order one or more items; approvals start at once, and fulfilment when nothing needs approving."""
    if not lines:
        raise RequestError(_("The order is empty."))
    requested_for = requested_for or actor
    if not requested_for.is_active:
        raise RequestError(_("%(user)s is not an active user.") % {"user": requested_for})
    for line in lines:
        _check_line(actor, line)
    first = lines[0].version.item
    title = (
        first.name
        if len(lines) == 1
        else ngettext("%(item)s and %(count)d more item", "%(item)s and %(count)d more items", len(lines) - 1)
        % {"item": first.name, "count": len(lines) - 1}
    )
    with transaction.atomic():
        request = ServiceRequest(
            kind=ServiceRequest.KIND,
            state=R.SUBMITTED,
            title=title[:200],
            description=note,
            requester=actor,
            requested_for=requested_for,
            opened_by=actor,
            channel=channel,
            assignment_group=first.fulfilment_group,
        )
        request = core.open_ticket(ticket=request, actor=actor)
        if requested_for.pk != actor.pk:
            request.watchers.add(requested_for)
        request = core.lock_ticket(request)
        with core.changing(request, actor=actor) as change:
            for position, line in enumerate(lines):
                _store_line(request, position, line, actor, change)
        _start_approvals(request, actor)
    return ServiceRequest.objects.get(pk=request.pk)


def _check_line(actor, line: OrderLine) -> None:
    item = line.version.item
    if not may_order(actor, item):
        raise PermissionDenied(_("%(item)s cannot be ordered by you.") % {"item": item.name})
    if (
        isinstance(line.quantity, bool)
        or not isinstance(line.quantity, int)
        or not 1 <= line.quantity <= item.max_quantity
    ):
        raise RequestError(
            _("Order between 1 and %(max)d of %(item)s.") % {"max": item.max_quantity, "item": item.name}
        )


def _store_line(request: ServiceRequest, position: int, line: OrderLine, actor, change) -> RequestItem:
    version = line.version
    cost = version.definition.get("cost")
    row = RequestItem.objects.create(
        request=request,
        position=position,
        item=version.item,
        item_version=version,
        quantity=line.quantity,
        unit_cost=Decimal(cost) if cost is not None else None,
    )
    answers = []
    for index, answer in enumerate(line.answers):
        stored = RequestAnswer(
            line=row,
            position=index,
            key=answer.key,
            label=answer.label,
            field_type=answer.type,
            display=answer.display,
        )
        _set_typed_value(stored, answer, request=request, actor=actor, change=change)
        answers.append(stored)
    RequestAnswer.objects.bulk_create(answers)
    return row


def _set_typed_value(stored: RequestAnswer, answer, *, request, actor, change) -> None:
    value = answer.value
    match answer.type:
        case "number":
            stored.value_number = value
        case "date":
            stored.value_date = value
        case "checkbox":
            stored.value_bool = bool(value)
        case "multichoice":
            stored.value_list = list(value)
        case "user":
            stored.value_user = value
        case "ci":
            stored.value_ci = value
        case "attachment":
            stored.value_attachment = core.attach_files(ticket=request, actor=actor, files=[value], change=change)[0]
        case _:
            stored.value_text = "" if value is None else str(value)


# -- approvals ------------------------------------------------------------------------------------------


def _start_approvals(request: ServiceRequest, actor) -> None:
    """Ask the first step of every line's chain; lines with nothing to ask are approved at once."""
    waiting = False
    for line in request.lines.select_related("item_version", "request__requested_for"):
        waiting |= _ask_from(line, 0, actor)
    with core.changing(request, actor=actor):
        if waiting:
            request.await_approval()
        else:
            request.approve()
    if not waiting:
        _start_fulfilment(request, actor)


def _ask_from(line: RequestItem, index: int, actor) -> bool:
    """Ask step `index` of the line's chain, or the first later one its condition does not approve.

    Returns True when someone now has to decide, False when the whole chain is approved.
    """
    definition = line.item_version.definition
    steps = [] if definition.get("is_standard") else definition.get("approval", [])
    now = timezone.now()
    while index < len(steps):
        step = steps[index]
        name = step.get("name") or str(ApproverType(step["approver"]).label)
        if condition_holds(step.get("auto_approve_if"), line):
            Approval.objects.create(
                line=line,
                step=index,
                step_name=name,
                approver_type=step["approver"],
                state=A.APPROVED,
                comment=_("Approved automatically: %(condition)s.") % {"condition": describe_condition(step)},
                requested_at=now,
                decided_at=now,
            )
            _log_approval(line.request, actor, _("%(step)s approved automatically") % {"step": name})
            index += 1
            continue
        approvers = resolve_approvers(step, line)
        if not approvers:
            raise RequestError(
                _("No one can approve %(item)s right now (step %(step)s); please contact the service desk.")
                % {"item": line.item_version.definition.get("name", ""), "step": name}
            )
        rows = Approval.objects.bulk_create(
            Approval(
                line=line,
                step=index,
                step_name=name,
                approver_type=step["approver"],
                approver=person,
                state=A.REQUESTED,
                requested_at=now,
            )
            for person in approvers
        )
        line.approval_step = index
        line.state = ItemState.AWAITING_APPROVAL
        line.save(update_fields=["approval_step", "state"])
        _notify_approvers(line.request, actor, rows, name)
        return True
    line.state = ItemState.APPROVED
    line.save(update_fields=["state"])
    return False


def resolve_approvers(step: dict, line: RequestItem) -> list:
    """The people asked to decide a step; a manager or person who cannot decide falls back to a group manager."""
    users = get_user_model().objects
    requester = line.request.requested_for
    kind = step["approver"]
    people: list = []
    if kind == ApproverType.MANAGER:
        manager = line_manager(requester)
        people = [manager] if manager is not None and manager.is_active else []
    elif kind == ApproverType.USER:
        ref = step.get("user") or {}
        person = users.filter(Q(pk=ref.get("id")) | Q(username=ref.get("username", "")), is_active=True).first()
        people = [person] if person is not None else []
    elif kind in (ApproverType.GROUP_ANY, ApproverType.GROUP_ALL):
        group = _group(step.get("group"))
        if group is not None:
            # Nobody approves their own order, even as a member of the approving group.
            people = list(
                group.members.filter(is_active=True).exclude(pk__in={requester.pk, line.request.requester_id})
            )
            if not people and group.manager_id and group.manager.is_active:
                people = [group.manager]
    if not people:
        # Fall back to the manager of the group that fulfils the item, so the order is not stuck.
        fallback = line.item.fulfilment_group.manager
        if fallback is not None and fallback.is_active and fallback.pk != requester.pk:
            people = [fallback]
    return people


def _group(ref: dict | None) -> AssignmentGroup | None:
    if not ref:
        return None
    return AssignmentGroup.objects.filter(Q(pk=ref.get("id")) | Q(name=ref.get("name", "")), is_active=True).first()


_OPERATORS = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gte": lambda a, b: a >= b,
    "gt": lambda a, b: a > b,
}


def condition_value(name: str, line: RequestItem):
    """What an auto-approval condition compares: the line's cost or quantity, or one of its answers."""
    if name == "total_cost":
        return line.total_cost
    if name == "unit_cost":
        return line.unit_cost
    if name == "quantity":
        return line.quantity
    answer = line.answers.filter(key=name).first()
    return None if answer is None else answer.value


def condition_holds(condition: dict | None, line: RequestItem) -> bool:
    """Numbers compare as numbers; anything else only with = and ≠ as text. A missing value never holds."""
    if not condition or not condition.get("field"):
        return False
    compare = _OPERATORS.get(condition.get("op", ""))
    actual = condition_value(condition["field"], line)
    if compare is None or actual is None:
        return False
    expected = str(condition.get("value", ""))
    if isinstance(actual, bool):
        actual = "true" if actual else "false"
        expected = expected.lower()
    elif isinstance(actual, int | Decimal):
        try:
            return compare(Decimal(actual), Decimal(expected))
        except InvalidOperation:
            return False
    elif isinstance(actual, date):
        actual = actual.isoformat()
    elif isinstance(actual, list):
        return condition["op"] in ("eq", "ne") and compare(expected in actual, True)
    if condition["op"] not in ("eq", "ne"):
        return False
    return compare(str(actual), expected)


def describe_condition(step: dict) -> str:
    condition = step.get("auto_approve_if") or {}
    symbols = {"lt": "<", "lte": "≤", "eq": "=", "ne": "≠", "gte": "≥", "gt": ">"}
    return f"{condition.get('field')} {symbols.get(condition.get('op'), '?')} {condition.get('value')}"


def _log_approval(request: ServiceRequest, actor, text: str, *, reason: str = "", approval: Approval | None = None):
    """One public activity row on the request (the requester follows approvals in the portal)."""
    return TicketEvent.objects.create(
        ticket=request,
        kind=EventKind.APPROVAL,
        actor=actor,
        field="approval",
        new_value=str(approval.pk) if approval else "",
        new_display=text,
        reason=reason,
        is_public=True,
    )


def _notify_approvers(request: ServiceRequest, actor, rows: list[Approval], step_name: str) -> None:
    """Tell each approver (and whoever stands in for them today), on the channels they chose; sent after commit."""
    from servicedesk.models import NotificationTopic
    from servicedesk.notifications import notify

    for approval in rows:
        event = _log_approval(
            request,
            actor,
            _("Approval requested from %(person)s (%(step)s)")
            % {"person": approval.approver.get_full_name() or approval.approver.get_username(), "step": step_name},
            approval=approval,
        )
        notify(
            event, [approval.approver_id, *active_delegates(approval.approver_id)], NotificationTopic.APPROVAL_NEEDED
        )


def delegate_approvals(*, delegator, delegate, starts_on: date, ends_on: date, reason: str = "") -> ApprovalDelegation:
    """While `delegator` is away, `delegate` may decide their approvals too (the form checked the dates)."""
    if delegate.pk == delegator.pk:
        raise RequestError(_("Choose someone other than yourself."))
    if ends_on < starts_on:
        raise RequestError(_("The end is before the start."))
    return ApprovalDelegation.objects.create(
        delegator=delegator, delegate=delegate, starts_on=starts_on, ends_on=ends_on, reason=reason
    )


def remove_delegation(*, actor, delegation_id: int) -> bool:
    """Only the person who delegated removes a delegation; False when there is none of theirs by that id."""
    deleted, _rows = ApprovalDelegation.objects.filter(pk=delegation_id, delegator=actor).delete()
    return bool(deleted)


def active_delegates(user_id: int, on: date | None = None) -> list[int]:
    on = on or timezone.localdate()
    return list(
        ApprovalDelegation.objects.filter(delegator_id=user_id, starts_on__lte=on, ends_on__gte=on).values_list(
            "delegate_id", flat=True
        )
    )


def delegators_of(user, on: date | None = None) -> list[int]:
    """Whose approvals `user` may decide today (their own, and those of people away who named them)."""
    on = on or timezone.localdate()
    return [
        user.pk,
        *ApprovalDelegation.objects.filter(delegate_id=user.pk, starts_on__lte=on, ends_on__gte=on).values_list(
            "delegator_id", flat=True
        ),
    ]


def may_decide(user, approval: Approval) -> bool:
    return user.is_authenticated and approval.approver_id is not None and approval.approver_id in delegators_of(user)


def decide_approval(*, approval: Approval, actor, approve: bool, comment: str = "") -> Approval:
    """Approve or reject one approval; a rejection ends the whole request with the reason shown to the requester."""
    comment = (comment or "").strip()
    if not may_decide(actor, approval):
        raise PermissionDenied(_("This approval is not yours to decide."))
    if not approve and not comment:
        raise RequestError(_("Say why you reject it: the requester will read it."))
    with transaction.atomic():
        request = core.lock_ticket(approval.line.request)
        approval = Approval.objects.select_for_update().select_related("line__item_version").get(pk=approval.pk)
        if approval.state != A.REQUESTED:
            raise RequestError(_("This approval was already decided or is no longer needed."))
        now = timezone.now()
        approval.state = A.APPROVED if approve else A.REJECTED
        approval.decided_by = actor
        approval.comment = comment
        approval.decided_at = now
        approval.save(update_fields=["state", "decided_by", "comment", "decided_at"])
        person = approval.approver.get_full_name() or approval.approver.get_username()
        if actor.pk != approval.approver_id:
            who = _("%(delegate)s for %(person)s") % {
                "delegate": actor.get_full_name() or actor.get_username(),
                "person": person,
            }
        else:
            who = person
        text = (_("Approved by %(who)s (%(step)s)") if approve else _("Rejected by %(who)s (%(step)s)")) % {
            "who": who,
            "step": approval.step_name,
        }
        with core.changing(request, actor=actor) as change:
            change.add_event(
                TicketEvent(
                    kind=EventKind.APPROVAL,
                    field="approval",
                    new_value=str(approval.pk),
                    new_display=text,
                    reason=comment,
                    is_public=True,
                )
            )
            if not approve:
                _end_pending_approvals(request)
                request.lines.exclude(state=ItemState.CANCELLED).update(state=ItemState.REJECTED)
                request.reject(reason=comment)
        if approve:
            _after_approval(request, approval, actor)
    return approval


def _end_pending_approvals(request: ServiceRequest) -> None:
    Approval.objects.filter(line__request=request, state__in=[A.REQUESTED, A.WAITING]).update(
        state=A.NOT_NEEDED, decided_at=timezone.now()
    )


def _after_approval(request: ServiceRequest, approval: Approval, actor) -> None:
    line = approval.line
    siblings = Approval.objects.filter(line=line, step=approval.step, state=A.REQUESTED)
    if approval.approver_type == ApproverType.GROUP_ALL and siblings.exists():
        return  # every member must approve
    siblings.update(state=A.NOT_NEEDED, decided_at=timezone.now())
    line.request = request
    if _ask_from(line, approval.step + 1, actor):
        return
    if request.lines.filter(state=ItemState.AWAITING_APPROVAL).exists():
        return
    with core.changing(request, actor=actor):
        request.approve()
    _start_fulfilment(request, actor)


# -- fulfilment ---------------------------------------------------------------------------------------


def _start_fulfilment(request: ServiceRequest, actor) -> None:
    """Make every line's tasks from its version (one default task when the item has no workflow), open step 1."""
    with core.changing(request, actor=actor):
        request.start_fulfilment()
    for line in request.lines.select_related("item", "item__fulfilment_group", "item_version"):
        templates = line.item_version.definition.get("fulfilment") or [
            {"step": 1, "title": _("Fulfil"), "instructions": "", "group": None, "automation": None}
        ]
        for template in templates:
            group = _group(template.get("group")) or line.item.fulfilment_group
            task = FulfilmentTask(
                kind=FulfilmentTask.KIND,
                state=TaskState.PENDING,
                title=f"{line.item.name}: {template['title']}"[:200],
                description=request.description,
                requester=request.requester,
                opened_by=actor,
                channel=request.channel,
                priority=request.priority,
                assignment_group=group,
                request=request,
                line=line,
                step=template.get("step") or 1,
                instructions=template.get("instructions", ""),
                automation=template.get("automation") or {},
            )
            core.open_ticket(ticket=task, actor=actor)
        line.state = ItemState.IN_FULFILMENT
        line.save(update_fields=["state"])
        _release_next_step(line, actor, after=0)


def _release_next_step(line: RequestItem, actor, *, after: int) -> bool:
    """Open the line's tasks of the first step after `after`; False when there is none left."""
    pending = FulfilmentTask.objects.filter(line=line, state=TaskState.PENDING, step__gt=after)
    step = pending.order_by("step").values_list("step", flat=True).first()
    if step is None:
        return False
    line.current_step = step
    line.save(update_fields=["current_step"])
    for task in pending.filter(step=step).order_by("pk"):
        task = core.lock_ticket(task)
        with core.changing(task, actor=actor):
            task.release()
        if task.is_automated:
            from .tasks import run_task_automation

            transaction.on_commit(lambda pk=task.pk: run_task_automation.delay(pk), robust=True)
    return True


def _require_task_work(actor, task: FulfilmentTask) -> None:
    if actor is not None:
        core.require(actor, "servicedesk.work_on_ticket", task)


def start_task(*, task: FulfilmentTask, actor, expected_version: int | None = None) -> FulfilmentTask:
    with transaction.atomic():
        task = core.lock_ticket(task, expected_version=expected_version)
        _require_task_work(actor, task)
        _check_can(task, "start_work")
        with core.changing(task, actor=actor):
            if task.assignee_id is None and actor is not None and task.assignment_group_id in _groups_of(actor):
                task.assignee = actor
            task.start_work()
    return task


def _groups_of(user) -> frozenset[int]:
    from servicedesk.models import support_group_ids

    return support_group_ids(user)


def _check_can(task: FulfilmentTask, transition: str) -> None:
    from django_fsm import can_proceed

    if not can_proceed(getattr(task, transition)):
        raise RequestError(
            _("%(number)s is %(state)s: that is not possible now.")
            % {"number": task.number, "state": task.state_info.label}
        )


def complete_task(
    *, task: FulfilmentTask, actor, notes: str = "", expected_version: int | None = None
) -> FulfilmentTask:
    """Mark a task done; the next step opens when its step is done, the request is fulfilled after the last."""
    with transaction.atomic():
        task = core.lock_ticket(task, expected_version=expected_version)
        _require_task_work(actor, task)
        _check_can(task, "complete")
        with core.changing(task, actor=actor):
            task.complete(notes=(notes or "").strip())
        _after_task_finished(task, actor)
    return task


def ask_requester(*, task: FulfilmentTask, actor, question: str, expected_version: int | None = None):
    """Post a question on the request (the requester sees it in the portal) and wait for their answer."""
    question = (question or "").strip()
    if not question:
        raise RequestError(_("Write the question for the requester."))
    with transaction.atomic():
        task = core.lock_ticket(task, expected_version=expected_version)
        _require_task_work(actor, task)
        _check_can(task, "ask_requester")
        with core.changing(task, actor=actor, reason=question):
            task.ask_requester()
        request = ServiceRequest.objects.get(pk=task.request_id)
        # The fulfiller may not be in the request's group: the question is posted in the task's name.
        request = core.lock_ticket(request)
        with core.changing(request, actor=actor) as change:
            from servicedesk.models import Comment

            comment = Comment.objects.create(ticket=request, author=actor, body=question)
            change.add_event(TicketEvent(kind=EventKind.COMMENT, comment=comment, is_public=True))
    return task


def _after_task_finished(task: FulfilmentTask, actor) -> None:
    request = core.lock_ticket(ServiceRequest.objects.get(pk=task.request_id))
    line = RequestItem.objects.select_for_update().get(pk=task.line_id)
    unfinished = FulfilmentTask.objects.filter(line=line, step=task.step).exclude(
        state__in=[TaskState.DONE, TaskState.CANCELLED]
    )
    if unfinished.exists():
        return
    if _release_next_step(line, actor, after=task.step):
        return
    line.state = ItemState.FULFILLED
    line.save(update_fields=["state"])
    if request.lines.exclude(state__in=[ItemState.FULFILLED, ItemState.CANCELLED]).exists():
        return
    with core.changing(request, actor=actor):
        request.fulfil()


def _speaks_for_request(actor, request: ServiceRequest) -> bool:
    """The requester, the person it is for, or an engineer in the request's scope."""
    return actor.pk in (request.requester_id, request.requested_for_id) or actor.has_perm(
        "servicedesk.work_on_ticket", request
    )


def cancel_request(*, request: ServiceRequest, actor, reason: str, expected_version: int | None = None):
    """The requester (or the desk) cancels before fulfilment starts; open approvals are withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise RequestError(_("Say why you cancel the request."))
    with transaction.atomic():
        request = core.lock_ticket(request, expected_version=expected_version)
        if not _speaks_for_request(actor, request):
            raise PermissionDenied(_("You may not cancel this request."))
        from django_fsm import can_proceed

        if not can_proceed(request.cancel):
            raise RequestError(_("Fulfilment has started: the request can no longer be cancelled."))
        with core.changing(request, actor=actor):
            _end_pending_approvals(request)
            request.lines.update(state=ItemState.CANCELLED)
            request.cancel(reason=reason)
    return request


def close_request(*, request: ServiceRequest, actor) -> ServiceRequest:
    """The requester confirms delivery (or the desk closes it)."""
    with transaction.atomic():
        request = core.lock_ticket(request)
        if not _speaks_for_request(actor, request):
            raise PermissionDenied(_("You may not close this request."))
        from django_fsm import can_proceed

        if not can_proceed(request.close):
            raise RequestError(_("Only a fulfilled request can be closed."))
        with core.changing(request, actor=actor):
            request.close()
    return request


def close_fulfilled_requests(*, limit: int = 500) -> int:
    """Close, as the system, fulfilled requests the requester did not confirm within the configured days."""
    from datetime import timedelta

    from django.conf import settings

    cutoff = timezone.now() - timedelta(days=settings.CATALOG_CLOSE_FULFILLED_AFTER_DAYS)
    due = ServiceRequest.objects.filter(state=R.FULFILLED, fulfilled_at__lte=cutoff).order_by("fulfilled_at")
    closed = 0
    for request in due[:limit]:
        with transaction.atomic():
            request = core.lock_ticket(request)
            if request.state != R.FULFILLED:
                continue  # closed by a person meanwhile
            with core.changing(request, actor=None, reason=_("Closed automatically after delivery.")):
                request.close()
        closed += 1
    return closed


# -- automation -----------------------------------------------------------------------------------------


def record_automation_attempt(*, task: FulfilmentTask, error: str = "") -> FulfilmentTask:
    """Count one attempt of a task's automation; after the last failed one, hand the task to its group."""
    with transaction.atomic():
        task = core.lock_ticket(task)
        task.attempts += 1
        task.last_error = error[:2000]
        task.save(update_fields=["attempts", "last_error"])
    return task


def hand_over_failed_automation(*, task: FulfilmentTask, error: str) -> bool:
    """The automation gave up: the task stays Open in its group's queue, and the group's manager is told.

    Recorded as a system event on the task (no person wrote it); False when the task was no longer Open.
    """
    from servicedesk.models import NotificationTopic
    from servicedesk.notifications import notify

    with transaction.atomic():
        task = core.lock_ticket(task)
        if task.state != TaskState.OPEN:
            return False
        with core.changing(task, actor=None) as change:
            event = TicketEvent(
                kind=EventKind.FIELD,
                field="automation",
                old_display=_("automated"),
                new_display=_("handed to the group after %(count)d failed attempts") % {"count": task.attempts},
                reason=error[:500],
            )
            change.add_event(event)
            task.automation = {**task.automation, "handed_over": True}
        manager_id = task.assignment_group.manager_id if task.assignment_group else None
        if manager_id:
            notify(event, [manager_id], NotificationTopic.ESCALATED)
    return True


def complete_automated_task(*, task: FulfilmentTask, status_code: int) -> bool:
    """The webhook answered: the task is done, unless someone finished or took it over meanwhile."""
    with transaction.atomic():
        task = core.lock_ticket(task)
        if task.state != TaskState.OPEN or task.automation.get("handed_over"):
            return False
        with core.changing(task, actor=None):
            task.complete(notes=_("Completed by automation (HTTP %(status)d).") % {"status": status_code})
        _after_task_finished(task, None)
    return True


# -- the cart ---------------------------------------------------------------------------------------------


def add_to_cart(*, actor, version: CatalogItemVersion, quantity: int, answers: list) -> CartLine:
    """Keep a validated order line for checkout later; a file answer is staged until then."""
    from django.core.files.uploadedfile import UploadedFile

    from .form_engine import answer_to_json

    _check_line(actor, OrderLine(version=version, quantity=quantity))
    stored = []
    with transaction.atomic():
        for answer in answers:
            entry = answer_to_json(answer)
            if isinstance(answer.value, UploadedFile):
                core.validate_uploads([answer.value])
                staged = StagedUpload(
                    owner=actor,
                    filename=answer.value.name[:255],
                    size=answer.value.size,
                    content_type=answer.value.content_type or "application/octet-stream",
                )
                staged.file.save(answer.value.name, answer.value, save=True)
                entry["value"] = {"filename": staged.filename, "staged": staged.pk}
            stored.append(entry)
        return CartLine.objects.create(owner=actor, item_version=version, quantity=quantity, answers=stored)


def remove_from_cart(*, actor, line_id: int) -> None:

    line = CartLine.objects.filter(owner=actor, pk=line_id).first()
    if line is None:
        return
    _delete_staged(actor, [line])
    line.delete()


def checkout(*, actor, requested_for=None, note: str = "") -> ServiceRequest:
    """Order everything in the cart as one request; the cart is emptied only when the order went through."""

    cart = list(CartLine.objects.filter(owner=actor).select_related("item_version__item"))
    if not cart:
        raise RequestError(_("Your cart is empty."))
    lines = [
        OrderLine(version=line.item_version, quantity=line.quantity, answers=_typed_answers(actor, line))
        for line in cart
    ]
    with transaction.atomic():
        request = submit_request(actor=actor, lines=lines, requested_for=requested_for, note=note)
        _delete_staged(actor, cart)
        CartLine.objects.filter(pk__in=[line.pk for line in cart]).delete()
    return request


def _typed_answers(actor, line) -> list:
    """Cart answers (JSON) back to typed values; a person or CI gone since is a clear refusal."""
    from django.core.files import File

    from cmdb.models import ConfigurationItem

    from .form_engine import TypedAnswer

    typed = []
    for entry in line.answers:
        value = entry["value"]
        match entry["type"]:
            case "number":
                value = Decimal(value)
            case "date":
                value = date.fromisoformat(value)
            case "user":
                value = get_user_model().objects.filter(pk=value["id"], is_active=True).first()
            case "ci":
                value = ConfigurationItem.objects.visible_to(actor).filter(pk=value["id"]).first()
            case "attachment":
                staged = StagedUpload.objects.filter(owner=actor, pk=value.get("staged")).first()
                value = None if staged is None else File(staged.file.open("rb"), name=staged.filename)
        if value is None:
            raise RequestError(
                _("%(item)s: the answer to “%(question)s” is no longer available; remove the item and order it again.")
                % {"item": line.item_version.item.name, "question": entry["label"]}
            )
        typed.append(TypedAnswer(entry["key"], entry["label"], entry["type"], value, entry["display"]))
    return typed


def _delete_staged(actor, cart_lines) -> None:

    ids = [
        entry["value"]["staged"]
        for line in cart_lines
        for entry in line.answers
        if entry["type"] == "attachment" and isinstance(entry["value"], dict) and entry["value"].get("staged")
    ]
    for staged in StagedUpload.objects.filter(owner=actor, pk__in=ids):
        name, storage = staged.file.name, staged.file.storage
        transaction.on_commit(lambda n=name, s=storage: s.delete(n))
        staged.delete()
