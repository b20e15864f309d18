"""Who may read, write, review and publish knowledge articles: django-rules predicates for services and views.

- **Readers.** End users read live public articles. Contributors (desk engineers and Knowledge Editors) also
  read live internal ones and every article they own, whatever its state. Editors read everything.
  `selectors.visible_articles` is the same rule as a queryset.
- **Writers.** A contributor may author articles and edit the ones they own; an editor may edit any article.
  A retired article is edited by nobody (restore it first).
- **Reviewers.** Only Knowledge Editors review (comment as reviewer, send back, publish). Nobody reviews their
  own article: an article someone submitted for review waits for an editor other than its owner. An editor may
  still publish a draft directly (their own or anyone's) without the review step: editors are trusted to
  publish, and that is the way to re-publish an unchanged article as reviewed.
"""

import rules

from servicedesk import roles
from servicedesk.rules import is_agent

from .models import ArticleState, Audience


@rules.predicate
def is_editor(user) -> bool:
    """A Knowledge Editor (or a superuser): reviews, publishes and curates every article."""
    return user.is_authenticated and (user.is_superuser or roles.KNOWLEDGE_EDITOR in roles.role_names(user))


is_contributor = is_agent | is_editor


@rules.predicate
def is_owner(user, article) -> bool:
    return article is not None and user.is_authenticated and article.owner_id == user.pk


@rules.predicate
def is_live_public(user, article) -> bool:
    return article is not None and user.is_authenticated and article.is_live and article.audience == Audience.PUBLIC


@rules.predicate
def is_live(user, article) -> bool:
    return article is not None and article.is_live


@rules.predicate
def is_retired(user, article) -> bool:
    return article is not None and article.state == ArticleState.RETIRED


can_read_article = is_live_public | (is_contributor & (is_live | is_owner)) | is_editor
can_edit_article = ~is_retired & ((is_contributor & is_owner) | is_editor)
# Reviewing: an editor who is not the article's owner.
can_review_article = is_editor & ~is_owner
# Review comments: the reviewers, and the owner answering them.
can_comment_on_review = is_editor | (is_contributor & is_owner)
# Retire and restore: the owner or an editor.
can_retire_article = (is_contributor & is_owner) | is_editor
# Any engineer who can read an article may flag it (outdated, wrong); its owner or an editor clears the flag.
can_flag_article = is_contributor & can_read_article
can_clear_flag = (is_contributor & is_owner) | is_editor

rules.add_perm("knowledge.author_article", is_contributor)
rules.add_perm("knowledge.read_article", can_read_article)
rules.add_perm("knowledge.edit_article", can_edit_article)
rules.add_perm("knowledge.review_article", is_editor)
rules.add_perm("knowledge.review_this_article", can_review_article)
rules.add_perm("knowledge.comment_on_review", can_comment_on_review)
rules.add_perm("knowledge.retire_article", can_retire_article)
rules.add_perm("knowledge.flag_article", can_flag_article)
rules.add_perm("knowledge.clear_flag", can_clear_flag)
rules.add_perm("knowledge.see_contribution", is_contributor)
