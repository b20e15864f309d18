"""Project-level endpoints: health check and the benchmark's calibration view."""

import time
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # noqa: BLE001 - any failure means "down", reported to the caller
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_broker() -> dict:
    """Redis answers a PING; the filesystem transport's folder exists and is writable."""
    started = time.monotonic()
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            probe = folder / ".healthz"
            probe.write_text("ok")
            probe.unlink()
            transport = "filesystem"
        else:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
            transport = "redis"
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True, "transport": transport, "ms": round((time.monotonic() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker both answer, 503 otherwise (no secrets in the answer)."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


@require_GET
def calibration(request: HttpRequest) -> HttpResponse:
    """A bare view for benchmarks: page time divided by this time travels between noisy runs."""
    return HttpResponse("ok", content_type="text/plain")
