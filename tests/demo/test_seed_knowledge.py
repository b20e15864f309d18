"""seed_demo's knowledge base: about fifty articles in English and Chinese, at every point of their life, made
through the services (versions, history, feedback, links, search), and a second run that changes nothing."""

from collections import Counter
from datetime import date
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from demo.knowledge import ARTICLES, EDITOR
from knowledge.models import (
    Article,
    ArticleEvent,
    ArticleState,
    ArticleVersion,
    Audience,
    Category,
    Feedback,
    Tag,
    TicketLink,
)
from knowledge.search import search
from servicedesk import roles

EN, ZH = "en", "zh-hans"


def _is_cjk(character: str) -> bool:
    return bool(character) and ("\u3000" <= character <= "\u9fff" or "\uff00" <= character <= "\uffef")


@pytest.fixture
def seeded(db, settings):
    # The demo people's passwords are hashed for real; the strong hasher would be most of each test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo")
    return {user.username: user for user in get_user_model().objects.all()}


def test_about_fifty_articles_half_in_each_language(seeded):
    languages = Counter(Article.objects.values_list("language", flat=True))

    assert 45 <= sum(languages.values()) <= 55
    assert set(languages) == {EN, ZH}
    assert abs(languages[EN] - languages[ZH]) <= 3
    # A few topics in both languages: the same services and shelves, told twice.
    assert Article.objects.filter(language=ZH, title__contains="VPN").exists()
    assert Article.objects.filter(language=EN, title__contains="VPN").exists()


def test_articles_at_every_point_of_their_life(seeded):
    states = Counter(Article.objects.values_list("state", flat=True))

    assert states[ArticleState.IN_REVIEW] == 2
    assert states[ArticleState.DRAFT] == 2
    assert states[ArticleState.RETIRED] == 1
    assert states[ArticleState.PUBLISHED] == len(ARTICLES) - 5
    sent_back = Article.objects.get(state=ArticleState.DRAFT, events__kind=ArticleEvent.Kind.SENT_BACK)
    assert sent_back.events.get(kind=ArticleEvent.Kind.SENT_BACK).text
    assert ArticleEvent.objects.filter(kind=ArticleEvent.Kind.COMMENTED, article__state=ArticleState.IN_REVIEW).exists()
    retired = Article.objects.get(state=ArticleState.RETIRED)
    assert not retired.is_live and retired.published_version is not None
    overdue = Article.objects.filter(is_live=True, review_by__lt=date.today())
    assert len(overdue) == 1
    assert overdue[0].review_overdue


def test_every_published_article_has_its_versions(seeded):
    published = Article.objects.filter(state=ArticleState.PUBLISHED).select_related("published_version")

    for article in published:
        assert article.is_live, article.title
        assert article.published_version.body == article.body, article.title
        assert article.review_by is not None
    revised = [a for a in published if a.published_version.number == 2]
    assert len(revised) >= 3
    for article in revised:
        first, second = article.versions.order_by("number")
        assert first.body != second.body
        assert second.change_note
        assert [e.kind for e in article.events.filter(kind__in=["published", "revising"])] == [
            "published",
            "revising",
            "published",
        ]
    assert not ArticleVersion.objects.filter(article__state__in=[ArticleState.DRAFT, ArticleState.IN_REVIEW]).exists()


def test_owners_audiences_shelves_and_bodies(seeded):
    editor = seeded[EDITOR]
    articles = list(Article.objects.select_related("owner").prefetch_related("categories", "tags"))

    assert roles.KNOWLEDGE_EDITOR in editor.groups.values_list("name", flat=True)
    assert {a.owner.username for a in articles} >= {EDITOR, "lin", "lee", "ivan", "owen"}
    internal = [a for a in articles if a.audience == Audience.INTERNAL]
    assert 0.1 <= len(internal) / len(articles) <= 0.2
    assert {a.language for a in internal} == {EN, ZH}
    assert Category.objects.filter(parent__isnull=False).count() >= 10
    assert all(a.categories.all() and a.tags.all() and a.summary for a in articles)
    assert all(category.parent is not None for a in articles for category in a.categories.all() if a.language == EN)
    for article in articles:
        assert "## " in article.body, article.title
        assert not any(ord(c) < 32 and c != "\n" for c in article.body), article.title
    # Chinese paragraphs are one Markdown line each (a line break inside one would show as a space).
    for article in (a for a in articles if a.language == ZH):
        for line, following in pairwise(article.body.splitlines()):
            assert not (_is_cjk(line[-1:]) and _is_cjk(following[:1])), (article.title, line)


def test_feedback_from_end_users_flags_one_article(seeded):
    readers = set(Feedback.objects.values_list("user__username", flat=True))

    assert readers <= {"alice", "bob", "carol", "fred", "gina", "sam"}
    assert Feedback.objects.filter(helpful=True).count() >= 10
    flagged = Article.objects.get(flagged=True)
    assert flagged.unhelpful_count >= 3
    assert flagged.events.filter(kind=ArticleEvent.Kind.FLAGGED).exists()
    article = Article.objects.exclude(helpful_count=0).first()
    assert article.helpful_count == article.feedback.filter(helpful=True).count()


def test_articles_linked_to_the_demo_incidents(seeded):
    links = TicketLink.objects.select_related("article", "ticket")

    assert links.count() >= 3
    solved = links.get(solved=True)
    assert solved.ticket.title == "Outlook keeps asking for my password"
    assert solved.ticket.state == "resolved"
    assert solved.article.solved_count == 1
    assert solved.article.source_ticket_id == solved.ticket.pk


def test_each_published_article_is_found_by_its_title(seeded):
    for article in Article.objects.filter(is_live=True):
        hits = search(article.title, user_can_see_internal=True, limit=5)
        assert article.pk in [hit.id for hit in hits], article.title


def test_a_second_run_changes_nothing(seeded):
    def counts():
        models = (Article, ArticleVersion, ArticleEvent, Category, Tag, Feedback, TicketLink)
        return {model.__name__: model.objects.count() for model in models}

    first = counts()
    assert first["Article"] == len(ARTICLES)

    call_command("seed_demo")

    assert counts() == first
