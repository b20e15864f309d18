"""Browser tests: Debian's Chromium driven by Playwright's sync API against pytest-django's live server.

`playwright install` cannot download browsers here, so pytest-playwright's own `browser` fixture is replaced
by one that launches the system Chromium (CHROMIUM_PATH, else `chromium` on PATH).
"""

import os
import shutil

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from itsm.celery import app as celery_app
from servicedesk import roles

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Milliseconds Playwright waits for an element or a navigation before the test fails.
TIMEOUT_MS = 15_000


def _chromium_path() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per module (overrides pytest-playwright's fixture of the same name).

    Module scope, not session: while Playwright runs, its event loop makes Django see an async context, and
    database connections opened then would outlive the module and block dropping the test database.
    """
    from playwright.sync_api import sync_playwright

    executable = _chromium_path()
    if executable is None:
        message = "Chromium not found: install Debian's chromium or set CHROMIUM_PATH"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop running in this thread, and Django then refuses ORM calls
    # ("You cannot call this from an async context"), including the live server tests' database flush.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
            try:
                yield chromium
            finally:
                chromium.close()
                connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser):
    """Factory of isolated browser contexts (own cookies: one per person); all closed after the test."""
    contexts = []

    def make(**kwargs):
        kwargs.setdefault("locale", "en-US")
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _role_groups(transactional_db):
    """The roles (auth groups) the data migration made: transactional tests flush them away, so make them again.

    Autouse, so it runs before the people fixtures that put users into these groups.
    """
    for name in roles.ALL_ROLES:
        Group.objects.get_or_create(name=name)


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks queued on commit (notification delivery) run in-process: no broker is needed, nothing hangs."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
