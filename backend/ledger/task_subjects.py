"""What a task was for: the document, question or account its recorded arguments name, and
their file names, question texts and emails for the task tables (one query for any number)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, func, literal, select, union_all
from sqlalchemy.orm import Session

from backend.ledger.catalog import USER_REPORT
from backend.models import Document, Question, TaskRecord, User

SubjectRef = tuple[str, int]  # ("document" | "question" | "account", id)
SUBJECT_TEXT_CHARS = 200  # of a question's text, enough for any shortened form
_SUBJECT_ARGS = (
    ("document_id", "document"),
    ("question_id", "question"),
    ("target_user_id", "account"),
)
_SUMMARY_ID = re.compile(r'"(document_id|question_id|target_user_id|user_id)": (\d+)')


@dataclass(frozen=True)
class Subject:
    owner_id: int | None  # whose document or question it is (None for an account)
    text: str  # file name, question text (its first SUBJECT_TEXT_CHARS) or email


def subject_ref(record: TaskRecord) -> SubjectRef | None:
    """What the task's arguments name, from its recorded arguments (or their summary when
    only that was kept): its document, its question or the account it acts on."""
    args: dict[str, object]
    if isinstance(record.args, dict):
        args = record.args
    else:
        args = dict(_SUMMARY_ID.findall(record.args_summary or ""))
    for key, kind in _SUBJECT_ARGS:
        ident = _as_id(args.get(key))
        if ident is not None:
            return kind, ident
    if record.name == USER_REPORT:  # a report is about the account it reports on
        ident = _as_id(args.get("user_id"))
        if ident is not None:
            return "account", ident
    return None


def _as_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _subject_columns() -> dict[str, tuple[Any, Any, Any]]:
    """Per kind of subject: its id, its owner's id and the text the task tables show."""
    return {
        "document": (Document.id, Document.owner_id, Document.filename),
        "question": (
            Question.id,
            Question.user_id,
            func.substr(Question.text, 1, SUBJECT_TEXT_CHARS),
        ),
        "account": (User.id, literal(None, Integer), User.email),
    }


def task_subjects(*, session: Session, records: Iterable[TaskRecord]) -> dict[SubjectRef, Subject]:
    """The file names, question texts and account emails the tasks' arguments name, in one
    query whatever the number of tasks; what no longer exists is missing from the answer."""
    wanted: dict[str, set[int]] = {"document": set(), "question": set(), "account": set()}
    for record in records:
        ref = subject_ref(record)
        if ref is not None:
            wanted[ref[0]].add(ref[1])
    parts: list[Select[str, int, int | None, str]] = []
    for kind, (ident, owner, text) in _subject_columns().items():
        if wanted[kind]:
            parts.append(
                select(
                    literal(kind).label("kind"),
                    ident.label("id"),
                    owner.label("owner_id"),
                    text.label("text"),
                ).where(ident.in_(sorted(wanted[kind])))
            )
    if not parts:
        return {}
    rows = session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
    return {
        (str(row[0]), int(row[1])): Subject(owner_id=row[2], text=str(row[3] or "")) for row in rows
    }
