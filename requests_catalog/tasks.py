"""Background work of requests: automated fulfilment (a webhook call with the answers as JSON).

Safe to run twice: a task that is no longer Open is left alone, and the webhook receives the task number
as an `Idempotency-Key` so that a call repeated after a crashed worker can be recognised.
"""

import requests
from celery import shared_task
from django.conf import settings

from . import services
from .models import FulfilmentTask
from .selectors import automation_payload

TaskState = services.TaskState


def _backoff(attempt: int) -> int:
    """Seconds before the next try: 10 s, 20 s, 40 s … capped at 10 minutes."""
    return min(600, 10 * 2 ** max(0, attempt - 1))


@shared_task(bind=True, max_retries=None)
def run_task_automation(self, task_id: int) -> str:
    task = FulfilmentTask.objects.select_related("request", "line__item_version").filter(pk=task_id).first()
    if task is None or task.state != TaskState.OPEN or not task.is_automated or task.automation.get("handed_over"):
        return "skipped"
    automation = task.automation
    headers = {str(k): str(v) for k, v in (automation.get("headers") or {}).items()}
    headers.setdefault("Idempotency-Key", task.number)
    try:
        response = requests.post(
            automation["url"],
            json=automation_payload(task),
            headers=headers,
            timeout=getattr(settings, "CATALOG_WEBHOOK_TIMEOUT", 10),
        )
        response.raise_for_status()
    except requests.RequestException as error:
        task = services.record_automation_attempt(task=task, error=str(error))
        if task.attempts >= int(automation.get("max_attempts") or 1):
            return "handed over" if services.hand_over_failed_automation(task=task, error=str(error)) else "skipped"
        raise self.retry(countdown=_backoff(task.attempts), exc=error) from error
    services.record_automation_attempt(task=task)
    # A person may have finished the task while the call was in flight: then there is nothing left to do.
    return "done" if services.complete_automated_task(task=task, status_code=response.status_code) else "skipped"


@shared_task
def close_fulfilled_requests() -> int:
    """Beat job: fulfilled requests close themselves after CATALOG_CLOSE_FULFILLED_AFTER_DAYS."""
    return services.close_fulfilled_requests()
