"""Who may change the CMDB: CMDB Managers (and Administrators, and superusers); everyone signed in may read it.

The role is the auth group named "CMDB Manager", made by servicedesk's roles migration. The CMDB is the bottom
layer and does not import ``servicedesk.roles``; it names the group itself (tests check the names agree).
"""

import rules

CMDB_MANAGER = "CMDB Manager"
ADMINISTRATOR = "Administrator"
MANAGING_ROLES = (CMDB_MANAGER, ADMINISTRATOR)


@rules.predicate
def is_cmdb_manager(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_itsm_role_names", None)
    if cached is not None:
        return any(role in cached for role in MANAGING_ROLES)
    return user.groups.filter(name__in=MANAGING_ROLES).exists()


can_manage_cmdb = is_cmdb_manager
