"""Answers from retrieved passages: the extractive answerer (default, offline).

Every sentence of the retrieved passages is scored against the question (`sentence_scores`:
meaning, distinctive shared words, passage similarity) and by its token match with the
question (`token_match`, from the passage's stored token states).
The best sentence (never a question or heading of the text: `sentence_roles`; the one that
defines the term a "Who is the contractor?" asks about, first: `asked_terms`; a table's row
whose band holds the question's figure, `number_ranges`, or that the question names by its
first cell, `row_keys`, before the rows beside it; a close one that gives what is asked
before one that does not: `answer_gives`) is the answer, with its neighbours when they help,
the heading that tells when or which version, or the opening of the section the question
asks about, an FAQ's answer or a list (`answer_sentences`); passages are re-ordered by their
best sentence, and a weak best score means "not found", each name the question uses that the
answer's document does not hold in any retrieved passage of it ("Who painted the Mona Lisa?"
over documents about Tesla; "What's the climate like in Newcastle?" answered from a passage
about Jacksonville) lowering that score first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from backend.documents.ingest.headings import unmarked
from backend.qa.answer_gives import gives_asked, giving_first, heading_telling, heading_tells
from backend.qa.answer_kinds import asked_kind, gives
from backend.qa.answer_sentences import (
    Candidate,
    answer_sentences,
    asked_section,
)
from backend.qa.answer_steps import numbered_steps
from backend.qa.asked_terms import asked_for
from backend.qa.citation_order import cited_first
from backend.qa.number_ranges import narrowest_bands
from backend.qa.question_words import is_key, missing_names, name_phrases
from backend.qa.row_keys import named_rows
from backend.qa.sentence_roles import (
    ITEM_MARK,
    introduces,
    is_record,
    mail_header,
    sentence_borrowing,
)
from backend.qa.sentence_scores import (
    LEXICAL_WEIGHT,
    Passage,
    candidate_sentences,
    chunks_before,
    score_sentences,
    section_spans,
)
from backend.qa.token_match import TOKEN_MATCH_WEIGHT, token_match

if TYPE_CHECKING:
    from backend.qa.token_match import TokenEncoder
    from backend.retrieval.pooling import TokenStates
    from backend.retrieval.vector_cache import TextEmbedder

NOT_FOUND = "No answer found in your documents."
WELL_SUPPORTED = "well supported"
PARTLY_SUPPORTED = "partly supported"
NOT_SUPPORTED = "not found"
CONFIDENCE_WORDS = (WELL_SUPPORTED, PARTLY_SUPPORTED, NOT_SUPPORTED)

# A name the question uses that the answer's document does not mention (in any of its retrieved
# passages) lowers the evidence by this much: a question about something a document never names
# is rarely answered by it (see question_words.missing_names).
MISSING_NAME_PENALTY = 0.3
# An answer that gives no answer of the kind the question asks for (`answer_kinds`: an amount
# of money, a figure, a year, a time of day) lowers the evidence by this much.
UNGIVEN_KIND_PENALTY = 2.0
# A sentence whose band holds the figure the question gives ("30 to 59 minutes" for "40
# minutes late") gains this much over the rows beside it (`number_ranges`).
BAND_WEIGHT = 0.5
# A table's row whose first cell holds the question's word, where another row of the table
# holds it only in another cell, gains this much (`row_keys`).
NAMED_ROW_WEIGHT = 0.3


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
    # The kind of answer the question asks for that the best answer gives none of
    # (`answer_kinds.Kind`'s words: "an amount of money").
    ungiven: str | None = None


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
    sections = section_spans(candidates, passages)
    borrowing = sentence_borrowing(candidates, sections)
    leading, records = borrowing
    scores, from_heading = score_sentences(
        question,
        question_vector,
        candidates,
        passages,
        embedder,
        lexical_weight,
        borrowing,
        sections,
    )
    texts = [passage.text for passage in passages]
    if tokens is not None:
        # A record matches with its introduction's tokens as its own, and every sentence with
        # its section heading's, as with their words.
        intros = [
            [(candidates[b].start, candidates[b].end)] if record and b is not None else []
            for b, record in zip(leading, records, strict=True)
        ]
        alone, matched = token_match(
            question,
            candidates,
            texts,
            tokens,
            asked=question_tokens,
            stored=[passage.tokens for passage in passages],
            lent=intros,
            headings=sections,
        )
        scores = scores + TOKEN_MATCH_WEIGHT * matched
        # What the headings' tokens lent, as their words: it chooses the section only.
        from_heading = from_heading + TOKEN_MATCH_WEIGHT * (matched - alone)
    texts_of = [c.text for c in candidates]
    scores = scores + np.array(asked_for(question, texts_of))
    scores = scores + BAND_WEIGHT * np.array(narrowest_bands(question, texts_of), dtype=float)
    scores = scores + NAMED_ROW_WEIGHT * np.array(named_rows(question, texts_of), dtype=float)
    # Questions and headings the passages hold still lend their words to the next sentence
    # (in the scores above) but are never the answer, nor the evidence for one, unless a
    # heading holds a figure the question lacks (`answer_gives.heading_tells`); nor is a
    # sentence that ends in a colon to introduce a list or table ("Members can borrow:").
    announces = {
        before
        for before, record in zip(leading, records, strict=True)
        if record and before is not None and introduces(candidates[before].text)
    }
    # Nor is a key to the codes the question does not use ("VG = vegan"): the items marked
    # with them are; nor a mail's header line, unless the question asks about the mails.
    stands = np.array(
        [
            (
                c.stands
                and i not in announces
                and not is_key(c.text, question)
                and not mail_header(c.text, question)
            )
            or heading_tells(c, passages[c.passage].text, question)
            for i, c in enumerate(candidates)
        ]
    )
    every = scores
    if stands.any():
        scores = np.where(stands, scores, -np.inf)
    order = giving_first(np.argsort(-scores), candidates, scores, question, texts)
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
    kind = asked_kind(question)
    earlier = chunks_before(passages)
    chosen = (
        numbered_steps(candidates, int(order[0]), leading, records, question)
        or asked_section(
            candidates, every, int(order[0]), sections, texts, from_heading, question,
            earlier=earlier,
        )
        or answer_sentences(
            candidates, scores, order, lent=from_heading,
            gives=lambda text: gives_asked(text, kind, question),
        )  # fmt: skip
    )
    heading = heading_telling(
        chosen, candidates, sections, texts, question, answer_text(chosen)
    )
    if heading is not None:
        chosen.append(heading)
    chosen, ranking = cited_first(
        chosen, candidates, passages, ranking, began=earlier[candidates[order[0]].passage]
    )
    chosen.sort(key=lambda c: (ranking.index(c.passage), c.start))
    text = answer_text(chosen)
    # An answer that gives nothing of what the question asks for (no amount of money for "How
    # much does it cost?") names what was asked about without answering: weaker evidence.
    ungiven = kind.value if kind and not gives(text, kind, question) else None
    best -= UNGIVEN_KIND_PENALTY * bool(ungiven)
    if best < min_score:
        closest = [_source(passages[i], []) for i in ranking[:top_k]]
        return Answer(
            text=NOT_FOUND, found=False, score=best, closest=closest,
            missing_names=unmentioned, ungiven=ungiven,
        )  # fmt: skip
    sources = [_source(passages[i], [c for c in chosen if c.passage == i]) for i in ranking]
    return Answer(
        text=text,
        found=True,
        sources=sources[:top_k],
        score=best,
        missing_names=unmentioned,
        ungiven=ungiven,
    )


def answer_text(chosen: list[Candidate]) -> str:
    """The chosen sentences as the answer reads: a list's items and a table's rows each on a
    line of their own ("• 4 eggs" under "• 225 g unsalted butter"), as is what follows a
    heading or a line announcing a list; sentences run on."""
    out = ""
    for before, candidate in zip([None, *chosen], chosen, strict=False):
        text = unmarked(candidate.text)
        apart = before is not None and (
            before.text.startswith("#")
            or introduces(before.text)
            or all(ITEM_MARK.match(c.text) or is_record(c.text) for c in (before, candidate))
        )
        out = f"{out}\n{text}" if apart else f"{out} {text}" if out else text
    return out


def _rerank_passages(candidates: list[Candidate], scores: np.ndarray, count: int) -> list[int]:
    best = dict.fromkeys(range(count), -math.inf)
    for candidate, score in zip(candidates, scores, strict=True):
        best[candidate.passage] = max(best[candidate.passage], float(score))
    return sorted(range(count), key=lambda i: (-best[i], i))


def _source(passage: Passage, answer_spans: list[Candidate]) -> dict[str, Any]:
    # A heading that answers is marked from its words on, not its marks ("## ").
    spans = [[c.end - len(unmarked(c.text)), c.end] for c in answer_spans]
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
