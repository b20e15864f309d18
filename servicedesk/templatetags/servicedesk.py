"""Template helpers: Markdown rendering, state and priority badges, timeline wording."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

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
