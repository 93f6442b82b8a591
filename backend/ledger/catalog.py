"""The task table: every Celery task and queue, declared once.

Celery's queues and routes (`routing`), the workers' task options (`workers/tasks`), the API's
queue enum, the dashboard's filters and labels, the metrics and the completion webhooks are all
read from here, so a task added or moved here is added or moved everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from backend.config import Settings


@dataclass(frozen=True)
class QueueSpec:
    name: str
    routing_key: str
    purpose: str


# In polling order: a worker consuming several queues serves high_priority first.
QUEUES: tuple[QueueSpec, ...] = (
    QueueSpec("high_priority", "qa.priority", "Premium and urgent questions"),
    QueueSpec("question_answering", "qa.normal", "Questions"),
    QueueSpec("document_processing", "document.processing", "Processing and deleting documents"),
    QueueSpec("user_management", "user.management", "Accounts, reports, webhooks, maintenance"),
)
QUEUE_NAMES: tuple[str, ...] = tuple(q.name for q in QUEUES)
DEFAULT_QUEUE = "question_answering"

if TYPE_CHECKING:
    QueueName = str
else:  # the API's queue parameter accepts exactly the declared queues
    QueueName = Literal[QUEUE_NAMES]


class Limits(StrEnum):
    """Which pair of time limits in the settings a task runs under."""

    DOCUMENT = "document"
    QUESTION = "question"


class Retry(StrEnum):
    """How a task is retried."""

    TRANSIENT = "transient"  # automatically, with back-off, on errors that go away by themselves
    WEBHOOK = "webhook"  # by the task itself, with the webhook settings' back-off


@dataclass(frozen=True)
class TaskSpec:
    """One task: where it runs, how long it may take, how it retries and how it is shown."""

    name: str
    queue: str
    label: str  # what users and admins read, e.g. "Process document"
    limits: Limits | None = None
    retry: Retry | None = None
    recorded: bool = True  # written to the task ledger as it runs
    owner_facing: bool = False  # offered in the owner's task filters
    urgent: bool = False  # sent at the broker's highest message priority
    ignore_result: bool = False
    webhook: tuple[str, str] | None = None  # events posted on success and on failure
    latency_metric: Literal["ingestion", "answer"] | None = None
    serves: Literal["document", "question"] | None = None  # kept in step by the ledger

    @property
    def routing_key(self) -> str:
        return queue_spec(self.queue).routing_key

    def time_limits(self, settings: Settings) -> tuple[int, int] | None:
        """(soft, hard) seconds, or None when Celery imposes no limit."""
        if self.limits is Limits.DOCUMENT:
            return settings.document_soft_time_limit, settings.document_time_limit
        if self.limits is Limits.QUESTION:
            return settings.question_soft_time_limit, settings.question_time_limit
        return None

    def overrun_after(self, settings: Settings) -> int:
        """Seconds of running after which the task is past its limit (the longest limit when
        it has none of its own)."""
        limits = self.time_limits(settings)
        if limits is not None:
            return limits[1]
        return max(settings.document_time_limit, settings.question_time_limit)


PROCESS_DOCUMENT = "workers.tasks.documents.process_document"
DELETE_DOCUMENT = "workers.tasks.documents.delete_document"
ANSWER_QUESTION = "workers.tasks.questions.answer_question"
PRIORITY_QUESTION = "workers.tasks.questions.priority_question"
USER_REPORT = "workers.tasks.users.generate_user_report"
DEACTIVATE_USER = "workers.tasks.users.deactivate_user"
DELETE_USER = "workers.tasks.users.delete_user"
SEND_WEBHOOK = "workers.tasks.webhooks.send_completion_webhook"
REINDEX_VECTORS = "workers.tasks.maintenance.reindex_vectors"
BACKUP_VECTORS = "workers.tasks.maintenance.backup_vectors"
BEAT_HEARTBEAT = "workers.tasks.maintenance.beat_heartbeat"
FLAG_STUCK_TASKS = "workers.tasks.maintenance.flag_stuck_tasks"
PURGE_EXPIRED = "workers.tasks.maintenance.purge_expired"
REMOVE_ORPHANS = "workers.tasks.maintenance.remove_orphans"
DAILY_USAGE_REPORTS = "workers.tasks.maintenance.daily_usage_reports"
CHECK_SERVICE = "workers.tasks.maintenance.check_service"

_ANSWER_EVENTS = ("answer.ready", "answer.failed")


def _maintenance(name: str, label: str, *, ignore_result: bool = False) -> TaskSpec:
    """A beat-driven task: user_management queue, not written to the ledger."""
    return TaskSpec(name, "user_management", label, recorded=False, ignore_result=ignore_result)


TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        PROCESS_DOCUMENT,
        "document_processing",
        "Process document",
        limits=Limits.DOCUMENT,
        retry=Retry.TRANSIENT,
        owner_facing=True,
        webhook=("document.ready", "document.failed"),
        latency_metric="ingestion",
        serves="document",
    ),
    TaskSpec(
        DELETE_DOCUMENT,
        "document_processing",
        "Delete document",
        retry=Retry.TRANSIENT,
        owner_facing=True,
    ),
    TaskSpec(
        ANSWER_QUESTION,
        "question_answering",
        "Answer question",
        limits=Limits.QUESTION,
        retry=Retry.TRANSIENT,
        owner_facing=True,
        webhook=_ANSWER_EVENTS,
        latency_metric="answer",
        serves="question",
    ),
    TaskSpec(
        PRIORITY_QUESTION,
        "high_priority",
        "Urgent question",
        limits=Limits.QUESTION,
        retry=Retry.TRANSIENT,
        owner_facing=True,
        urgent=True,
        webhook=_ANSWER_EVENTS,
        latency_metric="answer",
        serves="question",
    ),
    TaskSpec(
        USER_REPORT, "user_management", "Usage report", retry=Retry.TRANSIENT, owner_facing=True
    ),
    TaskSpec(DEACTIVATE_USER, "user_management", "Deactivate account", retry=Retry.TRANSIENT),
    TaskSpec(DELETE_USER, "user_management", "Delete account", retry=Retry.TRANSIENT),
    TaskSpec(
        SEND_WEBHOOK,
        "user_management",
        "Send webhook",
        retry=Retry.WEBHOOK,
        recorded=False,
        ignore_result=True,
    ),
    TaskSpec(REINDEX_VECTORS, "user_management", "Rebuild vectors"),
    TaskSpec(BACKUP_VECTORS, "user_management", "Back up vectors"),
    _maintenance(BEAT_HEARTBEAT, "Scheduler heartbeat", ignore_result=True),
    _maintenance(FLAG_STUCK_TASKS, "Flag stuck tasks"),
    _maintenance(PURGE_EXPIRED, "Purge expired records"),
    _maintenance(REMOVE_ORPHANS, "Remove orphaned files"),
    _maintenance(DAILY_USAGE_REPORTS, "Daily usage reports"),
    _maintenance(CHECK_SERVICE, "Service check"),
)
_BY_NAME = {task.name: task for task in TASKS}
_QUEUES_BY_NAME = {queue.name: queue for queue in QUEUES}


def queue_spec(name: str) -> QueueSpec:
    """The declared queue of that name."""
    return _QUEUES_BY_NAME[name]


def task_spec(name: str) -> TaskSpec:
    """The declared task of that name; an undeclared name is a programming error."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not in the task table (backend/ledger/catalog.py)") from None


def find_task(name: str) -> TaskSpec | None:
    """The declared task of that name, if any (ledger rows may name tasks since removed)."""
    return _BY_NAME.get(name)


def task_label(name: str) -> str:
    """A readable name for a task, e.g. 'Process document'."""
    spec = _BY_NAME.get(name)
    if spec is not None:
        return spec.label
    return name.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def owner_task_types() -> dict[str, str]:
    """Readable task types an owner can filter their tasks by, mapped to the task name."""
    return {task.label: task.name for task in TASKS if task.owner_facing}
