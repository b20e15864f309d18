"""The service catalog and request fulfilment.

Configuration (admin): nested categories; items with their order form, approval chain and fulfilment
workflow as rows an administrator edits. Saving an item publishes an immutable `CatalogItemVersion`
(the same JSON an export writes); requests keep the version they were ordered under, and approvals and
tasks are made from that version, never from the rows being edited.

Work: a `ServiceRequest` (a ticket kind) holds `RequestItem` lines (a cart), each with typed answers,
an approval trail and `FulfilmentTask`s (a ticket kind of their own, so the desk's queues work them).
"""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from servicedesk.models import AssignmentGroup, Attachment, Department, Ticket

from .choices import (
    ApprovalState,
    ApproverType,
    AutomationAction,
    ConditionOperator,
    FieldType,
    ItemState,
    RequestState,
    TaskState,
)

R = RequestState
T = TaskState

# -- the catalog ------------------------------------------------------------------------------------


class CatalogCategory(models.Model):
    """A shelf of the catalog (Infrastructure services > Network …); nested to any depth."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(
        _("icon"), max_length=50, blank=True, help_text=_("A Bootstrap Icons name, e.g. laptop or hdd-network.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catalog category")
        verbose_name_plural = _("catalog categories")
        constraints = [
            # NULLS NOT DISTINCT: two top-level categories may not share a name either.
            models.UniqueConstraint(
                fields=["parent", "name"], name="catalog_category_unique_name", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return " › ".join(category.name for category in self.path())

    def path(self) -> list["CatalogCategory"]:
        """This category and its ancestors, root first (cycle-safe)."""
        chain, seen, node = [], set(), self
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain[::-1]


class CatalogItemQuerySet(models.QuerySet):
    def orderable(self):
        return self.filter(is_active=True, current_version__isnull=False)


class CatalogItem(models.Model):
    """Something an end user can order. Its rows are the draft; `current_version` is what the portal offers."""

    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=_("Identifies the item across instances (export/import).")
    )
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        CatalogCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    short_description = models.CharField(_("short description"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    icon = models.CharField(_("icon"), max_length=50, blank=True, help_text=_("A Bootstrap Icons name."))
    expected_delivery_days = models.PositiveSmallIntegerField(_("expected delivery (business days)"), default=5)
    cost = models.DecimalField(
        _("cost"), max_digits=12, decimal_places=2, null=True, blank=True, help_text=_("Per unit; empty when free.")
    )
    is_standard = models.BooleanField(
        _("standard (pre-approved)"), default=False, help_text=_("Skips the approval chain.")
    )
    fulfilment_group = models.ForeignKey(
        AssignmentGroup,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fulfilment group"),
        help_text=_("Handles the request, and the tasks that name no group of their own."),
    )
    allowed_groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        verbose_name=_("may be ordered by groups"),
        help_text=_("Empty, with no departments either: everyone may order it."),
    )
    allowed_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="+",
        verbose_name=_("may be ordered by departments"),
        help_text=_("Includes the departments below these."),
    )
    max_quantity = models.PositiveSmallIntegerField(_("largest quantity per order"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "CatalogItemVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("current version"),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)

    objects = CatalogItemQuerySet.as_manager()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        indexes = [models.Index(fields=["category", "position"], name="catalog_item_category")]

    def __str__(self) -> str:
        return self.name


class ItemField(models.Model):
    """One question of an item's order form (see `form_engine` for what each setting means)."""

    class ShowIf(models.TextChoices):
        EQUALS = "equals", _("equals")
        IN = "in", _("is one of (comma-separated)")
        CHECKED = "checked", _("is ticked (true/false)")

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="fields")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    key = models.SlugField(_("key"), max_length=50, help_text=_("Lower case letters, digits and _; unique per form."))
    label = models.CharField(_("label"), max_length=200)
    field_type = models.CharField(_("type"), max_length=16, choices=FieldType.choices)
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    default = models.JSONField(_("default"), null=True, blank=True, help_text=_('JSON: "text", 16, true, ["a"]'))
    choices = models.TextField(
        _("choices"), blank=True, help_text=_("One per line: value|label (label optional). Choice fields only.")
    )
    regex = models.CharField(_("pattern"), max_length=300, blank=True, help_text=_("Text must match it entirely."))
    regex_message = models.CharField(_("pattern message"), max_length=200, blank=True)
    min_value = models.CharField(
        _("minimum"), max_length=30, blank=True, help_text=_("Number, text length, date (YYYY-MM-DD or today), picks.")
    )
    max_value = models.CharField(_("maximum"), max_length=30, blank=True)
    ci_types = models.CharField(
        _("CI types"), max_length=200, blank=True, help_text=_("CI picker: comma-separated types it offers.")
    )
    show_if_field = models.CharField(
        _("show if field"), max_length=50, blank=True, help_text=_("Key of an earlier field; empty: always shown.")
    )
    show_if_operator = models.CharField(
        _("show if"), max_length=8, choices=ShowIf.choices, default=ShowIf.EQUALS, blank=True
    )
    show_if_value = models.CharField(_("show if value"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="item_field_unique_key")]

    def __str__(self) -> str:
        return self.label


class ApprovalStep(models.Model):
    """One step of an item's approval chain; steps run in order, each must approve before the next is asked."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="approval_steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100, blank=True)
    approver_type = models.CharField(_("approver"), max_length=16, choices=ApproverType.choices)
    group = models.ForeignKey(
        AssignmentGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("group")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    auto_approve_field = models.CharField(
        _("auto-approve when"),
        max_length=50,
        blank=True,
        help_text=_("total_cost, quantity, or the key of a form field; empty: never auto-approved."),
    )
    auto_approve_operator = models.CharField(_("operator"), max_length=4, choices=ConditionOperator.choices, blank=True)
    auto_approve_value = models.CharField(_("value"), max_length=100, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval chain")
        constraints = [
            models.CheckConstraint(
                condition=~Q(approver_type__in=["group_any", "group_all"]) | Q(group__isnull=False),
                name="approval_step_group_needs_group",
            ),
            models.CheckConstraint(
                condition=~Q(approver_type="user") | Q(user__isnull=False), name="approval_step_user_needs_user"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.get_approver_type_display()


class TaskTemplate(models.Model):
    """One fulfilment task of an item's workflow; tasks of one step run in parallel, steps in order."""

    item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="task_templates")
    step = models.PositiveSmallIntegerField(_("step"), default=1, help_text=_("Tasks with the same step run together."))
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True, help_text=_("Markdown."))
    group = models.ForeignKey(
        AssignmentGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
        help_text=_("Empty: the item's fulfilment group."),
    )
    action = models.CharField(
        _("automation"), max_length=16, choices=AutomationAction.choices, default=AutomationAction.NONE, blank=True
    )
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_headers = models.JSONField(
        _("webhook headers"), default=dict, blank=True, help_text=_('JSON object, e.g. {"Authorization": "Bearer …"}')
    )
    max_attempts = models.PositiveSmallIntegerField(_("attempts before handing over"), default=5)

    class Meta:
        ordering = ["step", "pk"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment workflow")
        constraints = [
            models.CheckConstraint(
                condition=~Q(action="webhook") | ~Q(webhook_url=""), name="task_template_webhook_needs_url"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class CatalogItemVersion(models.Model):
    """An immutable snapshot of an item's whole definition, in the export format; requests point at one."""

    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    checksum = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("catalog item version")
        verbose_name_plural = _("catalog item versions")
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="catalog_item_version_unique")]

    def __str__(self) -> str:
        return f"{self.item} v{self.number}"

    @property
    def form(self) -> list[dict]:
        return self.definition.get("form", [])


# -- requests ---------------------------------------------------------------------------------------


class ServiceRequest(Ticket):
    """An order from the catalog: one or more items, approved per item, fulfilled by tasks."""

    KIND = "request"

    requested_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requests_for_me",
        verbose_name=_("requested for"),
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), blank=True)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def save(self, *args, **kwargs):
        self.kind = self.KIND
        super().save(*args, **kwargs)

    # Transitions: services call them under the ticket's row lock; `commit_ticket_change` records them.
    @transition(field="state", source=R.SUBMITTED, target=R.AWAITING_APPROVAL)
    def await_approval(self):
        pass

    @transition(field="state", source=[R.SUBMITTED, R.AWAITING_APPROVAL], target=R.APPROVED)
    def approve(self):
        pass

    @transition(field="state", source=[R.SUBMITTED, R.AWAITING_APPROVAL], target=R.REJECTED)
    def reject(self, reason: str):
        self.rejection_reason = reason
        self.resolved_at = self.closed_at = timezone.now()

    @transition(field="state", source=R.APPROVED, target=R.IN_FULFILMENT)
    def start_fulfilment(self):
        pass

    @transition(field="state", source=R.IN_FULFILMENT, target=R.FULFILLED)
    def fulfil(self):
        self.fulfilled_at = self.resolved_at = timezone.now()

    @transition(field="state", source=R.FULFILLED, target=R.CLOSED)
    def close(self):
        self.closed_at = timezone.now()

    @transition(field="state", source=[R.SUBMITTED, R.AWAITING_APPROVAL, R.APPROVED], target=R.CANCELLED)
    def cancel(self, reason: str):
        self.cancel_reason = reason
        self.closed_at = timezone.now()


class RequestItem(models.Model):
    """One line of a request: an item, ordered under one version, with its answers, approvals and tasks."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    item_version = models.ForeignKey(
        CatalogItemVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("version")
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    unit_cost = models.DecimalField(_("unit cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    state = models.CharField(_("state"), max_length=24, choices=ItemState.choices, default=ItemState.AWAITING_APPROVAL)
    # Index of the approval step now asked, and the fulfilment step now running.
    approval_step = models.PositiveSmallIntegerField(default=0)
    current_step = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["request", "position", "pk"]
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item}"

    @property
    def total_cost(self):
        return None if self.unit_cost is None else self.unit_cost * self.quantity


class RequestAnswer(models.Model):
    """One typed answer of a requested item's form; the label is kept as it read when ordered."""

    line = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField(default=0)
    key = models.CharField(max_length=50)
    label = models.CharField(max_length=200)
    field_type = models.CharField(max_length=16)
    value_text = models.TextField(blank=True)
    value_number = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True)
    value_date = models.DateField(null=True, blank=True)
    value_bool = models.BooleanField(null=True, blank=True)
    value_list = models.JSONField(null=True, blank=True)
    value_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value_ci = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    value_attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    display = models.TextField(blank=True)

    class Meta:
        ordering = ["line", "position"]
        constraints = [models.UniqueConstraint(fields=["line", "key"], name="request_answer_unique_key")]

    def __str__(self) -> str:
        return f"{self.label}: {self.display}"

    @property
    def value(self):
        """The answer as the form engine typed it (number, date, bool, list, user, CI, attachment or text)."""
        return {
            "number": self.value_number,
            "date": self.value_date,
            "checkbox": self.value_bool,
            "multichoice": self.value_list,
            "user": self.value_user,
            "ci": self.value_ci,
            "attachment": self.value_attachment,
        }.get(self.field_type, self.value_text)


class Approval(models.Model):
    """One approver's decision on one step of a requested item's chain (a group step has one row per member)."""

    line = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="approvals")
    step = models.PositiveSmallIntegerField(_("step"))
    step_name = models.CharField(_("step"), max_length=100)
    approver_type = models.CharField(max_length=16, choices=ApproverType.choices)
    # Empty for a step approved by its condition.
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="approvals"
    )
    state = models.CharField(_("state"), max_length=16, choices=ApprovalState.choices, default=ApprovalState.WAITING)
    # Who pressed the button: the approver, or someone they delegated to while away.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    comment = models.TextField(_("comment"), blank=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["line", "step", "pk"]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "step", "approver"], condition=Q(approver__isnull=False), name="approval_once_per_step"
            )
        ]
        indexes = [
            # "My approvals": what waits for one person.
            models.Index(
                fields=["approver", "requested_at"], condition=Q(state="requested"), name="approval_pending_by_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.line_id} step {self.step}: {self.approver_id} {self.state}"


class ApprovalDelegation(models.Model):
    """While `delegator` is away (from starts_on to ends_on, inclusive), `delegate` may decide their approvals."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_given")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="delegations_received"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="delegation_ends_after_start"),
            models.CheckConstraint(condition=~Q(delegate=models.F("delegator")), name="delegation_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.starts_on}–{self.ends_on})"


class FulfilmentTask(Ticket):
    """A piece of work that fulfils a requested item; worked in the desk's queues like any ticket."""

    KIND = "task"

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="tasks")
    line = models.ForeignKey(RequestItem, on_delete=models.PROTECT, related_name="tasks")
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    instructions = models.TextField(_("instructions"), blank=True)
    # The automation, copied from the item version: {"action": "webhook", "url": …, "headers": {…}, "max_attempts": n}
    automation = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    completion_notes = models.TextField(_("completion notes"), blank=True)

    class Meta:
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")
        indexes = [models.Index(fields=["line", "step"], name="task_line_step")]

    def save(self, *args, **kwargs):
        self.kind = self.KIND
        super().save(*args, **kwargs)

    @property
    def is_automated(self) -> bool:
        return bool(self.automation.get("action"))

    @transition(field="state", source=T.PENDING, target=T.OPEN)
    def release(self):
        pass

    @transition(field="state", source=[T.OPEN, T.AWAITING_REQUESTER], target=T.IN_PROGRESS)
    def start_work(self):
        pass

    @transition(field="state", source=[T.OPEN, T.IN_PROGRESS], target=T.AWAITING_REQUESTER)
    def ask_requester(self):
        pass

    @transition(field="state", source=[T.OPEN, T.IN_PROGRESS, T.AWAITING_REQUESTER], target=T.DONE)
    def complete(self, notes: str):
        self.completion_notes = notes
        self.resolved_at = self.closed_at = timezone.now()

    @transition(field="state", source=[T.PENDING, T.OPEN, T.IN_PROGRESS, T.AWAITING_REQUESTER], target=T.CANCELLED)
    def cancel(self):
        self.closed_at = timezone.now()


class CartLine(models.Model):
    """An item in a person's cart, with answers already validated (JSON-safe, see `form_engine.json_value`)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cart_lines")
    item_version = models.ForeignKey(CatalogItemVersion, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveSmallIntegerField(default=1)
    answers = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.item_version}"


def staged_upload_path(instance: "StagedUpload", filename: str) -> str:
    import uuid

    return f"staged/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class StagedUpload(models.Model):
    """A file answered in a cart line, kept until checkout turns it into an attachment of the request."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=staged_upload_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return self.filename
