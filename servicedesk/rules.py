"""Who may do what with tickets: django-rules predicates, checked by services and views alike."""

import rules

from . import roles
from .models import support_group_ids


@rules.predicate
def is_agent(user) -> bool:
    """Works in the desk: an L1/L2 engineer, a service desk manager or an administrator."""
    return user.is_authenticated and (user.is_superuser or bool(roles.role_names(user) & roles.DESK_ROLES))


@rules.predicate
def sees_all_tickets(user) -> bool:
    return user.is_authenticated and (user.is_superuser or bool(roles.role_names(user) & roles.ALL_TICKETS_ROLES))


@rules.predicate
def is_requester(user, ticket) -> bool:
    return ticket is not None and ticket.requester_id == user.pk


@rules.predicate
def is_watcher(user, ticket) -> bool:
    return ticket is not None and ticket.watchers.filter(pk=user.pk).exists()


@rules.predicate
def works_on_ticket(user, ticket) -> bool:
    """The ticket is the engineer's, their group's, or not yet routed to any group."""
    if ticket is None:
        return False
    return (
        ticket.assignee_id == user.pk
        or ticket.assignment_group_id is None
        or ticket.assignment_group_id in support_group_ids(user)
    )


in_desk_scope = is_agent & (sees_all_tickets | works_on_ticket)
in_portal_scope = is_requester | is_watcher

rules.add_perm("servicedesk.access_desk", is_agent)
rules.add_perm("servicedesk.view_ticket_in_portal", in_portal_scope)
rules.add_perm("servicedesk.reply_in_portal", in_portal_scope)
rules.add_perm("servicedesk.view_ticket_in_desk", in_desk_scope)
rules.add_perm("servicedesk.work_on_ticket", in_desk_scope)
