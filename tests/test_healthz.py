"""The health check: 200 with JSON when the database and the broker answer, 503 when one does not."""

import pytest
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def filesystem_broker(settings, tmp_path):
    """Point the health check at a filesystem broker whose folders exist."""
    queue = tmp_path / "queue"
    queue.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(queue), "data_folder_out": str(queue)}
    return queue


def test_healthy_with_a_filesystem_broker(client, filesystem_broker):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"] == {"ok": True, "transport": "filesystem", "ms": body["broker"]["ms"]}
    assert list(filesystem_broker.iterdir()) == []  # the probe file is removed again


def test_the_answer_is_never_cached(client, filesystem_broker):
    assert "no-cache" in client.get(reverse("healthz"))["Cache-Control"]


def test_anonymous_callers_get_it_without_login(client, filesystem_broker):
    assert client.get(reverse("healthz")).status_code == 200  # the test client is not logged in


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="REDIS_URL is not set")
def test_healthy_with_the_configured_redis(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["broker"]["transport"] == "redis"


def test_503_when_redis_does_not_answer(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"] == "ConnectionError"
    assert "127.0.0.1:1" not in response.content.decode()  # no configuration leaks into the answer


def test_503_when_the_broker_folder_is_missing(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "missing" / "queue")}

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["broker"] == {"ok": False, "error": "FileNotFoundError"}


def test_503_when_the_database_does_not_answer(client, filesystem_broker, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"] == {"ok": False, "error": "OperationalError"}


def test_healthz_refuses_post(client, filesystem_broker):
    assert client.post(reverse("healthz")).status_code == 405
