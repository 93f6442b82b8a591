"""Deep links into Flower, built from the FLOWER_URL setting (which includes any --url_prefix)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

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
