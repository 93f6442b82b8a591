"""scripts/start_celery.sh, celery_status.sh, stop_celery.sh run for real: three workers, beat
and Flower start against a broker database of their own, answer a ping, and stop cleanly.

This checks the process lifecycle only; tasks themselves are exercised by the core tests. The
workers get an unreachable QDRANT_URL: the scripts require a Qdrant server (local mode is one
process) and the workers open it only when a task needs it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
EXPECTED = ["celery-worker-docs", "celery-worker-qa", "celery-worker-users", "celery-beat",
            "celery-flower"]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())


@pytest.fixture
def scratch(tmp_path) -> dict[str, str]:
    redis_url = os.environ["REDIS_URL"]
    env = dict(os.environ)
    env.update(
        {
            "DATA_DIR": str(tmp_path / "data"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'qa.db'}",
            "CELERY_BROKER_URL": f"{redis_url}/10",
            "CELERY_RESULT_BACKEND": f"{redis_url}/10",
            "QDRANT_URL": "http://127.0.0.1:9",
            "LOG_DIR": str(tmp_path / "logs"),
            "PID_DIR": str(tmp_path / "run"),
            "FLOWER_PORT": str(_free_port()),
            "DOCS_CONCURRENCY": "1",
            "QA_CONCURRENCY": "1",
            "USERS_CONCURRENCY": "1",
            "STOP_TIMEOUT": "30",
        }
    )
    return env


def _run(script: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(SCRIPTS / script)], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_start_status_stop_lifecycle(scratch, tmp_path):
    started = _run("start_celery.sh", scratch)
    run_dir = tmp_path / "run"
    try:
        assert started.returncode == 0, started.stderr
        pids = {name: int((run_dir / f"{name}.pid").read_text()) for name in EXPECTED}
        assert all(_alive(pid) for pid in pids.values())

        deadline = time.time() + 90
        status = _run("celery_status.sh", scratch)
        while status.returncode != 0 and time.time() < deadline:
            time.sleep(2)
            status = _run("celery_status.sh", scratch)
        assert status.returncode == 0, status.stdout + status.stderr
        for worker in ("worker-docs", "worker-qa", "worker-users"):
            assert f"{worker}" in status.stdout and "NO REPLY" not in status.stdout
        assert status.stdout.count("running") == len(EXPECTED)

        again = _run("start_celery.sh", scratch)  # a second start starts nothing twice
        assert again.stdout.count("already running") == len(EXPECTED)
        logs = tmp_path / "logs"
        assert (logs / "celery-worker-qa.log").read_text().strip()
        assert "high_priority" in (logs / "celery-worker-qa.log").read_text()
    finally:
        stopped = _run("stop_celery.sh", scratch, timeout=120)
    assert stopped.returncode == 0, stopped.stderr
    assert all(not _alive(pid) for pid in pids.values())
    assert not list(run_dir.glob("*.pid"))
    # No pool child outlived its worker.
    leftovers = subprocess.run(
        ["pgrep", "-f", f"FLOWER_PORT|{tmp_path}"], capture_output=True, text=True
    )
    assert leftovers.stdout.strip() == ""
    after = _run("celery_status.sh", scratch)
    assert after.returncode == 1


def test_three_workers_need_a_qdrant_server(scratch):
    scratch["QDRANT_URL"] = ""
    result = _run("start_celery.sh", scratch)
    assert result.returncode == 2
    assert "QDRANT_URL" in result.stderr
    assert not Path(scratch["PID_DIR"]).exists() or not list(Path(scratch["PID_DIR"]).glob("*"))


def test_make_run_starts_a_service_that_exits_again_with_back_off(capsys):
    """`make run` keeps its services up: one that exits is started again after 1 s, then after
    twice as long each time it exits again soon, and the console says why it stopped."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("run_local", ROOT / "scripts" / "run_local.py")
    assert spec is not None and spec.loader is not None
    run_local = importlib.util.module_from_spec(spec)
    cwd = os.getcwd()
    try:
        spec.loader.exec_module(run_local)
    finally:
        os.chdir(cwd)
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"]
    commands = {"worker": crash}
    restarts = run_local.Restarts()
    procs = {"worker": subprocess.Popen(crash)}
    restarts.started_now("worker")
    starts, deadline = 1, time.monotonic() + 30
    while starts < 3 and time.monotonic() < deadline:
        before = procs["worker"]
        run_local.supervise(procs, commands, restarts, settings=None)
        if procs["worker"] is not before:
            starts += 1
        time.sleep(0.05)
    procs["worker"].wait(timeout=10)

    out = capsys.readouterr().out
    assert starts == 3, out
    assert "worker killed by SIGKILL; starting it again in 1 s." in out
    assert "worker killed by SIGKILL; starting it again in 2 s." in out
    assert out.count("worker started again.") == 2


def _run_local():
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_local", ROOT / "scripts" / "run_local.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    cwd = os.getcwd()
    try:
        spec.loader.exec_module(module)
    finally:
        os.chdir(cwd)
    return module


def test_make_run_stops_front_doors_first_the_worker_before_flower_and_redis_last():
    run_local = _run_local()
    names = ["redis", "worker", "flower", "api", "beat", "dashboard"]
    assert run_local.stop_order(names) == [
        ["dashboard", "api"],
        ["beat"],
        ["worker"],
        ["flower"],
        ["redis"],
    ]
    # Without a local Redis (one already running is reused) or an API, the rest keeps its order.
    assert run_local.stop_order(["flower", "worker", "beat", "dashboard"]) == [
        ["dashboard"],
        ["beat"],
        ["worker"],
        ["flower"],
    ]
    assert run_local.stop_order(["redis", "extra"]) == [["extra"], ["redis"]]


def test_make_run_serves_the_dashboard_with_its_session_routes(settings):
    run_local = _run_local()
    command = run_local.service_commands(settings)["dashboard"]
    assert "dashboard/server.py" in command and "dashboard/app.py" not in command
    env = run_local.child_env("dashboard", settings)
    assert env["FORWARDED_ALLOW_IPS"] == settings.forwarded_allow_ips


STAND_IN = """
import os, signal, sys, time
log, name = sys.argv[1], sys.argv[2]

def note(text):
    with open(log, "a") as out:
        out.write(f"{name} {text}\\n")

def on_signal(signum, _frame):
    note(f"got {signal.Signals(signum).name}")
    if name == "worker":
        time.sleep(1.0)  # a running task finishing (warm shutdown)
    note("done")
    sys.exit(0)

signal.signal(signal.SIGTERM, on_signal)
signal.signal(signal.SIGINT, on_signal)
note(f"ready {os.getpgrp()}")
while True:
    time.sleep(0.1)
"""

HARNESS = """
import importlib.util, sys
root, stand_in, log = sys.argv[1:4]
spec = importlib.util.spec_from_file_location("run_local", root + "/scripts/run_local.py")
run_local = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_local)
names = ["redis", "flower", "worker", "beat", "api", "dashboard"]
commands = {name: [sys.executable, stand_in, log, name] for name in names}
procs = {name: run_local.start(name, cmd) for name, cmd in commands.items()}
services = {name: cmd for name, cmd in commands.items() if name != "redis"}
run_local.serve(procs, services, run_local.Restarts(), None, timeouts={"worker": 30})
print("harness stopped", flush=True)
"""


def test_ctrl_c_reaches_make_run_alone_which_stops_its_services_in_order(tmp_path):
    """Ctrl-C signals the terminal's foreground process group: make run's. Each service runs in
    a group of its own, so none of them sees the SIGINT; make run stops them with SIGTERM, one
    group after the other, waiting for the worker to finish, and Redis last."""
    import signal
    import sys

    stand_in, log = tmp_path / "stand_in.py", tmp_path / "signals.log"
    stand_in.write_text(STAND_IN)
    log.touch()
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS, str(ROOT), str(stand_in), str(log)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's foreground group of its own
    )
    try:
        deadline = time.monotonic() + 30
        while log.read_text().count(" ready ") < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert log.read_text().count(" ready ") == 6, log.read_text()
        os.killpg(harness.pid, signal.SIGINT)  # what Ctrl-C does
        out, _ = harness.communicate(timeout=60)
    finally:
        if harness.poll() is None:
            os.killpg(harness.pid, signal.SIGKILL)
    lines = [line.split(" ", 1) for line in log.read_text().splitlines()]
    groups = {name: int(what.split()[1]) for name, what in lines if what.startswith("ready")}
    assert all(group != harness.pid for group in groups.values()), (groups, harness.pid)
    assert len(set(groups.values())) == 6  # one process group each

    events = [f"{name} {what}" for name, what in lines if not what.startswith("ready")]
    assert not [e for e in events if "SIGINT" in e], events
    got = [e.split()[0] for e in events if e.endswith("got SIGTERM")]
    assert sorted(got[:2]) == ["api", "dashboard"], events
    assert got[2:] == ["beat", "worker", "flower", "redis"], events
    assert events.index("worker done") < events.index("flower got SIGTERM"), events
    assert events[-2:] == ["redis got SIGTERM", "redis done"], events
    assert harness.returncode == 0, out
    order = "dashboard, api; then beat; then worker; then flower; then redis"
    assert f"Stopping in order: {order}." in out
    assert "harness stopped" in out


def test_a_service_that_ignores_sigterm_is_killed_with_its_group_after_its_timeout():
    import signal
    import sys

    run_local = _run_local()
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    stubborn = [sys.executable, "-c", ignore]
    proc = run_local.start("beat", stubborn)
    time.sleep(0.5)
    started = time.monotonic()
    run_local.stop_all({"beat": proc}, {"beat": 1.0})
    assert proc.returncode == -signal.SIGKILL
    assert 0.9 < time.monotonic() - started < 10


def test_make_run_says_which_redis_and_databases_it_uses(settings):
    run_local = _run_local()
    local = settings.model_copy(
        update={
            "redis_url": "redis://:hunter2@localhost:6379",
            "celery_broker_url": "",
            "celery_result_backend": "",
            "redis_db": 1,
        }
    )
    assert run_local.redis_usage(local) == "broker and results: db 0, cache: db 1"
    elsewhere = local.model_copy(
        update={"use_rabbitmq": True, "rabbitmq_url": "amqp://qa:pw@rabbit:5672/qa"}
    )
    assert run_local.redis_usage(elsewhere) == (
        "broker: amqp://qa:***@rabbit:5672/qa, results: db 0, cache: db 1"
    )
    lines = run_local.summary_lines(
        local.model_copy(update={"api_port": 8100, "dashboard_port": 8600}),
        redis_origin="(already running: reused; REDIS_URL picks another)",
        admin_said=["Created the first admin admin@localhost with password: first-secret"],
        flower_password="flower-secret",
        still_starting=[],
    )
    text = run_local.framed(lines)
    assert "hunter2" not in text and "redis://:***@localhost:6379" in text
    assert "http://localhost:8600" in text and "http://localhost:8100/docs" in text
    assert "first-secret" in text and "flower-secret" in text
    assert "-m backend.cli reset-password EMAIL" in text
    rows = text.splitlines()
    assert rows[0] == rows[-1] and set(rows[0]) == {"+", "-"}  # framed
    commands = run_local.service_commands(
        local.model_copy(update={"api_port": 8100, "dashboard_port": 8600})
    )
    assert "8100" in commands["api"] and "--server.port=8600" in commands["dashboard"]


def test_ctrl_c_again_cuts_the_wait_for_the_worker_short():
    import signal
    import sys

    run_local = _run_local()
    ignore = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    proc = run_local.start("worker", [sys.executable, "-c", ignore])
    time.sleep(0.5)
    started = time.monotonic()
    run_local.stop_all({"worker": proc}, {"worker": 300.0}, hurry=lambda: True)
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 10
