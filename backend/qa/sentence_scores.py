"""Scoring every sentence of the retrieved passages against the question.

A sentence scores by meaning (cosine of MiniLM vectors), by the question's distinctive words
it contains (IDF over the candidate sentences, so words every candidate shares count little; a
misspelt question word counts as the passages' word spelled almost the same; half of those
only the sentence before it holds, for a sentence that goes on about what its predecessor
named; a table's row or a list's item takes its introduction's words as its own, and every
sentence its section heading's), and by its passage's similarity. `answering` adds the token
match and chooses.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from backend.documents.ingest import split_sentences
from backend.documents.ingest.headings import (
    LABELLED,
    heading_spans,
    section_headings,
    within_heading,
)
from backend.qa.answer_sentences import Candidate
from backend.qa.question_words import (
    acronym_terms,
    legend,
    legend_terms,
    short_form_terms,
    with_spelling_matches,
)
from backend.qa.sentence_roles import ITEM_MARK, Borrowing, asks, sentence_borrowing
from backend.retrieval.lexical import content_terms

if TYPE_CHECKING:
    from backend.retrieval.pooling import TokenStates
    from backend.retrieval.vector_cache import TextEmbedder

WORD_RE = re.compile(r"[a-z0-9]+")
LEXICAL_WEIGHT = 1.0
PASSAGE_WEIGHT = 0.5
# The share of the question words held only by the sentence before (in the same passage).
PREVIOUS_SENTENCE_WEIGHT = 0.5
# The share a record (a table's row, a list's item) borrows of its introduction's words.
RECORD_WEIGHT = 1.0
# The share every sentence of a section borrows of its heading's words.
HEADING_WEIGHT = 1.0
MIN_WORDS = 3
# A sentence of two words counts when it holds a figure, is a list's item or a labelled line
# ("Serves 10.", "• 4 eggs": `ITEM_MARK`, "Sunday: closed": `LABELLED`): a fact, not a fragment.
_DIGIT = re.compile(r"\d")
# Scripts written without spaces: a sentence of at least this many ideographs or kana counts.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MIN_CJK_CHARS = 6


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs."""

    chunk_id: int
    document_id: int
    filename: str
    page: int | None
    text: str
    score: float
    similarity: float = 0.0
    # Its sentences' vectors by (start, end), as stored when the document was processed.
    sentences: dict[tuple[int, int], np.ndarray] | None = field(
        default=None, compare=False, hash=False, repr=False
    )
    # Its token states, as stored when the document was processed (None before they were).
    tokens: TokenStates | None = field(default=None, compare=False, hash=False, repr=False)
    # Its place among its document's chunks (None when not known).
    ordinal: int | None = None


def chunks_before(passages: list[Passage]) -> list[int | None]:
    """For each passage, the passage holding its document's chunk right before it, when that
    one was retrieved too."""
    at = {(p.document_id, p.ordinal): i for i, p in enumerate(passages) if p.ordinal is not None}
    return [
        None if p.ordinal is None else at.get((p.document_id, p.ordinal - 1)) for p in passages
    ]


def content_words(text: str) -> set[str]:
    """The text's meaningful terms (lower-cased, stemmed, no stopwords)."""
    return set(content_terms(text))


def candidate_sentences(passages: list[Passage]) -> list[Candidate]:
    """Every sentence of at least three words in the passages (two, for a figure, a list's
    item, a labelled line or a line of its own), with its place and whether the passage's
    sentence before it is one too."""
    out = []
    for index, passage in enumerate(passages):
        headings = heading_spans(passage.text)
        kept = False  # whether the passage's sentence before this one is a candidate
        for span in split_sentences(passage.text):
            words = len(WORD_RE.findall(span.text.lower()))
            if (
                words >= MIN_WORDS
                or (
                    words == MIN_WORDS - 1
                    and (_short_fact(span.text) or _own_line(passage.text, span.start, span.end))
                )
                or len(CJK_CHAR.findall(span.text)) >= MIN_CJK_CHARS
            ):
                text = span.text.strip()
                stands = not asks(text) and not within_heading(headings, span.start, span.end)
                out.append(Candidate(index, span.start, span.end, text, stands, kept))
                kept = True
            else:
                kept = False
    return out


def _own_line(text: str, start: int, end: int) -> bool:
    """Whether a sentence is a line of its own ("Closed Mondays" under the hours)."""
    return (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")


def _short_fact(sentence: str) -> bool:
    """A figure, a list's item or a labelled line: two words that still state a fact."""
    return bool(_DIGIT.search(sentence) or ITEM_MARK.match(sentence) or LABELLED.match(sentence))


class SentenceScores(NamedTuple):
    """Each candidate's score, and the part of it its section's heading lent."""

    total: np.ndarray
    from_heading: np.ndarray


def score_sentences(
    question: str,
    question_vector: np.ndarray,
    candidates: list[Candidate],
    passages: list[Passage],
    embedder: TextEmbedder,
    lexical_weight: float = LEXICAL_WEIGHT,
    borrowing: Borrowing | None = None,
    sections: list[list[tuple[int, int]]] | None = None,
) -> SentenceScores:
    """Meaning + distinctive shared words + passage similarity, one score per candidate, and
    the part of each its section's heading lent (`borrowing` and `sections`: the candidates'
    `sentence_borrowing` and `section_spans`, when the caller has read them)."""
    semantic = sentence_vectors(candidates, passages, embedder) @ question_vector
    if sections is None:
        sections = section_spans(candidates, passages)
    leading, records = borrowing or sentence_borrowing(candidates, sections)
    # A table's row or a list's item means little alone ("Day: Saturday; Departure: 10:30."):
    # its meaning is half its own, half its introduction's, when that is closer.
    for i, before in enumerate(leading):
        if records[i] and before is not None:
            semantic[i] = max(semantic[i], (semantic[i] + semantic[before]) / 2)
    # A document's key to its codes ("VG = vegan") lends each code's meaning to the sentences
    # of that document that use it.
    keys: dict[int, dict[str, set[str]]] = {}
    for passage in passages:
        for code, terms in legend(passage.text).items():
            keys.setdefault(passage.document_id, {}).setdefault(code, set()).update(terms)
    sentence_terms = [
        content_words(c.text)
        | acronym_terms(question, c.text)
        | short_form_terms(c.text)
        | legend_terms(c.text, keys.get(passages[c.passage].document_id, {}))
        for c in candidates
    ]
    idf = _local_idf(sentence_terms)
    asked = with_spelling_matches(content_words(question), idf)
    unseen = math.log(1 + (len(candidates) + 0.5) / 0.5)
    total = sum(idf.get(t, unseen) for t in asked) or 1.0
    lexical = np.array([sum(idf[t] for t in asked & words) / total for words in sentence_terms])
    # A sentence often answers about what the sentence before it named ("They store CO2 in a
    # four-carbon compound."): the question words only its predecessor holds count in part
    # (for a table's rows or a list's items, the sentence introducing the table or list:
    # `sentence_roles.leading_sentences`).
    # Every sentence of a section is about what the section's heading names ("Warranty" over
    # "The kettle is guaranteed for two years."): the question words only the heading holds
    # count for each of them as their own. Nothing is borrowed from the sentence before across a
    # heading (`sentence_borrowing`): that one belongs to another section.
    heading_words: dict[str, set[str]] = {}
    headings = []
    for c, spans in zip(candidates, sections, strict=True):
        heading = " ".join(passages[c.passage].text[a:b] for a, b in spans)
        if heading not in heading_words:
            heading_words[heading] = content_words(heading)
        headings.append(heading_words[heading])
    carried = np.zeros(len(candidates))
    headed = np.zeros(len(candidates))
    for i, before in enumerate(leading):
        only_heading = (asked & headings[i]) - sentence_terms[i]
        headed[i] = sum(idf.get(t, unseen) for t in only_heading) / total
        if before is not None:
            only_before = (asked & sentence_terms[before]) - sentence_terms[i] - only_heading
            carried[i] = sum(idf[t] for t in only_before) / total
    # A table's row or a list's item says nothing without what introduces it: its words are
    # the record's own.
    lexical = lexical + np.where(records, RECORD_WEIGHT, PREVIOUS_SENTENCE_WEIGHT) * carried
    lexical = lexical + HEADING_WEIGHT * headed
    closeness = np.array([passages[c.passage].similarity for c in candidates])
    return SentenceScores(
        semantic + lexical_weight * lexical + PASSAGE_WEIGHT * closeness,
        lexical_weight * HEADING_WEIGHT * headed,
    )


def section_spans(
    candidates: list[Candidate], passages: list[Passage]
) -> list[list[tuple[int, int]]]:
    """Each candidate's section heading in its passage (`section_headings`: its spans)."""
    out: list[list[tuple[int, int]]] = []
    for index, group in groupby(candidates, key=lambda c: c.passage):
        out.extend(section_headings(passages[index].text, [c.start for c in group]))
    return out


def sentence_vectors(
    candidates: list[Candidate], passages: list[Passage], embedder: TextEmbedder
) -> np.ndarray:
    """Each candidate's vector: stored with its passage when the document was processed, so
    a question costs one embedding; embedded now for passages stored without them."""
    stored = [(passages[c.passage].sentences or {}).get((c.start, c.end)) for c in candidates]
    missing = [i for i, vector in enumerate(stored) if vector is None]
    if missing:
        fresh = embedder.embed([candidates[i].text for i in missing])
        for i, vector in zip(missing, fresh, strict=True):
            stored[i] = vector
    if not stored:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([np.asarray(v, dtype=np.float32) for v in stored])


def _local_idf(sentence_terms: list[set[str]]) -> dict[str, float]:
    df: dict[str, int] = {}
    for words in sentence_terms:
        for word in words:
            df[word] = df.get(word, 0) + 1
    n = len(sentence_terms)
    return {w: math.log(1 + (n - d + 0.5) / (d + 0.5)) for w, d in df.items()}
