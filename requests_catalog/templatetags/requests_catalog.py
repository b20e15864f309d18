"""Template helpers of the request pages: the lines of a request, in plain language."""

from django import template
from django.utils.translation import gettext as _

from .. import selectors
from ..choices import ApprovalState, ItemState, TaskState

register = template.Library()


@register.simple_tag
def request_lines(ticket):
    """The request's lines with answers, approvals and tasks (three queries, whatever their number)."""
    return selectors.request_lines(ticket)


@register.simple_tag
def task_request_lines(task):
    """On a task page: the line the task fulfils (with its answers) and its request."""
    return [line for line in selectors.request_lines(task.request) if line.pk == task.line_id]


@register.filter
def approval_steps(line):
    """The line's approval rows grouped by step, in order: [(step name, [approvals])]."""
    steps: dict[int, tuple[str, list]] = {}
    for approval in line.approvals.all():
        steps.setdefault(approval.step, (approval.step_name, []))[1].append(approval)
    return [steps[key] for key in sorted(steps)]


@register.filter
def line_progress(line) -> str:
    """Where a requested item stands, said as a requester would."""
    if line.state == ItemState.AWAITING_APPROVAL:
        waiting = [a for a in line.approvals.all() if a.state == ApprovalState.REQUESTED]
        names = sorted({(a.approver.get_full_name() or a.approver.get_username()) for a in waiting if a.approver})
        step = waiting[0].step_name if waiting else ""
        return _("Waiting for approval: %(step)s (%(people)s)") % {"step": step, "people": ", ".join(names)}
    if line.state == ItemState.IN_FULFILMENT:
        tasks = list(line.tasks.all())
        done = sum(1 for t in tasks if t.state in (TaskState.DONE, TaskState.CANCELLED))
        return _("Being delivered: %(done)d of %(total)d steps done") % {"done": done, "total": len(tasks)}
    return line.get_state_display()


@register.filter
def task_public_state(task) -> str:
    return {
        TaskState.PENDING: _("Not started: waits for an earlier step"),
        TaskState.OPEN: _("Queued with %(group)s"),
        TaskState.IN_PROGRESS: _("%(group)s is working on it"),
        TaskState.AWAITING_REQUESTER: _("Waiting for your answer"),
        TaskState.DONE: _("Done"),
        TaskState.CANCELLED: _("Cancelled"),
    }.get(task.state, task.state) % {"group": task.assignment_group.name if task.assignment_group else _("the team")}
