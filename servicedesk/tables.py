"""The desk queue table (django-tables2): its columns, sorting and paging; default order priority then age."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Ticket


class TicketTable(tables.Table):
    """Column headers and sort keys; the rows are rendered by servicedesk/desk/ticket_table.html."""

    # Selects the row for a bulk action (the checkbox belongs to the queue page's bulk form).
    select = tables.CheckBoxColumn(
        accessor="number",
        attrs={"th__input": {"id": "bulk-select-all", "class": "form-check-input", "aria-label": _("Select all")}},
    )
    number = tables.Column(verbose_name=_("Number"))
    title = tables.Column(verbose_name=_("Title"))
    priority = tables.Column(verbose_name=_("Priority"))
    state = tables.Column(verbose_name=_("State"))
    requester = tables.Column(verbose_name=_("Requester"), order_by=("requester__username",))
    assignment_group = tables.Column(verbose_name=_("Group"), order_by=("assignment_group__name",))
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",))
    created_at = tables.Column(verbose_name=_("Opened"))
    updated_at = tables.Column(verbose_name=_("Updated"))
    sla_due_at = tables.Column(verbose_name=_("Due"))

    class Meta:
        model = Ticket
        template_name = "servicedesk/desk/ticket_table.html"
        fields = (
            "select",
            "number",
            "title",
            "priority",
            "state",
            "requester",
            "assignment_group",
            "assignee",
            "created_at",
            "updated_at",
            "sla_due_at",
        )
        attrs = {"class": "table table-sm table-hover align-middle queue-table"}
        order_by = ("priority", "created_at")
        empty_text = _("No tickets match.")
