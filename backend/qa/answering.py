"""Answers from retrieved passages: the extractive answerer (default, offline).

Every sentence of the retrieved passages is scored against the question by meaning (cosine of
MiniLM vectors), by the question's distinctive words it contains (IDF over the candidate
sentences, so words every candidate shares count little; a misspelt question word counts as
the passages' word spelled almost the same; half of those only the sentence before it holds,
for a sentence that goes on about what its predecessor named), by its passage's similarity
and by its token match with the question (`token_match`, from the passage's stored token
states).
The best sentence (never a question or heading of the text: `sentence_roles`) is the answer,
with its neighbours when they help (`answer_sentences`); passages are re-ordered by their best
sentence, and a weak best score means "not found", each name the question uses that the
answer's document does not hold in any retrieved passage of it ("Who painted the Mona Lisa?"
over documents about Tesla; "What's the climate like in Newcastle?" answered from a passage
about Jacksonville) lowering that score first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from itertools import groupby
from typing import TYPE_CHECKING, Any

import numpy as np

from backend.documents.ingest import split_sentences
from backend.documents.ingest.headings import heading_spans, section_headings
from backend.qa.answer_sentences import Candidate, answer_sentences, numbered_steps
from backend.qa.question_words import missing_names, name_phrases, with_spelling_matches
from backend.qa.sentence_roles import Borrowing, asks, introduces, sentence_borrowing
from backend.qa.token_match import TOKEN_MATCH_WEIGHT, token_match
from backend.retrieval.lexical import content_terms

if TYPE_CHECKING:
    from backend.qa.token_match import TokenEncoder
    from backend.retrieval.pooling import TokenStates
    from backend.retrieval.vector_cache import TextEmbedder

NOT_FOUND = "No answer found in your documents."
WORD_RE = re.compile(r"[a-z0-9]+")
LEXICAL_WEIGHT = 1.0
WELL_SUPPORTED = "well supported"
PARTLY_SUPPORTED = "partly supported"
NOT_SUPPORTED = "not found"
CONFIDENCE_WORDS = (WELL_SUPPORTED, PARTLY_SUPPORTED, NOT_SUPPORTED)
PASSAGE_WEIGHT = 0.5
# The share of the question words held only by the sentence before (in the same passage).
PREVIOUS_SENTENCE_WEIGHT = 0.5
# The share a record (a table's row, a list's item) borrows of its introduction's words.
RECORD_WEIGHT = 1.0
# The share every sentence of a section borrows of its heading's words.
HEADING_WEIGHT = 1.0
MIN_WORDS = 3
# Scripts written without spaces: a sentence of at least this many ideographs or kana counts.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
MIN_CJK_CHARS = 6

# A name the question uses that the answer's document does not mention (in any of its retrieved
# passages) lowers the evidence by this much: a question about something a document never names
# is rarely answered by it (see question_words.missing_names).
MISSING_NAME_PENALTY = 0.3


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


@dataclass
class Answer:
    text: str
    found: bool
    sources: list[dict[str, Any]] = field(default_factory=list)
    score: float = 0.0
    answerer: str = "extractive"
    # With no answer found: the passages that came closest, best first (not citations).
    closest: list[dict[str, Any]] = field(default_factory=list)
    # Names the question uses that none of the passages weighed mention.
    missing_names: list[str] = field(default_factory=list)


def content_words(text: str) -> set[str]:
    """The text's meaningful terms (lower-cased, stemmed, no stopwords)."""
    return set(content_terms(text))


def candidate_sentences(passages: list[Passage]) -> list[Candidate]:
    """Every sentence of at least three words in the passages, with its place and whether
    the passage's sentence before it is one too."""
    out = []
    for index, passage in enumerate(passages):
        headings = heading_spans(passage.text)
        kept = False  # whether the passage's sentence before this one is a candidate
        for span in split_sentences(passage.text):
            words = len(WORD_RE.findall(span.text.lower()))
            if words >= MIN_WORDS or len(CJK_CHAR.findall(span.text)) >= MIN_CJK_CHARS:
                text = span.text.strip()
                stands = not asks(text) and (span.start, span.end) not in headings
                out.append(Candidate(index, span.start, span.end, text, stands, kept))
                kept = True
            else:
                kept = False
    return out


def score_sentences(
    question: str,
    question_vector: np.ndarray,
    candidates: list[Candidate],
    passages: list[Passage],
    embedder: TextEmbedder,
    lexical_weight: float = LEXICAL_WEIGHT,
    borrowing: Borrowing | None = None,
    sections: list[list[tuple[int, int]]] | None = None,
) -> np.ndarray:
    """Meaning + distinctive shared words + passage similarity, one score per candidate
    (`borrowing` and `sections`: the candidates' `sentence_borrowing` and `section_spans`,
    when the caller has read them)."""
    semantic = sentence_vectors(candidates, passages, embedder) @ question_vector
    leading, records = borrowing or sentence_borrowing(candidates)
    # A table's row or a list's item means little alone ("Day: Saturday; Departure: 10:30."):
    # its meaning is half its own, half its introduction's, when that is closer.
    for i, before in enumerate(leading):
        if records[i] and before is not None:
            semantic[i] = max(semantic[i], (semantic[i] + semantic[before]) / 2)
    sentence_terms = [content_words(c.text) for c in candidates]
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
    # count for each of them, as much as words the sentence before holds.
    if sections is None:
        sections = section_spans(candidates, passages)
    headings = [
        content_words(" ".join(passages[c.passage].text[a:b] for a, b in spans))
        for c, spans in zip(candidates, sections, strict=True)
    ]
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
    return semantic + lexical_weight * lexical + PASSAGE_WEIGHT * closeness


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


def extractive_answer(
    question: str,
    question_vector: np.ndarray,
    passages: list[Passage],
    *,
    embedder: TextEmbedder,
    min_score: float,
    top_k: int = 5,
    rerank: bool = True,
    lexical_weight: float = LEXICAL_WEIGHT,
    tokens: TokenEncoder | None = None,
    question_tokens: TokenStates | None = None,
) -> Answer:
    """The sentence(s) that best answer the question, with the passages re-ranked as sources.

    `lexical_weight` 0 scores sentences by meaning alone (the dense-only baseline of `eval`);
    `tokens` (the encoder) adds each sentence's token match (`token_match`, from the
    passages' stored token states), with the question's token states `question_tokens` when
    the caller has them.
    """
    candidates = candidate_sentences(passages)
    if not candidates:
        return Answer(text=NOT_FOUND, found=False)
    borrowing = sentence_borrowing(candidates)
    leading, records = borrowing
    sections = section_spans(candidates, passages)
    scores = score_sentences(
        question,
        question_vector,
        candidates,
        passages,
        embedder,
        lexical_weight,
        borrowing,
        sections,
    )
    if tokens is not None:
        texts = [passage.text for passage in passages]
        # A record matches with its introduction's tokens as its own, and every sentence with
        # its section heading's, as with their words.
        intros = [
            [(candidates[b].start, candidates[b].end)] if record and b is not None else []
            for b, record in zip(leading, records, strict=True)
        ]
        scores = scores + TOKEN_MATCH_WEIGHT * token_match(
            question,
            candidates,
            texts,
            tokens,
            asked=question_tokens,
            stored=[passage.tokens for passage in passages],
            lent=[intro + heading for intro, heading in zip(intros, sections, strict=True)],
        )
    # Questions and headings the passages hold still lend their words to the next sentence
    # (in the scores above) but are never the answer, nor the evidence for one; nor is a
    # sentence that ends in a colon to introduce a list or table ("Members can borrow:").
    announces = {
        before
        for before, record in zip(leading, records, strict=True)
        if record and before is not None and introduces(candidates[before].text)
    }
    stands = np.array([c.stands and i not in announces for i, c in enumerate(candidates)])
    if stands.any():
        scores = np.where(stands, scores, -np.inf)
    order = np.argsort(-scores)
    # The evidence: the best sentence's score, less a share for each name its document does not
    # hold in what was retrieved of it (the names nothing retrieved holds are among them, and
    # are the ones the user is told of).
    answering = passages[candidates[order[0]].passage].document_id
    unheld = missing_names(question, [p for p in passages if p.document_id == answering])
    best = float(scores[order[0]]) - MISSING_NAME_PENALTY * len(unheld)
    unmentioned = name_phrases(question, missing_names(question, passages) if unheld else [])
    ranking = (
        _rerank_passages(candidates, scores, len(passages))
        if rerank
        else list(range(len(passages)))
    )
    if best < min_score:
        closest = [_source(passages[i], []) for i in ranking[:top_k]]
        return Answer(
            text=NOT_FOUND, found=False, score=best, closest=closest, missing_names=unmentioned
        )
    chosen = numbered_steps(
        candidates, int(order[0]), leading, records, question
    ) or answer_sentences(candidates, scores, order)
    chosen.sort(key=lambda c: (ranking.index(c.passage), c.start))
    sources = [_source(passages[i], [c for c in chosen if c.passage == i]) for i in ranking]
    return Answer(
        text=" ".join(c.text for c in chosen),
        found=True,
        sources=sources[:top_k],
        score=best,
        missing_names=unmentioned,
    )


def _rerank_passages(candidates: list[Candidate], scores: np.ndarray, count: int) -> list[int]:
    best = dict.fromkeys(range(count), -math.inf)
    for candidate, score in zip(candidates, scores, strict=True):
        best[candidate.passage] = max(best[candidate.passage], float(score))
    return sorted(range(count), key=lambda i: (-best[i], i))


def _source(passage: Passage, answer_spans: list[Candidate]) -> dict[str, Any]:
    spans = [[c.start, c.end] for c in answer_spans]
    return {
        "document_id": passage.document_id,
        "filename": passage.filename,
        "page": passage.page,
        "chunk_id": passage.chunk_id,
        "text": passage.text,
        # Cosine similarity to the question: comparable across questions, unlike rank fusion.
        "score": round(passage.similarity, 4),
        "rank_score": round(passage.score, 4),
        "highlight": spans[0] if spans else None,
        "highlights": spans,
    }


def confidence(answer: Answer, *, strong: float) -> str:
    """How well the documents support the answer, in words: the best sentence's evidence
    score against the "not found" line (below it there is no answer) and a higher line
    calibrated on squad-dev (at or above it, no question about a missing article scored)."""
    if not answer.found:
        return NOT_SUPPORTED
    return WELL_SUPPORTED if answer.score >= strong else PARTLY_SUPPORTED
