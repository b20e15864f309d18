"""Enumerations shared by every ticket kind, each with a colour for its badge."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    PORTAL = "portal", _("Portal")
    DESK = "desk", _("Service desk")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 - Critical")
    HIGH = 2, _("P2 - High")
    MODERATE = 3, _("P3 - Moderate")
    LOW = 4, _("P4 - Low")
    PLANNING = 5, _("P5 - Planning")


PRIORITY_COLOURS = {
    Priority.CRITICAL: "danger",
    Priority.HIGH: "warning",
    Priority.MODERATE: "info",
    Priority.LOW: "secondary",
    Priority.PLANNING: "light",
}


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    FIELD = "field", _("Field changed")
    STATE = "state", _("State changed")
    COMMENT = "comment", _("Public reply")
    WORK_NOTE = "work_note", _("Work note")
    ATTACHMENT = "attachment", _("Attachment")
    WATCHER = "watcher", _("Watchers changed")
    APPROVAL = "approval", _("Approval")
    # Written by the SLA practice: `field` is "warning" or "breach", `new_display` the human text.
    SLA = "sla", _("SLA")
