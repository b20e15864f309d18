"""How requests and tasks react to changes the core records (registered in RequestsCatalogConfig.ready)."""

from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind

from .choices import TaskState


def resume_task_on_requester_reply(*, ticket, events) -> None:
    """The requester answered on the request: tasks that waited for them are In Progress again."""
    if ticket.kind != "request":
        return
    people = {ticket.requester_id, getattr(ticket, "requested_for_id", None)}
    reply = next((e for e in events if e.kind == EventKind.COMMENT and e.actor_id in people), None)
    if reply is None:
        return
    from .models import FulfilmentTask

    # Tasks are normally locked before their request; here the request is locked first, so a task a fulfiller
    # holds right now is skipped rather than waited for (no deadlock; the fulfiller is on it anyway).
    waiting = (
        FulfilmentTask.objects.select_for_update(of=("self", "ticket_ptr"), no_key=True, skip_locked=True)
        .select_related("requester", "assignment_group", "assignee")
        .filter(request_id=ticket.pk, state=TaskState.AWAITING_REQUESTER)
    )
    for task in waiting:
        with core.changing(task, actor=reply.actor, reason=_("The requester answered.")):
            task.start_work()
