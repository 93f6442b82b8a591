"""`eval` on a folder of one's own documents: the files beside a `questions.tsv`, asked as one
account that holds exactly those files.

`questions.tsv` has one question per line, three fields apart by tabs:

    file <TAB> question <TAB> phrase

`file` names the document the question is about; `phrase` is what a right answer holds (words
or a figure copied from the document; several accepted phrases apart by " | "), or "-" for a
question the documents do not answer, which should be refused. Blank lines, lines opening with
"#" and a first line "file <TAB> question <TAB> ..." are skipped.

Figures: answerable questions answered right (the answer shown holds a phrase), refused, and
cited@5 (one of the cited passages holds a phrase); unanswerable questions refused; latency.
Every document's outcome is reported: one that ends FAILED, or is turned away at upload, is
named with its reason, and its questions count as missed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.documents import library
from backend.documents.ingest.extract import SUPPORTED_EXTENSIONS
from backend.errors import InvalidInput, ServiceError, ServiceUnavailable
from backend.ledger import task_records
from backend.models import Document, DocumentStatus, User
from backend.runtime import Runtime
from backend.stats import percentile
from backend.tools.eval_askers import Asker, queue_asker
from backend.tools.evaluation import eval_account
from backend.tools.scoring import contains_answer, normalise

QUESTIONS_FILE = "questions.tsv"
NO_ANSWER = "-"
ALTERNATIVES = " | "


@dataclass(frozen=True)
class Question:
    line: int
    file: str
    question: str
    phrases: tuple[str, ...]  # empty: the documents do not answer it

    @property
    def answerable(self) -> bool:
        return bool(self.phrases)


def is_question_set(folder: Path) -> bool:
    return (folder / QUESTIONS_FILE).is_file()


def set_documents(folder: Path) -> list[Path]:
    """The folder's documents: every supported file in it or below it, hidden ones aside."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_EXTENSIONS
        and path.name != QUESTIONS_FILE
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def load_questions(folder: Path) -> list[Question]:
    """The questions of `questions.tsv`, checked: a line that cannot be read says which and why."""
    names = {path.name for path in set_documents(folder)}
    out = []
    text = (folder / QUESTIONS_FILE).read_text(encoding="utf-8-sig")
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in line.split("\t")]
        if number == 1 and [f.lower() for f in fields[:2]] == ["file", "question"]:
            continue
        where = f"{QUESTIONS_FILE} line {number}"
        if len(fields) != 3:
            raise InvalidInput(
                f"{where}: expected file, question and phrase apart by tabs, "
                f"found {len(fields)} field{'s' if len(fields) != 1 else ''}."
            )
        file, question, phrase = fields
        if not question:
            raise InvalidInput(f"{where}: the question is empty.")
        if file != NO_ANSWER and file not in names:
            raise InvalidInput(f"{where}: no document named {file!r} in {folder}.")
        phrases = () if phrase in ("", NO_ANSWER) else _alternatives(phrase)
        out.append(Question(number, file, question, phrases))
    if not out:
        raise InvalidInput(f"{folder / QUESTIONS_FILE} holds no questions.")
    return out


def _alternatives(phrase: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in phrase.split(ALTERNATIVES.strip()) if p.strip())


def prepare_account(
    rt: Runtime, email: str, docs: list[Path], timeout: float
) -> tuple[User, dict[str, str]]:
    """The account holding exactly the folder's documents (others it held are deleted, files
    uploaded again when they changed), each processed; returns the account and each document's
    outcome: "ready", or why it is not."""
    outcomes: dict[str, str] = {}
    waiting: list[str] = []
    with rt.session() as session:
        user = eval_account(session, email)
        kept: set[int] = set()
        for path in docs:
            try:
                result = library.upload_document(
                    session=session, celery=rt.celery, uploads=rt.uploads,
                    settings=rt.settings, user=user, filename=path.name,
                    data=path.read_bytes(),
                )  # fmt: skip
            except ServiceUnavailable:
                raise
            except ServiceError as exc:
                outcomes[path.name] = f"turned away at upload: {exc.message}"
                continue
            kept.add(result.document.id)
            if result.task is not None:
                waiting.append(result.task.task_id)
        for document in library.list_documents(session=session, user=user):
            if document.id not in kept:
                library.delete_document(
                    session=session, celery=rt.celery, user=user, document_id=document.id
                )
        session.commit()
        user_id = user.id
    for task_id in waiting:
        try:
            task_records.wait_for_task(celery=rt.celery, task_id=task_id, timeout=timeout)
        except (task_records.TaskFailed, ServiceError):
            pass  # the document's own record says why, read below
    with rt.session() as session:
        user = session.get(User, user_id) or user
        for document in library.list_documents(session=session, user=user):
            outcomes.setdefault(document.filename, _outcome(document))
    return user, outcomes


def _outcome(document: Document) -> str:
    if document.processing_status == DocumentStatus.READY.value:
        return "ready"
    reason = document.processing_error or "no reason recorded"
    return f"{document.processing_status}: {reason}"


def ask_all(
    rt: Runtime, user: User, questions: list[Question], timeout: float, ask: Asker
) -> list[dict[str, Any]]:
    """Each question asked and judged; a question whose task fails is a miss, with its reason."""
    rows = []
    for item in questions:
        started = time.perf_counter()
        try:
            result = ask(user, item.question, None, None)
            failed = None
        except (task_records.TaskFailed, ServiceError) as exc:
            result, failed = {"answer": "", "found": False, "sources": []}, str(exc)
        latency = (time.perf_counter() - started) * 1000
        rows.append(_judged(item, result, failed, latency))
    return rows


def _judged(
    item: Question, result: dict[str, Any], failed: str | None, latency: float
) -> dict[str, Any]:
    found = bool(result.get("found"))
    sources = result.get("sources") or []
    shown = sources or result.get("closest") or []
    cited = next(
        (
            rank
            for rank, source in enumerate(sources[:5], 1)
            if any(normalise(p) in normalise(source["text"]) for p in item.phrases)
        ),
        None,
    )
    return {
        "line": item.line,
        "file": item.file,
        "question": item.question,
        "phrases": list(item.phrases),
        "answerable": item.answerable,
        "found": found,
        "right": item.answerable and found and contains_answer(result["answer"], item.phrases),
        "cited": cited,
        "answer": result.get("answer", ""),
        "confidence": result.get("confidence"),
        "failed": failed,
        "sources": [f"{s['filename']}: {s['text'][:100]}" for s in shown[:5]],
        "latency_ms": round(latency, 1),
    }


def summarise_set(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of one folder (or of several folders' rows together)."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    latencies = sorted(r["latency_ms"] for r in rows)
    return {
        "questions": len(rows),
        "answerable": len(answerable),
        "right": sum(r["right"] for r in answerable),
        "answerable_refused": sum(not r["found"] for r in answerable),
        "cited@5": sum(r["cited"] is not None for r in answerable),
        "unanswerable": len(unanswerable),
        "unanswerable_refused": sum(not r["found"] for r in unanswerable),
        "failed": sum(r["failed"] is not None for r in rows),
        "p50_ms": percentile(latencies, 50) or 0.0,
        "p95_ms": percentile(latencies, 95) or 0.0,
    }


def run_question_set(
    rt: Runtime,
    folder: Path,
    *,
    email: str,
    timeout: float,
    ask: Asker | None = None,
    dump: Path | None = None,
) -> dict[str, Any]:
    """Upload the folder's documents to one account, ask every question, and report."""
    questions = load_questions(folder)
    docs = set_documents(folder)
    user, outcomes = prepare_account(rt, email, docs, timeout)
    rows = ask_all(rt, user, questions, timeout, ask or queue_asker(rt, timeout))
    if dump is not None:
        dump.parent.mkdir(parents=True, exist_ok=True)
        dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    per_document = {}
    for path in docs:
        mine = [r for r in rows if r["file"] == path.name]
        per_document[path.name] = {
            "outcome": outcomes.get(path.name, "not uploaded"),
            **summarise_set(mine),
        }
    return {
        "kind": "questions",
        "dataset": str(folder),
        "documents": len(docs),
        "ready": sum(outcomes.get(p.name) == "ready" for p in docs),
        "figures": summarise_set(rows),
        "per_document": per_document,
        "rows": rows,
    }
