"""The seed's task monitor, so its examples work as written:

from backend.tools.task_monitor import task_monitor
task_monitor.get_user_tasks(user_id=1)
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from backend.accounts.users import get_user
from backend.config import get_settings
from backend.ledger import task_records
from backend.ledger.task_view import task_dict
from backend.runtime import Runtime, build_runtime


class TaskMonitor:
    """Thin wrapper over `backend.ledger.task_records` acting as the given user."""

    def __init__(self, runtime: Runtime | None = None) -> None:
        if runtime is not None:
            self.__dict__["rt"] = runtime

    @cached_property
    def rt(self) -> Runtime:
        return build_runtime(get_settings())

    def get_user_tasks(self, user_id: int, limit: int = 50) -> list[dict[str, Any]]:
        """The user's tasks, newest first, as dictionaries."""
        with self.rt.session() as session:
            user = get_user(session=session, user_id=user_id)
            records = task_records.list_tasks(session=session, user=user, limit=limit)
            return [task_dict(r) for r in records]

    def cancel_task(self, task_id: str, user_id: int) -> bool:
        """Cancel the user's task; True when it was cancelled."""
        with self.rt.session() as session:
            user = get_user(session=session, user_id=user_id)
            task_records.cancel_task(
                session=session, celery=self.rt.celery, user=user, task_id=task_id
            )
            return True

    def retry_task(self, task_id: str, user_id: int) -> str:
        """Retry the user's failed task; returns the new task id."""
        with self.rt.session() as session:
            user = get_user(session=session, user_id=user_id)
            ref = task_records.retry_task(
                session=session, celery=self.rt.celery, user=user, task_id=task_id
            )
            return ref.task_id

    def get_task_analytics(self, user_id: int, days: int = 7) -> dict[str, Any]:
        """Counts by state and queue, failure rate and runtime percentiles."""
        with self.rt.session() as session:
            user = get_user(session=session, user_id=user_id)
            return task_records.task_analytics(session=session, user=user, days=days)


task_monitor = TaskMonitor()
