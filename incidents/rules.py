"""Who may run each incident transition (django-rules predicates, used as django-fsm `permission=`)."""

import rules

from servicedesk.rules import in_desk_scope, is_requester


def _as_permission(predicate):
    """django-fsm calls permission(instance, user); rules predicates take (user, instance)."""

    def check(instance, user) -> bool:
        return predicate.test(user, instance)

    check.__name__ = predicate.name
    return check


can_work_predicate = in_desk_scope
can_confirm_predicate = is_requester | in_desk_scope
can_cancel_predicate = is_requester | in_desk_scope

rules.add_perm("incidents.work_incident", can_work_predicate)
rules.add_perm("incidents.confirm_incident", can_confirm_predicate)
rules.add_perm("incidents.cancel_incident", can_cancel_predicate)

can_work = _as_permission(can_work_predicate)
can_confirm = _as_permission(can_confirm_predicate)
can_cancel = _as_permission(can_cancel_predicate)
