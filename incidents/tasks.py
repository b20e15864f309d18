"""Background work of the incident practice (beat jobs): thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services


@shared_task
def close_expired_resolutions() -> int:
    """Beat job: resolved incidents close themselves after the policy's number of days."""
    return services.close_expired_resolutions()
