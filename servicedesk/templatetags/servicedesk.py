"""Template helpers: Markdown rendering, state and priority badges, timeline wording."""

from django import forms, template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from .. import selectors
from ..choices import PRIORITY_COLOURS, Priority
from ..markdown import render_markdown
from ..registry import get_kind

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> str:
    # render_markdown sanitizes with nh3: what comes out holds no script or event handler.
    return mark_safe(render_markdown(text))  # noqa: S308


@register.simple_tag
def state_badge(ticket, public: bool = False) -> str:
    info = get_kind(ticket.kind).state(ticket.state)
    label = info.public_label if public else info.label
    return format_html('<span class="badge text-bg-{}" data-state="{}">{}</span>', info.colour, ticket.state, label)


@register.simple_tag
def priority_badge(priority: int) -> str:
    value = Priority(priority)
    return format_html('<span class="badge text-bg-{}">{}</span>', PRIORITY_COLOURS[value], value.label)


@register.filter
def person(user) -> str:
    if user is None:
        return _("System")
    return user.get_full_name() or user.username


def _value_label(event, value: str, display: str, public: bool) -> str:
    if display:
        return display
    if value == "":
        return _("(empty)")
    if event.field == "state":
        info = get_kind(event.ticket.kind).state(value)
        return str(info.public_label if public else info.label)
    if event.field == "priority":
        return str(Priority(int(value)).label)
    field = event.ticket._meta.get_field(event.field)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


@register.simple_tag
def event_change(event, public: bool = False) -> str:
    """'Priority: P4 - Low → P2 - High' for a field or state event."""
    field = event.ticket._meta.get_field(event.field)
    old = _value_label(event, event.old_value, event.old_display, public)
    new = _value_label(event, event.new_value, event.new_display, public)
    if field.get_internal_type() == "TextField":
        return format_html("<strong>{}</strong> {}", field.verbose_name.capitalize(), pgettext("timeline", "updated"))
    return format_html("<strong>{}</strong>: {} &rarr; {}", field.verbose_name.capitalize(), old, new)


@register.filter
def duration(minutes) -> str:
    """Minutes of work as "1 h 30 min", "2 h" or "45 min"."""
    hours, rest = divmod(int(minutes or 0), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


@register.simple_tag
def quick_field(bound_field) -> str:
    """A compact Bootstrap form field rendered in Python, for the pages an engineer reloads all day.

    Django renders every <option> of a select through a template; on the queue page (a filter bar and the
    bulk bar) that cost more than the query and the table together. Supports inputs, textareas and
    (multiple) selects; anything else falls back to the widget's own rendering.
    """
    widget = bound_field.field.widget
    label = format_html(
        '<label class="form-label small mb-0" for="{}">{}</label>', bound_field.id_for_label, bound_field.label
    )
    errors = format_html_join("", '<div class="invalid-feedback d-block">{}</div>', ((e,) for e in bound_field.errors))
    if isinstance(widget, forms.Select):
        control = _quick_select(bound_field, multiple=isinstance(widget, forms.SelectMultiple))
    elif isinstance(widget, forms.Textarea | forms.CheckboxInput | forms.FileInput | forms.HiddenInput):
        control = bound_field.as_widget(attrs={"class": "form-control form-control-sm"})
    else:
        value = bound_field.value()
        control = format_html(
            '<input type="{}" name="{}" id="{}" value="{}" class="form-control form-control-sm"{}>',
            widget.attrs.get("type") or getattr(widget, "input_type", "text"),
            bound_field.html_name,
            bound_field.auto_id,
            "" if value is None else value,
            mark_safe(" required") if bound_field.field.required else "",
        )
    return format_html('<div class="mb-2">{}{}{}</div>', label, control, errors)


def _quick_select(bound_field, *, multiple: bool) -> str:
    value = bound_field.value()
    chosen = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v not in (None, "")}

    def options(choices):
        return format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (key, mark_safe(" selected") if key in chosen else "", text)
                for key, text in ((str(getattr(k, "value", k)), t) for k, t in choices)
            ),
        )

    # The widget's choices: a view may have shared one evaluated list between forms (one query, not one each).
    parts = []
    for key, text in bound_field.field.widget.choices:
        if isinstance(text, list | tuple):  # an option group
            parts.append(format_html('<optgroup label="{}">{}</optgroup>', key, options(text)))
        else:
            parts.append(options([(key, text)]))
    return format_html(
        '<select name="{}" id="{}" class="form-select form-select-sm"{}>{}</select>',
        bound_field.html_name,
        bound_field.auto_id,
        mark_safe(" multiple") if multiple else "",
        mark_safe("".join(parts)),  # noqa: S308 - built with format_html
    )


def _query_with(request, **changes) -> str:
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def queue_table_headers(context, table) -> str:
    """The header cells of a django-tables2 table: sort links that keep the filters and go back to page 1."""
    request = context["request"]
    cells = []
    for column in table.columns:
        if column.orderable:
            href = _query_with(
                request, **{table.prefixed_order_by_field: column.order_by_alias.next, table.prefixed_page_field: None}
            )
            arrow = ""
            if column.is_ordered:
                arrow = " ▲" if not column.order_by_alias.is_descending else " ▼"
            cells.append(format_html('<th scope="col"><a href="{}">{}</a>{}</th>', href, column.header, arrow))
        else:
            cells.append(format_html('<th scope="col">{}</th>', column.header))
    return mark_safe("".join(cells))  # noqa: S308 - every cell was built with format_html


@register.simple_tag(takes_context=True)
def queue_table_pager(context, table) -> str:
    """Previous / page n of m / next, keeping the filters and the sort order."""
    page = getattr(table, "page", None)
    if page is None:
        return ""
    request = context["request"]
    field = table.prefixed_page_field
    items = []
    if page.has_previous():
        href = _query_with(request, **{field: page.previous_page_number()})
        items.append(
            format_html('<li class="page-item"><a class="page-link" href="{}">{}</a></li>', href, _("Previous"))
        )
    total = getattr(table, "capped_total", None)
    if total is None:
        label = _("Page %(number)s") % {"number": page.number}
    elif total > selectors.QUEUE_COUNT_CAP:
        label = _("Page %(number)s · more than %(total)s tickets") % {
            "number": page.number,
            "total": intcomma(selectors.QUEUE_COUNT_CAP),
        }
    else:
        label = ngettext("Page %(number)s · %(total)s ticket", "Page %(number)s · %(total)s tickets", total) % {
            "number": page.number,
            "total": intcomma(total),
        }
    items.append(
        format_html('<li class="page-item disabled"><span class="page-link" id="queue-total">{}</span></li>', label)
    )
    if page.has_next():
        href = _query_with(request, **{field: page.next_page_number()})
        items.append(format_html('<li class="page-item"><a class="page-link" href="{}">{}</a></li>', href, _("Next")))
    return format_html(
        '<nav aria-label="{}"><ul class="pagination pagination-sm justify-content-center">{}</ul></nav>',
        _("Pages"),
        mark_safe("".join(items)),  # noqa: S308 - built with format_html
    )


@register.simple_tag
def ticket_kinds():
    """Every registered ticket kind (for the desk's per-kind queue shortcuts)."""
    from ..registry import all_kinds

    return all_kinds()


_QUEUE_ROW = (
    "<tr>"
    '<td><input type="checkbox" class="form-check-input bulk-select" name="tickets" value="{number}" '
    'form="bulk-form" aria-label="{select}"></td>'
    '<td><a href="{url}">{number}</a></td>'
    '<td><span class="text-truncate d-inline-block" style="max-width: 28rem">{title}</span></td>'
    '<td><span class="badge text-bg-{priority_colour}">{priority}</span></td>'
    '<td><span class="badge text-bg-{state_colour}" data-state="{state}">{state_label}</span></td>'
    "<td>{requester}</td><td>{group}</td><td>{assignee}</td><td>{created}</td><td>{updated}</td>"
    '<td class="{due_class}" data-due="{due_iso}">{due}</td>'
    "</tr>"
)


@register.simple_tag
def queue_table_rows(table) -> str:
    """The rows of the queue table in one pass of Python (the busiest page of the desk; a template loop with
    a tag or filter per cell cost more than its database queries). Cells follow TicketTable.Meta.fields."""
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.timezone import localtime

    rows_of_page = table.page.object_list if getattr(table, "page", None) else table.rows
    records = [row.record for row in rows_of_page]
    if not records:
        return format_html('<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text)
    # One reverse for the whole page: the number is the only part of the URL that changes.
    url = reverse("servicedesk:desk_ticket", args=["NUMBER"])
    now = timezone.now()
    rows = []
    for ticket in records:
        state = get_kind(ticket.kind).state(ticket.state)
        priority = Priority(ticket.priority)
        rows.append(
            format_html(
                _QUEUE_ROW,
                number=ticket.number,
                select=_("Select %(number)s") % {"number": ticket.number},
                url=url.replace("NUMBER", ticket.number),
                title=ticket.title,
                priority_colour=PRIORITY_COLOURS[priority],
                priority=priority.label,
                state_colour=state.colour,
                state=ticket.state,
                state_label=state.label,
                requester=person(ticket.requester),
                group=ticket.assignment_group.name if ticket.assignment_group else "—",
                assignee=person(ticket.assignee) if ticket.assignee_id else "—",
                created=localtime(ticket.created_at).strftime("%Y-%m-%d %H:%M"),
                updated=localtime(ticket.updated_at).strftime("%Y-%m-%d %H:%M"),
                **_due_cell(ticket.sla_due_at if ticket.is_open else None, now),
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 - every row was built with format_html


@register.simple_tag
def ticket_panels(surface: str):
    """Templates other apps add to the ticket page of this surface (see registry.register_ticket_panel)."""
    from ..registry import ticket_panels as panels

    return panels(surface)


def _due_cell(due, now) -> dict:
    """Time to breach as the queue shows it: "2 h 10 min", red once past ("−35 min"), empty without a clock."""
    if due is None:
        return {"due": "—", "due_class": "", "due_iso": ""}
    left = int((due - now).total_seconds() // 60)
    minutes = abs(left)
    text = (
        f"{minutes // 1440} d {minutes % 1440 // 60} h"
        if minutes >= 1440
        else (f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min")
    )
    if left < 0:
        return {"due": f"−{text}", "due_class": "text-danger fw-semibold", "due_iso": due.isoformat()}
    return {"due": text, "due_class": "text-warning" if left < 60 else "", "due_iso": due.isoformat()}
