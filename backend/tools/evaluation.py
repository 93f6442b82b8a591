"""Retrieval and answer quality on a QA dataset (docs/ + qa.jsonl), through the real queue.

Scores, per method:
- hit@k: one of the top-k cited chunks holds a gold answer in its original place (the answer
  with about 20 characters of the gold paragraph on each side, compared normalised);
- MRR of that first hit; answer containment (the answer shown holds a gold answer);
- latency per question (p50/p95).
"""

from __future__ import annotations

import json
import random
import secrets
import time
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from backend.accounts import users
from backend.documents import library
from backend.errors import NotFound
from backend.ledger import task_records
from backend.models import User
from backend.runtime import Runtime
from backend.tools.eval_askers import Asker, queue_asker
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
def eval_account(session: Session, email: str) -> User:
    """The evaluation account of that address, made if it is new: an admin account, so upload
    and rate limits do not cut a long evaluation short."""
    try:
        return users.get_user_by_email(session=session, email=email)
    except NotFound:
        return users.create_user(
            session=session, email=email, password=secrets.token_urlsafe(16), role="admin"
        )


def ensure_eval_documents(rt: Runtime, email: str, docs: list[Path], timeout: float) -> User:
    """The evaluation account with every dataset document uploaded and ready."""
    with rt.session() as session:
        user = eval_account(session, email)
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
    ask: Asker | None = None,
    document_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Ask every question (through the queue unless another asker is given) and score what
    comes back; each row also carries what a person studying a miss needs."""
    ask = ask or queue_asker(rt, timeout)
    rows = []
    for item in items:
        started = time.perf_counter()
        result = ask(user, item.question, retrieval, document_ids)
        latency = (time.perf_counter() - started) * 1000
        texts = [s["text"] for s in result["sources"]]
        ranked = texts or [s["text"] for s in result.get("closest") or []]
        row = _row(item, texts, result["answer"], bool(result["found"]), latency, ranked)
        shown = result["sources"] or result.get("closest") or []
        row.update(
            question=item.question,
            gold=item.answers,
            answer=result["answer"],
            confidence=result.get("confidence"),
            sources=[f"{s['filename']}: {s['text'][:100]}" for s in shown[:5]],
        )
        rows.append(row)
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
    rt: Runtime,
    folder: Path,
    *,
    sample: int,
    seed: int,
    email: str,
    timeout: float,
    ask: Asker | None = None,
    system_only: bool = False,
    dump: Path | None = None,
) -> dict[str, Any]:
    """Upload the dataset's documents, ask its questions, and score every method (or the
    system's alone); then ask a second account that lacks two of the documents about those,
    to measure 'not found'. `dump` receives one JSON line per question of the system."""
    docs, items, articles = load_items_by_article(folder)
    rng = random.Random(seed)
    chosen = rng.sample(range(len(items)), sample) if 0 < sample < len(items) else range(len(items))
    asked = [items[i] for i in chosen]
    user = ensure_eval_documents(rt, email, docs, timeout)
    methods = {}
    for name, retrieval in EVAL_METHODS.items():
        if retrieval is not None and system_only:
            continue
        rows = run_system(rt, user, asked, timeout, retrieval, ask=ask)
        if retrieval is None and dump is not None:
            dump.parent.mkdir(parents=True, exist_ok=True)
            dump.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        methods[name] = summarise(rows)
    report: dict[str, Any] = {
        "dataset": str(folder),
        "questions": len(asked),
        "seed": seed,
        "methods": methods,
    }
    if len(docs) >= 4:
        holdout = holdout_email(email, seed)
        report["not_found"] = _not_found_check(
            rt, holdout, docs, items, articles, seed, timeout, ask
        )
    if len(docs) >= 2:
        # A sample asks a few questions of each article; a full run (sample 0) asks them all,
        # so the figure does not hang on which twelve were drawn.
        per_article = ABSENT_PER_ARTICLE if sample else None
        report["absent_each"] = _each_article_absent(
            rt, user, items, articles, seed, timeout, ask, per_article
        )
    return report


ABSENT_PER_ARTICLE = 12


def _each_article_absent(
    rt: Runtime,
    user: User,
    items: list[Item],
    articles: list[str],
    seed: int,
    timeout: float,
    ask: Asker | None = None,
    per_article: int | None = ABSENT_PER_ARTICLE,
) -> dict[str, Any]:
    """'Not found' with every article missing in turn: `per_article` questions about each
    article (None: every one), asked of all the account's other documents (the ask's document
    choice), so the figure does not hang on which two articles one hold-out happened to drop.
    The word weights still come from the whole library, so this is close to, not the same as,
    an account without it."""
    rng = random.Random(seed + 2)
    with rt.session() as session:
        owned = library.list_documents(session=session, user=user)
        by_article = {Path(d.filename).stem: d.id for d in owned}
    refused: dict[str, float] = {}
    right = answered = asked_in_all = 0
    for article in sorted(set(articles)):
        others = [i for name, i in by_article.items() if name != article]
        about = [it for it, a in zip(items, articles, strict=True) if a == article]
        asked = about if per_article is None else rng.sample(about, min(per_article, len(about)))
        rows = run_system(rt, user, asked, timeout, ask=ask, document_ids=others)
        refused[article] = sum(not r["found"] for r in rows) / max(1, len(rows))
        # Articles overlap: another document may hold the answer, and saying it is right.
        right += sum(1 for r in rows if r["contains"])
        answered += sum(1 for r in rows if r["found"])
        asked_in_all += len(rows)
    values = list(refused.values())
    return {
        # 0: every question of each article.
        "questions_per_article": per_article or 0,
        "questions": asked_in_all,
        "absent_refused": round(sum(values) / max(1, len(values)), 4),
        "answered": round(answered / max(1, asked_in_all), 4),
        "answered_from_others": round(right / max(1, asked_in_all), 4),
        "lowest": sorted((round(v, 2), a) for a, v in refused.items())[:3],
    }


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
    ask: Asker | None = None,
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
    refused_absent = sum(not r["found"] for r in run_system(rt, user, absent, timeout, ask=ask))
    refused_present = sum(
        not r["found"] for r in run_system(rt, user, present, timeout, ask=ask)
    )
    said = refused_absent + refused_present
    return {
        "held_out": sorted(held),
        "absent_questions": len(absent),
        "absent_refused": round(refused_absent / max(1, len(absent)), 4),
        "present_refused": round(refused_present / max(1, len(present)), 4),
        "precision": round(refused_absent / said, 4) if said else None,
    }
