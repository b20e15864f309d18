from django import template

from ..cmdb_links import incident_cmdb_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def cmdb_panel(context, ticket):
    """The CMDB panel's data for the ticket as the viewing user may see it (None unless it is an incident)."""
    return incident_cmdb_panel(ticket, user=context["request"].user)
