"""The dataset and the scorer of `eval`: squad-style items, gold contexts, hits, containment.

hit@k: one of the top-k cited chunks holds a gold answer in its original place (the answer with
about 20 characters of the gold paragraph on each side, compared normalised); MRR of that first
hit; containment: the answer shown holds a gold answer.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from backend.documents.ingest.clean import strip_reference_markers
from backend.stats import percentile

CONTEXT_CHARS = 20
_PUNCT = re.compile(f"[{re.escape(string.punctuation)}‘’“”–—]")
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalise(text: str) -> str:
    """Lower case, no punctuation, no articles, single spaces (SQuAD's normalisation)."""
    text = _PUNCT.sub(" ", text.lower())
    return " ".join(_ARTICLES.sub(" ", text).split())


@dataclass(frozen=True)
class Item:
    question: str
    answers: list[str]
    contexts: list[str]  # normalised answer-in-place strings


def gold_contexts(paragraph: str, answers: Sequence[str]) -> list[str]:
    """Each answer with ~20 characters of its paragraph on either side, normalised."""
    out = []
    lowered = paragraph.lower()
    for answer in answers:
        at = lowered.find(answer.lower().strip())
        if at < 0:
            continue
        start = max(0, at - CONTEXT_CHARS)
        end = min(len(paragraph), at + len(answer.strip()) + CONTEXT_CHARS)
        # Widen to whole words: a cut word ("e" of "the") would never match normalised text.
        while start > 0 and not paragraph[start - 1].isspace():
            start -= 1
        while end < len(paragraph) and not paragraph[end].isspace():
            end += 1
        context = normalise(paragraph[start:end])
        if context and context not in out:
            out.append(context)
    return out


def load_items(folder: Path) -> tuple[list[Path], list[Item]]:
    """The dataset's documents and its questions with their gold contexts."""
    docs, items, _ = load_items_by_article(folder)
    return docs, items


def load_items_by_article(folder: Path) -> tuple[list[Path], list[Item], list[str]]:
    """Documents, questions, and each question's article (the document's stem)."""
    docs = sorted((folder / "docs").glob("*.txt"))
    paragraphs = {
        d.stem: [p.strip() for p in d.read_text(encoding="utf-8").split("\n\n") if p.strip()]
        for d in docs
    }
    # Gold contexts are found in the text as extraction gives it (footnote calls and editors'
    # tags such as "[citation needed]" removed), so a hit is not missed for their sake.
    cleaned = {k: [strip_reference_markers(p) for p in v] for k, v in paragraphs.items()}
    items, articles = [], []
    for line in (folder / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        paragraph = cleaned[row["article"]][row["paragraph"]]
        contexts = gold_contexts(paragraph, row["answers"])
        if contexts:
            items.append(Item(row["question"], list(row["answers"]), contexts))
            articles.append(row["article"])
    return docs, items, articles


def hit_rank(texts: Sequence[str], contexts: Sequence[str]) -> int | None:
    """1-based rank of the first text holding a gold context, or None."""
    for rank, text in enumerate(texts, 1):
        norm = normalise(text)
        if any(c in norm for c in contexts):
            return rank
    return None


def contains_answer(answer: str, answers: Sequence[str]) -> bool:
    """Whether the shown answer contains one of the accepted answers (normalised)."""
    norm = normalise(answer)
    return any(normalise(a) and normalise(a) in norm for a in answers)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-question rows as figures: retrieval hit@1, hit@5 and MRR (of the sources' order
    before the 'not found' decision), cited@5 (a source cited with the answer holds it: a
    refusal cites nothing), containment, refusals and latency percentiles."""
    n = len(rows) or 1
    latencies = sorted(r["latency_ms"] for r in rows)
    cited = [r["cited"] for r in rows]
    ranks = [r["rank"] for r in rows]
    return {
        "questions": len(rows),
        "hit@1": round(sum(1 for k in ranks if k == 1) / n, 4),
        "hit@5": round(sum(1 for k in ranks if k is not None and k <= 5) / n, 4),
        "mrr": round(sum(1 / k for k in ranks if k) / n, 4),
        "cited@5": round(sum(1 for k in cited if k is not None and k <= 5) / n, 4),
        "containment": round(sum(1 for r in rows if r["contains"]) / n, 4),
        "not_found": round(sum(1 for r in rows if not r["found"]) / n, 4),
        "p50_ms": round(percentile(latencies, 50) or 0.0, 1),
        "p95_ms": round(percentile(latencies, 95) or 0.0, 1),
    }
