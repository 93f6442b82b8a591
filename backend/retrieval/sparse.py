"""Lexical sparse vectors for Qdrant: BM25 term weights on the document side, the query's
terms on the other; Qdrant applies IDF (`Modifier.IDF`) over the whole collection."""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
K1 = 1.2
B = 0.75
# Chunks are packed to a near-constant size, so a fixed average length stands in for the
# collection's (which Qdrant does not expose to the client).
AVERAGE_TERMS = 60.0

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves also may might must shall s t""".split()
)


@dataclass(frozen=True)
class Sparse:
    indices: list[int]
    values: list[float]


def stem(word: str) -> str:
    """A light English suffix stripper: plural, -ing, -ed, -ly and the like share a stem."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (
        ("ational", "ate"),
        ("ization", "ize"),
        ("iveness", "ive"),
        ("fulness", "ful"),
        ("ousness", "ous"),
        ("ies", "y"),
        ("sses", "ss"),
        ("ments", "ment"),
        ("ingly", ""),
        ("edly", ""),
        ("ing", ""),
        ("ed", ""),
        ("ly", ""),
        ("es", ""),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: len(word) - len(suffix)] + replacement
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            if suffix in ("ing", "ed", "edly", "ingly") and len(base) > 3 and base[-1] == base[-2]:
                base = base[:-1]  # running -> run, stopped -> stop
            return base
    return word


def terms(text: str) -> list[str]:
    """The text's indexable terms: lower-cased, no stopwords, stemmed."""
    out = []
    for raw in WORD_RE.findall(text.lower()):
        word = raw.replace("’", "'").split("'")[0]
        if word and word not in STOPWORDS:
            out.append(stem(word))
    return out


def term_id(term: str) -> int:
    """A stable 31-bit id for a term (collisions are rare and only add a little noise)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def _to_sparse(weights: dict[int, float]) -> Sparse:
    ordered = sorted(weights.items())
    return Sparse(indices=[i for i, _ in ordered], values=[round(v, 5) for _, v in ordered])


def document_vector(text: str) -> Sparse:
    """BM25 term-frequency weights of a chunk (IDF is applied by Qdrant at query time)."""
    counts = Counter(terms(text))
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / AVERAGE_TERMS)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        key = term_id(term)
        weights[key] = weights.get(key, 0.0) + tf * (K1 + 1) / (tf + norm)
    return _to_sparse(weights)


def query_vector(text: str) -> Sparse:
    """Each distinct query term with weight 1."""
    return _to_sparse({term_id(t): 1.0 for t in set(terms(text))})
