"""Every write to the ticket table goes through here.

Practices build their own use cases (`incidents.services.resolve_incident` …) on top
of three pieces: `open_ticket` numbers and records a new ticket, `lock_ticket`
re-reads a ticket under a row lock and refuses stale forms, and the `changing`
block diffs the ticket and ends in `commit_ticket_change`, the one function that
writes the activity log and calls the registered listeners.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import registry
from .choices import EventKind
from .models import (
    AssignmentGroup,
    Attachment,
    Comment,
    SavedFilter,
    Ticket,
    TicketEvent,
    TicketPresence,
    support_group_ids,
)


class TicketError(Exception):
    """A use case refused: the message is shown to the user and nothing was changed."""


class ChangedMeanwhile(TicketError):
    """Someone else changed the ticket after the form was loaded."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(
            _("%(number)s was changed by someone else meanwhile. Review the latest version and try again.")
            % {"number": ticket.number}
        )


def require(actor, permission: str, ticket: Ticket | None = None) -> None:
    """Raise PermissionDenied unless the actor holds the (object) permission."""
    if not actor.has_perm(permission, ticket):
        raise PermissionDenied(permission)


# -- numbering ---------------------------------------------------------------------------------------

_RESERVE_SQL = """
    INSERT INTO servicedesk_ticketcounter (kind, last_value) VALUES (%s, %s)
    ON CONFLICT (kind) DO UPDATE SET last_value = servicedesk_ticketcounter.last_value + EXCLUDED.last_value
    RETURNING last_value
"""


def reserve_ticket_numbers(kind: registry.TicketKind, count: int = 1) -> list[str]:
    """Hand out `count` consecutive numbers for a kind (INC0000001 …).

    The upsert takes a row lock on the kind's counter until the transaction ends, so two
    creators never get the same number, and a rolled-back creation gives its number back.
    """
    with connection.cursor() as cursor:
        cursor.execute(_RESERVE_SQL, [kind.code, count])
        last = cursor.fetchone()[0]
    return [f"{kind.prefix}{n:07d}" for n in range(last - count + 1, last + 1)]


# -- recording changes -------------------------------------------------------------------------------

BASE_TRACKED_FIELDS = (
    "title",
    "description",
    "requester",
    "channel",
    "priority",
    "assignment_group",
    "assignee",
    "state",
)
# Changes the requester sees in the portal timeline; the rest is the desk's business.
PUBLIC_FIELDS = frozenset({"state", "assignment_group", "title"})


def _tracked_fields(ticket: Ticket) -> list[models.Field]:
    names = BASE_TRACKED_FIELDS + ticket.kind_info.tracked_fields
    return [ticket._meta.get_field(name) for name in names]


def _display(ticket: Ticket, field: models.Field) -> str:
    """A name snapshot for foreign keys (names change later; the log keeps what people saw)."""
    if not field.is_relation:
        return ""
    related = getattr(ticket, field.name)
    if related is None:
        return ""
    if hasattr(related, "get_full_name"):
        return related.get_full_name() or related.get_username()
    return str(related)


def _snapshot(ticket: Ticket) -> dict[str, tuple[object, str]]:
    return {f.name: (f.value_from_object(ticket), _display(ticket, f)) for f in _tracked_fields(ticket)}


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass
class Change:
    """What a `changing` block collects besides field diffs: comment or attachment events, a reason."""

    reason: str = ""
    extra_events: list[TicketEvent] | None = None

    def add_event(self, event: TicketEvent) -> None:
        if self.extra_events is None:
            self.extra_events = []
        self.extra_events.append(event)


@contextmanager
def changing(ticket: Ticket, *, actor, reason: str = "") -> Iterator[Change]:
    """Diff the tracked fields around the block, then record everything in `commit_ticket_change`.

    Must run inside a transaction holding the ticket's row lock (see `lock_ticket`).
    """
    before = _snapshot(ticket)
    change = Change(reason=reason)
    yield change
    commit_ticket_change(ticket=ticket, actor=actor, before=before, change=change)


def commit_ticket_change(*, ticket: Ticket, actor, before: dict, change: Change) -> list[TicketEvent]:
    """The single end of every ticket change: save, write the activity log, call the listeners.

    Listeners registered `before_save` run just before the save, so the ticket columns they keep (the nearest SLA
    deadline, say) go into the change's one UPDATE of the ticket row rather than a second one.
    """
    kind = ticket.kind_info
    if kind.before_commit is not None:
        kind.before_commit(ticket)
    events: list[TicketEvent] = []
    for field in _tracked_fields(ticket):
        old_value, old_display = before[field.name]
        new_value = field.value_from_object(ticket)
        if old_value == new_value:
            continue
        events.append(
            TicketEvent(
                kind=EventKind.STATE if field.name == "state" else EventKind.FIELD,
                field=field.name,
                old_value=_as_text(old_value),
                new_value=_as_text(new_value),
                old_display=old_display,
                new_display=_display(ticket, field),
                is_public=field.name in PUBLIC_FIELDS,
            )
        )
    events.extend(change.extra_events or ())
    if not events:
        return []
    now = timezone.now()
    ticket.is_open = ticket.kind_info.state(ticket.state).is_open
    ticket.updated_at = now
    ticket.version += 1
    for event in events:
        event.ticket = ticket
        event.actor = actor
        event.created_at = now
        if not event.reason:
            event.reason = change.reason
    for listener in registry.listeners(before_save=True):
        listener(ticket=ticket, events=events)
    ticket.save()
    TicketEvent.objects.bulk_create(events)
    for listener in registry.listeners():
        listener(ticket=ticket, events=events)
    return events


def open_ticket(*, ticket: Ticket, actor) -> Ticket:
    """Number, route to the default group when none is given, save and record a new ticket."""
    kind = registry.get_kind(ticket.kind)
    with transaction.atomic():
        ticket.number = reserve_ticket_numbers(kind)[0]
        if ticket.assignment_group_id is None:
            ticket.assignment_group = AssignmentGroup.objects.filter(is_default=True, is_active=True).first()
        ticket.is_open = kind.state(ticket.state).is_open
        ticket.opened_by = ticket.opened_by if ticket.opened_by_id else actor
        ticket.created_at = ticket.updated_at = timezone.now()
        ticket.save()
        event = TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.CREATED, actor=actor, created_at=ticket.created_at, is_public=True
        )
        # The new row is saved already (listeners need its id): every listener runs after the save.
        for listener in (*registry.listeners(before_save=True), *registry.listeners()):
            listener(ticket=ticket, events=[event])
    return ticket


def lock_ticket(ticket: Ticket, *, expected_version: int | None = None, skip_locked: bool = False) -> Ticket | None:
    """Re-read the ticket (as its own model) under a row lock; refuse a form built on an older version.

    With `skip_locked`, background work that must not wait (the SLA sweep) gets None while someone else holds it.
    """
    # Views hand in the core Ticket; the practice's model is needed to diff its own tracked fields.
    model = apps.get_model(ticket.kind_info.model_label)
    # The people and group every change records by name come in the same query; only the ticket's own rows
    # (its table and, for a practice's model, the parent ticket row) are locked, not the joined ones.
    # NO KEY UPDATE still excludes every other writer of the ticket, but not PostgreSQL's foreign key checks on
    # rows pointing at it (a child incident updated twice while its major incident is locked would deadlock).
    own_rows = ("self", *(link.name for link in model._meta.parents.values() if link is not None))
    rows = model.objects.select_related("requester", "assignment_group", "assignee").select_for_update(
        of=own_rows, no_key=True, skip_locked=skip_locked
    )
    if skip_locked:
        return rows.filter(pk=ticket.pk).first()
    locked = rows.get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise ChangedMeanwhile(locked)
    return locked


# -- use cases shared by every kind ------------------------------------------------------------------


def assign_ticket(
    *,
    ticket: Ticket,
    actor,
    group: AssignmentGroup | None,
    assignee=None,
    reason: str = "",
    expected_version: int | None = None,
) -> Ticket:
    """Route a ticket to a support group and, optionally, one of its members."""
    with transaction.atomic():
        ticket = lock_ticket(ticket, expected_version=expected_version)
        # Permission first: someone out of scope learns nothing about groups and their members.
        require(actor, "servicedesk.work_on_ticket", ticket)
        if group is None and assignee is not None:
            raise TicketError(_("Choose the assignment group of the assignee."))
        if group is not None and not group.is_active:
            raise TicketError(_("%(group)s is not an active group.") % {"group": group})
        if assignee is not None and not group.members.filter(pk=assignee.pk).exists():
            raise TicketError(_("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group})
        if not ticket.is_open:
            raise TicketError(_("%(number)s is no longer open.") % {"number": ticket.number})
        with changing(ticket, actor=actor, reason=reason):
            ticket.assignment_group = group
            ticket.assignee = assignee
    return ticket


def assign_to_me(*, ticket: Ticket, actor, expected_version: int | None = None) -> Ticket:
    """Take a ticket: keep its group when the engineer is in it, else move it to the engineer's first group."""
    mine = support_group_ids(actor)
    if not mine:
        raise TicketError(_("You are not a member of any assignment group."))
    group_id = ticket.assignment_group_id if ticket.assignment_group_id in mine else min(mine)
    group = AssignmentGroup.objects.get(pk=group_id)
    return assign_ticket(ticket=ticket, actor=actor, group=group, assignee=actor, expected_version=expected_version)


def _check_upload(upload: UploadedFile) -> str:
    """Validate size and type of an uploaded file; return its content type."""
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("%(name)s: files of this type are not accepted (allowed: %(allowed)s).")
            % {"name": name, "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)}
        )
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than the limit of %(limit)d MB.")
            % {"name": name, "limit": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        )
    if not _content_matches(upload, extension):
        raise ValidationError(_("%(name)s does not look like a .%(ext)s file.") % {"name": name, "ext": extension})
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


# The first bytes each binary type must start with, so a renamed program is refused.
_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "webp": (b"RIFF",),
    "pdf": (b"%PDF",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "pptx": (b"PK\x03\x04",),
}
_TEXT_TYPES = frozenset({"txt", "log", "csv", "json", "md"})


def _content_matches(upload: UploadedFile, extension: str) -> bool:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if extension in _MAGIC:
        return head.startswith(_MAGIC[extension])
    if extension in _TEXT_TYPES:
        return b"\x00" not in head
    return True


def validate_uploads(uploads: Sequence[UploadedFile]) -> None:
    """Raise ValidationError listing every file that would be refused (forms call this to show field errors)."""
    errors = []
    for upload in uploads:
        try:
            _check_upload(upload)
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)


def add_comment(
    *,
    ticket: Ticket,
    author,
    body: str,
    internal: bool = False,
    files: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
    time_spent_minutes: int = 0,
) -> Comment | None:
    """Add a public reply or an internal work note, with attachments; requesters may only reply publicly.

    An engineer may book the minutes the work took with the note (`time_spent_minutes`, summed in reports).
    """
    body = (body or "").strip()
    if not body and not files:
        raise TicketError(_("Write a message or attach a file."))
    _check_time_spent(time_spent_minutes, body)
    validate_uploads(files)
    stored: list[Attachment] = []
    try:
        with transaction.atomic():
            ticket = lock_ticket(ticket, expected_version=expected_version)
            if internal or time_spent_minutes or not author.has_perm("servicedesk.reply_in_portal", ticket):
                require(author, "servicedesk.work_on_ticket", ticket)
            if ticket.closed_at is not None:
                raise TicketError(
                    _("%(number)s is closed: open a new ticket if you need more help.") % {"number": ticket.number}
                )
            comment = None
            with changing(ticket, actor=author) as change:
                if body:
                    comment = Comment.objects.create(
                        ticket=ticket,
                        author=author,
                        body=body,
                        is_internal=internal,
                        time_spent_minutes=time_spent_minutes,
                    )
                    kind = EventKind.WORK_NOTE if internal else EventKind.COMMENT
                    change.add_event(TicketEvent(kind=kind, comment=comment, is_public=not internal))
                for upload in files:
                    attachment = _store_attachment(ticket, comment, upload, author, internal, stored)
                    change.add_event(
                        TicketEvent(kind=EventKind.ATTACHMENT, attachment=attachment, is_public=not internal)
                    )
    except BaseException:
        # Django has no on-rollback hook: remove the files this failed attempt wrote, so none is orphaned.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return comment


# Time booked with one note: up to a day; longer work is booked in several notes.
MAX_TIME_SPENT_MINUTES = 24 * 60


def _check_time_spent(minutes, body: str) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 <= minutes <= MAX_TIME_SPENT_MINUTES:
        raise TicketError(
            _("Time spent must be a whole number of minutes from 0 to %(max)d.") % {"max": MAX_TIME_SPENT_MINUTES}
        )
    if minutes and not body:
        raise TicketError(_("Write a note to go with the time spent."))


def _store_attachment(ticket, comment, upload, user, internal, stored: list[Attachment]) -> Attachment:
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=upload.name[:255],
        content_type=_check_upload(upload),
        size=upload.size,
        is_internal=internal,
        uploaded_by=user,
    )
    attachment.file.save(upload.name, upload, save=False)
    stored.append(attachment)
    attachment.save()
    return attachment


def attach_files(*, ticket: Ticket, actor, files: Sequence[UploadedFile], change: Change) -> list[Attachment]:
    """Store checked files on a ticket inside a `changing` block (the caller holds the lock): one event each.

    For practices that take files as part of something else (an order form's attachment answer).
    """
    stored: list[Attachment] = []
    try:
        for upload in files:
            attachment = _store_attachment(ticket, None, upload, actor, False, stored)
            change.add_event(TicketEvent(kind=EventKind.ATTACHMENT, attachment=attachment, is_public=True))
    except BaseException:
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return stored


def set_watching(*, ticket: Ticket, actor, watching: bool) -> Ticket:
    """An engineer starts or stops watching a ticket (watchers see it in the portal and hear of its updates)."""
    with transaction.atomic():
        ticket = lock_ticket(ticket)
        require(actor, "servicedesk.work_on_ticket", ticket)
        is_watching = ticket.watchers.filter(pk=actor.pk).exists()
        if is_watching == watching:
            return ticket
        with changing(ticket, actor=actor) as change:
            if watching:
                ticket.watchers.add(actor)
            else:
                ticket.watchers.remove(actor)
            name = actor.get_full_name() or actor.get_username()
            change.add_event(
                TicketEvent(
                    kind=EventKind.WATCHER,
                    field="watchers",
                    old_display="" if watching else name,
                    new_display=name if watching else "",
                )
            )
    return ticket


# -- saved queue filters ----------------------------------------------------------------------------


def save_queue_filter(*, owner, name: str, queue: str, query: str, is_shared: bool) -> SavedFilter:
    """Keep a queue and its filter under a name, for the engineer alone or shared with the desk."""
    require(owner, "servicedesk.access_desk")
    name = (name or "").strip()
    if not name:
        raise TicketError(_("Give the filter a name."))
    taken = TicketError(_("You already have a filter named %(name)s.") % {"name": name})
    if SavedFilter.objects.filter(owner=owner, name__iexact=name).exists():
        raise taken
    try:
        with transaction.atomic():
            return SavedFilter.objects.create(owner=owner, name=name, queue=queue, query=query, is_shared=is_shared)
    except IntegrityError:  # saved twice at once (a double click): the unique constraint decides
        raise taken from None


def delete_queue_filter(*, actor, saved_filter: SavedFilter) -> None:
    """Only its owner deletes a saved filter, shared or not."""
    if saved_filter.owner_id != actor.pk:
        raise PermissionDenied("servicedesk.delete_saved_filter")
    saved_filter.delete()


# -- presence (the collision warning) ----------------------------------------------------------------


def record_presence(*, ticket: Ticket, user, editing: bool) -> None:
    """Note that an engineer has the ticket open in the desk, and whether they are writing: one upsert."""
    require(user, "servicedesk.view_ticket_in_desk", ticket)
    TicketPresence.objects.bulk_create(
        [TicketPresence(ticket=ticket, user=user, is_editing=editing, last_seen=timezone.now())],
        update_conflicts=True,
        unique_fields=["ticket", "user"],
        update_fields=["is_editing", "last_seen"],
    )


def purge_stale_presence(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete presence rows nobody refreshed for a while (pages closed long ago); returns how many."""
    deleted, _per_model = TicketPresence.objects.filter(last_seen__lt=timezone.now() - older_than).delete()
    return deleted
