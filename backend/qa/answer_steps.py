"""A numbered list's items as the answer when the best sentence is one of them: a procedure
answers whole, and a question asking for one step ("What is the second step?") gets that
step."""

from __future__ import annotations

import re

import numpy as np

from backend.qa.answer_sentences import MAX_STEPS, Candidate
from backend.qa.sentence_roles import NUMBERED, introduces

ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split()
)
LAST = ("last", "final")
# "the second step", "step 3", "the 2nd stage", "after the first step", "before the last step".
STEP = r"(?:step|stage|thing|instruction)s?"
STEP_ASKED = re.compile(
    rf"\b(?:(?P<word>{'|'.join((*ORDINAL_WORDS, *LAST))})|(?P<nth>\d{{1,2}})(?:st|nd|rd|th))"
    rf"\s+{STEP}\b|\b{STEP}\s+(?:number\s+)?(?P<number>\d{{1,2}})\b",
    re.IGNORECASE,
)
AFTER = re.compile(r"\b(?:after|following|next)\b", re.IGNORECASE)
BEFORE = re.compile(r"\b(?:before|preceding|previous)\b", re.IGNORECASE)


def numbered_steps(
    candidates: list[Candidate],
    best: int,
    leading: list[int | None],
    records: np.ndarray,
    question: str,
) -> list[Candidate]:
    """When the best sentence is an item of a numbered list, the list's items in order: a
    procedure ("1. Open Settings." "2. Choose Security." ...) answers as a whole, after the
    line announcing it, or with the one step the `question` asks for (`asked_step`). [] when
    it is not, or the list is longer than MAX_STEPS. `leading` and `records` say which
    sentence introduces each record and which candidates are records (`sentence_borrowing`)."""
    intro = leading[best]
    if not records[best] or intro is None or not NUMBERED.match(candidates[best].text):
        return []
    steps = [
        candidate
        for i, candidate in enumerate(candidates)
        if records[i] and leading[i] == intro and NUMBERED.match(candidate.text)
    ]
    if len(steps) > MAX_STEPS:
        return []
    at = asked_step(question, len(steps))
    if at is not None:
        return [steps[at]]
    # The whole list opens with what announces it ("Staff training (INSET) days – school is
    # closed to pupils on these days:"): a list of dates says nothing without it.
    return [candidates[intro], *steps] if introduces(candidates[intro].text) else steps


def asked_step(question: str, count: int) -> int | None:
    """Which of `count` steps the question asks for, from 0 ("What is the second step?" -> 1,
    "What do I do after step 2?" -> 2, "... before the last step?" -> count - 2), or None
    when it asks for no one step or for one the list does not have."""
    match = STEP_ASKED.search(question)
    if match is None:
        return None
    word = (match.group("word") or "").lower()
    if word in LAST:
        at = count - 1
    elif word:
        at = ORDINAL_WORDS.index(word)
    else:
        at = int(match.group("nth") or match.group("number")) - 1
    ahead = question[: match.start()]
    if AFTER.search(ahead):
        at += 1
    elif BEFORE.search(ahead):
        at -= 1
    return at if 0 <= at < count else None
