"""Deep links into Flower, built from the FLOWER_URL setting (which includes any --url_prefix)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from backend.config import Settings

# The tabs of Flower's worker page (flower/templates/worker.html).
WORKER_TABS = ("pool", "broker", "queues", "tasks", "limits", "config", "system", "other")


@dataclass(frozen=True)
class FlowerLinks:
    base: str  # e.g. "https://ops.example.com/flower" when Flower runs with --url_prefix=flower

    @classmethod
    def from_url(cls, url: str) -> FlowerLinks:
        return cls(base=url.strip().rstrip("/"))

    @property
    def configured(self) -> bool:
        return bool(self.base)

    def home(self) -> str:
        return f"{self.base}/"

    def worker(self, hostname: str, tab: str | None = None) -> str:
        """The worker's page, opened on one of its tabs when given."""
        if tab is not None and tab not in WORKER_TABS:
            raise ValueError(f"Flower's worker page has no '{tab}' tab.")
        anchor = f"#tab-{tab}" if tab else ""
        return f"{self.base}/worker/{quote(hostname, safe='@')}{anchor}"

    def task(self, task_id: str) -> str:
        return f"{self.base}/task/{quote(task_id, safe='')}"

    def tasks(self, state: str | None = None) -> str:
        query = f"?{urlencode({'state': state})}" if state else ""
        return f"{self.base}/tasks{query}"

    def failed_tasks(self) -> str:
        return self.tasks("FAILURE")

    def broker(self) -> str:
        return f"{self.base}/broker"


def ensure_password(settings: Settings) -> tuple[str, bool]:
    """Flower's basic-auth password: FLOWER_PASSWORD when set, else the one generated into
    DATA_DIR/flower-password (readable by its owner only), made now if missing. Returns
    (password, made now) so the caller prints a new one once."""
    if settings.flower_password:
        return settings.flower_password, False
    existing = settings.flower_secret
    if existing:
        return existing, False
    password = secrets.token_urlsafe(24)
    path = settings.flower_password_file
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(password + "\n")
    return password, True
