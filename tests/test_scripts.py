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
