"""Who may read the CMDB desk pages: desk engineers and managers, CMDB and Change Managers, superusers.

The CMDB is the bottom layer and does not import ``servicedesk.roles``; it names the role groups itself
(tests check the names agree). End users read no CMDB page: they meet CIs only as choices in forms.
"""

import rules

from .rules import MANAGING_ROLES, is_cmdb_manager

READER_ROLES = frozenset({"Agent L1", "Agent L2", "Service Desk Manager", "Change Manager", *MANAGING_ROLES})


@rules.predicate
def can_read_cmdb(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_itsm_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._itsm_role_names = cached
    return bool(cached & READER_ROLES)


rules.add_perm("cmdb.read_cmdb", can_read_cmdb)
rules.add_perm("cmdb.manage_cmdb", is_cmdb_manager)
