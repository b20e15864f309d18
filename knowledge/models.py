"""Knowledge articles: their working copy and lifecycle, the versions readers saw, reviews, feedback, links to tickets.

An article has two faces. Its **working copy** (`title`, `summary`, `body`) is what authors edit and reviewers
review; the lifecycle state (`draft` → `in_review` → `published`, or `retired`) is the state of that copy.
What **readers** see is the last published version (`published_version`): an article already published stays
readable while its next version is drafted and reviewed. `is_live` (published once, not retired) says whether
readers see it at all, and the search columns hold the published text only, so a draft never leaks into search.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, FSMModelMixin, transition

NUMBER_PREFIX = "KB"


class ArticleState(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("article state", "Draft")
    IN_REVIEW = "in_review", pgettext_lazy("article state", "In review")
    PUBLISHED = "published", pgettext_lazy("article state", "Published")
    RETIRED = "retired", pgettext_lazy("article state", "Retired")


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone (portal)")
    INTERNAL = "internal", _("Engineers only")


class ArticleLanguage(models.TextChoices):
    ENGLISH = "en", "English"
    CHINESE = "zh-hans", "简体中文"


class Category(models.Model):
    """A shelf of the knowledge base, nested (Network › VPN)."""

    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("knowledge category")
        verbose_name_plural = _("knowledge categories")
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="kb_category_unique_name")]

    def __str__(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent_id else self.name


class Tag(models.Model):
    """A free keyword on articles, created on the fly when an author first uses it."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Article(FSMModelMixin, models.Model):
    """A knowledge article: the working copy authors edit, and the published version readers see."""

    state = FSMField(
        _("state"), max_length=16, choices=ArticleState.choices, default=ArticleState.DRAFT, protected=True
    )
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    language = models.CharField(
        _("language"), max_length=8, choices=ArticleLanguage.choices, default=ArticleLanguage.ENGLISH
    )
    # The working copy.
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500, blank=True)
    body = models.TextField(_("body"), help_text=_("Markdown."))
    categories = models.ManyToManyField(Category, blank=True, related_name="articles", verbose_name=_("categories"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles", verbose_name=_("tags"))
    services = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="articles", verbose_name=_("related services and CIs")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_articles", verbose_name=_("owner")
    )
    # What readers see: the last published version, and whether they see it at all.
    published_version = models.ForeignKey(
        "ArticleVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    is_live = models.BooleanField(default=False, editable=False)
    review_by = models.DateField(_("review by"), null=True, blank=True)
    # Flagged for its owner: past its review date, or readers found it unhelpful.
    flagged = models.BooleanField(_("flagged"), default=False)
    flag_reason = models.CharField(_("why flagged"), max_length=300, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Counters, kept by the services with UPDATE … SET n = n + 1 (no read-modify-write race).
    view_count = models.PositiveIntegerField(default=0, editable=False)
    helpful_count = models.PositiveIntegerField(default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(default=0, editable=False)
    link_count = models.PositiveIntegerField(default=0, editable=False)
    solved_count = models.PositiveIntegerField(default=0, editable=False)
    # Search: the published text, segmented for Chinese (see knowledge.search), weighted title > summary > body.
    search_title = models.CharField(max_length=200, blank=True, editable=False)
    search_text = models.TextField(blank=True, editable=False)
    search_vector = SearchVectorField(null=True, editable=False)
    # The resolved ticket this article was drafted from (knowledge captured while solving, KCS-style).
    source_ticket = models.ForeignKey(
        "servicedesk.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            GinIndex(fields=["search_vector"], name="kb_article_search"),
            GinIndex(
                name="kb_article_title_trgm",
                fields=["search_title"],
                opclasses=["gin_trgm_ops"],
                condition=models.Q(is_live=True),
            ),
            models.Index(fields=["state", "-updated_at"], name="kb_article_state"),
            models.Index(fields=["review_by"], name="kb_article_review_by", condition=models.Q(is_live=True)),
            models.Index(fields=["owner", "flagged"], name="kb_article_owner_flagged"),
        ]
        permissions = [("review_article", _("Can review and publish articles"))]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"{NUMBER_PREFIX}{self.pk:07d}" if self.pk else ""

    @staticmethod
    def pk_from_number(number: str) -> int | None:
        """KB0000042 → 42; None when it is not an article number."""
        digits = number.upper().removeprefix(NUMBER_PREFIX)
        return int(digits) if digits.isdigit() and number.upper().startswith(NUMBER_PREFIX) else None

    @property
    def review_overdue(self) -> bool:
        return bool(self.is_live and self.review_by and self.review_by < date.today())

    # -- lifecycle (services call these; they check who may, and keep the history) --------------------

    @transition(field=state, source=[ArticleState.DRAFT], target=ArticleState.IN_REVIEW)
    def submit(self) -> None:
        pass

    @transition(field=state, source=[ArticleState.IN_REVIEW], target=ArticleState.DRAFT)
    def send_back(self) -> None:
        pass

    @transition(field=state, source=[ArticleState.IN_REVIEW, ArticleState.DRAFT], target=ArticleState.PUBLISHED)
    def publish(self) -> None:
        pass

    @transition(field=state, source=[ArticleState.PUBLISHED], target=ArticleState.DRAFT)
    def start_revision(self) -> None:
        pass

    @transition(
        field=state,
        source=[ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.PUBLISHED],
        target=ArticleState.RETIRED,
    )
    def retire(self) -> None:
        pass

    @transition(field=state, source=[ArticleState.RETIRED], target=ArticleState.DRAFT)
    def restore(self) -> None:
        pass


class ArticleVersion(models.Model):
    """One published version, kept for ever: what readers saw from `published_at` until the next one."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=500, blank=True)
    body = models.TextField()
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.article.number} v{self.number}"


class ArticleEvent(models.Model):
    """The article's history, append-only: created, edited, submitted, reviewed, published, retired, flagged …"""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted for review")
        COMMENTED = "commented", _("Review comment")
        SENT_BACK = "sent_back", _("Sent back to the author")
        PUBLISHED = "published", _("Published")
        REVISING = "revising", _("New version started")
        RETIRED = "retired", _("Retired")
        RESTORED = "restored", _("Restored")
        FLAGGED = "flagged", _("Flagged")
        UNFLAGGED = "unflagged", _("Flag cleared")
        REMINDED = "reminded", _("Owner reminded to review")

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    # A review comment, the reason of a retirement or of a flag.
    text = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "created_at"], name="kb_event_article")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.article_id})"


def article_file_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{timezone.now():%Y%m%d%H%M%S}-{filename}"


class ArticleAttachment(models.Model):
    """A file on an article: readers of the article may download it (size- and type-checked on upload)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_file_path)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class Feedback(models.Model):
    """A reader's verdict on an article: helpful or not, with an optional comment; one per reader (changeable)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="kb_feedback_once_per_reader")]

    def __str__(self) -> str:
        return f"{'helpful' if self.helpful else 'not helpful'} ({self.article_id})"


class TicketLink(models.Model):
    """An article linked to a ticket by an engineer; `solved` when the ticket was resolved with it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket = models.ForeignKey("servicedesk.Ticket", on_delete=models.CASCADE, related_name="article_links")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    solved = models.BooleanField(default=False)
    # When the link became "solved by" (contribution reports count solutions in a period by this time).
    solved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["article", "ticket"], name="kb_link_once_per_ticket")]
        indexes = [models.Index(fields=["ticket"], name="kb_link_ticket")]

    def __str__(self) -> str:
        return f"{self.article_id} → {self.ticket_id}{' (solved)' if self.solved else ''}"
