from django import template

from ..cmdb_links import incident_cmdb_panel

register = template.Library()


@register.simple_tag
def cmdb_panel(ticket):
    """The CMDB panel's data for the ticket (None unless it is an incident)."""
    return incident_cmdb_panel(ticket)
