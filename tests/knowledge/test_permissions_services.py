"""Who sees which articles and who may run which use case: the permission matrix of the knowledge services."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from knowledge import rules as knowledge_rules
from knowledge import selectors, services
from knowledge.models import Article, ArticleEvent
from knowledge.services import ArticleError
from servicedesk import roles
from tests.factories import UserFactory, messages_of


@pytest.fixture
def shelf(lin, lee, kate, alice):
    """One article in every situation, lin's unless said otherwise."""

    def make(title, author=lin, **fields):
        return services.create_article(author=author, title=title, body=f"{title} text", **fields)

    public = make("Public")
    services.publish_article(article=public, actor=kate)
    internal = make("Internal", audience="internal")
    services.publish_article(article=internal, actor=kate)
    revising = make("Revising")
    services.publish_article(article=revising, actor=kate)
    services.update_article(article=revising, actor=lin, body="next version, not yet reviewed")
    draft = make("Draft")
    in_review = make("In review")
    services.submit_for_review(article=in_review, actor=lin)
    retired = make("Retired")
    services.publish_article(article=retired, actor=kate)
    services.retire_article(article=retired, actor=kate, reason="Obsolete")
    lees_draft = make("Lee's draft", author=lee)
    return {
        a.title: Article.objects.get(pk=a.pk)
        for a in (public, internal, revising, draft, in_review, retired, lees_draft)
    }


def titles(queryset) -> set[str]:
    return set(queryset.values_list("title", flat=True))


EVERYTHING = {"Public", "Internal", "Revising", "Draft", "In review", "Retired", "Lee's draft"}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", set()),
        ("alice", {"Public", "Revising"}),  # live and public only (a revising article shows its published version)
        ("lin", {"Public", "Internal", "Revising", "Draft", "In review", "Retired"}),  # live + all of his own
        ("lee", {"Public", "Internal", "Revising", "Lee's draft"}),
        ("kate", EVERYTHING),
        ("superuser", EVERYTHING),
    ],
)
def test_visible_articles_per_role_agree_with_the_read_rule(shelf, who, expected, alice, lin, lee, kate):
    user = {
        "anonymous": AnonymousUser(),
        "alice": alice,
        "lin": lin,
        "lee": lee,
        "kate": kate,
        "superuser": UserFactory(username="root", is_superuser=True),
    }[who]

    assert titles(selectors.visible_articles(user)) == expected
    assert {title for title, article in shelf.items() if user.has_perm("knowledge.read_article", article)} == expected


def test_internal_articles_never_reach_end_users_whatever_their_state(shelf, alice, kate):
    services.update_article(article=shelf["Internal"], actor=kate, title="Internal, revised")
    for user in (alice, UserFactory(roles=[roles.REQUESTER])):
        assert not selectors.visible_articles(user).filter(audience="internal").exists()


def test_the_rules_name_the_roles(alice, lin, lee, kate, ken):
    assert [knowledge_rules.is_editor(u) for u in (alice, lin, kate, ken)] == [False, False, True, True]
    assert [knowledge_rules.is_contributor(u) for u in (alice, lin, lee, kate)] == [False, True, True, True]
    assert [u.has_perm("knowledge.author_article") for u in (alice, lin, kate)] == [False, True, True]


# -- the matrix: (use case, who may, who may not) ----------------------------------------------------


def _state(article) -> tuple:
    row = Article.objects.get(pk=article.pk)
    return (
        row.state,
        row.title,
        row.is_live,
        row.flagged,
        row.owner_id,
        ArticleEvent.objects.filter(article=row).count(),
    )


CASES = {
    "update": lambda a, u: services.update_article(article=a, actor=u, title="Changed"),
    "submit": lambda a, u: services.submit_for_review(article=a, actor=u),
    "comment": lambda a, u: services.comment_on_review(article=a, actor=u, text="A comment"),
    "publish": lambda a, u: services.publish_article(article=a, actor=u),
    "retire": lambda a, u: services.retire_article(article=a, actor=u, reason="Old"),
    "flag": lambda a, u: services.flag_article(article=a, actor=u, reason="Wrong"),
}

# Who may run each use case on lin's draft ("Draft"); everyone else listed is refused.
MATRIX = [
    ("update", {"lin", "kate"}, {"alice", "lee"}),
    ("submit", {"lin", "kate"}, {"alice", "lee"}),
    ("comment", {"lin", "kate"}, {"alice", "lee"}),
    ("publish", {"kate"}, {"alice", "lee", "lin"}),
    ("retire", {"lin", "kate"}, {"alice", "lee"}),
    ("flag", {"lin", "kate"}, {"alice", "lee"}),  # engineers may flag what they can read: lee cannot read it
]


@pytest.mark.parametrize(("case", "allowed", "refused"), MATRIX)
def test_permission_matrix_on_a_draft(shelf, case, allowed, refused, alice, lin, lee, kate):
    people = {"alice": alice, "lin": lin, "lee": lee, "kate": kate}
    article = shelf["Draft"]
    for name in sorted(refused):
        before = _state(article)
        with pytest.raises(PermissionDenied):
            CASES[case](article, people[name])
        assert _state(article) == before, name
    for name in sorted(allowed):
        fresh = services.create_article(author=lin, title="Fresh", body="x")
        CASES[case](fresh, people[name])


def test_an_engineer_flags_a_live_article_of_someone_else(shelf, lee):
    assert services.flag_article(article=shelf["Public"], actor=lee, reason="Outdated").flagged


def test_a_retired_article_refuses_everything_but_restore(shelf, lin, kate):
    retired = shelf["Retired"]
    before = _state(retired)
    for case in ("update", "submit", "publish", "flag"):
        with pytest.raises(ArticleError):
            CASES[case](retired, kate)
    assert _state(retired) == before
    assert services.restore_article(article=retired, actor=lin).state == "draft"


def test_a_requester_may_not_restore(shelf, alice, lee):
    for actor in (alice, lee):
        with pytest.raises(PermissionDenied):
            services.restore_article(article=shelf["Retired"], actor=actor)


# -- admin -------------------------------------------------------------------------------------------


def test_admin_lists_articles_and_retires_them_through_the_service(shelf, admin_client, indexed):
    public = shelf["Public"]
    assert admin_client.get(reverse("admin:knowledge_article_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:knowledge_article_change", args=[public.pk])).status_code == 200
    assert admin_client.get(reverse("admin:knowledge_category_changelist")).status_code == 200

    response = admin_client.post(
        reverse("admin:knowledge_article_changelist"),
        {"action": "retire_selected", "_selected_action": [public.pk, shelf["Retired"].pk]},
    )

    assert response.status_code == 302
    article = Article.objects.get(pk=public.pk)
    assert (article.state, article.is_live) == ("retired", False)
    assert ArticleEvent.objects.filter(article=article, kind="retired").get().text.startswith("Retired in the admin")
    assert indexed[-1] == (public.pk, False)
    assert any("already" in message for message in messages_of(response))  # the retired one is refused
    assert any("retired: 1" in message for message in messages_of(response))
