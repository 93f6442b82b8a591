"""Command line: `python -m backend.cli COMMAND ...` for users, admins, ingest, ask, eval, bench,
and the vector store (reindex, backup-vectors).

Every command goes through the same services and queues as the dashboard and the API.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from backend.accounts import users
from backend.config import get_settings
from backend.documents import library
from backend.documents.ingest.extract import SUPPORTED_EXTENSIONS
from backend.errors import ServiceError
from backend.ledger import task_records
from backend.ledger.task_view import task_dict
from backend.qa import questions
from backend.qa.answer_kinds import lacking
from backend.runtime import Runtime, build_runtime
from backend.tools import cli_accounts, cli_quality, cli_vectors


def _runtime() -> Runtime:
    return build_runtime(get_settings())


def cmd_migrate(args: argparse.Namespace) -> int:
    from backend.tools.migrate import upgrade

    upgrade(get_settings().sqlalchemy_url)
    print("Database is up to date.")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    settings = get_settings()
    rt = _runtime()
    with rt.session() as session:
        user, generated = users.ensure_admin(
            session=session, email=settings.admin_email, password=settings.admin_password
        )
        email = user.email
    if generated:
        print(f"Created the first admin {email} with password: {generated}")
        print("This password is shown once; change it after signing in.")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    rt = _runtime()
    with rt.session() as session:
        user = users.create_user(
            session=session, email=args.email, password=args.password, role=args.role
        )
        print(f"Created {user.email} (role {user.role}, id {user.id}).")
    return 0


def iter_files(paths: list[str]) -> Iterator[Path]:
    """Files named, and supported files inside folders named (recursively, sorted)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in SUPPORTED_EXTENSIONS:
                    yield child
        elif path.is_file():
            yield path
        else:
            raise ServiceError(f"{raw}: no such file or folder.")


def cmd_ingest(args: argparse.Namespace) -> int:
    rt = _runtime()
    pending: list[tuple[str, int, str | None]] = []
    with rt.session() as session:
        user = users.get_user_by_email(session=session, email=args.user)
        paths = list(iter_files(args.paths))
        results = library.upload_paths(
            session=session,
            celery=rt.celery,
            uploads=rt.uploads,
            settings=rt.settings,
            user=user,
            paths=paths,
        )
        for path, result in zip(paths, results, strict=True):
            doc = result.document
            note = " (already uploaded)" if result.duplicate else ""
            print(f"{path}: document {doc.id}, {doc.processing_status}{note}")
            pending.append((path.name, doc.id, result.task.task_id if result.task else None))
    if not args.wait:
        return 0
    return _wait_documents(rt, pending, args.timeout)


def _wait_documents(rt: Runtime, pending: list[tuple[str, int, str | None]], timeout: float) -> int:
    failures = 0
    for name, doc_id, task_id in pending:
        if task_id:
            try:
                task_records.wait_for_task(celery=rt.celery, task_id=task_id, timeout=timeout)
            except task_records.TaskFailed:
                pass  # the document row holds the reason
        with rt.session() as session:
            doc = session.get(library.Document, doc_id)
            if doc is None:
                continue
            if doc.processing_status == "ready":
                print(f"{name}: ready ({doc.page_count or '-'} pages, {doc.chunk_count} chunks)")
            else:
                failures += 1
                print(f"{name}: {doc.processing_status}: {doc.processing_error or ''}")
    return 1 if failures else 0


def ask(
    rt: Runtime,
    *,
    email: str,
    question: str,
    document_ids: list[int] | None,
    urgent: bool,
    timeout: float,
) -> dict[str, Any]:
    """Submit a question through the queue and wait for the answer."""
    started = time.perf_counter()
    with rt.session() as session:
        user = users.get_user_by_email(session=session, email=email)
        _, task = questions.submit_question(
            session=session,
            celery=rt.celery,
            user=user,
            question=question,
            document_ids=document_ids,
            priority=True if urgent else None,
        )
    result = task_records.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=timeout)
    return {
        "answer": result["answer"],
        "found": result["found"],
        "sources": result["sources"],
        "closest": result.get("closest") or [],
        "confidence": result.get("confidence"),
        "missing_names": result.get("missing_names") or [],
        "ungiven": result.get("ungiven"),
        "task_id": task.task_id,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


def cmd_ask(args: argparse.Namespace) -> int:
    rt = _runtime()
    ids = [int(x) for x in args.documents.split(",")] if args.documents else None
    out = ask(
        rt,
        email=args.user,
        question=args.question,
        document_ids=ids,
        urgent=args.urgent,
        timeout=args.timeout,
    )
    if args.json:
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(out["answer"])
    if out.get("confidence"):
        print(f"  ({out['confidence']})")
    if out["missing_names"]:
        print(f"  No passage searched mentions: {', '.join(out['missing_names'])}")
    if out["ungiven"] and not out["found"]:
        print(f"  {lacking(out['ungiven'])}")
    for i, src in enumerate(out["sources"], 1):
        print(f"  [{i}] {_passage(src)}")
    if out["closest"]:
        print("  Closest passages (none of them answers it):")
    for src in out["closest"]:
        print(f"  - {_passage(src)}")
    print(f"  ({out['latency_ms']:.0f} ms, task {out['task_id']})")
    return 0


def _passage(src: dict[str, Any]) -> str:
    page = f", page {src['page']}" if src.get("page") else ""
    return f"{src['filename']}{page}"


def cmd_tasks(args: argparse.Namespace) -> int:
    rt = _runtime()
    with rt.session() as session:
        user = users.get_user_by_email(session=session, email=args.user)
        records = task_records.list_tasks(
            session=session, user=user, state=args.state, queue=args.queue, limit=args.limit
        )
        rows = [task_dict(r) for r in records]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'task id':36}  {'state':8}  {'queue':19}  {'name':16}  {'ms':>7}  error")
    for r in rows:
        runtime = f"{r['runtime_ms']:.0f}" if r["runtime_ms"] is not None else "-"
        short = r["name"].rsplit(".", 1)[-1]
        print(
            f"{r['task_id']:36}  {r['state']:8}  {r['queue'] or '-':19}  {short:16}  "
            f"{runtime:>7}  {r['error'] or ''}"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line's grammar."""
    parser = argparse.ArgumentParser(prog="python -m backend.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the database tables")
    sub.add_parser("create-admin", help="create the first admin from ADMIN_EMAIL/ADMIN_PASSWORD")
    p = sub.add_parser("create-user", help="create an account")
    p.add_argument("email")
    p.add_argument("--password", required=True)
    p.add_argument("--role", default="user", choices=["user", "premium", "admin"])
    p = sub.add_parser("ingest", help="upload files or folders for a user")
    p.add_argument("paths", nargs="+")
    p.add_argument("--user", required=True)
    p.add_argument("--wait", action="store_true", help="wait until each file is ready or failed")
    p.add_argument("--timeout", type=float, default=600)
    p = sub.add_parser("ask", help="ask a question from a user's documents")
    p.add_argument("question")
    p.add_argument("--user", required=True)
    p.add_argument("--documents", help="comma-separated document ids to search")
    p.add_argument("--urgent", action="store_true", help="high_priority queue (premium users)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--timeout", type=float, default=120)
    p = sub.add_parser("tasks", help="a user's task ledger")
    p.add_argument("--user", required=True)
    p.add_argument("--state")
    p.add_argument("--queue")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    cli_quality.add_parsers(sub)
    cli_accounts.add_parsers(sub)
    cli_vectors.add_parsers(sub)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "migrate": cmd_migrate,
    "create-admin": cmd_create_admin,
    "create-user": cmd_create_user,
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "tasks": cmd_tasks,
    **cli_quality.COMMANDS,
    **cli_accounts.COMMANDS,
    **cli_vectors.COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; service errors print their sentence and exit 1."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except ServiceError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except task_records.TaskFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"error: the database is not answering ({type(exc.orig).__name__}).", file=sys.stderr)
        return 1
