"""Retrieval and answer quality on a QA dataset (docs/ + qa.jsonl), through the real queue.

Scores, per method:
- hit@k: one of the top-k cited chunks holds a gold answer in its original place (the answer
  with about 20 characters of the gold paragraph on each side, compared normalised);
- MRR of that first hit; answer containment (the answer shown holds a gold answer);
- latency per question (p50/p95).
"""

from __future__ import annotations

import random
import secrets
import time
from pathlib import Path
from typing import Any

from backend.accounts import users
from backend.documents import library
from backend.errors import NotFound
from backend.ledger import task_records
from backend.models import User
from backend.qa import questions
from backend.runtime import Runtime
from backend.tools.scoring import (
    Item,
    contains_answer,
    hit_rank,
    load_items_by_article,
    summarise,
)

# What `eval` compares: the system's method, then baselines (see questions.parse_method).
EVAL_METHODS: dict[str, str | None] = {
    "hybrid + sentence rerank (system)": None,
    "dense only (meaning-only rerank)": "dense-semantic",
    "dense + sentence rerank": "dense",
    "dense retrieval order": "dense-plain",
    "hybrid retrieval order": "hybrid-plain",
    "bm25 retrieval order (engine)": "sparse-plain",
}
def ensure_eval_documents(rt: Runtime, email: str, docs: list[Path], timeout: float) -> User:
    """The evaluation account with every dataset document uploaded and ready."""
    with rt.session() as session:
        try:
            user = users.get_user_by_email(session=session, email=email)
        except NotFound:
            # An admin account, so rate limits do not cut a long evaluation short.
            user = users.create_user(
                session=session, email=email, password=secrets.token_urlsafe(16), role="admin"
            )
        results = library.upload_paths(
            session=session,
            celery=rt.celery,
            uploads=rt.uploads,
            settings=rt.settings,
            user=user,
            paths=docs,
        )
        tasks = [r.task.task_id for r in results if r.task is not None]
    for task_id in tasks:
        task_records.wait_for_task(celery=rt.celery, task_id=task_id, timeout=timeout)
    return user


def run_system(
    rt: Runtime,
    user: User,
    items: list[Item],
    timeout: float,
    retrieval: str | None = None,
) -> list[dict[str, Any]]:
    """Ask every question through the queue and score what comes back."""
    rows = []
    for item in items:
        started = time.perf_counter()
        with rt.session() as session:
            fresh = session.get(User, user.id)
            assert fresh is not None
            _, task = questions.submit_question(
                session=session,
                celery=rt.celery,
                user=fresh,
                question=item.question,
                retrieval=retrieval,
            )
        result = task_records.wait_for_task(celery=rt.celery, task_id=task.task_id, timeout=timeout)
        latency = (time.perf_counter() - started) * 1000
        texts = [s["text"] for s in result["sources"]]
        ranked = texts or [s["text"] for s in result.get("closest") or []]
        rows.append(_row(item, texts, result["answer"], bool(result["found"]), latency, ranked))
    return rows


def _row(
    item: Item,
    texts: list[str],
    answer: str,
    found: bool,
    latency: float,
    ranked: list[str] | None = None,
) -> dict[str, Any]:
    """One question's figures; `ranked` are the sources in order before the 'not found'
    decision (the cited ones, or the closest passages of a refusal)."""
    return {
        "rank": hit_rank((texts if ranked is None else ranked)[:5], item.contexts),
        "cited": hit_rank(texts[:5], item.contexts),
        "contains": found and contains_answer(answer, item.answers),
        "found": found,
        "latency_ms": latency,
    }


def run_eval(
    rt: Runtime, folder: Path, *, sample: int, seed: int, email: str, timeout: float
) -> dict[str, Any]:
    """Upload the dataset's documents, ask its questions, and score every method; then ask a
    second account that lacks two of the documents about those, to measure 'not found'."""
    docs, items, articles = load_items_by_article(folder)
    rng = random.Random(seed)
    chosen = rng.sample(range(len(items)), sample) if 0 < sample < len(items) else range(len(items))
    asked = [items[i] for i in chosen]
    user = ensure_eval_documents(rt, email, docs, timeout)
    methods = {
        name: summarise(run_system(rt, user, asked, timeout, retrieval))
        for name, retrieval in EVAL_METHODS.items()
    }
    report: dict[str, Any] = {
        "dataset": str(folder),
        "questions": len(asked),
        "seed": seed,
        "methods": methods,
    }
    if len(docs) >= 4:
        holdout = holdout_email(email, seed)
        report["not_found"] = _not_found_check(
            rt, holdout, docs, items, articles, seed, timeout
        )
    return report


def holdout_email(email: str, seed: int) -> str:
    """The second evaluation account of a run: its own per main account and seed, so two
    datasets evaluated under two accounts never share documents."""
    local, _, domain = email.partition("@")
    return f"{local}-holdout-{seed}@{domain or 'localhost'}"


def _not_found_check(
    rt: Runtime,
    email: str,
    docs: list[Path],
    items: list[Item],
    articles: list[str],
    seed: int,
    timeout: float,
) -> dict[str, Any]:
    """Hold out two documents; questions about them should get 'not found', others not."""
    rng = random.Random(seed + 1)
    held = set(rng.sample([d.stem for d in docs], 2))
    user = ensure_eval_documents(
        rt, email, [d for d in docs if d.stem not in held], timeout
    )
    absent = [it for it, a in zip(items, articles, strict=True) if a in held]
    present = [it for it, a in zip(items, articles, strict=True) if a not in held]
    absent = rng.sample(absent, min(100, len(absent)))
    present = rng.sample(present, min(100, len(present)))
    refused_absent = sum(not r["found"] for r in run_system(rt, user, absent, timeout))
    refused_present = sum(not r["found"] for r in run_system(rt, user, present, timeout))
    said = refused_absent + refused_present
    return {
        "held_out": sorted(held),
        "absent_questions": len(absent),
        "absent_refused": round(refused_absent / max(1, len(absent)), 4),
        "present_refused": round(refused_present / max(1, len(present)), 4),
        "precision": round(refused_absent / said, 4) if said else None,
    }


def format_report(report: dict[str, Any]) -> str:
    """The report as one aligned table."""
    cols = ["hit@1", "hit@5", "mrr", "cited@5", "containment", "not_found", "p50_ms", "p95_ms"]
    width = max(len(m) for m in report["methods"]) + 2
    lines = [
        f"{report['dataset']}: {report['questions']} questions (seed {report['seed']})",
        "method".ljust(width) + "".join(c.rjust(12) for c in cols),
    ]
    for name, figures in report["methods"].items():
        lines.append(name.ljust(width) + "".join(f"{figures[c]:>12}" for c in cols))
    lines.append(
        "hit@k and mrr: the ranked sources before the 'not found' decision; cited@5: a "
        "source cited with the answer holds it (a refusal cites none); all asked through "
        "the queue."
    )
    nf = report.get("not_found")
    if nf:
        lines.append(
            f"not found: held out {', '.join(nf['held_out'])}; questions about them refused "
            f"{nf['absent_refused']:.1%}, answerable ones refused {nf['present_refused']:.1%}, "
            f"precision of 'not found' {nf['precision']}"
        )
    return "\n".join(lines)
