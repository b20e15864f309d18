"""Template tags of the knowledge pages: the panel on desk tickets, state badges, diff lines."""

from django import template

from .. import search, selectors
from ..models import ArticleState, TicketLink

register = template.Library()

STATE_COLOURS = {
    ArticleState.DRAFT: "secondary",
    ArticleState.IN_REVIEW: "warning",
    ArticleState.PUBLISHED: "success",
    ArticleState.RETIRED: "dark",
}
PANEL_MATCHES = 5


@register.simple_tag
def kb_ticket_panel(ticket, user) -> dict:
    """The articles linked to a desk ticket and the best matches for its text (internal ones included)."""
    links = list(
        TicketLink.objects.filter(ticket_id=ticket.pk, article__in=selectors.visible_articles(user))
        .select_related("article")
        .order_by("-solved", "-created_at")
    )
    linked = {link.article_id for link in links}
    text = "\n".join(part for part in (ticket.title, ticket.description or "") if part)
    hits = search.suggest(text, user_can_see_internal=True, limit=PANEL_MATCHES + len(linked))
    matches = [hit for hit in hits if hit.id not in linked][:PANEL_MATCHES]
    return {"links": links, "matches": matches, "can_draft": not ticket.is_open}


@register.filter
def state_colour(state: str) -> str:
    return STATE_COLOURS.get(state, "secondary")


@register.filter
def diff_class(line: str) -> str:
    """Bootstrap classes for a unified diff line."""
    if line.startswith(("+++", "---")):
        return "fw-bold text-muted"
    if line.startswith("@@"):
        return "text-info"
    if line.startswith("+"):
        return "diff-add"
    if line.startswith("-"):
        return "diff-del"
    return ""
