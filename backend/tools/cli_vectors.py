"""Vector store commands: `reindex`, `backup-vectors` and `prepare-vectors` (run by `make run`).

The embedded shard belongs to one process. When the worker holds it, these commands ask the
worker to do the work through a task and follow its progress; otherwise they do it here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from backend.accounts import users
from backend.config import get_settings
from backend.ledger import catalog, task_records
from backend.models import TaskRecord
from backend.operations import rechunk, token_state_upkeep, vectors
from backend.retrieval import term_stats
from backend.retrieval.embeddings import vectors_version
from backend.retrieval.stores import open_vector_store
from backend.retrieval.vector_store import VectorStoreBusy
from backend.runtime import Runtime, build_runtime

FINISHED = {"SUCCESS", "FAILURE", "REVOKED", "STUCK"}


def progress_bar(label: str) -> Callable[[int, int, int], None]:
    """A one-line text bar on stderr: documents done of all, passages so far."""
    bar = count_bar(label, "documents")
    return lambda done, total, chunks: bar(done, total, f", {chunks} passages")


def count_bar(label: str, unit: str) -> Callable[..., None]:
    """A one-line text bar on stderr: `unit` done of all (and what `more` adds)."""

    def draw(done: int, total: int, more: str = "") -> None:
        width = 30
        filled = int(width * done / max(1, total))
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r{label} [{bar}] {done}/{total} {unit}{more}", end=end,
              file=sys.stderr, flush=True)

    return draw


def _through_worker(
    rt: Runtime, name: str, kwargs: dict[str, Any], label: str, timeout: float
) -> dict[str, Any]:
    """Queue the task on the worker that holds the shard; follow its progress in the ledger."""
    with rt.session() as session:
        ref = task_records.submit_task(
            session=session, celery=rt.celery, name=name, kwargs=kwargs, user_id=None
        )
    print(f"The worker holds the vector store; it does this as task {ref.task_id}.",
          file=sys.stderr)
    deadline = time.monotonic() + timeout
    state = "PENDING"
    while time.monotonic() < deadline:
        with rt.session() as session:
            record = session.get(TaskRecord, ref.task_id)
            state = record.state if record else "PENDING"
            percent = (record.progress or 0) if record else 0
        print(f"\r{label}: {state.lower()} {percent}%", end="", file=sys.stderr, flush=True)
        if state in FINISHED:
            break
        time.sleep(0.5)
    print(file=sys.stderr)
    if state != "SUCCESS":
        with rt.session() as session:
            record = session.get(TaskRecord, ref.task_id)
            reason = (record.error if record else None) or f"the task is {state.lower()}"
        raise task_records.TaskFailed(f"{label} did not finish: {reason}")
    result = task_records.wait_for_task(celery=rt.celery, task_id=ref.task_id, timeout=30)
    return dict(result or {})


def cmd_reindex(args: argparse.Namespace) -> int:
    rt = build_runtime(get_settings())
    user_id = None
    if args.user:
        with rt.session() as session:
            user_id = users.get_user_by_email(session=session, email=args.user).id
    try:
        store = open_vector_store(rt.settings)
    except VectorStoreBusy:
        kwargs = {"target_user_id": user_id} if user_id is not None else {}
        result = _through_worker(
            rt, catalog.REINDEX_VECTORS, kwargs, "Rebuilding vectors", args.timeout
        )
    else:
        try:
            result = vectors.reindex(
                sessions=rt.session,
                embedder=rt.embedder,
                store=store,
                user_id=user_id,
                progress=progress_bar("Rebuilding vectors"),
            ).as_dict()
        finally:
            store.close()
    who = args.user or "every account"
    print(f"Rebuilt the vectors of {result['documents']} documents ({result['chunks']} passages) "
          f"of {who} in {result['seconds']} s.")
    return 0


def cmd_backup_vectors(args: argparse.Namespace) -> int:
    rt = build_runtime(get_settings())
    destination = Path(args.destination).resolve()
    try:
        store = open_vector_store(rt.settings)
    except VectorStoreBusy:
        result = _through_worker(
            rt,
            catalog.BACKUP_VECTORS,
            {"destination": str(destination)},
            "Copying the vector store",
            args.timeout,
        )
    else:
        try:
            result = vectors.copy_shard(store, destination)
        finally:
            store.close()
    print(f"Copied {result['points']} points into {result['folder']} in {result['seconds']} s.")
    return 0


def cmd_prepare_vectors(args: argparse.Namespace) -> int:
    """Open the store before the worker starts: a clear message if it cannot be read, and a
    rebuild from the passages when it is empty while ready documents exist or was made in a
    former layout (an upgrade); documents whose vectors another encoder made are embedded
    again with this one; documents cut into passages another way are cut again from their
    uploads (and processed again where their passages change); passages processed before token
    states were kept and documents processed before per-account term statistics get theirs."""
    rt = build_runtime(get_settings())
    note = vectors.legacy_folder_note(rt.settings)
    store = open_vector_store(rt.settings)
    try:
        reason = vectors.rebuild_reason(rt.session, store)
        encoder = vectors_version(rt.settings.embedding_quantized)
        stale = [] if reason else vectors.documents_from_another_encoder(rt.session, encoder)
        if reason and note:
            print(note)
        if stale:
            reason = (f"The vectors of {len(stale)} of the documents come from another encoder "
                      f"than {encoder}: embedding them again, so questions compare with them.")
        if reason:
            print(reason)
            summary = vectors.reindex(
                sessions=rt.session,
                embedder=rt.embedder,
                store=store,
                document_ids=stale or None,
                progress=progress_bar("Rebuilding vectors"),
            )
            print(f"Rebuilt {summary.documents} documents ({summary.chunks} passages) in "
                  f"{summary.seconds:.0f} s.")
        recut = rechunk.documents_chunked_otherwise(rt.session)
        if recut:
            print(f"{len(recut)} documents were cut into passages another way than now: cutting "
                  "them again, and processing again those whose passages change.")
            cut_bar = count_bar("Cutting passages", "documents")
            done = rechunk.rechunk(
                sessions=rt.session,
                settings=rt.settings,
                uploads=rt.uploads,
                embedder=rt.embedder,
                store=store,
                document_ids=recut,
                progress=lambda done, total, changed: cut_bar(
                    done, total, f", {changed} processed again"
                ),
            )
            for filename, why in done.kept:
                print(f"{filename} keeps its passages: {why}")
            print(f"Processed {done.changed} of {done.checked} documents again in "
                  f"{done.seconds:.0f} s; the others' passages were already so.")
        unread = token_state_upkeep.documents_without_token_states(rt.session)
        if unread:
            read = token_state_upkeep.backfill_token_states(
                sessions=rt.session,
                embedder=rt.embedder,
                documents=unread,
                progress=progress_bar("Storing token states"),
            )
            print(f"Stored the token states of {read} passages processed before they were "
                  "kept (questions no longer read them with the encoder).")
        if token_state_upkeep.passages_with_int8_token_states(rt.session):
            repacked = token_state_upkeep.repack_token_states(
                sessions=rt.session, progress=count_bar("Repacking token states", "passages")
            )
            print(f"Stored the token states of {repacked} passages in four bits instead of "
                  "eight (half the space).")
        counted = term_stats.backfill_document_terms(rt.session)
        if counted:
            print(f"Counted the words of {counted} documents processed before per-account "
                  "word statistics.")
        print(f"Vector store: {store.where} holds {store.count()} passages.")
    finally:
        store.close()
    return 0


def add_parsers(sub: Any) -> None:
    """The vector commands' grammar."""
    p = sub.add_parser("reindex", help="rebuild the vectors from the stored passages")
    p.add_argument("--user", help="only this account's documents (email)")
    p.add_argument("--timeout", type=float, default=24 * 3600)
    p = sub.add_parser("backup-vectors", help="copy the embedded vector store into a folder")
    p.add_argument("destination", help="an empty or new folder")
    p.add_argument("--timeout", type=float, default=3600)
    sub.add_parser("prepare-vectors", help="check the vector store at start-up (make run)")


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "reindex": cmd_reindex,
    "backup-vectors": cmd_backup_vectors,
    "prepare-vectors": cmd_prepare_vectors,
}
