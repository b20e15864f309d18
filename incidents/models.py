"""The incident practice: its ticket kind with a full lifecycle, and the configuration that drives it.

Configuration (admin): the policy (reopen window, auto-close), the impact x urgency priority matrix,
the category tree and the ordered assignment rules.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from servicedesk.choices import Channel, Priority
from servicedesk.models import Ticket

from .choices import HoldReason, Impact, IncidentState, ResolutionCode, Urgency
from .rules import can_cancel, can_confirm, can_resume, can_work

S = IncidentState
OPEN_STATES = [S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD]


class IncidentPolicy(models.Model):
    """The desk's incident settings (one row): how long a resolution may be reopened, when it closes itself."""

    reopen_window_days = models.PositiveSmallIntegerField(
        _("reopen window (days)"), default=7, help_text=_("A requester may reopen a resolved incident this long.")
    )
    auto_close_after_days = models.PositiveSmallIntegerField(
        _("close resolved incidents after (days)"),
        default=3,
        help_text=_("Resolved incidents the requester did not confirm close themselves after this many days."),
    )

    class Meta:
        verbose_name = _("incident policy")
        verbose_name_plural = _("incident policy")

    def __str__(self) -> str:
        return str(_("Incident policy"))

    @classmethod
    def current(cls) -> "IncidentPolicy":
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls.objects.create()


class PriorityMatrixEntry(models.Model):
    """One cell of the impact x urgency matrix: which priority that pair gives."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority matrix entry")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="one_priority_per_impact_urgency")]

    def __str__(self) -> str:
        return f"{self.get_impact_display()} x {self.get_urgency_display()} = {self.get_priority_display()}"


class Category(models.Model):
    """A category (no parent) or a subcategory (with one) of incidents; skills route to the right engineer."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subcategories",
        verbose_name=_("parent category"),
    )
    skills = models.ManyToManyField(
        "servicedesk.Skill",
        blank=True,
        related_name="incident_categories",
        verbose_name=_("skills"),
        help_text=_("Routing prefers engineers with one of these skills."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(parent__isnull=True), name="category_unique_top_level_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class AssignmentRule(models.Model):
    """Routing: the first active rule (by order) whose conditions all match picks the group."""

    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveIntegerField(_("order"), default=100, help_text=_("Lower runs first; first match wins."))
    is_active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    subcategory = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("subcategory")
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("affected service"),
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=500,
        blank=True,
        help_text=_("Comma-separated; matches when any appears in the title or description (any case)."),
    )
    group = models.ForeignKey(
        "servicedesk.AssignmentGroup", on_delete=models.PROTECT, related_name="+", verbose_name=_("assign to group")
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("assignment rule")
        verbose_name_plural = _("assignment rules")

    def __str__(self) -> str:
        return f"{self.order}: {self.name}"

    def keyword_list(self) -> list[str]:
        return [word.strip().lower() for word in self.keywords.split(",") if word.strip()]


class RoutingLedger(models.Model):
    """When routing last gave an engineer an incident in a group: breaks ties round-robin."""

    group = models.ForeignKey("servicedesk.AssignmentGroup", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    last_assigned_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_ledger_row_per_group_user")]

    def __str__(self) -> str:
        return f"{self.group_id}/{self.user_id} @ {self.last_assigned_at}"


def within_reopen_window(incident: "Incident") -> bool:
    """django-fsm condition: the resolution is recent enough to be reopened."""
    if incident.resolved_at is None:
        return False
    window = timedelta(days=IncidentPolicy.current().reopen_window_days)
    return timezone.now() - incident.resolved_at <= window


def has_assignee(incident: "Incident") -> bool:
    return incident.assignee_id is not None


class Incident(Ticket):
    """An unplanned interruption or degradation of a service, to be restored as fast as possible."""

    KIND = "incident"

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.LOW)
    priority_overridden = models.BooleanField(
        _("priority set by hand"), default=False, help_text=_("The matrix no longer sets the priority.")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("category")
    )
    subcategory = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("subcategory")
    )
    affected_service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("affected service"),
    )
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("configuration item"),
    )
    on_hold_reason = models.CharField(_("on hold reason"), max_length=32, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=32, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("reopened"), default=0)
    routing_reason = models.TextField(_("routing reason"), blank=True)
    manager_escalated_at = models.DateTimeField(_("escalated to the manager"), null=True, blank=True)
    is_major = models.BooleanField(_("major incident"), default=False)
    major_announcement = models.TextField(
        _("announcement"), blank=True, help_text=_("Shown as a banner to the affected users while it is open.")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent (major) incident"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["is_major"], condition=models.Q(is_major=True), name="incident_major"),
        ]

    # Transitions: services call these (views never assign a state); each carries who may run it.

    @transition(field="state", source=S.NEW, target=S.ASSIGNED, conditions=[has_assignee], permission=can_work)
    def mark_assigned(self):
        """An engineer has been named: the incident waits for them to start."""

    @transition(field="state", source=S.ASSIGNED, target=S.NEW, permission=can_work)
    def mark_unassigned(self):
        """The engineer was taken off before work started."""

    @transition(field="state", source=[S.NEW, S.ASSIGNED], target=S.IN_PROGRESS, permission=can_work)
    def start_work(self):
        """An engineer works on it."""

    @transition(field="state", source=[S.ASSIGNED, S.IN_PROGRESS], target=S.ON_HOLD, permission=can_work)
    def put_on_hold(self, *, hold_reason: str):
        """Waiting for someone else: the caller, a vendor, a change or a problem."""
        self.on_hold_reason = hold_reason

    @transition(field="state", source=S.ON_HOLD, target=S.IN_PROGRESS, permission=can_resume)
    def resume(self):
        """What it waited for has come (a caller's reply resumes it by itself)."""
        self.on_hold_reason = ""

    @transition(field="state", source=OPEN_STATES, target=S.RESOLVED, permission=can_work)
    def resolve(self, *, code: str, notes: str):
        """Service restored: the requester is asked to confirm."""
        self.resolution_code = code
        self.resolution_notes = notes
        self.on_hold_reason = ""
        self.resolved_at = timezone.now()

    @transition(field="state", source=S.RESOLVED, target=S.CLOSED, permission=can_confirm)
    def close(self):
        """The requester accepted the resolution (or the confirmation period ran out)."""
        self.closed_at = timezone.now()

    @transition(
        field="state",
        source=S.RESOLVED,
        target=S.IN_PROGRESS,
        conditions=[within_reopen_window],
        permission=can_confirm,
    )
    def reopen(self):
        """The requester says it is not solved, within the reopen window."""
        self.resolved_at = None
        self.resolution_code = ""
        self.resolution_notes = ""
        self.reopen_count += 1

    @transition(field="state", source=OPEN_STATES, target=S.CANCELLED, permission=can_cancel)
    def cancel(self):
        """Withdrawn: by its requester while New, or by the desk."""
        self.on_hold_reason = ""
        self.closed_at = timezone.now()

    @transition(field="state", source=OPEN_STATES, target=S.CLOSED, permission=can_work)
    def close_as_duplicate(self, *, original: "Incident"):
        """Merged into another incident, which carries the work from here."""
        self.merged_into = original
        self.resolution_code = ResolutionCode.DUPLICATE
        self.resolution_notes = str(_("Merged into %(number)s.") % {"number": original.number})
        self.on_hold_reason = ""
        self.resolved_at = self.closed_at = timezone.now()
