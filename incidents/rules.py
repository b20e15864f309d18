"""Who may run each incident transition: django-rules predicates, also used as django-fsm `permission=`."""

import rules

from servicedesk.rules import in_desk_scope, is_requester


def _as_permission(predicate):
    """django-fsm calls permission(instance, user); rules predicates take (user, instance)."""

    def check(instance, user) -> bool:
        return predicate.test(user, instance)

    check.__name__ = predicate.name
    return check


@rules.predicate
def work_not_started(user, incident) -> bool:
    """New, or Assigned but nobody has started: routing may name an engineer at once, so both count."""
    return incident is not None and incident.state in ("new", "assigned")


@rules.predicate
def awaits_caller(user, incident) -> bool:
    return incident is not None and incident.state == "on_hold" and incident.on_hold_reason == "awaiting_caller"


@rules.predicate
def is_group_manager(user, incident) -> bool:
    group = incident.assignment_group if incident is not None else None
    return group is not None and group.manager_id == user.pk


can_work_predicate = in_desk_scope
can_confirm_predicate = is_requester | in_desk_scope
can_resume_predicate = in_desk_scope | (is_requester & awaits_caller)
can_cancel_predicate = (is_requester & work_not_started) | in_desk_scope

rules.add_perm("incidents.work_incident", can_work_predicate)
rules.add_perm("incidents.confirm_incident", can_confirm_predicate)
rules.add_perm("incidents.cancel_incident", can_cancel_predicate)
rules.add_perm("incidents.resume_incident", can_resume_predicate)
# Major incidents and merges touch other people's tickets: engineers in scope; promotion also by managers.
rules.add_perm("incidents.promote_major", in_desk_scope)
rules.add_perm("incidents.merge_incidents", in_desk_scope)
rules.add_perm("incidents.override_priority", in_desk_scope)

can_work = _as_permission(can_work_predicate)
can_confirm = _as_permission(can_confirm_predicate)
can_resume = _as_permission(can_resume_predicate)
can_cancel = _as_permission(can_cancel_predicate)
