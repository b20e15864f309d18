"""Incident states, hold reasons, impact, urgency and resolution codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In Progress")
    ON_HOLD = "on_hold", _("On Hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class HoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", _("Awaiting caller")
    AWAITING_VENDOR = "awaiting_vendor", _("Awaiting vendor")
    AWAITING_CHANGE = "awaiting_change", _("Awaiting change")
    AWAITING_PROBLEM = "awaiting_problem", _("Awaiting problem")


class Impact(models.IntegerChoices):
    HIGH = 1, _("1 - High (many users or a whole service)")
    MEDIUM = 2, _("2 - Medium (a team or a site)")
    LOW = 3, _("3 - Low (one user)")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("1 - High (work has stopped)")
    MEDIUM = 2, _("2 - Medium (work is slowed down)")
    LOW = 3, _("3 - Low (a workaround exists)")


class ResolutionCode(models.TextChoices):
    SOLVED_WORKAROUND = "workaround", _("Solved (workaround)")
    SOLVED_PERMANENTLY = "permanent", _("Solved (permanently)")
    SOLVED_REMOTELY = "remote", _("Solved remotely")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User instruction / error")
