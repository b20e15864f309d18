"""Background work of the knowledge base (beat jobs): thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def remind_article_reviews() -> int:
    """Beat job, daily: flag live articles past their review date and remind each owner once."""
    return services.remind_overdue_reviews()
