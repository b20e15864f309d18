"""Incident states and resolution codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In Progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ResolutionCode(models.TextChoices):
    SOLVED_WORKAROUND = "workaround", _("Solved (workaround)")
    SOLVED_PERMANENTLY = "permanent", _("Solved (permanently)")
    SOLVED_REMOTELY = "remote", _("Solved remotely")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    DUPLICATE = "duplicate", _("Duplicate")
    USER_ERROR = "user_error", _("User instruction / error")
