"""The desk queue table (django-tables2): sortable columns, default order priority then age."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Ticket
from .templatetags.servicedesk import person, priority_badge, state_badge


class TicketTable(tables.Table):
    number = tables.Column(
        verbose_name=_("Number"), linkify=("servicedesk:desk_ticket", {"number": tables.A("number")})
    )
    title = tables.Column(verbose_name=_("Title"))
    priority = tables.Column(verbose_name=_("Priority"))
    state = tables.Column(verbose_name=_("State"))
    requester = tables.Column(verbose_name=_("Requester"), order_by=("requester__username",))
    assignment_group = tables.Column(verbose_name=_("Group"), order_by=("assignment_group__name",), default="—")
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",), default="—")
    # Plain columns with a render method: DateTimeColumn compiles a template per cell.
    created_at = tables.Column(verbose_name=_("Opened"))
    updated_at = tables.Column(verbose_name=_("Updated"))

    class Meta:
        model = Ticket
        fields = (
            "number",
            "title",
            "priority",
            "state",
            "requester",
            "assignment_group",
            "assignee",
            "created_at",
            "updated_at",
        )
        attrs = {"class": "table table-sm table-hover align-middle queue-table"}
        order_by = ("priority", "created_at")
        empty_text = _("No tickets match.")

    def render_priority(self, value, record):
        return priority_badge(record.priority)

    def render_state(self, value, record):
        return state_badge(record)

    def render_requester(self, value):
        return person(value)

    def render_assignee(self, value):
        return person(value)

    def render_created_at(self, value):
        return _local(value)

    def render_updated_at(self, value):
        return _local(value)

    def render_title(self, value):
        return format_html('<span class="text-truncate d-inline-block" style="max-width: 28rem">{}</span>', value)


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
