"""Forms the incident panels render inside the core's ticket pages (the core view knows no incident form)."""

from django import template

from ..forms import ClassifyForm, HoldForm, OverridePriorityForm, ResolveForm

register = template.Library()


@register.simple_tag
def resolve_form(ticket) -> ResolveForm:
    return ResolveForm(initial={"version": ticket.version}, auto_id="resolve_%s")


@register.simple_tag
def hold_form(ticket) -> HoldForm:
    return HoldForm(initial={"version": ticket.version}, auto_id="hold_%s")


@register.simple_tag
def classify_form(ticket) -> ClassifyForm:
    return ClassifyForm(
        initial={
            "version": ticket.version,
            "impact": ticket.impact,
            "urgency": ticket.urgency,
            "category": ticket.category_id,
            "subcategory": ticket.subcategory_id,
            "affected_service": ticket.affected_service_id,
            "configuration_item": ticket.configuration_item_id,
        },
        auto_id="classify_%s",
    )


@register.simple_tag
def override_priority_form(ticket) -> OverridePriorityForm:
    return OverridePriorityForm(initial={"version": ticket.version, "priority": ticket.priority}, auto_id="prio_%s")


@register.simple_tag
def reopen_allowed(ticket) -> bool:
    """Whether the resolution is still inside the reopen window (the transition's own condition)."""
    from ..models import within_reopen_window

    return within_reopen_window(ticket)
