"""The tables, one module per domain; importing this package registers them all."""

from backend.models.accounts import ApiToken, AuditEntry, Role, User
from backend.models.common import utcnow
from backend.models.documents import Chunk, Document, DocumentStatus
from backend.models.ledger import TaskFlag, TaskRecord, Webhook, WebhookDelivery
from backend.models.lexical import DocumentTerm
from backend.models.operations import AdminNotice, QueueDepthSample
from backend.models.qa import Question
from backend.models.reports import UsageReport

__all__ = [
    "AdminNotice",
    "ApiToken",
    "AuditEntry",
    "Chunk",
    "Document",
    "DocumentStatus",
    "DocumentTerm",
    "Question",
    "QueueDepthSample",
    "Role",
    "TaskFlag",
    "TaskRecord",
    "UsageReport",
    "User",
    "Webhook",
    "WebhookDelivery",
    "utcnow",
]
