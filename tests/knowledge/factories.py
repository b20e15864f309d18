"""Knowledge rows made directly with the ORM (no services): articles in a given lifecycle state, indexed for search."""

from __future__ import annotations

from knowledge import search
from knowledge.models import Article, ArticleLanguage, ArticleState, ArticleVersion, Audience, Category, Tag
from tests.factories import UserFactory


def category(name: str, parent: Category | None = None) -> Category:
    return Category.objects.get_or_create(name=name, parent=parent)[0]


def tag(name: str) -> Tag:
    return Tag.objects.get_or_create(name=name)[0]


def article(
    title: str,
    body: str = "",
    *,
    summary: str = "",
    state: str = ArticleState.PUBLISHED,
    audience: str = Audience.PUBLIC,
    language: str = ArticleLanguage.ENGLISH,
    categories: tuple[Category, ...] = (),
    tags: tuple[Tag, ...] = (),
    owner=None,
) -> Article:
    """An article whose working copy is this text; published (version 1) unless `state` is draft or in review.

    A retired article keeps its version but is not live. The search columns are filled by `index_article`.
    """
    owner = owner or UserFactory()
    item = Article.objects.create(
        state=state,
        audience=audience,
        language=language,
        title=title,
        summary=summary,
        body=body,
        owner=owner,
        created_by=owner,
    )
    item.categories.set(categories)
    item.tags.set(tags)
    if state in {ArticleState.PUBLISHED, ArticleState.RETIRED}:
        version = ArticleVersion.objects.create(
            article=item, number=1, title=title, summary=summary, body=body, author=owner, published_by=owner
        )
        item.published_version, item.is_live = version, state == ArticleState.PUBLISHED
        Article.objects.filter(pk=item.pk).update(published_version=version, is_live=item.is_live)
    search.index_article(item)
    return item


def revise(item: Article, *, title: str | None = None, body: str | None = None) -> Article:
    """Start the next version: the working copy changes (a draft), readers keep the published version."""
    item.title = title if title is not None else item.title
    item.body = body if body is not None else item.body
    Article.objects.filter(pk=item.pk).update(state=ArticleState.DRAFT, title=item.title, body=item.body)
    search.index_article(item)
    return item
