"""Enumerations of the catalog and request practice."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class RequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    FULFILLED = "fulfilled", _("Fulfilled")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ItemState(models.TextChoices):
    """Where one line of a request stands (the request sums its lines up)."""

    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    FULFILLED = "fulfilled", _("Fulfilled")
    CANCELLED = "cancelled", _("Cancelled")


class TaskState(models.TextChoices):
    # Contexts: "Open" and "Pending" mean other things elsewhere (a portal tab, a notification's status).
    PENDING = "pending", pgettext_lazy("task state", "Pending")
    OPEN = "open", pgettext_lazy("task state", "Open")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_REQUESTER = "awaiting_requester", _("Awaiting requester")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ApproverType(models.TextChoices):
    MANAGER = "manager", _("The requester's manager")
    GROUP_ANY = "group_any", _("A group: any one member")
    GROUP_ALL = "group_all", _("A group: every member")
    USER = "user", _("A named person")


class ApprovalState(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier step")
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # Another member of a group approved first, the request ended, or an auto-approval condition held.
    NOT_NEEDED = "not_needed", _("No longer needed")


class ConditionOperator(models.TextChoices):
    LT = "lt", "<"
    LTE = "lte", "≤"
    EQ = "eq", "="
    NE = "ne", "≠"
    GTE = "gte", "≥"
    GT = "gt", ">"


class AutomationAction(models.TextChoices):
    NONE = "", _("None: people fulfil it")
    WEBHOOK = "webhook", _("Call a webhook with the answers as JSON")


class FieldType(models.TextChoices):
    """The question types an order form offers (the form engine builds one form field per type)."""

    TEXT = "text", _("Text")
    TEXTAREA = "textarea", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    MULTICHOICE = "multichoice", _("Multiple choice")
    USER = "user", _("Person")
    CI = "ci", _("Configuration item")
    ATTACHMENT = "attachment", _("Attachment")
    CHECKBOX = "checkbox", _("Checkbox")
