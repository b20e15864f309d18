"""Reads of the knowledge base shared by the portal, the desk, the API and reports."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth import get_user_model
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone

from servicedesk.models import AssignmentGroup

from .models import Article, ArticleEvent, ArticleState, ArticleVersion, Audience, TicketLink
from .rules import is_contributor, is_editor


def visible_articles(user) -> QuerySet[Article]:
    """The articles a user may open, the start of every read surface (the same rule as `knowledge.read_article`).

    End users: live public articles. Engineers: every live article and their own in any state. Editors: all.
    """
    articles = Article.objects.all()
    if not user.is_authenticated:
        return articles.none()
    if is_editor(user):
        return articles
    if is_contributor(user):
        return articles.filter(Q(is_live=True) | Q(owner_id=user.pk))
    return articles.filter(is_live=True, audience=Audience.PUBLIC)


def flagged_for(owner) -> QuerySet[Article]:
    """The owner's flagged articles (review date passed, unhelpful feedback, an engineer's flag), not retired."""
    return (
        Article.objects.filter(owner_id=owner.pk, flagged=True)
        .exclude(state=ArticleState.RETIRED)
        .select_related("published_version")
        .order_by("review_by", "pk")
    )


def review_queue() -> QuerySet[Article]:
    """Articles waiting for a Knowledge Editor, the longest waiting first."""
    return (
        Article.objects.filter(state=ArticleState.IN_REVIEW)
        .select_related("owner")
        .annotate(
            submitted_at=Max("events__created_at", filter=Q(events__kind=ArticleEvent.Kind.SUBMITTED)),
        )
        .order_by("submitted_at", "pk")
    )


def versions_of(article: Article) -> QuerySet[ArticleVersion]:
    """Every published version of an article, newest first."""
    return article.versions.select_related("author", "published_by").order_by("-number")


DIFF_FIELDS = ("title", "summary", "body")


def version_diff(version: ArticleVersion) -> list[str]:
    """Unified diff lines of a version against the one before it (or against nothing), field by field."""
    previous = (
        ArticleVersion.objects.filter(article_id=version.article_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    lines: list[str] = []
    for field in DIFF_FIELDS:
        old = getattr(previous, field) if previous is not None else ""
        lines.extend(
            difflib.unified_diff(
                old.splitlines(),
                getattr(version, field).splitlines(),
                fromfile=f"{field} v{previous.number if previous is not None else 0}",
                tofile=f"{field} v{version.number}",
                lineterm="",
            )
        )
    return lines


# -- contribution ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContributionRow:
    """What one engineer or one support group contributed to the knowledge base."""

    subject: object  # a user or an AssignmentGroup
    written: int  # articles with a version published under their authorship
    reviewed: int  # others' articles they published, sent back or commented on as reviewers
    solved: int  # tickets solved by articles they own

    @property
    def total(self) -> int:
        return self.written + self.reviewed + self.solved


@dataclass(frozen=True)
class Contribution:
    engineers: list[ContributionRow]
    groups: list[ContributionRow]


def _instant(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    return timezone.make_aware(datetime.combine(value, time.min))


def _in_period(field: str, period) -> Q:
    if period is None:
        return Q()
    start, end = period
    return Q(**{f"{field}__gte": _instant(start), f"{field}__lt": _instant(end)})


def contribution(period: tuple[date | datetime, date | datetime] | None = None) -> Contribution:
    """Articles written, reviewed, and tickets solved by their articles, per engineer and per support group.

    `period` is `(start, end)`, end excluded; dates mean midnight in the site's time zone. Each figure counts
    distinct things (an article revised three times is one article written); a group's figures count the
    distinct articles and tickets of its members, so two members reviewing one article count once.
    - written: articles with a version published in the period whose author is the engineer;
    - reviewed: articles owned by someone else that the engineer published, sent back or commented on;
    - solved: tickets marked solved in the period by articles the engineer owns.
    """
    written = set(
        ArticleVersion.objects.filter(_in_period("published_at", period)).values_list("author_id", "article_id")
    )
    reviewed = set(
        ArticleVersion.objects.filter(_in_period("published_at", period))
        .exclude(published_by_id=F("author_id"))
        .values_list("published_by_id", "article_id")
    )
    reviewed |= set(
        ArticleEvent.objects.filter(
            _in_period("created_at", period),
            kind__in=(ArticleEvent.Kind.COMMENTED, ArticleEvent.Kind.SENT_BACK),
            actor__isnull=False,
        )
        .exclude(actor_id=F("article__owner_id"))
        .values_list("actor_id", "article_id")
    )
    solved = set(
        TicketLink.objects.filter(_in_period("solved_at", period), solved=True).values_list(
            "article__owner_id", "ticket_id"
        )
    )
    people = {user_id for user_id, _thing in written | reviewed | solved}
    users = get_user_model().objects.in_bulk(people)
    engineers = _rows({pk: users[pk] for pk in people}, {pk: {pk} for pk in people}, written, reviewed, solved)
    memberships: dict[int, set[int]] = defaultdict(set)
    for group_id, user_id in AssignmentGroup.members.through.objects.filter(user_id__in=people).values_list(
        "assignmentgroup_id", "user_id"
    ):
        memberships[group_id].add(user_id)
    groups = AssignmentGroup.objects.in_bulk(memberships)
    return Contribution(engineers=engineers, groups=_rows(groups, memberships, written, reviewed, solved))


def _rows(subjects: dict, members: dict[int, set[int]], *pair_sets: Iterable[tuple[int, int]]) -> list[ContributionRow]:
    """One row per subject: the distinct things its members did, per measure; busiest first."""
    counts = []
    for pairs in pair_sets:
        by_person: dict[int, set[int]] = defaultdict(set)
        for person, thing in pairs:
            by_person[person].add(thing)
        counts.append(by_person)
    rows = [
        ContributionRow(
            subject,
            *(len(set().union(*(by_person.get(person, set()) for person in members[pk]))) for by_person in counts),
        )
        for pk, subject in subjects.items()
    ]
    return sorted(rows, key=lambda row: (-row.total, str(row.subject)))
