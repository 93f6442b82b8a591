"""What the question asks for and which text gives it: an answer of the kind it asks
(`answer_kinds`) or, for "Who …?", a name it does not hold (`gives_asked`); a sentence that
gives it preferred to a close one that does not (`giving_first`); a heading that answers
(`heading_tells`), or that tells beside the answer what the answer does not: when, or which
version (`heading_telling`)."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from backend.documents.ingest.headings import heading_spans, unmarked
from backend.qa.answer_kinds import Kind, asked_kind, gives
from backend.qa.answer_sentences import Candidate, adjacent
from backend.qa.question_words import NAME_RE
from backend.qa.sentence_roles import asks, new_figures


def gives_asked(text: str, kind: Kind | None, question: str) -> bool:
    """Whether the text gives what the question asks for: an answer of its kind
    (`answer_kinds`), for "When is …?" a date, a year or a time, or for "Who …?" a name the
    question does not hold ("Callum Ferreira")."""
    if kind is not None:
        return gives(text, kind, question)
    if _WHEN_IS.match(question):
        return any(gives(text, k, question) for k in (Kind.DATE, Kind.YEAR, Kind.TIME))
    if not _WHO.match(question):
        return True
    asked = {word.lower() for word in NAME_RE.findall(question)}
    return any(
        word[0].isupper() and word.lower() not in asked for word in NAME_RE.findall(text)[1:]
    )


_WHO = re.compile(r"\s*(?:\w+\s+)?(?:who|whom|whose)\b", re.IGNORECASE)
# "When is the next AGM?", "When are the bins collected?", "When will it open?": when a thing
# happens, told by a date or a time. "When did …?" and "When can …?" are often answered by
# an event or a condition ("until the empire fell", "at elevated partial pressures").
_WHEN_IS = re.compile(r"\s*when(?: is|'s| are| will)\b", re.IGNORECASE)


def heading_tells(candidate: Candidate, text: str, question: str) -> bool:
    """A heading (a whole one, not a question) that holds a figure the question does not,
    one of what the question asks for: "## 3.1.0 (2026-06-15)" answers "When was 3.1.0
    released?", but "RESULTS: CLUB 10-MILE TIME TRIAL, SATURDAY 1 MARCH 2025" does not answer
    "What was the fastest time in the time trial?" (it heads the rows that do)."""
    if (
        (candidate.start, candidate.end) not in heading_spans(text)
        or asks(candidate.text)
        or _REPLY.match(unmarked(candidate.text))
    ):
        return False
    kind = asked_kind(question)
    if kind is None and not _WHEN.match(question):
        return False
    return new_figures(candidate.text, question) and (
        kind is None or gives(candidate.text, kind, question)
    )


def tells_when(text: str, question: str) -> bool:
    """Whether the text says when, if the question asks it: a date, a year or a time ("Learner
    pool: 12 m x 7 m" does not tell "When can I take my baby to the learner pool?")."""
    if not _WHEN.match(question):
        return True
    return any(gives(text, kind, question) for kind in (Kind.DATE, Kind.YEAR, Kind.TIME))


# A reply's subject ("Re: Spring term 2026 – rehearsals …"), a forum post's or a mail's
# heading: it names the thread, it tells nothing.
_REPLY = re.compile(r"(?:re|fwd?|aw)\s*:", re.IGNORECASE)


# A question asking when (its first word, or after a preposition: "Since when …?").
_WHEN = re.compile(r"\s*(?:\w+\s+)?when\b", re.IGNORECASE)


# A sentence that gives what the question asks for (`gives_asked`) is preferred to a better
# one that does not, when it scores within this much of it (on squad-dev, 0.5 holds one more
# answer than 0.3; on squad-val, the same answers).
GIVING_MARGIN = 0.5


def giving_first(
    order: np.ndarray,
    candidates: list[Candidate],
    scores: np.ndarray,
    question: str,
    texts: list[str] | None = None,
) -> np.ndarray:
    """`order` with the best sentence that gives what is asked first, when the best one
    gives none of it and that one scored within GIVING_MARGIN: "How much does the course
    cost?" is answered by "… it costs eighty-five pounds …", not by the sentence naming the
    course's start; "Who is the building manager?" by a sentence naming someone. Of those,
    the best one's neighbour in its paragraph (`texts`: the passages' texts) first, unless
    a bare figure is asked for."""
    kind = asked_kind(question)
    best = int(order[0])
    if gives_asked(candidates[best].text, kind, question):
        return order
    close = []
    for rank, index in enumerate(order[1:], 1):
        if float(scores[best]) - float(scores[index]) > GIVING_MARGIN:
            break
        if gives_asked(candidates[int(index)].text, kind, question):
            close.append(rank)
    if not close:
        return order
    # The best sentence's own neighbour, in its paragraph, tells about what it names ("Sunday
    # 19 April 2026. Thank you for entering the Tyneford 10K!"): it goes before a sentence
    # elsewhere that gives something of the kind. Not for a bare figure, which prose holds
    # everywhere ("every two years" beside the sentence naming the regatta, on squad-val).
    beside = _neighbours(best, candidates, texts) if kind is not Kind.FIGURE else set()
    rank = next((r for r in close if int(order[r]) in beside), close[0])
    return np.concatenate([[order[rank]], order[:rank], order[rank + 1 :]])


def _neighbours(at: int, candidates: list[Candidate], texts: list[str] | None) -> set[int]:
    """The candidates right before and after candidate `at`, adjacent in its passage
    (`answer_sentences.adjacent`) and in its paragraph (no line break between)."""
    if texts is None:
        return set()
    first, out = candidates[at], set()
    for k in (at - 1, at + 1):
        if 0 <= k < len(candidates) and adjacent(first, candidates[k], candidates):
            before, after = sorted((first, candidates[k]), key=lambda c: c.start)
            if "\n" not in texts[first.passage][before.end : after.start]:
                out.add(k)
    return out


def heading_telling(
    chosen: list[Candidate],
    candidates: list[Candidate],
    sections: list[list[tuple[int, int]]],
    texts: list[str],
    question: str,
    told: str,
) -> Candidate | None:
    """The heading of the answer's section that tells what the answer does not, for a
    question that asks when, or for a date, year, time of day or version: a changelog's
    "## [2.4.0] - 2023-11-28" over "• Python 3.12 support." for "Which release first
    supported Python 3.12?". Headings below the document's title only (a title names what
    the whole document is about), the nearest first; None when the answer (`told`, as it
    reads) tells it itself."""
    tells = _heading_asks(question)
    if tells is None or not chosen or tells(told):
        return None
    first = min(chosen, key=lambda c: (c.passage, c.start))
    at = next((i for i, c in enumerate(candidates) if c is first), None)
    if at is None:
        return None
    for a, b in reversed(sections[at]):
        line = texts[first.passage][a:b]
        if line.startswith("# ") or not tells(line):
            continue
        return next(
            (c for c in candidates if c.passage == first.passage and (c.start, c.end) == (a, b)),
            None,
        )
    return None


# "Which version …?", "In what release …?": a version number ("2.4.0", "v3.1").
_VERSION_ASKS = re.compile(r"\b(?:what|which) (?:version|release)s?\b", re.IGNORECASE)
_VERSION = re.compile(r"\bv?\d+(?:\.\d+)+\b")


def _heading_asks(question: str) -> Callable[[str], bool] | None:
    """What a heading must tell to answer the question beside its section's sentence, or
    None when the question asks for nothing a heading tells."""
    kind = asked_kind(question)
    if kind in (Kind.DATE, Kind.YEAR, Kind.TIME):
        return lambda text: gives(text, kind, question)
    if kind is None and _WHEN.match(question):
        return lambda text: any(gives(text, k, question) for k in (Kind.DATE, Kind.YEAR))
    if _VERSION_ASKS.search(question):
        asked = set(_VERSION.findall(question))
        return lambda text: any(v not in asked for v in _VERSION.findall(text))
    return None
