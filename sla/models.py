"""Tables of the Service levels practice: business calendars (SLA policies and clocks come with a later part)."""

import itertools
import zoneinfo
from datetime import time, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicedesk.choices import Priority

# -- business calendars ------------------------------------------------------------------------------------------
# The arithmetic on them lives in sla/calendars.py; these tables only hold what an admin configures.

MIDNIGHT = time(0)
MANUAL_SOURCE = "manual"


# The system's "localtime" link is whatever zone the server is set to, not a place a calendar can be in.
NOT_A_PLACE = {"localtime"}


def validate_time_zone(value: str) -> None:
    """Accept only names the IANA database knows, so the arithmetic never meets an unknown zone."""
    message = _("“%(zone)s” is not a known time zone.")
    if value in NOT_A_PLACE:
        raise ValidationError(message, params={"zone": value})
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(message, params={"zone": value}) from error


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ExceptionKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKING_DAY = "working_day", _("Working day (make-up day)")


class BusinessCalendar(models.Model):
    """When the service desk works: a time zone, weekly hours and dated exceptions, or round the clock."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    # A plain name checked against zoneinfo: choices would put the tz database into migrations.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    is_24x7 = models.BooleanField(
        _("24×7"),
        default=False,
        help_text=_("Business time is all the time; working hours and exceptions are ignored."),
    )
    description = models.TextField(_("description"), blank=True)
    # Moves on every save, so a cached CalendarSpec can tell it is stale.
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def hours_per_week(self) -> timedelta:
        """The nominal working time of a week without exceptions (wall-clock hours, before any DST shift)."""
        if self.is_24x7:
            return timedelta(days=7)
        return sum((period.length() for period in self.periods.all()), timedelta())


class WorkingPeriod(models.Model):
    """One span of working hours on a weekday, in the calendar's wall-clock time; a day may have several."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="periods", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("start"))
    # Spans do not cross midnight (a night shift is two spans); 00:00 as the end means "until midnight".
    end = models.TimeField(_("end"), help_text=_("00:00 means until midnight."))

    class Meta:
        ordering = ["calendar", "weekday", "start"]
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")) | Q(end=MIDNIGHT),
                name="sla_period_end_after_start",
                violation_error_message=_("The end must be after the start (00:00 means midnight)."),
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def end_offset(self) -> timedelta:
        """The end as time since the day's midnight: 24 h for an end of 00:00."""
        return _offset(self.end) if self.end != MIDNIGHT else timedelta(days=1)

    def length(self) -> timedelta:
        """The span's nominal length (a DST change makes that day's real length differ)."""
        return self.end_offset - _offset(self.start)

    def overlaps(self, other: "WorkingPeriod") -> bool:
        """True when both are on the same weekday and share time; touching spans (12:00–13:00, 13:00–…) do not."""
        return (
            self.weekday == other.weekday
            and _offset(self.start) < other.end_offset
            and _offset(other.start) < self.end_offset
        )


def _offset(moment: time) -> timedelta:
    return timedelta(hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond)


def find_overlap(periods) -> tuple["WorkingPeriod", "WorkingPeriod"] | None:
    """The first pair of periods (of one calendar) that overlap, or None: the check of a whole week as edited."""
    # Sorted by start, a span that overlaps any later one overlaps the very next one.
    ordered = sorted(periods, key=lambda period: (period.weekday, period.start))
    for earlier, later in itertools.pairwise(ordered):
        if earlier.overlaps(later):
            return earlier, later
    return None


class CalendarException(models.Model):
    """A dated exception to the weekly hours: a holiday, or a make-up working day (调休) that works as a weekday."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices, default=ExceptionKind.HOLIDAY)
    name = models.CharField(_("name"), max_length=200, blank=True)
    hours_like_weekday = models.PositiveSmallIntegerField(
        _("hours as on"),
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text=_("A working day has the normal hours of this weekday."),
    )
    # "manual", or "imported:holidays:CN" for rows an import wrote: an import never overwrites a hand-made row.
    source = models.CharField(_("source"), max_length=50, default=MANUAL_SOURCE, editable=False)

    class Meta:
        ordering = ["calendar", "date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="sla_one_exception_per_day",
                violation_error_message=_("This calendar already has an exception on that date."),
            ),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name or self.get_kind_display()}"

    @property
    def is_imported(self) -> bool:
        return self.source != MANUAL_SOURCE


# -- SLA policies, targets and actions ----------------------------------------------------------------


class Metric(models.TextChoices):
    # Context: "Resolution" alone is an incident's resolution elsewhere.
    RESPONSE = "response", pgettext_lazy("SLA clock", "Response")
    RESOLUTION = "resolution", pgettext_lazy("SLA clock", "Resolution")


class SLAPolicy(models.Model):
    """Which tickets a set of targets applies to; the first active policy (by position) that matches wins."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    kind = models.CharField(_("ticket kind"), max_length=32, help_text=_("incident, request …"))
    priorities = models.CharField(
        _("priorities"), max_length=20, blank=True, help_text=_("Comma-separated, e.g. 1,2; empty: any priority.")
    )
    category = models.CharField(
        _("category"), max_length=100, blank=True, help_text=_("The ticket's category name; empty: any.")
    )
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    organisation = models.ForeignKey(
        "servicedesk.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requester's department"),
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies", verbose_name=_("calendar")
    )
    pause_states = models.CharField(
        _("paused while"),
        max_length=300,
        blank=True,
        help_text=_("Comma-separated states, or state:reason (e.g. on_hold:awaiting_caller)."),
    )
    warning_percents = models.CharField(
        _("warning levels (percent of the target)"),
        max_length=30,
        default="75,90",
        help_text=_("Comma-separated, e.g. 75,90."),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name

    @property
    def priority_set(self) -> frozenset[int]:
        return frozenset(int(p) for p in self.priorities.replace(" ", "").split(",") if p.isdigit())

    @property
    def pause_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.pause_states.split(",") if p.strip())

    @property
    def warning_levels(self) -> tuple[int, ...]:
        return tuple(sorted({int(p) for p in self.warning_percents.replace(" ", "").split(",") if p.isdigit()} - {0}))


class SLATarget(models.Model):
    """How long a policy allows, per priority, to respond and to resolve (business time of its calendar)."""

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response = models.DurationField(_("respond within"), null=True, blank=True)
    resolution = models.DurationField(_("resolve within"), null=True, blank=True)

    class Meta:
        ordering = ["policy", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        constraints = [models.UniqueConstraint(fields=["policy", "priority"], name="sla_target_once_per_priority")]

    def __str__(self) -> str:
        return f"{self.policy} P{self.priority}"


class SLAAction(models.Model):
    """What happens when a clock reaches a level: a warning percentage, or 100 for the breach."""

    class Do(models.TextChoices):
        NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
        NOTIFY_GROUP = "notify_group", _("Notify the assignment group")
        NOTIFY_MANAGER = "notify_manager", _("Notify the group's manager")
        RAISE_PRIORITY = "raise_priority", _("Raise the priority one step")
        REASSIGN = "reassign", _("Reassign to the group (take it off the engineer)")
        ESCALATE = "escalate", _("Escalate to another group")

    policy = models.ForeignKey(SLAPolicy, on_delete=models.CASCADE, related_name="actions")
    metric = models.CharField(
        _("clock"), max_length=16, choices=Metric.choices, blank=True, help_text=_("Empty: both clocks.")
    )
    at_percent = models.PositiveSmallIntegerField(_("at percent of the target"), help_text=_("100 is the breach."))
    action = models.CharField(_("action"), max_length=20, choices=Do.choices)
    group = models.ForeignKey(
        "servicedesk.AssignmentGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("escalate to group"),
    )

    class Meta:
        ordering = ["policy", "at_percent", "pk"]
        verbose_name = _("SLA action")
        verbose_name_plural = _("SLA actions")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(action="escalate") | models.Q(group__isnull=False),
                name="sla_action_escalate_needs_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at_percent}%: {self.get_action_display()}"


# -- clocks ---------------------------------------------------------------------------------------------


class ClockStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


class SLAClock(models.Model):
    """One commitment on one ticket (respond, or resolve), ticking in its policy's business time.

    `elapsed` is the business time counted up to `resumed_at` (or to the pause/stop); while running the clock
    also counts the business time since `resumed_at`. `breach_at` and `next_check_at` are kept for the sweep,
    which reads only the clocks whose `next_check_at` has come.
    """

    ticket = models.ForeignKey("servicedesk.Ticket", on_delete=models.CASCADE, related_name="sla_clocks")
    metric = models.CharField(_("clock"), max_length=16, choices=Metric.choices)
    policy = models.ForeignKey(SLAPolicy, on_delete=models.PROTECT, related_name="clocks")
    status = models.CharField(_("status"), max_length=16, choices=ClockStatus.choices, default=ClockStatus.RUNNING)
    target = models.DurationField(_("target"))
    elapsed = models.DurationField(_("elapsed"), default=timedelta)
    started_at = models.DateTimeField(_("started"))
    resumed_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    breach_at = models.DateTimeField(_("breach at"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    warned_percent = models.PositiveSmallIntegerField(default=0)
    breached_at = models.DateTimeField(_("breached"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "metric"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [models.UniqueConstraint(fields=["ticket", "metric"], name="sla_clock_once_per_metric")]
        indexes = [
            # The sweep: running clocks whose next check has come, oldest first.
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(status="running", next_check_at__isnull=False),
                name="sla_clock_due",
            ),
            models.Index(fields=["breach_at"], condition=models.Q(status="running"), name="sla_clock_breach"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.status}"

    @property
    def is_breached(self) -> bool:
        return self.breached_at is not None


class SLAClockEvent(models.Model):
    """One line of a clock's timeline: started, paused (why), resumed, re-targeted (from, to, why), warned …

    Warnings and the breach are unique per clock and level: a sweep that runs twice cannot record them twice.
    """

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        RETARGETED = "retargeted", _("Re-targeted")
        WARNED = "warned", _("Warning")
        BREACHED = "breached", _("Breached")
        STOPPED = "stopped", _("Stopped")
        REOPENED = "reopened", _("Running again")

    clock = models.ForeignKey(SLAClock, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    elapsed = models.DurationField()
    target = models.DurationField()
    old_target = models.DurationField(null=True, blank=True)
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "percent"],
                condition=models.Q(kind__in=["warned", "breached"]),
                name="sla_level_fires_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
