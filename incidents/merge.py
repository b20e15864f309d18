"""Merge duplicate incidents into one: the duplicates close with a link, their conversation and people move over."""

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils.translation import gettext as _

from servicedesk import services as core
from servicedesk.choices import EventKind
from servicedesk.models import Attachment, Comment, TicketEvent

from .models import Incident
from .services import run_transition


def merge_incidents(
    *,
    original: Incident,
    duplicates: Iterable[Incident],
    actor,
    expected_versions: Mapping[int, int] | None = None,
) -> Incident:
    """Fold open duplicate incidents into an open original, all in one transaction.

    For each duplicate: its public replies are copied to the original (prefixed with its number, author kept),
    its requester and watchers watch the original, its requester gets a public reply saying where to follow
    the work, and it closes as a duplicate linked to the original. The original gets a work note naming the
    merged incidents and their attachments. `expected_versions` maps ticket ids to the versions the user saw.
    Any refusal raises TicketError and changes nothing.
    """
    expected = expected_versions or {}
    unique = {ticket.pk: ticket for ticket in duplicates}
    if not unique:
        raise core.TicketError(_("Name at least one duplicate incident."))
    for ticket in (original, *unique.values()):
        if ticket.kind != Incident.KIND:
            raise core.TicketError(
                _("%(number)s is not an incident: only incidents can be merged.") % {"number": ticket.number}
            )
    if original.pk in unique:
        raise core.TicketError(_("%(number)s cannot be merged into itself.") % {"number": original.number})
    with transaction.atomic():
        # Major incidents first, then the rest in id order: the order in which resolving a major locks it and
        # then its children, so a merge among a major's children does not lock in the opposite order.
        order = sorted([original, *unique.values()], key=lambda t: (not getattr(t, "is_major", False), t.pk))
        by_pk = {t.pk: core.lock_ticket(t, expected_version=expected.get(t.pk)) for t in order}
        original = by_pk.pop(original.pk)
        core.require(actor, "incidents.merge_incidents", original)
        if not original.is_open:
            raise core.TicketError(_("%(number)s is no longer open.") % {"number": original.number})
        locked = [by_pk[pk] for pk in sorted(by_pk)]
        for duplicate in locked:
            core.require(actor, "incidents.merge_incidents", duplicate)
            _check_duplicate(duplicate)
        _carry_over(original, locked, actor)
        for duplicate in locked:
            core.add_comment(
                ticket=duplicate,
                author=actor,
                body=_(
                    "This incident is a duplicate: it was merged into %(number)s. Please follow %(number)s from now "
                    "on; you will hear about its progress there."
                )
                % {"number": original.number},
            )
            run_transition(
                duplicate,
                actor=actor,
                name="close_as_duplicate",
                reason=_("Merged into %(number)s.") % {"number": original.number},
                original=original,
            )
    return Incident.objects.get(pk=original.pk)


def _check_duplicate(duplicate: Incident) -> None:
    if duplicate.merged_into_id is not None:
        raise core.TicketError(
            _("%(number)s was already merged into %(original)s.")
            % {"number": duplicate.number, "original": duplicate.merged_into.number}
        )
    if not duplicate.is_open:
        raise core.TicketError(_("%(number)s is no longer open.") % {"number": duplicate.number})
    if duplicate.is_major and duplicate.children.exists():
        raise core.TicketError(
            _("%(number)s is a major incident with linked incidents: unlink them first.") % {"number": duplicate.number}
        )


def _carry_over(original: Incident, duplicates: list[Incident], actor) -> None:
    """One change on the original: the merge note, the copied public replies, the new watchers."""
    ids = [d.pk for d in duplicates]
    replies = Comment.objects.filter(ticket_id__in=ids, is_internal=False).select_related("author")
    attachments = Attachment.objects.filter(ticket_id__in=ids).order_by("created_at", "pk")
    watching = set(original.watchers.values_list("pk", flat=True)) | {original.requester_id}
    with core.changing(original, actor=actor) as change:
        note = Comment.objects.create(
            ticket=original, author=actor, body=_merge_note(duplicates, attachments), is_internal=True
        )
        change.add_event(TicketEvent(kind=EventKind.WORK_NOTE, comment=note))
        for duplicate in duplicates:
            for reply in (r for r in replies if r.ticket_id == duplicate.pk):
                copy = Comment.objects.create(
                    ticket=original,
                    author=reply.author,
                    body=_("From %(number)s:") % {"number": duplicate.number} + "\n\n" + reply.body,
                )
                copied = _("Copied from %(number)s when it was merged.") % {"number": duplicate.number}
                change.add_event(TicketEvent(kind=EventKind.COMMENT, comment=copy, is_public=True, reason=copied))
            for person in [duplicate.requester, *duplicate.watchers.all()]:
                if person.pk in watching:
                    continue
                watching.add(person.pk)
                original.watchers.add(person)
                change.add_event(
                    TicketEvent(
                        kind=EventKind.WATCHER,
                        field="watchers",
                        new_display=person.get_full_name() or person.get_username(),
                        reason=_("Merged from %(number)s.") % {"number": duplicate.number},
                    )
                )


def _merge_note(duplicates: list[Incident], attachments) -> str:
    numbers = ", ".join(d.number for d in duplicates)
    lines = [_("Merged into this incident: %(numbers)s.") % {"numbers": numbers}]
    for duplicate in duplicates:
        files = [a.filename for a in attachments if a.ticket_id == duplicate.pk]
        if files:
            lines.append(
                _("Attachments on %(number)s: %(files)s") % {"number": duplicate.number, "files": ", ".join(files)}
            )
    return "\n\n".join(lines)
