"""Real processes for the reliability tests: a Redis server of the test's own, Celery workers and beats started
as separate programs (so they can be killed like a machine that dies), and a loopback chat webhook that counts
what it receives.

Every process works on the test database (its data must be committed: use `transactional_db`) and on the
private Redis, so a test may kill and restart them without touching the machine's Redis or other tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.db import connection

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float, what: str, every: float = 0.1):
    """Poll until `condition()` is truthy and return its value; fail the test with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """`redis-server` on a free loopback port, keeping nothing on disk: a restart loses every queued message,
    which is what a Redis that restarts without persistence does in production."""

    def __init__(self, folder: Path):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            if os.environ.get("CI"):
                pytest.fail("redis-server is needed for the reliability tests")
            pytest.skip("redis-server is not installed")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10, what="redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def queue_length(self, queue: str = "celery") -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            conn.sendall(f"LLEN {queue}\r\n".encode())
            return int(conn.recv(64).strip().lstrip(b":"))


def database_url() -> str:
    """The test database (the one pytest-django made for this worker of the run) as a URL for a child process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    if host.startswith("/"):  # a socket folder: libpq takes it as the host query parameter
        return f"postgres://{credentials}@/{db['NAME']}?host={quote(host, safe='')}&port={db.get('PORT') or 5432}"
    return f"postgres://{credentials}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


class CeleryProcesses:
    """Start and kill `celery worker` and `celery beat` programs on the test database and the private Redis."""

    def __init__(self, redis: RedisServer, folder: Path, *, app: str = "itsm", **extra_env: str):
        """``app``: the module celery -A loads (a test may give its workers a wrapper of the project's app)."""
        self.app = app
        self.redis = redis
        self.folder = folder
        self.mail_folder = folder / "mail"
        self.mail_folder.mkdir(exist_ok=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "itsm.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis.url,
            # django-environ drops the first slash of the path after the scheme: filemail:////abs gives /abs.
            "EMAIL_URL": f"filemail:///{self.mail_folder}",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "ITSM_VAR_DIR": str(folder / "var"),
            "PYTHONPATH": str(REPO),
            **extra_env,
        }
        self.processes: list[tuple[subprocess.Popen, Path]] = []
        self._count = 0

    def worker(self, *, concurrency: int = 1, queues: str = "celery") -> subprocess.Popen:
        self._count += 1
        name = f"w{self._count}@reliability"
        log = self.folder / f"worker{self._count}.log"
        process = self._spawn(
            [
                "worker",
                "-n",
                name,
                "-Q",
                queues,
                "--pool",
                "prefork",
                "--concurrency",
                str(concurrency),
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            log,
        )
        wait_for(lambda: "ready." in self._read(log) or process.poll() is not None, timeout=60, what=f"{name}")
        if process.poll() is not None:
            pytest.fail(f"the worker stopped at start:\n{self._read(log)[-3000:]}")
        return process

    def beat(self) -> subprocess.Popen:
        self._count += 1
        log = self.folder / f"beat{self._count}.log"
        process = self._spawn(
            ["beat", "--loglevel", "INFO", "--schedule", str(self.folder / f"beat{self._count}.db")], log
        )
        wait_for(
            lambda: "Sending due task" in self._read(log) or process.poll() is not None,
            timeout=60,
            what="beat to send its first task",
        )
        if process.poll() is not None:
            pytest.fail(f"beat stopped at start:\n{self._read(log)[-3000:]}")
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the program and its pool children: nothing gets to clean up, as when a machine dies."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)

    def stop_all(self) -> None:
        for process, _log in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)

    def finished(self, task_name: str) -> bool:
        """Whether a worker logged that a run of `task_name` ended (its after-commit publishes are done by then)."""
        return any(f"Task {task_name}[" in line and " succeeded in " in line for line in self.logs().splitlines())

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{self._read(log)}" for _process, log in self.processes)

    def sender(self) -> Celery:
        """A Celery app of the test's own that publishes to the private Redis (as beat or a web process does)."""
        return Celery("reliability-sender", broker=self.redis.url, set_as_current=False)

    def emails_by_notification(self) -> Counter:
        """How many times each outbox row was mailed, read from the Message-ID each email carries."""
        found: Counter = Counter()
        for path in self.mail_folder.glob("*"):
            found.update(int(pk) for pk in re.findall(r"Message-ID: <notification-(\d+)@", path.read_text()))
        return found

    def _spawn(self, args: list[str], log: Path) -> subprocess.Popen:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", self.app, *args],
                cwd=REPO,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so that a kill takes the pool children too
            )
        self.processes.append((process, log))
        return process

    @staticmethod
    def _read(log: Path) -> str:
        return log.read_text(errors="replace") if log.exists() else ""


class WebhookReceiver:
    """A Slack-style incoming webhook on loopback that keeps every message it receives."""

    def __init__(self):
        received: list[dict] = []
        self.received = received
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    received.append(json.loads(body))
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def texts(self) -> Counter:
        return Counter(json.dumps(message, sort_keys=True) for message in self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
