"""Values every page's navigation needs."""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .registry import all_kinds, banners_for


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    is_agent = bool(user and user.is_authenticated and user.has_perm("servicedesk.access_desk"))
    return {
        "is_agent": is_agent,
        "ticket_kinds": all_kinds(),
        # Lazy: only a page that renders the banner area (base.html) asks the providers.
        "site_banners": SimpleLazyObject(lambda: _portal_banners(request, user)),
    }


def _portal_banners(request, user) -> list:
    """Banners are for the portal: the desk's pages (and anonymous visitors) get none."""
    if not (user and user.is_authenticated) or request.path.startswith(reverse("servicedesk:desk_queue")):
        return []
    return banners_for(user)
