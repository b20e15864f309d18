"""Forms the incident action panels render inside the core's ticket pages."""

from django import template

from ..forms import ResolveForm

register = template.Library()


@register.simple_tag
def resolve_form(ticket) -> ResolveForm:
    return ResolveForm(initial={"version": ticket.version}, auto_id="resolve_%s")
