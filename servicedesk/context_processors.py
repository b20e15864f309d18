"""Values every page's navigation needs."""

from .registry import all_kinds


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    is_agent = bool(user and user.is_authenticated and user.has_perm("servicedesk.access_desk"))
    return {"is_agent": is_agent, "ticket_kinds": all_kinds()}
