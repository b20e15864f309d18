"""An article's life: draft, review, publish, revise, retire, restore; versions kept and compared."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from cmdb.models import ConfigurationItem
from knowledge import selectors, services
from knowledge.models import Article, ArticleAttachment, ArticleEvent, ArticleState, ArticleVersion, Category, Tag
from knowledge.services import ArticleError, add_months
from servicedesk import roles
from tests.factories import EXE_BYTES, UserFactory, stored_files, upload

S = ArticleState
K = ArticleEvent.Kind


def _history(article):
    return [
        (e.kind, e.from_state, e.to_state, e.actor.username if e.actor else None)
        for e in ArticleEvent.objects.filter(article=article).select_related("actor")
    ]


def snapshot(article) -> dict:
    """What a refused use case must leave as it was."""
    row = Article.objects.get(pk=article.pk)
    return {
        "state": row.state,
        "title": row.title,
        "body": row.body,
        "audience": row.audience,
        "is_live": row.is_live,
        "published_version": row.published_version_id,
        "review_by": row.review_by,
        "flagged": row.flagged,
        "updated_at": row.updated_at,
        "events": ArticleEvent.objects.filter(article=row).count(),
        "versions": ArticleVersion.objects.filter(article=row).count(),
        "tags": sorted(row.tags.values_list("name", flat=True)),
    }


# -- creating ----------------------------------------------------------------------------------------


def test_an_engineer_starts_a_draft_with_tags_made_on_the_fly(lin):
    network = Category.objects.create(name="Network")
    vpn = ConfigurationItem.objects.create(name="VPN service")
    Tag.objects.create(name="VPN")

    article = services.create_article(
        author=lin,
        title="  Connect to the VPN ",
        body="Install the client.",
        categories=[network],
        tags=["vpn", "Remote   work", "remote work", " "],
        services=[vpn.pk],
        audience="internal",
    )

    article = Article.objects.get(pk=article.pk)
    assert (article.state, article.owner, article.created_by, article.title) == (
        S.DRAFT,
        lin,
        lin,
        "Connect to the VPN",
    )
    assert (article.is_live, article.published_version, article.audience) == (False, None, "internal")
    assert sorted(article.tags.values_list("name", flat=True)) == ["Remote work", "VPN"]  # existing VPN reused
    assert Tag.objects.count() == 2
    assert list(article.categories.all()) == [network]
    assert list(article.services.all()) == [vpn]
    assert _history(article) == [(K.CREATED, "", S.DRAFT, "lin")]
    assert article.number == f"KB{article.pk:07d}"


@pytest.mark.parametrize("username", ["kate", "alice"])
def test_only_desk_engineers_and_editors_author(username, kate, alice):
    user = {"kate": kate, "alice": alice}[username]
    if username == "alice":
        with pytest.raises(PermissionDenied):
            services.create_article(author=user, title="How to", body="Text")
        assert not Article.objects.exists()
    else:
        assert services.create_article(author=user, title="How to", body="Text").owner == kate


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  ", "body": "x"}, "title"),
        ({"title": "x", "body": ""}, "text"),
        ({"title": "x" * 201, "body": "x"}, "200"),
        ({"title": "x", "body": "x", "audience": "everyone"}, "who the article is for"),
        ({"title": "x", "body": "x", "language": "fr"}, "language"),
        ({"title": "x", "body": "x", "tags": ["t" * 51]}, "50"),
        ({"title": "x", "body": "x", "categories": [999999]}, "categories"),
        ({"title": "x", "body": "x", "review_by": date(2000, 1, 1)}, "review date"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(lin, fields, message):
    with pytest.raises(ArticleError, match=message):
        services.create_article(author=lin, **fields)
    assert not Article.objects.exists()
    assert not Tag.objects.exists()


def test_the_state_cannot_be_assigned_directly(draft):
    with pytest.raises(AttributeError):
        draft.state = S.PUBLISHED


# -- review ------------------------------------------------------------------------------------------


def test_review_then_publish_keeps_a_version_and_makes_it_live(draft, lin, kate, indexed, settings):
    settings.KNOWLEDGE_REVIEW_MONTHS = 6
    services.submit_for_review(article=draft, actor=lin)
    assert selectors.review_queue().get() == draft

    version = services.publish_article(article=draft, actor=kate, change_note="  First version ")

    article = Article.objects.get(pk=draft.pk)
    assert (article.state, article.is_live, article.published_version) == (S.PUBLISHED, True, version)
    assert (version.number, version.title, version.body) == (1, draft.title, draft.body)
    assert (version.author, version.published_by, version.change_note) == (lin, kate, "First version")
    assert article.review_by == add_months(timezone.localdate(), 6)
    assert indexed == [(article.pk, True)]
    assert _history(article) == [
        (K.CREATED, "", S.DRAFT, "lin"),
        (K.SUBMITTED, S.DRAFT, S.IN_REVIEW, "lin"),
        (K.PUBLISHED, S.IN_REVIEW, S.PUBLISHED, "kate"),
    ]
    assert ArticleEvent.objects.get(kind=K.PUBLISHED).version == 1
    assert not selectors.review_queue().exists()


def test_review_comments_and_sending_back(draft, lin, kate, lee):
    services.submit_for_review(article=draft, actor=lin)

    services.comment_on_review(article=draft, actor=kate, text="Add a screenshot of the sign-in page.")
    services.comment_on_review(article=draft, actor=lin, text="Will do.")
    with pytest.raises(ArticleError, match="what to change"):
        services.send_back(article=draft, actor=kate, text=" ")
    article = services.send_back(article=draft, actor=kate, text="Screenshot still missing.")

    assert article.state == S.DRAFT
    assert [(e.kind, e.actor.username, e.text) for e in ArticleEvent.objects.filter(text__gt="")] == [
        (K.COMMENTED, "kate", "Add a screenshot of the sign-in page."),
        (K.COMMENTED, "lin", "Will do."),
        (K.SENT_BACK, "kate", "Screenshot still missing."),
    ]
    # Another engineer is neither reviewer nor owner.
    before = snapshot(draft)
    with pytest.raises(PermissionDenied):
        services.comment_on_review(article=draft, actor=lee, text="Looks fine to me")
    assert snapshot(draft) == before


def test_only_an_editor_publishes_or_sends_back(draft, lin, lee):
    services.submit_for_review(article=draft, actor=lin)
    before = snapshot(draft)

    for actor in (lin, lee):
        with pytest.raises(PermissionDenied):
            services.publish_article(article=draft, actor=actor)
        with pytest.raises(PermissionDenied):
            services.send_back(article=draft, actor=actor, text="No")

    assert snapshot(draft) == before


def test_nobody_reviews_their_own_article(ken, kate):
    article = services.create_article(author=ken, title="Rotate the TLS certificates", body="Run certbot.")
    services.submit_for_review(article=article, actor=ken)
    before = snapshot(article)

    with pytest.raises(ArticleError, match="your own article"):
        services.publish_article(article=article, actor=ken)
    with pytest.raises(ArticleError, match="your own article"):
        services.send_back(article=article, actor=ken, text="Hmm")
    assert snapshot(article) == before

    assert services.publish_article(article=article, actor=kate).published_by == kate


def test_an_editor_publishes_a_draft_directly_even_their_own(ken):
    article = services.create_article(author=ken, title="Rotate the TLS certificates", body="Run certbot.")

    version = services.publish_article(article=article, actor=ken)

    assert (version.author, version.published_by) == (ken, ken)
    assert Article.objects.get(pk=article.pk).state == S.PUBLISHED


def test_transitions_from_the_wrong_state_are_refused(published, lin, kate):
    before = snapshot(published)
    with pytest.raises(ArticleError, match="only a draft can be submitted"):
        services.submit_for_review(article=published, actor=lin)
    with pytest.raises(ArticleError, match="only a draft or an article in review can be published"):
        services.publish_article(article=published, actor=kate)
    with pytest.raises(ArticleError, match="only an article in review can be sent back"):
        services.send_back(article=published, actor=kate, text="No")
    with pytest.raises(ArticleError, match="only a retired article can be restored"):
        services.restore_article(article=published, actor=kate)
    with pytest.raises(ArticleError, match="review comments go on drafts"):
        services.comment_on_review(article=published, actor=kate, text="Hello")
    assert snapshot(published) == before
    with pytest.raises(TransitionNotAllowed):
        Article.objects.get(pk=published.pk).submit()


# -- revising ----------------------------------------------------------------------------------------


def test_editing_a_published_text_starts_a_revision_readers_do_not_see(published, lin):
    article = services.update_article(article=published, actor=lin, body="1. Install the client.\n2. Open it.\n")

    assert article.state == S.DRAFT
    assert article.is_live  # readers still see version 1
    assert article.published_version.body == "1. Install the client.\n2. Sign in with your account."
    assert _history(article)[-2:] == [(K.REVISING, S.PUBLISHED, S.DRAFT, "lin"), (K.EDITED, "", "", "lin")]
    assert ArticleEvent.objects.filter(kind=K.EDITED).get().text == "body"


def test_metadata_changes_apply_at_once_without_a_revision(published, lin):
    network = Category.objects.create(name="Network")

    article = services.update_article(
        article=published, actor=lin, tags=["VPN"], categories=[network], review_by=date.today() + timedelta(days=30)
    )

    assert article.state == S.PUBLISHED
    assert list(article.tags.values_list("name", flat=True)) == ["VPN"]
    assert list(article.categories.all()) == [network]
    assert ArticleEvent.objects.filter(kind=K.EDITED).get().text == "review_by, categories, tags"


def test_an_edit_that_changes_nothing_records_nothing(published, lin):
    before = snapshot(published)

    services.update_article(article=published, actor=lin, title=published.title, tags=["remote work", "vpn"])

    assert snapshot(published) == before


def test_unknown_fields_are_a_programming_error(draft, lin):
    with pytest.raises(TypeError, match="state"):
        services.update_article(article=draft, actor=lin, state="published")


def test_versions_are_kept_and_compared_with_the_previous_one(published, lin, kate):
    services.update_article(
        article=published, actor=lin, title="Connect to the VPN from home", body="1. Install the client.\n2. Open it.\n"
    )
    v2 = services.publish_article(article=published, actor=kate, change_note="Simpler")
    # Nothing changed: republishing confirms the article as reviewed (a new version all the same).
    services.start_revision(article=published, actor=lin)
    v3 = services.publish_article(article=published, actor=kate, change_note="Reviewed, still right")

    assert list(selectors.versions_of(published).values_list("number", flat=True)) == [3, 2, 1]
    assert Article.objects.get(pk=published.pk).published_version == v3
    assert selectors.version_diff(v2) == [
        "--- title v1",
        "+++ title v2",
        "@@ -1 +1 @@",
        "-Connect to the VPN",
        "+Connect to the VPN from home",
        "--- body v1",
        "+++ body v2",
        "@@ -1,2 +1,2 @@",
        " 1. Install the client.",
        "-2. Sign in with your account.",
        "+2. Open it.",
    ]
    assert selectors.version_diff(v3) == []
    first = selectors.version_diff(ArticleVersion.objects.get(number=1))
    assert first[:4] == ["--- title v0", "+++ title v1", "@@ -0,0 +1 @@", "+Connect to the VPN"]


def test_an_owner_may_not_open_a_live_internal_article_to_everyone(internal, lin, kate, indexed):
    before = snapshot(internal)
    with pytest.raises(PermissionDenied):
        services.update_article(article=internal, actor=lin, audience="public")
    assert snapshot(internal) == before

    services.update_article(article=internal, actor=kate, audience="public")

    assert Article.objects.get(pk=internal.pk).audience == "public"
    assert indexed[-1] == (internal.pk, True)


def test_others_may_not_edit(draft, published, lee, alice):
    for article in (draft, published):
        before = snapshot(article)
        for actor in (lee, alice):
            with pytest.raises(PermissionDenied):
                services.update_article(article=article, actor=actor, title="Mine now")
            with pytest.raises(PermissionDenied):
                services.start_revision(article=article, actor=actor)
        assert snapshot(article) == before


def test_an_editor_edits_anyones_article_and_may_change_its_owner(published, kate, lee, lin):
    article = services.update_article(article=published, actor=kate, owner=lee)
    assert article.owner == lee

    with pytest.raises(PermissionDenied, match="another owner"):
        services.update_article(article=article, actor=lee, owner=lin)
    requester = UserFactory(roles=[roles.REQUESTER])
    with pytest.raises(ArticleError, match="cannot own"):
        services.update_article(article=article, actor=kate, owner=requester)


# -- publishing details ------------------------------------------------------------------------------


def test_publishing_keeps_a_future_review_date_and_replaces_a_past_one(draft, lin, kate):
    services.update_article(article=draft, actor=lin, review_by=date.today() + timedelta(days=40))
    services.publish_article(article=draft, actor=kate)
    assert Article.objects.get(pk=draft.pk).review_by == date.today() + timedelta(days=40)

    with time_machine.travel(timezone.now() + timedelta(days=60), tick=False):
        services.start_revision(article=draft, actor=lin)
        services.publish_article(article=draft, actor=kate)
        assert Article.objects.get(pk=draft.pk).review_by == add_months(timezone.localdate(), 12)


def test_publishing_clears_the_flag(published, lin, kate, lee):
    services.flag_article(article=published, actor=lee, reason="The client is version 6 now.")
    services.start_revision(article=published, actor=lin)

    services.publish_article(article=published, actor=kate)

    article = Article.objects.get(pk=published.pk)
    assert (article.flagged, article.flag_reason, article.reminded_at) == (False, "", None)
    assert [e.kind for e in ArticleEvent.objects.filter(article=article)][-2:] == [K.PUBLISHED, K.UNFLAGGED]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 24), 12, date(2027, 11, 24)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
    ],
)
def test_months_are_added_on_the_calendar(day, months, expected):
    assert add_months(day, months) == expected


# -- retiring ----------------------------------------------------------------------------------------


def test_retire_and_restore(published, lin, kate, indexed):
    with pytest.raises(ArticleError, match="why"):
        services.retire_article(article=published, actor=kate, reason="")

    article = services.retire_article(article=published, actor=kate, reason="The VPN was replaced by ZTNA.")

    assert (article.state, article.is_live) == (S.RETIRED, False)
    assert indexed[-1] == (article.pk, False)
    assert ArticleEvent.objects.get(kind=K.RETIRED).text == "The VPN was replaced by ZTNA."
    assert ArticleVersion.objects.filter(article=article).count() == 1
    before = snapshot(article)
    with pytest.raises(ArticleError, match="restore it before editing"):
        services.update_article(article=article, actor=lin, title="Again")
    with pytest.raises(ArticleError, match="already"):
        services.retire_article(article=article, actor=lin, reason="Twice")
    assert snapshot(article) == before

    article = services.restore_article(article=article, actor=lin)

    assert (article.state, article.is_live) == (S.DRAFT, False)  # readers see it again once republished
    services.publish_article(article=article, actor=kate)
    assert Article.objects.get(pk=article.pk).published_version.number == 2


def test_only_the_owner_or_an_editor_retires(published, lee, alice):
    before = snapshot(published)
    for actor in (lee, alice):
        with pytest.raises(PermissionDenied):
            services.retire_article(article=published, actor=actor, reason="Old")
    assert snapshot(published) == before


# -- attachments -------------------------------------------------------------------------------------


def test_files_are_attached_after_checks(draft, lin, settings):
    stored = services.attach_files(article=draft, actor=lin, files=[upload("client-settings.png")])

    assert [a.filename for a in stored] == ["client-settings.png"]
    assert ArticleAttachment.objects.get().content_type == "image/png"
    assert ArticleEvent.objects.filter(kind=K.EDITED).get().text == "Attached client-settings.png"
    assert len(stored_files(settings.MEDIA_ROOT)) == 1


def test_a_bad_file_is_refused_and_nothing_is_stored(draft, lin, lee, settings):
    with pytest.raises(ValidationError, match="does not look like"):
        services.attach_files(article=draft, actor=lin, files=[upload("ok.png"), upload("setup.png", EXE_BYTES)])
    with pytest.raises(PermissionDenied):
        services.attach_files(article=draft, actor=lee, files=[upload("ok.png")])
    with pytest.raises(ArticleError, match="Choose a file"):
        services.attach_files(article=draft, actor=lin, files=[])

    assert not ArticleAttachment.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_review_queue_is_longest_waiting_first(lin, ken):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        older = services.create_article(author=lin, title="Older", body="x")
        services.submit_for_review(article=older, actor=lin)
    newer = services.create_article(author=ken, title="Newer", body="x")
    services.submit_for_review(article=newer, actor=ken)
    services.update_article(article=older, actor=lin, body="edited while in review")

    assert list(selectors.review_queue()) == [older, newer]
    assert Article.objects.get(pk=older.pk).state == S.IN_REVIEW


def test_search_holds_the_published_text_only(draft, lin, kate, monkeypatch):
    """With the real index: publishing fills the search columns, a revision leaves them, retiring clears them."""
    monkeypatch.undo()  # the package's conftest stubs the index; this test uses the real one

    services.publish_article(article=draft, actor=kate)
    assert Article.objects.get(pk=draft.pk).search_title == "Connect to the VPN"

    services.update_article(article=draft, actor=lin, title="A draft title readers must not find")
    assert Article.objects.get(pk=draft.pk).search_title == "Connect to the VPN"

    services.retire_article(article=draft, actor=kate, reason="Replaced")
    row = Article.objects.get(pk=draft.pk)
    assert (row.search_title, row.search_vector) == ("", None)
