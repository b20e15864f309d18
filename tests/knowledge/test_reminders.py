"""Review dates: past its date a live article is flagged and its owner reminded, once per overdue period."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.conf import settings as project_settings
from django.utils import timezone

from knowledge import selectors, services, tasks
from knowledge.models import Article, ArticleEvent

K = ArticleEvent.Kind
REVIEW_BY = date(2027, 6, 30)


def at(day: date, hour: int = 3):
    """A moment on `day` in the site's time zone (the beat job runs at night)."""
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def due(published, lin):
    """lin's published VPN article, due for review on 30 June 2027."""
    services.update_article(article=published, actor=lin, review_by=REVIEW_BY)
    return Article.objects.get(pk=published.pk)


def remind(day: date, capture) -> int:
    with time_machine.travel(at(day), tick=False), capture(execute=True):
        return services.remind_overdue_reviews()


def test_nothing_happens_on_the_review_date_itself(due, django_capture_on_commit_callbacks, mailoutbox):
    assert remind(REVIEW_BY, django_capture_on_commit_callbacks) == 0
    assert not Article.objects.get(pk=due.pk).flagged
    assert mailoutbox == []


def test_the_day_after_the_owner_is_reminded_once(due, lin, django_capture_on_commit_callbacks, mailoutbox):
    assert remind(date(2027, 7, 1), django_capture_on_commit_callbacks) == 1

    article = Article.objects.get(pk=due.pk)
    assert article.flagged
    assert article.flag_reason == "The review date 2027-06-30 has passed."
    assert article.reminded_at == at(date(2027, 7, 1))
    assert list(selectors.flagged_for(lin)) == [article]
    assert [(e.kind, e.actor) for e in ArticleEvent.objects.filter(article=article)][-2:] == [
        (K.FLAGGED, None),
        (K.REMINDED, None),
    ]
    [message] = mailoutbox
    assert message.to == ["lin@example.com"]
    assert message.subject == f"Review due: {article.number} Connect to the VPN"
    assert "2027-06-30" in message.body

    # The next nights, and a second beat running the same night: nobody is reminded twice.
    assert remind(date(2027, 7, 1), django_capture_on_commit_callbacks) == 0
    assert remind(date(2027, 7, 2), django_capture_on_commit_callbacks) == 0
    assert remind(date(2027, 9, 1), django_capture_on_commit_callbacks) == 0
    assert len(mailoutbox) == 1
    assert ArticleEvent.objects.filter(article=article, kind=K.REMINDED).count() == 1


def test_republishing_starts_a_new_period(due, lin, kate, django_capture_on_commit_callbacks, mailoutbox):
    remind(date(2027, 7, 1), django_capture_on_commit_callbacks)
    with time_machine.travel(at(date(2027, 7, 5), 10), tick=False):
        services.start_revision(article=due, actor=lin)
        services.publish_article(article=due, actor=kate, change_note="Reviewed: still right")

    article = Article.objects.get(pk=due.pk)
    assert (article.flagged, article.reminded_at, article.review_by) == (False, None, date(2028, 7, 5))
    assert remind(date(2028, 7, 5), django_capture_on_commit_callbacks) == 0
    assert remind(date(2028, 7, 6), django_capture_on_commit_callbacks) == 1
    assert len(mailoutbox) == 2


def test_a_review_date_moved_later_starts_a_new_period(due, lin, django_capture_on_commit_callbacks):
    remind(date(2027, 7, 1), django_capture_on_commit_callbacks)
    with time_machine.travel(at(date(2027, 7, 2), 10), tick=False):
        services.update_article(article=due, actor=lin, review_by=date(2027, 8, 31))
        services.clear_flag(article=due, actor=lin)

    assert remind(date(2027, 8, 31), django_capture_on_commit_callbacks) == 0
    assert remind(date(2027, 9, 1), django_capture_on_commit_callbacks) == 1
    assert Article.objects.get(pk=due.pk).flag_reason == "The review date 2027-08-31 has passed."


def test_an_article_flagged_already_keeps_its_reason(due, lee, django_capture_on_commit_callbacks):
    services.flag_article(article=due, actor=lee, reason="Client 6 changed the sign-in page.")

    assert remind(date(2027, 7, 1), django_capture_on_commit_callbacks) == 1

    article = Article.objects.get(pk=due.pk)
    assert article.flag_reason == "Client 6 changed the sign-in page."
    assert ArticleEvent.objects.filter(article=article, kind=K.FLAGGED).count() == 1
    assert ArticleEvent.objects.filter(article=article, kind=K.REMINDED).count() == 1


def test_retired_and_unpublished_articles_are_not_reminded(due, lin, kate, django_capture_on_commit_callbacks):
    services.retire_article(article=due, actor=kate, reason="Replaced")
    draft = services.create_article(author=lin, title="Never published", body="x", review_by=date.today())

    assert remind(date(2030, 1, 1), django_capture_on_commit_callbacks) == 0
    assert not Article.objects.filter(pk__in=[due.pk, draft.pk], flagged=True).exists()


def test_an_owner_without_email_is_flagged_all_the_same(due, lin, django_capture_on_commit_callbacks, mailoutbox):
    lin.email = ""
    lin.save(update_fields=["email"])

    assert remind(date(2027, 7, 1), django_capture_on_commit_callbacks) == 1

    assert Article.objects.get(pk=due.pk).flagged
    assert mailoutbox == []


def test_a_failing_mail_server_does_not_undo_the_reminder(
    due, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("knowledge.services.send_mail", broken)

    assert remind(date(2027, 7, 1), django_capture_on_commit_callbacks) == 1
    assert Article.objects.get(pk=due.pk).reminded_at is not None
    assert remind(date(2027, 7, 2), django_capture_on_commit_callbacks) == 0


def test_the_beat_task_runs_the_service_daily(due, django_capture_on_commit_callbacks, mailoutbox):
    entry = project_settings.CELERY_BEAT_SCHEDULE["remind-article-reviews"]
    assert entry == {"task": "knowledge.tasks.remind_article_reviews", "schedule": 86400.0}

    with time_machine.travel(at(date(2027, 7, 1)), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_article_reviews.apply().get() == 1
        assert tasks.remind_article_reviews.apply().get() == 0
    assert len(mailoutbox) == 1


def test_the_review_overdue_property_follows_the_same_rule(due):
    with time_machine.travel(at(REVIEW_BY), tick=False):
        assert not Article.objects.get(pk=due.pk).review_overdue
    with time_machine.travel(at(REVIEW_BY + timedelta(days=1)), tick=False):
        assert Article.objects.get(pk=due.pk).review_overdue
