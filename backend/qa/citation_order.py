"""Which passage is cited first.

A section asked for that began in the chunk before the best sentence's is answered from there
(`answer_sentences.asked_section`): that chunk is cited first. Otherwise: passages overlap by a
sentence or two (`documents.ingest.chunk`), so a sentence near a cut stands at the end of one
passage and near the start of the next. The passage that holds the answer with a sentence of
its own on either side shows it in its context: that one is cited first, and the answer is
marked there."""

from __future__ import annotations

from collections.abc import Sequence

from backend.qa.answer_sentences import Candidate
from backend.qa.sentence_scores import Passage


def cited_first(
    chosen: list[Candidate],
    candidates: Sequence[Candidate],
    passages: Sequence[Passage],
    ranking: list[int],
    *,
    began: int | None,
) -> tuple[list[Candidate], list[int]]:
    """The answer's sentences and the passages' order of citation: the chunk before the best
    sentence's first when the answer is read from there (`began`, the chunk a section begins
    in), then the passage that shows the answer in its context (`_in_context_first`)."""
    if began is not None and all(c.passage == began for c in chosen):
        ranking = [began] + [i for i in ranking if i != began]
    return _in_context_first(chosen, candidates, passages, ranking)


def _in_context_first(
    chosen: list[Candidate],
    candidates: Sequence[Candidate],
    passages: Sequence[Passage],
    ranking: list[int],
) -> tuple[list[Candidate], list[int]]:
    """The answer's sentences and the passages' order, with the passage of the answer's
    document that holds them between sentences of its own put first of those that hold them,
    the answer marked there. Unchanged when none does, or the answer spans passages."""
    held = {c.passage for c in chosen}
    if len(held) != 1:
        return chosen, ranking
    taken = held.pop()
    texts = [c.text for c in chosen]
    holders: list[tuple[int, list[Candidate]]] = []
    for index in ranking:
        if index == taken:
            holders.append((index, chosen))
        elif passages[index].document_id == passages[taken].document_id:
            run = _same_run([c for c in candidates if c.passage == index], texts)
            if run is not None:
                holders.append((index, run))
    best = next(((i, run) for i, run in holders if _surrounded(run, candidates, i)), None)
    if best is None:
        return chosen, ranking
    first = holders[0][0]
    rest = [i for i in ranking if i != best[0]]
    at = rest.index(first) if first != best[0] else ranking.index(first)
    return best[1], [*rest[:at], best[0], *rest[at:]]


def _same_run(mine: list[Candidate], texts: list[str]) -> list[Candidate] | None:
    """The passage's consecutive sentences that read as `texts`, if it holds them."""
    for first in range(len(mine) - len(texts) + 1):
        run = mine[first : first + len(texts)]
        if [c.text for c in run] == texts:
            return run
    return None


def _surrounded(run: list[Candidate], candidates: Sequence[Candidate], passage: int) -> bool:
    """Whether a sentence of the passage that is no heading stands before the run and one
    after it."""
    start, end = min(c.start for c in run), max(c.end for c in run)
    mine = [c for c in candidates if c.passage == passage and c.stands]
    return any(c.end <= start for c in mine) and any(c.start >= end for c in mine)
