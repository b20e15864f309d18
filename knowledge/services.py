"""Every write to the knowledge base: write, review, publish, retire; feedback, views, links to tickets, reminders.

Each use case is one transaction that locks the article row, checks who may (`knowledge.rules`), changes the
state through the model's transitions and writes one history row (`ArticleEvent`) per thing that happened.

Rules decided here (the issue left them open):

- **Who reviews.** Only Knowledge Editors publish or send back, and nobody reviews their own article: an
  article submitted for review waits for an editor other than its owner. An editor may publish a draft directly
  (theirs or anyone's), skipping review; that is also how an unchanged article is confirmed as reviewed.
- **Editing a published article.** A change to its text (title, summary, body) starts a new version
  (Published → Draft) while readers keep the published one. Metadata (categories, tags, services, review date,
  language, owner) is not versioned: it changes at once and the state stays. Opening a live internal article to
  everyone would show its published text in the portal at once, so only an editor may do that.
- **Publishing** snapshots the working copy as the next `ArticleVersion`, sets a review date of
  today + KNOWLEDGE_REVIEW_MONTHS when none is set or it is not in the future, and clears the article's flag and
  reminder (a newly reviewed version is the owner's answer to an overdue review or to unhelpful feedback).
- **Flag by feedback.** A not-helpful verdict flags the article for its owner when, among the verdicts on the
  version readers see now, the not-helpful ones reach KNOWLEDGE_FLAG_UNHELPFUL and outnumber the helpful ones.
  A new version starts afresh; the article's counters keep the lifetime totals. Only the owner or an editor
  clears a flag.
- **Counters** (views, helpful, not helpful, links, solved) change only by ``UPDATE … SET n = n + k``; every
  save of an article names its fields, so no save writes back a stale counter.
- **Review reminders** (`remind_overdue_reviews`, a daily beat job): a live article whose review date has
  passed is flagged and its owner reminded once per overdue period (`reminded_at` on or before the review date
  means "not yet reminded for this one"). The reminder is a plain email sent after commit: the notification
  outbox is built around ticket events, and the flag plus the history row are the durable record (the owner's
  flagged list shows it), so a lost email costs little and is not retried.
"""

from __future__ import annotations

import calendar
import logging
import mimetypes
from collections.abc import Iterable, Sequence
from datetime import date

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from cmdb.models import ConfigurationItem
from servicedesk import services as core
from servicedesk.notifications import preference_of

from . import rules, search
from .models import (
    Article,
    ArticleAttachment,
    ArticleEvent,
    ArticleLanguage,
    ArticleState,
    ArticleVersion,
    Audience,
    Category,
    Feedback,
    Tag,
    TicketLink,
)

logger = logging.getLogger(__name__)

S = ArticleState
Kind = ArticleEvent.Kind

# What `update_article` accepts; the working copy's text is versioned, the rest is metadata.
TEXT_FIELDS = ("title", "summary", "body")
METADATA_FIELDS = ("audience", "language", "categories", "tags", "services", "review_by", "owner")
EDITABLE_FIELDS = frozenset(TEXT_FIELDS + METADATA_FIELDS)


class ArticleError(core.TicketError):
    """A knowledge use case refused: the message says why, and nothing was changed."""


# -- helpers -----------------------------------------------------------------------------------------


def _lock(article: Article) -> Article:
    """Re-read the article under a row lock: writers of one article queue, and each sees the last one's work."""
    return Article.objects.select_for_update().get(pk=article.pk)


def _save(article: Article, *fields: str, touch: bool = True) -> None:
    """Save the named columns only (never the counters, which other writers bump in place)."""
    if touch:
        article.updated_at = timezone.now()
        fields = (*fields, "updated_at")
    article.save(update_fields=list(dict.fromkeys(fields)))


def _record(
    article: Article, kind: str, actor, *, text: str = "", version: int | None = None, **states
) -> ArticleEvent:
    """One history row; `from_state`/`to_state` are given for transitions."""
    return ArticleEvent.objects.create(
        article=article,
        kind=kind,
        actor=actor,
        text=text,
        version=version,
        from_state=states.get("from_state", ""),
        to_state=states.get("to_state", ""),
    )


def _transition(article: Article, name: str, actor, kind: str, *, refusal: str, text: str = "") -> None:
    """Run a state machine transition with a clear refusal, save the state and record it."""
    method = getattr(article, name)
    if not can_proceed(method):
        raise ArticleError(refusal % {"number": article.number, "state": article.get_state_display()})
    before = article.state
    method()
    _save(article, "state")
    _record(article, kind, actor, text=text, from_state=before, to_state=article.state)


def _required_text(value, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ArticleError(message)
    return value


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's last day (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _review_months() -> int:
    return int(getattr(settings, "KNOWLEDGE_REVIEW_MONTHS", 12))


def _flag_threshold() -> int:
    return int(getattr(settings, "KNOWLEDGE_FLAG_UNHELPFUL", 3))


# -- the working copy: checking what authors give ----------------------------------------------------


def _clean_columns(values: dict, actor, article: Article | None) -> dict:
    """Validate the column fields given; return them cleaned (unchanged ones included)."""
    cleaned = {}
    if "title" in values:
        title = _required_text(values["title"], _("Give the article a title."))
        if len(title) > 200:
            raise ArticleError(_("The title is longer than 200 characters."))
        cleaned["title"] = title
    if "summary" in values:
        summary = (values["summary"] or "").strip()
        if len(summary) > 500:
            raise ArticleError(_("The summary is longer than 500 characters."))
        cleaned["summary"] = summary
    if "body" in values:
        cleaned["body"] = _required_text(values["body"], _("Write the article's text."))
    if "audience" in values:
        if values["audience"] not in Audience.values:
            raise ArticleError(_("Choose who the article is for."))
        cleaned["audience"] = values["audience"]
    if "language" in values:
        if values["language"] not in ArticleLanguage.values:
            raise ArticleError(_("Choose the article's language."))
        cleaned["language"] = values["language"]
    if "review_by" in values:
        review_by = values["review_by"]
        if review_by is not None and (not isinstance(review_by, date) or review_by < timezone.localdate()):
            raise ArticleError(_("The review date must be today or later."))
        cleaned["review_by"] = review_by
    if "owner" in values:
        owner = values["owner"]
        if article is not None and owner.pk != article.owner_id and not rules.is_editor(actor):
            raise PermissionDenied(_("Only a Knowledge Editor may hand an article to another owner."))
        if not owner.is_active or not rules.is_contributor(owner):
            raise ArticleError(_("%(user)s cannot own articles.") % {"user": owner})
        cleaned["owner"] = owner
    return cleaned


def _ids(values: Iterable) -> set[int]:
    return {value.pk if hasattr(value, "pk") else int(value) for value in values}


def _clean_relations(values: dict) -> dict[str, list]:
    """Categories and services as rows that exist; tags as names, made on the fly."""
    cleaned: dict[str, list] = {}
    if "categories" in values:
        wanted = _ids(values["categories"] or ())
        found = list(Category.objects.filter(pk__in=wanted))
        if len(found) != len(wanted):
            raise ArticleError(_("One of the categories does not exist."))
        cleaned["categories"] = found
    if "services" in values:
        wanted = _ids(values["services"] or ())
        found = list(ConfigurationItem.objects.filter(pk__in=wanted))
        if len(found) != len(wanted):
            raise ArticleError(_("One of the services or configuration items does not exist."))
        cleaned["services"] = found
    if "tags" in values:
        cleaned["tags"] = _tags(values["tags"] or ())
    return cleaned


def _tags(names: Iterable[str]) -> list[Tag]:
    """Tags by name, whatever their case; the new ones are created (two authors at once make one row)."""
    wanted: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ArticleError(_("The tag %(tag)s is longer than 50 characters.") % {"tag": name[:50] + "…"})
        wanted.setdefault(name.lower(), name)
    if not wanted:
        return []
    existing = {tag.name.lower(): tag for tag in Tag.objects.annotate(key=Lower("name")).filter(key__in=wanted)}
    missing = [Tag(name=name) for key, name in wanted.items() if key not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name.lower(): tag for tag in Tag.objects.annotate(key=Lower("name")).filter(key__in=wanted)}
    return [existing[key] for key in wanted]


def _relation_changed(article: Article, name: str, rows: list) -> bool:
    current = set(getattr(article, name).values_list("pk", flat=True))
    return current != {row.pk for row in rows}


# -- writing ----------------------------------------------------------------------------------------


def create_article(
    *,
    author,
    title: str,
    body: str,
    summary: str = "",
    audience: str = Audience.PUBLIC,
    language: str = ArticleLanguage.ENGLISH,
    categories: Iterable = (),
    tags: Iterable[str] = (),
    services: Iterable = (),
    review_by: date | None = None,
    source_ticket=None,
) -> Article:
    """Start a draft owned by its author (an engineer or a Knowledge Editor); tags are names, made on the fly."""
    core.require(author, "knowledge.author_article")
    if source_ticket is not None:
        core.require(author, "servicedesk.work_on_ticket", source_ticket)
    values = {"title": title, "body": body, "summary": summary, "audience": audience, "language": language}
    columns = _clean_columns({**values, "review_by": review_by}, author, None)
    with transaction.atomic():
        relations = _clean_relations({"categories": categories, "tags": tags, "services": services})
        now = timezone.now()
        article = Article.objects.create(
            **columns,
            owner=author,
            created_by=author,
            source_ticket_id=source_ticket.pk if source_ticket is not None else None,
            created_at=now,
            updated_at=now,
        )
        for name, rows in relations.items():
            getattr(article, name).set(rows)
        _record(article, Kind.CREATED, author, to_state=article.state)
    return article


def update_article(*, article: Article, actor, **fields) -> Article:
    """Change the working copy and metadata; a text change to a published article starts its next version."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_article() got unknown fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        article = _lock(article)
        _require_editable(article, actor)
        columns = _clean_columns(fields, actor, article)
        relations = _clean_relations(fields)
        changed_columns = [name for name, value in columns.items() if _column_value(article, name) != value]
        changed_relations = [name for name, rows in relations.items() if _relation_changed(article, name, rows)]
        if not changed_columns and not changed_relations:
            return article
        if (
            "audience" in changed_columns
            and columns["audience"] == Audience.PUBLIC
            and article.is_live
            and not rules.is_editor(actor)
        ):
            raise PermissionDenied(_("Only a Knowledge Editor may open a published internal article to everyone."))
        if article.state == S.PUBLISHED and any(name in TEXT_FIELDS for name in changed_columns):
            _transition(article, "start_revision", actor, Kind.REVISING, refusal="")
        for name in changed_columns:
            setattr(article, name, columns[name])
        _save(article, *changed_columns)
        for name in changed_relations:
            getattr(article, name).set(relations[name])
        # The field names, not their labels: the history is read in each reader's language.
        _record(article, Kind.EDITED, actor, text=", ".join(changed_columns + changed_relations))
        if "audience" in changed_columns and article.is_live:
            # Search results are filtered by audience: keep the index in step with the published article.
            search.index_article(article)
    return article


def _require_editable(article: Article, actor) -> None:
    """Edits need the edit permission; those who could edit it are told why a retired article refuses."""
    if article.state == S.RETIRED and actor.has_perm("knowledge.retire_article", article):
        raise ArticleError(_("%(number)s is retired: restore it before editing.") % {"number": article.number})
    core.require(actor, "knowledge.edit_article", article)


def _column_value(article: Article, name: str):
    return article.owner if name == "owner" else getattr(article, name)


def attach_files(*, article: Article, actor, files: Sequence[UploadedFile]) -> list[ArticleAttachment]:
    """Add checked files to an article (readers of the article may download them)."""
    if not files:
        raise ArticleError(_("Choose a file to attach."))
    core.validate_uploads(files)
    stored: list[ArticleAttachment] = []
    try:
        with transaction.atomic():
            article = _lock(article)
            _require_editable(article, actor)
            for upload in files:
                attachment = ArticleAttachment(
                    article=article,
                    filename=upload.name[:255],
                    content_type=mimetypes.guess_type(upload.name)[0] or "application/octet-stream",
                    size=upload.size,
                    uploaded_by=actor,
                )
                attachment.file.save(upload.name, upload, save=False)
                stored.append(attachment)
                attachment.save()
            _record(article, Kind.EDITED, actor, text=_("Attached %(files)s") % {"files": _names(stored)})
    except BaseException:
        # No on-rollback hook in Django: remove what this failed attempt wrote, so no file is orphaned.
        for attachment in stored:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return stored


def remove_attachment(*, attachment: ArticleAttachment, actor) -> None:
    """Take a file off an article (those who may edit it). Attachments are not versioned: readers of the
    published version lose it at once, which is what removing a wrong or outdated file is for."""
    with transaction.atomic():
        article = _lock(attachment.article)
        _require_editable(article, actor)
        attachment = ArticleAttachment.objects.select_for_update().filter(pk=attachment.pk, article=article).first()
        if attachment is None:
            raise ArticleError(_("The file was already removed."))
        name = attachment.file.name
        attachment.delete()
        _record(article, Kind.EDITED, actor, text=_("Removed %(files)s") % {"files": attachment.filename})
        # The file goes once the row is surely gone; a rolled-back removal keeps it.
        transaction.on_commit(lambda: attachment.file.storage.delete(name))


def _names(attachments: Sequence[ArticleAttachment]) -> str:
    return ", ".join(attachment.filename for attachment in attachments)


# -- the lifecycle -----------------------------------------------------------------------------------


def submit_for_review(*, article: Article, actor) -> Article:
    """Hand a draft to the Knowledge Editors (its owner, or an editor on the owner's behalf)."""
    with transaction.atomic():
        article = _lock(article)
        _require_editable(article, actor)
        _transition(
            article,
            "submit",
            actor,
            Kind.SUBMITTED,
            refusal=_("%(number)s is %(state)s: only a draft can be submitted for review."),
        )
    return article


def comment_on_review(*, article: Article, actor, text: str) -> ArticleEvent:
    """A review comment on a draft or an article in review, by an editor or the owner answering one."""
    text = _required_text(text, _("Write the comment."))
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.comment_on_review", article)
        if article.state not in (S.DRAFT, S.IN_REVIEW):
            raise ArticleError(
                _("%(number)s is %(state)s: review comments go on drafts and articles in review.")
                % {"number": article.number, "state": article.get_state_display()}
            )
        return _record(article, Kind.COMMENTED, actor, text=text)


def _refuse_own_review(article: Article, actor) -> None:
    core.require(actor, "knowledge.review_article", article)
    if article.owner_id == actor.pk:
        raise ArticleError(
            _("%(number)s is your own article: another Knowledge Editor reviews it.") % {"number": article.number}
        )


def send_back(*, article: Article, actor, text: str) -> Article:
    """A reviewer returns an article in review to its author as a draft, saying what to change."""
    text = _required_text(text, _("Tell the author what to change."))
    with transaction.atomic():
        article = _lock(article)
        _refuse_own_review(article, actor)
        _transition(
            article,
            "send_back",
            actor,
            Kind.SENT_BACK,
            text=text,
            refusal=_("%(number)s is %(state)s: only an article in review can be sent back."),
        )
    return article


def publish_article(*, article: Article, actor, change_note: str = "") -> ArticleVersion:
    """Publish the working copy as the next version readers see (an editor: from review, or a draft directly)."""
    change_note = (change_note or "").strip()
    if len(change_note) > 300:
        raise ArticleError(_("Keep the note on what changed under 300 characters."))
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.review_article", article)
        if article.state == S.IN_REVIEW:
            _refuse_own_review(article, actor)
        elif article.state != S.DRAFT:
            raise ArticleError(
                _("%(number)s is %(state)s: only a draft or an article in review can be published.")
                % {"number": article.number, "state": article.get_state_display()}
            )
        number = (article.versions.aggregate(last=Max("number"))["last"] or 0) + 1
        version = ArticleVersion.objects.create(
            article=article,
            number=number,
            title=article.title,
            summary=article.summary,
            body=article.body,
            change_note=change_note,
            author=article.owner,
            published_by=actor,
        )
        before, was_flagged = article.state, article.flagged
        article.publish()
        today = timezone.localdate()
        if article.review_by is None or article.review_by <= today:
            article.review_by = add_months(today, _review_months())
        article.published_version = version
        article.is_live = True
        article.flagged, article.flag_reason, article.reminded_at = False, "", None
        _save(article, "state", "published_version", "is_live", "review_by", "flagged", "flag_reason", "reminded_at")
        _record(
            article, Kind.PUBLISHED, actor, text=change_note, version=number, from_state=before, to_state=article.state
        )
        if was_flagged:
            _record(article, Kind.UNFLAGGED, actor, text=_("Version %(number)d published.") % {"number": number})
        search.index_article(article)
    return version


def start_revision(*, article: Article, actor) -> Article:
    """Start the next version of a published article: readers keep the published one meanwhile."""
    with transaction.atomic():
        article = _lock(article)
        _require_editable(article, actor)
        _transition(
            article,
            "start_revision",
            actor,
            Kind.REVISING,
            refusal=_("%(number)s is %(state)s: a new version starts from a published article."),
        )
    return article


def retire_article(*, article: Article, actor, reason: str) -> Article:
    """Archive an article: readers no longer see it, its versions and history stay (the owner or an editor)."""
    reason = _required_text(reason, _("Say why the article is retired."))
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.retire_article", article)
        _transition(article, "retire", actor, Kind.RETIRED, text=reason, refusal=_("%(number)s is already %(state)s."))
        article.is_live = False
        _save(article, "is_live")
        search.index_article(article)
    return article


def restore_article(*, article: Article, actor) -> Article:
    """Bring a retired article back as a draft; readers see it again once it is published."""
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.retire_article", article)
        _transition(
            article,
            "restore",
            actor,
            Kind.RESTORED,
            refusal=_("%(number)s is %(state)s: only a retired article can be restored."),
        )
    return article


# -- flags -------------------------------------------------------------------------------------------


def _flag(article: Article, actor, reason: str) -> None:
    article.flagged, article.flag_reason = True, reason[:300]
    _save(article, "flagged", "flag_reason", touch=False)
    _record(article, Kind.FLAGGED, actor, text=reason)


def flag_article(*, article: Article, actor, reason: str) -> Article:
    """An engineer flags an article for its owner (wrong, outdated); a second flag replaces the reason."""
    reason = _required_text(reason, _("Say what is wrong with the article."))
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.flag_article", article)
        if article.state == S.RETIRED:
            raise ArticleError(_("%(number)s is retired.") % {"number": article.number})
        _flag(article, actor, reason)
    return article


def clear_flag(*, article: Article, actor) -> Article:
    """The owner or an editor clears the flag (nothing to do when there is none)."""
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "knowledge.clear_flag", article)
        if article.flagged:
            article.flagged, article.flag_reason = False, ""
            _save(article, "flagged", "flag_reason", touch=False)
            _record(article, Kind.UNFLAGGED, actor)
    return article


# -- readers: views and feedback ---------------------------------------------------------------------


def record_view(*, article: Article, user) -> bool:
    """Count one read of a live article (a single UPDATE, no lock); False when the article is not live."""
    core.require(user, "knowledge.read_article", article)
    return bool(Article.objects.filter(pk=article.pk, is_live=True).update(view_count=F("view_count") + 1))


def give_feedback(*, article: Article, user, helpful: bool, comment: str = "") -> Feedback:
    """A reader's verdict, one per reader: giving it again replaces it and moves the counters with it."""
    if not isinstance(helpful, bool):
        raise ArticleError(_("Say whether the article helped."))
    comment = (comment or "").strip()
    with transaction.atomic():
        article = _lock(article)
        core.require(user, "knowledge.read_article", article)
        if not article.is_live:
            raise ArticleError(_("%(number)s is not published.") % {"number": article.number})
        version = ArticleVersion.objects.values_list("number", flat=True).get(pk=article.published_version_id)
        feedback = Feedback.objects.filter(article=article, user=user).first()
        helpful_delta = unhelpful_delta = 0
        if feedback is None:
            feedback = Feedback(article=article, user=user)
            helpful_delta, unhelpful_delta = (1, 0) if helpful else (0, 1)
        elif feedback.helpful != helpful:
            helpful_delta, unhelpful_delta = (1, -1) if helpful else (-1, 1)
        feedback.helpful, feedback.comment, feedback.version = helpful, comment, version
        feedback.created_at = timezone.now()
        feedback.save()
        if helpful_delta or unhelpful_delta:
            Article.objects.filter(pk=article.pk).update(
                helpful_count=F("helpful_count") + helpful_delta, unhelpful_count=F("unhelpful_count") + unhelpful_delta
            )
        if not helpful and not article.flagged:
            _flag_if_unhelpful(article, version)
    return feedback


def _flag_if_unhelpful(article: Article, version: int) -> None:
    """The feedback rule: on this version, not-helpful verdicts reach the threshold and outnumber helpful ones."""
    votes = Feedback.objects.filter(article=article, version=version).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    if votes["no"] >= _flag_threshold() and votes["no"] > votes["yes"]:
        reason = _("Readers found version %(version)d unhelpful (%(no)d not helpful, %(yes)d helpful).") % {
            "version": version,
            **votes,
        }
        _flag(article, None, reason)


# -- links to tickets --------------------------------------------------------------------------------


def link_to_ticket(*, article: Article, ticket, actor, solved: bool = False) -> TicketLink:
    """Link an article to a ticket the engineer works on; `solved` when it solved the ticket. Safe to repeat.

    Repeating a link changes nothing, except that a link may become "solved" (never the other way).
    """
    with transaction.atomic():
        article = _lock(article)  # links of one article queue here, so the counters follow the rows
        core.require(actor, "servicedesk.work_on_ticket", ticket)
        core.require(actor, "knowledge.read_article", article)
        link = TicketLink.objects.filter(article=article, ticket_id=ticket.pk).first()
        now = timezone.now()
        if link is None:
            if not article.is_live:
                raise ArticleError(
                    _("%(number)s is not published: only published articles are linked to tickets.")
                    % {"number": article.number}
                )
            link = TicketLink.objects.create(
                article=article, ticket_id=ticket.pk, linked_by=actor, solved=solved, solved_at=now if solved else None
            )
            Article.objects.filter(pk=article.pk).update(
                link_count=F("link_count") + 1, solved_count=F("solved_count") + int(solved)
            )
        elif solved and not link.solved:
            link.solved, link.solved_at = True, now
            link.save(update_fields=["solved", "solved_at"])
            Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
    return link


def unlink(*, article: Article, ticket, actor) -> bool:
    """Remove an article's link to a ticket (a wrong link); False when there was none."""
    with transaction.atomic():
        article = _lock(article)
        core.require(actor, "servicedesk.work_on_ticket", ticket)
        link = TicketLink.objects.filter(article=article, ticket_id=ticket.pk).first()
        if link is None:
            return False
        link.delete()
        Article.objects.filter(pk=article.pk).update(
            link_count=F("link_count") - 1, solved_count=F("solved_count") - int(link.solved)
        )
    return True


def draft_from_ticket(*, ticket, actor) -> Article:
    """Capture a solved ticket as a draft (KCS): its title, its description as symptoms, its resolution notes.

    The draft is for engineers only until its author chooses otherwise: ticket text is rarely written for
    everyone. The ticket's own model is looked up through its kind (the knowledge app imports no practice) and
    read duck-typed: `resolution_notes`, `affected_service` and `configuration_item` when it has them.
    """
    core.require(actor, "servicedesk.work_on_ticket", ticket)
    concrete = apps.get_model(ticket.kind_info.model_label).objects.get(pk=ticket.pk)
    description = (concrete.description or "").strip()
    notes = (getattr(concrete, "resolution_notes", "") or "").strip()
    sections = [f"## {_('Symptoms')}\n\n{description or concrete.title}"]
    if notes:
        sections.append(f"## {_('Resolution')}\n\n{notes}")
    services = [
        ci
        for ci in (getattr(concrete, "affected_service", None), getattr(concrete, "configuration_item", None))
        if ci is not None
    ]
    return create_article(
        author=actor,
        title=concrete.title,
        body="\n\n".join(sections),
        summary=notes.splitlines()[0][:500] if notes else "",
        audience=Audience.INTERNAL,
        language=translation.get_language() if translation.get_language() in ArticleLanguage.values else "en",
        services=services,
        source_ticket=concrete,
    )


# -- review reminders (beat) -------------------------------------------------------------------------


def _due_for_reminder(today: date):
    """Live articles past their review date, not yet reminded since it passed."""
    return Article.objects.filter(is_live=True, review_by__lt=today).filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__date__lte=F("review_by"))
    )


def remind_overdue_reviews(*, today: date | None = None) -> int:
    """Flag live articles whose review date has passed and remind each owner once; returns how many reminded.

    One transaction per article, rows locked with SKIP LOCKED and the condition checked again under the lock:
    two runs at once, or one run twice, remind nobody twice.
    """
    today = today or timezone.localdate()
    reminded = 0
    for pk in list(_due_for_reminder(today).order_by("review_by", "pk").values_list("pk", flat=True)):
        with transaction.atomic():
            article = _due_for_reminder(today).select_for_update(skip_locked=True).filter(pk=pk).first()
            if article is None:
                continue
            reason = _("The review date %(date)s has passed.") % {"date": article.review_by.isoformat()}
            if not article.flagged:
                _flag(article, None, reason)
            article.reminded_at = timezone.now()
            _save(article, "reminded_at", touch=False)
            _record(article, Kind.REMINDED, None, text=reason)
            transaction.on_commit(lambda pk=pk: _send_review_reminder(pk), robust=True)
        reminded += 1
    return reminded


def _send_review_reminder(article_id: int) -> None:
    """Email the owner that their article is due for review (after commit; a failure is logged, not retried)."""
    article = Article.objects.select_related("owner").get(pk=article_id)
    owner = article.owner
    if not owner.is_active or not owner.email:
        return
    with translation.override(preference_of(owner).language or settings.LANGUAGE_CODE):
        subject = _("Review due: %(number)s %(title)s") % {"number": article.number, "title": article.title}
        body = _(
            "Your knowledge article %(number)s “%(title)s” was due for review on %(date)s.\n\n"
            "Check that it is still right, then publish it again (unchanged if nothing changed) or retire it. "
            "It is flagged in your list of articles until then.\n\n%(site)s"
        ) % {
            "number": article.number,
            "title": article.title,
            "date": article.review_by.isoformat(),
            "site": settings.SITE_URL,
        }
    try:
        send_mail(subject, body, None, [owner.email])
    except Exception:  # the flag and the history row already record the reminder
        logger.exception("review reminder for %s not sent", article.number)
