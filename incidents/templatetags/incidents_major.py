"""What the major incident and merge panels render: the desk panel's forms and children, the portal's merge link."""

from types import SimpleNamespace

from django import template
from django.urls import reverse

from servicedesk.models import Ticket

from ..forms_major import AnnouncementForm, LinkChildForm, MergeForm, PromoteMajorForm

register = template.Library()


@register.simple_tag
def major_panel(ticket) -> SimpleNamespace:
    """The desk panel of an incident: its forms (each with its own ids) and, for a major, its children."""
    initial = {"version": ticket.version}
    return SimpleNamespace(
        promote_form=PromoteMajorForm(initial=initial, auto_id="promote_%s"),
        announcement_form=AnnouncementForm(
            initial={**initial, "announcement": ticket.major_announcement}, auto_id="announce_%s"
        ),
        link_form=LinkChildForm(initial=initial, auto_id="link_%s"),
        merge_form=MergeForm(initial=initial, auto_id="merge_%s"),
        children=list(ticket.children.order_by("pk")) if ticket.is_major else [],
    )


@register.simple_tag
def merged_original(ticket, user) -> SimpleNamespace | None:
    """Where a merged duplicate went, for the portal: a link only when the viewer may open the original there."""
    if not getattr(ticket, "merged_into_id", None):
        return None
    original = Ticket.objects.filter(pk=ticket.merged_into_id).only("number").first()
    if original is None:
        return None
    visible = Ticket.objects.for_portal(user).filter(pk=original.pk).exists()
    return SimpleNamespace(
        number=original.number,
        url=reverse("servicedesk:portal_ticket", args=[original.number]) if visible else "",
    )
