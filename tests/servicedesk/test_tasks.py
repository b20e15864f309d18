"""A real Celery worker on the configured broker delivers the outbox after the change commits."""

import time
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings as django_settings
from django.db import connections

from itsm import celery_app
from servicedesk import services
from servicedesk.models import Notification

DEADLINE_SECONDS = 20


def _close_worker_connections(**kwargs):
    # The worker runs tasks in its own thread: close that thread's connection so the test database can be dropped.
    connections.close_all()


@pytest.fixture
def worker():
    """An embedded worker (a thread of this process, so locmem email lands in mail.outbox)."""
    if django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for option, folder in django_settings.CELERY_BROKER_TRANSPORT_OPTIONS.items():
            if option.endswith("_folder") or option.startswith("data_folder"):
                Path(folder).mkdir(parents=True, exist_ok=True)
    hijack = celery_app.conf.worker_hijack_root_logger
    celery_app.conf.worker_hijack_root_logger = False  # leave pytest's log capture alone
    task_postrun.connect(_close_worker_connections, weak=False, dispatch_uid="tests-close-worker-connections")
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=15) as running:
            yield running
    finally:
        task_postrun.disconnect(dispatch_uid="tests-close-worker-connections")
        celery_app.conf.worker_hijack_root_logger = hijack


def _wait_for(predicate, seconds=DEADLINE_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_delivers_the_reply_email(worker, incident, lin, mailoutbox):
    services.add_comment(ticket=incident, author=lin, body="Please restart the laptop.")
    notification = Notification.objects.get(event__ticket=incident)

    sent = _wait_for(lambda: Notification.objects.get(pk=notification.pk).status == Notification.Status.SENT)

    assert sent, f"not delivered within {DEADLINE_SECONDS} s on {django_settings.CELERY_BROKER_URL.split(':')[0]}"
    assert _wait_for(lambda: len(mailoutbox) == 1, seconds=2)
    (email,) = mailoutbox
    assert email.to == ["alice@example.com"]
    assert "Please restart the laptop." in email.body
