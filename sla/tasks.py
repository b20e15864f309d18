"""Background work of the SLA app: the sweep, driven by beat (safe to run twice, or on several workers at once)."""

from celery import shared_task
from django.conf import settings

from .sweep import sweep


@shared_task
def sweep_sla_clocks() -> dict:
    """Beat job: fire the warnings and breaches that have come due."""
    result = sweep(batch_size=settings.SLA_SWEEP_BATCH_SIZE)
    return {
        "examined": result.examined,
        "warnings": result.warnings,
        "breaches": result.breaches,
        "postponed": result.postponed,
    }
