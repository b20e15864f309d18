"""The roles (Django auth groups) the portal knows, created by a data migration.

Names are stored in English in the database and translated for display.
"""

from django.utils.translation import gettext_lazy as _

REQUESTER = "Requester"
AGENT_L1 = "Agent L1"
AGENT_L2 = "Agent L2"
SERVICE_DESK_MANAGER = "Service Desk Manager"
CHANGE_MANAGER = "Change Manager"
KNOWLEDGE_EDITOR = "Knowledge Editor"
CMDB_MANAGER = "CMDB Manager"
ADMINISTRATOR = "Administrator"

ALL_ROLES = (
    REQUESTER,
    AGENT_L1,
    AGENT_L2,
    SERVICE_DESK_MANAGER,
    CHANGE_MANAGER,
    KNOWLEDGE_EDITOR,
    CMDB_MANAGER,
    ADMINISTRATOR,
)

ROLE_LABELS = {
    REQUESTER: _("Requester"),
    AGENT_L1: _("Agent L1"),
    AGENT_L2: _("Agent L2"),
    SERVICE_DESK_MANAGER: _("Service Desk Manager"),
    CHANGE_MANAGER: _("Change Manager"),
    KNOWLEDGE_EDITOR: _("Knowledge Editor"),
    CMDB_MANAGER: _("CMDB Manager"),
    ADMINISTRATOR: _("Administrator"),
}

# Roles that work in the desk (see every ticket in their support groups).
DESK_ROLES = frozenset({AGENT_L1, AGENT_L2, SERVICE_DESK_MANAGER, ADMINISTRATOR})
# Roles that see every ticket, whatever its group.
ALL_TICKETS_ROLES = frozenset({SERVICE_DESK_MANAGER, ADMINISTRATOR})


def role_names(user) -> frozenset[str]:
    """The user's role names, cached on the user object for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_itsm_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._itsm_role_names = cached
    return cached
