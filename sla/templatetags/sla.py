"""The SLA panels of the ticket pages: each clock's remaining time, colour and self-explaining timeline."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from ..engine import _human, elapsed_at
from ..models import ClockStatus, SLAClock

register = template.Library()


class ClockView:
    """What a page shows of one clock, computed once: spent, left, how far in, the colour."""

    def __init__(self, clock: SLAClock, now):
        self.clock = clock
        self.spent = elapsed_at(clock, now)
        self.left = clock.target - self.spent
        self.percent = min(100, int(self.spent / clock.target * 100)) if clock.target else 100
        levels = clock.policy.warning_levels
        if clock.is_breached or self.left <= timedelta():
            self.colour = "danger"
        elif levels and self.percent >= levels[0]:
            self.colour = "warning"
        else:
            self.colour = "success"
        if clock.status == ClockStatus.STOPPED:
            self.colour = "secondary" if not clock.is_breached else "danger"

    @property
    def left_text(self) -> str:
        if self.clock.status == ClockStatus.STOPPED:
            return _("met") if not self.clock.is_breached else _("missed")
        if self.left <= timedelta():
            return _("%(duration)s over") % {"duration": _human(-self.left)}
        return _("%(duration)s left") % {"duration": _human(self.left)}

    @property
    def events(self):
        return self.clock.events.all()


@register.simple_tag
def sla_clocks(ticket) -> list[ClockView]:
    now = timezone.now()
    clocks = SLAClock.objects.filter(ticket_id=ticket.pk).select_related("policy__calendar").prefetch_related("events")
    return [ClockView(clock, now) for clock in clocks]


@register.filter
def duration_text(value) -> str:
    return "" if value is None else _human(value)
