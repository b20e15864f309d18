"""Forms of the desk's escalation panel (the core's ticket view knows no incident form)."""

from django import template

from ..forms_escalation import EscalateToGroupForm, EscalateToManagerForm

register = template.Library()


@register.simple_tag
def escalate_group_form(ticket) -> EscalateToGroupForm:
    return EscalateToGroupForm(incident=ticket, initial={"version": ticket.version}, auto_id="escalate_group_%s")


@register.simple_tag
def escalate_manager_form(ticket) -> EscalateToManagerForm:
    return EscalateToManagerForm(initial={"version": ticket.version}, auto_id="escalate_manager_%s")
