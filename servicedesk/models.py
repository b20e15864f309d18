"""The shared core tables: support groups, the ticket table, replies, attachments and the activity log."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from . import roles
from .choices import Channel, EventKind, Priority


class AssignmentGroup(models.Model):
    """A support team that tickets are assigned to, with members and a manager."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_groups",
        verbose_name=_("manager"),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="support_groups", verbose_name=_("members")
    )
    is_default = models.BooleanField(
        _("default group"), default=False, help_text=_("New tickets without a group go to this one.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("assignment group")
        verbose_name_plural = _("assignment groups")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_group"),
        ]

    def __str__(self) -> str:
        return self.name


class TicketCounter(models.Model):
    """The last number handed out per ticket kind; incremented under a row lock so numbers never collide."""

    kind = models.CharField(max_length=32, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind}: {self.last_value}"


class TicketQuerySet(models.QuerySet):
    """Every list and lookup of tickets starts from one of these scopes."""

    def for_portal(self, user):
        """Tickets an end user may see in the portal: theirs, or ones they watch."""
        if not user.is_authenticated:
            return self.none()
        from .registry import portal_hidden_kinds

        hidden = portal_hidden_kinds()
        scope = self.exclude(kind__in=hidden) if hidden else self
        # The watched ids are fetched first (a short list) so PostgreSQL can OR two index scans
        # instead of running a correlated subquery over every ticket.
        watched = list(Ticket.watchers.through.objects.filter(user_id=user.pk).values_list("ticket_id", flat=True))
        if not watched:
            return scope.filter(requester_id=user.pk)
        return scope.filter(Q(requester_id=user.pk) | Q(pk__in=watched))

    def for_desk(self, user):
        """Tickets an engineer may work on: their groups' work, theirs, and the unrouted ones."""
        names = roles.role_names(user)
        if user.is_superuser or names & roles.ALL_TICKETS_ROLES:
            return self.all()
        if not names & roles.DESK_ROLES:
            return self.none()
        group_ids = support_group_ids(user)
        return self.filter(
            Q(assignee_id=user.pk) | Q(assignment_group_id__in=group_ids) | Q(assignment_group__isnull=True)
        )

    def open(self):
        return self.filter(is_open=True)


def support_group_ids(user) -> frozenset[int]:
    """Ids of the support groups the user belongs to, cached on the user for the request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_itsm_support_group_ids", None)
    if cached is None:
        cached = frozenset(
            AssignmentGroup.members.through.objects.filter(user_id=user.pk).values_list("assignmentgroup_id", flat=True)
        )
        user._itsm_support_group_ids = cached
    return cached


class Ticket(FSMModelMixin, models.Model):
    """The task table: the columns every practice's record shares (queues and dashboards read only this)."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=32, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="requested_tickets",
        verbose_name=_("requester"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opened_tickets", verbose_name=_("opened by")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.PORTAL)
    assignment_group = models.ForeignKey(
        AssignmentGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("assignment group"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.LOW)
    # Each kind's state machine drives this column (transitions live on the practice's model).
    state = FSMField(_("state"), max_length=32, default="new", protected=True)
    # Denormalised from the kind's states so queues filter on one indexed boolean.
    is_open = models.BooleanField(_("open"), default=True, editable=False)
    # Bumped on every change: forms carry it to detect "changed meanwhile".
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now, editable=False)
    # The nearest deadline of the ticket's running SLA clocks, kept by the sla app, so queues sort and filter
    # by time to breach from the ticket table alone.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="watched_tickets", verbose_name=_("watchers")
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            # Queues: open tickets by priority then age, overall, per group and per assignee.
            # The columns queue filters test ride along (INCLUDE), so the capped count of a filtered queue is an
            # index-only scan that stops after the cap instead of visiting thousands of table pages.
            models.Index(
                fields=["priority", "created_at"],
                condition=Q(is_open=True),
                include=["state", "assignment_group", "assignee"],
                name="ticket_open_prio_age",
            ),
            models.Index(
                fields=["assignment_group", "priority", "created_at"],
                condition=Q(is_open=True),
                include=["state", "assignee"],
                name="ticket_open_group_prio_age",
            ),
            models.Index(
                fields=["assignment_group", "priority", "created_at"],
                condition=Q(is_open=True, assignee__isnull=True),
                name="ticket_unassigned_prio_age",
            ),
            models.Index(
                fields=["assignee", "priority", "created_at"],
                condition=Q(is_open=True),
                name="ticket_open_assignee_prio_age",
            ),
            # Portal: a requester's tickets, newest first.
            models.Index(fields=["requester", "-created_at"], name="ticket_requester_recent"),
            models.Index(fields=["priority", "created_at"], name="ticket_prio_age"),
            models.Index(fields=["-created_at"], name="ticket_created_desc"),
            models.Index(fields=["state"], name="ticket_state"),
            models.Index(
                fields=["sla_due_at"], condition=Q(is_open=True, sla_due_at__isnull=False), name="ticket_open_sla_due"
            ),
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="ticket_title_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def kind_info(self):
        from .registry import get_kind

        return get_kind(self.kind)

    @property
    def state_info(self):
        return self.kind_info.state(self.state)


class Comment(models.Model):
    """A public reply (seen by the requester) or an internal work note on a ticket."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("text"))
    is_internal = models.BooleanField(_("internal work note"), default=False)
    # Effort the author booked with this note; summed per ticket, group and engineer.
    time_spent_minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_time")]

    def __str__(self) -> str:
        return f"{'note' if self.is_internal else 'reply'} on {self.ticket_id} by {self.author_id}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name is random; the original name is kept in a column and sent on download.
    import uuid

    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket, size- and type-checked on upload and served only through a permission check."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="attachments")
    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    is_internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """One append-only row of a ticket's activity log (who, when, what, from, to, why).

    A database trigger refuses UPDATE and DELETE on this table.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    field = models.CharField(max_length=64, blank=True)
    old_value = models.TextField(blank=True)
    new_value = models.TextField(blank=True)
    old_display = models.TextField(blank=True)
    new_display = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    # Whether the requester sees this row in the portal's timeline.
    is_public = models.BooleanField(default=False)
    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    attachment = models.ForeignKey(Attachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.field}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ticket events are append-only")
        super().save(*args, **kwargs)


class NotificationTopic(models.TextChoices):
    """What a notification is about; people choose per topic whether they hear of it, and where."""

    ASSIGNED = "assigned", _("Assigned to me")
    COMMENTED = "commented", _("New reply")
    STATE_CHANGED = "state_changed", _("State changed")
    APPROVAL_NEEDED = "approval_needed", _("Approval needed")
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated to me")


class NotificationChannel(models.TextChoices):
    """Where one outbox row goes: email, or the chat platform of the webhook that serves the recipient."""

    EMAIL = "email", _("Email")
    DINGTALK = "dingtalk", _("DingTalk")
    WECOM = "wecom", _("WeCom")
    SLACK = "slack", _("Slack")


class IMWebhook(models.Model):
    """A chat webhook (DingTalk, WeCom or Slack) that serves a support group's members or one person.

    Each person has at most one IM destination: their personal webhook, else the first active webhook of
    their support groups (by group name). A group's webhook posts a message per member notified, naming them.
    """

    class Kind(models.TextChoices):
        DINGTALK = NotificationChannel.DINGTALK.value, NotificationChannel.DINGTALK.label
        WECOM = NotificationChannel.WECOM.value, NotificationChannel.WECOM.label
        SLACK = NotificationChannel.SLACK.value, NotificationChannel.SLACK.label

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("platform"), max_length=16, choices=Kind.choices)
    url = models.URLField(_("webhook URL"), max_length=500)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the robot's signing secret (SEC…); leave empty when the robot does not sign."),
    )
    group = models.ForeignKey(
        AssignmentGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="im_webhooks",
        verbose_name=_("support group"),
        help_text=_("Messages for this group's members go to this webhook."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="im_webhooks",
        verbose_name=_("person"),
        help_text=_("A personal webhook: this person's messages go here rather than to their group's."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("IM webhook")
        verbose_name_plural = _("IM webhooks")
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, user__isnull=True) | Q(group__isnull=True, user__isnull=False),
                name="im_webhook_serves_a_group_or_a_person",
                violation_error_message=_("Choose either a support group or a person."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.secret and self.kind != self.Kind.DINGTALK:
            raise ValidationError({"secret": _("Only DingTalk robots sign their messages.")})


class Notification(models.Model):
    """Outbox row: a message to one person about one ticket event on one channel, written in the event's transaction.

    A Celery task delivers it after commit; the status column makes delivery safe to run twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(TicketEvent, on_delete=models.PROTECT, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=16, choices=NotificationChannel.choices, default=NotificationChannel.EMAIL)
    # Empty for rows written before topics (or by a practice directly): the generic "update" wording is used.
    topic = models.CharField(max_length=32, choices=NotificationTopic.choices, blank=True)
    # Where an IM row goes, chosen when it was written (the recipient's webhook at the time).
    webhook = models.ForeignKey(IMWebhook, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # After a failed attempt: not before this time (the backoff), so the redelivery job does not hurry it.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "recipient", "channel"], name="one_notification_per_event_recipient_channel"
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="notification_status_time")]

    def __str__(self) -> str:
        return f"{self.event_id} -> {self.recipient_id} {self.channel} ({self.status})"


def _default_topics() -> list[str]:
    return list(NotificationTopic.values)


def _default_language() -> str:
    return settings.LANGUAGE_CODE


def _language_choices() -> list[tuple[str, str]]:
    # A callable, so settings are read when the field is used, not when this module is imported.
    return list(settings.LANGUAGES)


class NotificationPreference(models.Model):
    """One person's choices: the topics they get by email and by IM, and the language messages are written in.

    A person without a row gets everything by email (and by IM when a webhook serves them), in the site language.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_topics = ArrayField(
        models.CharField(max_length=32, choices=NotificationTopic.choices),
        default=_default_topics,
        blank=True,
        verbose_name=_("by email"),
    )
    im_topics = ArrayField(
        models.CharField(max_length=32, choices=NotificationTopic.choices),
        default=_default_topics,
        blank=True,
        verbose_name=_("by IM"),
    )
    language = models.CharField(_("language"), max_length=16, choices=_language_choices, default=_default_language)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"notifications of {self.user_id}"


class Skill(models.Model):
    """Something an engineer knows (Linux, SAP, networking …); routing prefers engineers with the skill asked for."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="skills", verbose_name=_("agents")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class SavedFilter(models.Model):
    """A queue filter an engineer saved for themselves or shared with the desk."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=100)
    queue = models.CharField(_("queue"), max_length=32, default="open")
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    is_shared = models.BooleanField(_("shared with the desk"), default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="saved_filter_unique_name_per_owner")]

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A reply template with ticket placeholders ({number}, {title}, {requester}, {agent}, {group})."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text=_("Empty: shared with every engineer."),
    )
    group = models.ForeignKey(
        AssignmentGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        help_text=_("Offered only to this group's members when set."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self) -> str:
        return self.title


class TicketPresence(models.Model):
    """Who has a ticket open in the desk right now (refreshed by a poll), for the collision warning."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    is_editing = models.BooleanField(default=False)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="one_presence_per_ticket_user")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.ticket_id}"


class Department(models.Model):
    """Where a person works (Finance, Engineering …): who may order a catalog item, whose manager approves."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_departments",
        verbose_name=_("manager"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Profile(models.Model):
    """What the organisation knows about a person besides their login: department and line manager."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="people", verbose_name=_("department")
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("line manager"),
        help_text=_("Approves what this person orders when an item asks for the manager's approval."),
    )
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)


def line_manager(user):
    """The person who approves for `user`: their own manager, else their department's (None when neither)."""
    profile = Profile.objects.select_related("manager", "department__manager").filter(user_id=user.pk).first()
    if profile is None:
        return None
    if profile.manager_id and profile.manager_id != user.pk:
        return profile.manager
    department = profile.department
    while department is not None:
        if department.manager_id and department.manager_id != user.pk:
            return department.manager
        department = department.parent
    return None


def department_ids(user) -> frozenset[int]:
    """The user's department and every department above it (ordering rights granted to a parent apply below)."""
    profile = Profile.objects.select_related("department").filter(user_id=user.pk).first()
    ids: set[int] = set()
    department = profile.department if profile else None
    while department is not None and department.pk not in ids:
        ids.add(department.pk)
        department = department.parent
    return frozenset(ids)
