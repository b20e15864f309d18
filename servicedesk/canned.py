"""Canned responses: fill a template's ticket placeholders safely.

Templates are user text, so no template engine and no str.format runs on them: a placeholder is a bare
name in braces ({number}); only the names below are replaced, anything else ({foo}, {requester.email},
{0}, {{x}}) is left exactly as written.
"""

import re

from .models import CannedResponse, Ticket

# A bare lower-case name in single braces; doubled braces ({{number}}) are left alone.
PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def placeholder_values(ticket: Ticket, agent) -> dict[str, str]:
    """What each placeholder stands for on this ticket, for this engineer."""
    return {
        "number": ticket.number,
        "title": ticket.title,
        "requester": _name(ticket.requester),
        "agent": _name(agent),
        "group": ticket.assignment_group.name if ticket.assignment_group_id else "",
    }


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace the known {name} placeholders in one pass; unknown ones stay (a value is never re-expanded)."""
    return PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def render_canned_response(response: CannedResponse, *, ticket: Ticket, agent) -> str:
    """The response's text ready for the comment box."""
    return fill_placeholders(response.body, placeholder_values(ticket, agent))
