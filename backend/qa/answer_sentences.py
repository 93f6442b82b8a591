"""Which sentences make the answer shown (a numbered list's items when the best sentence is
one: `answer_steps`): the opening of the best sentence's section when the question asks about
the section rather than one sentence of it (an FAQ's answer under the heading that asks the
question; a list asked for by its heading, "What was added in 3.2.0?": `asked_section`); else
the best one; its neighbour in the same passage when that scored nearly as well (a
two-sentence answer reads as one passage; a table's row is a record, an answer of its own);
the sentence before the first of them when that one opens pointing back ("It appoints the
board ..." needs the sentence naming what "it" is: `sentence_roles.points_back`); and, for an
answer of one sentence, the next one when that points back at it and goes on about it
("Deleting your account removes every document you uploaded." "It cannot be undone.") or
gives what the question asks for and the best one does not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backend.documents.ingest.headings import SENTENCE_END, closes, unmarked
from backend.qa.sentence_roles import (
    ITEM_MARK,
    asks,
    is_record,
    names_section,
    points_back,
    row_labels,
)

SECOND_SENTENCE_MARGIN = 0.5
# A sentence going on about the best one names it with a pronoun ("It", "This", "They"), so
# it scores less than it would with the name: it joins within this wider margin. On
# squad-dev, answer containment rose up to 1.25 and held above it (0.8843 -> 0.8858).
CONTINUATION_MARGIN = 1.25
# A longer numbered list is a catalogue, not a procedure: its best item answers alone.
MAX_STEPS = 12
ADJACENT_ONLY = True
# The answer to a question the document asks in a heading (an FAQ) opens its section: up to this
# many of its first paragraph's sentences.
ASKED_SECTION_SENTENCES = 3
# A list's best item answers for the whole list when its section's heading lent it at least this
# share of its score (the heading chose it, not its own words) and every item scored within
# SECOND_SENTENCE_MARGIN of it.
LIST_SHARE = 0.3


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage: which passage, its characters and text there."""

    passage: int
    start: int
    end: int
    text: str
    stands: bool = True  # False for a question the text asks or a heading
    # False when something the candidates leave out (a heading, a line of one or two words)
    # lies between it and the passage's candidate before it: the two do not read as one.
    follows: bool = True


def answer_sentences(
    candidates: list[Candidate],
    scores: np.ndarray,
    order: np.ndarray,
    lent: np.ndarray | None = None,
    gives: Callable[[str], bool] | None = None,
) -> list[Candidate]:
    """The answer's sentences (unsorted): `order` ranks `candidates` by `scores`, best first;
    candidates are in passage order, each passage's sentences in text order. `lent`: the part
    of each score its section's heading lent, which says which section answers, not which of
    its sentences do: a neighbour joins the best sentence when nearly as good without it ("No
    pets may be kept." under "Pets and smoking" leaves out "Smoking is not allowed.").
    `gives`: whether a text gives what the question asks for (`answer_kinds`); when the best
    sentence does not and the next one does, that one goes on with it (`_continuation`)."""
    chosen = [candidates[order[0]]]
    own = scores if lent is None else scores - lent
    runner_up = _runner_up(candidates, own, order)
    if runner_up is not None:
        chosen.append(runner_up)
    chosen.extend(_antecedent(candidates, chosen))
    if len(chosen) == 1:
        chosen.extend(_continuation(candidates, own, int(order[0]), gives))
    return chosen


def asked_section(
    candidates: list[Candidate],
    scores: np.ndarray,
    best: int,
    sections: list[list[tuple[int, int]]],
    texts: list[str],
    lent: np.ndarray,
    question: str = "",
    earlier: list[int | None] | None = None,
) -> list[Candidate]:
    """When the question asks about the best sentence's section rather than one of its
    sentences, the section's opening:
    - its heading asks the question and scored best of all (`scores`: every candidate's,
      headings' too), as an FAQ does ("### How do I unlock a bike?"): its opening
      (`_opening`), at most ASKED_SECTION_SENTENCES sentences ("Open the app and scan the
      code on the handlebar. The lock opens within five seconds. If the app cannot read the
      code, ...");
    - the best sentence is an item of a list under the heading, chosen by what the heading
      lent it (`lent`: LIST_SHARE of its score or more), and every item scored nearly as well
      ("What was added in 3.2.0?" over "### Added", "What are the ingredients?"): the list's
      items, at most MAX_STEPS;
    - the best sentence is a row of a table under the heading, and the heading scored best
      of all ("What are the prices?" over "## Plans and prices"): the table's rows (those of
      the passage), at most MAX_STEPS;
    - the question asks for the section by its heading's words ("What are the limitations of
      the study?" over "Limitations": `names_section`): its opening (`_opening`), at most
      ASKED_SECTION_SENTENCES sentences, as for an FAQ.
    A section whose opening here holds the best sentence, that opens the passage under its
    heading repeated and closes the passage of the chunk before it (`earlier`: for each
    passage, that passage when it was retrieved), began there: its opening is that passage's
    ("If your passport is lost or stolen" over "You must report it …" ends one chunk, its
    last paragraph opens the next).
    [] otherwise."""
    if not sections[best]:
        return []
    passage = candidates[best].passage
    members = [
        i
        for i, candidate in enumerate(candidates)
        if candidate.passage == passage and sections[i] == sections[best] and candidate.stands
    ]
    if ITEM_MARK.match(candidates[best].text):
        items = _first_run(members, lambda i: ITEM_MARK.match(candidates[i].text) is not None)
        whole = (
            best in items
            and len(items) <= MAX_STEPS
            and float(lent[best]) >= LIST_SHARE * float(scores[best])
            and all(float(scores[best] - scores[i]) <= SECOND_SENTENCE_MARGIN for i in items)
        )
        return [candidates[i] for i in items] if whole else []
    top = candidates[int(np.argmax(scores))]
    start, end = sections[best][-1]
    text = texts[passage]
    heading_won = top.passage == passage and start <= top.start and top.end <= end
    labels = row_labels(candidates[best].text)
    if labels is not None:
        if not heading_won:
            return []
        rows = _first_run(members, lambda i: row_labels(candidates[i].text) == labels)
        return [candidates[i] for i in rows] if best in rows and len(rows) <= MAX_STEPS else []
    heading = text[start:end]
    # An FAQ's entry is titled by its question, or by the trouble it is about, said as a
    # sentence ("The admin page won't load."): its text answers whole.
    entry = asks(heading) or closes(unmarked(heading), SENTENCE_END)
    if not (heading_won and entry) and not names_section(question, heading):
        return []
    opening = _opening(members, candidates, text)[:ASKED_SECTION_SENTENCES]
    if best not in opening:
        return []
    began = _begun_before(passage, heading, members, candidates, sections, texts, earlier)
    if began:
        opening = _opening(began, candidates, texts[candidates[began[0]].passage])
    return [candidates[i] for i in opening[:ASKED_SECTION_SENTENCES]]


def _begun_before(
    passage: int,
    heading: str,
    members: list[int],
    candidates: list[Candidate],
    sections: list[list[tuple[int, int]]],
    texts: list[str],
    earlier: list[int | None] | None,
) -> list[int]:
    """The section's candidates in the passage of the chunk before, when the section began
    there: it opens this passage (no sentence of the passage stands before it) and closes that
    one, under the same heading; [] otherwise."""
    before = earlier[passage] if earlier else None
    if before is None or not members:
        return []
    if any(c.passage == passage and c.stands for c in candidates[: members[0]]):
        return []
    standing = [i for i, c in enumerate(candidates) if c.passage == before and c.stands]
    if not standing or not sections[standing[-1]]:
        return []
    start, end = sections[standing[-1]][-1]
    if texts[before][start:end] != heading:
        return []
    return [i for i in standing if sections[i] == sections[standing[-1]]]


def _opening(members: list[int], candidates: list[Candidate], text: str) -> list[int]:
    """A section's first paragraph (`members`: its candidates in order); a paragraph of one
    sentence ("tidepool needs Python 3.10 or newer.") goes on with the next ("pip install
    tidepool")."""
    out = members[:1]
    for i in members[1:]:
        if i != out[-1] + 1:
            break
        if "\n\n" in text[candidates[i - 1].end : candidates[i].start] and len(out) > 1:
            break
        out.append(i)
    return out


def _first_run(indexes: list[int], belongs: Callable[[int], bool]) -> list[int]:
    """The first run of consecutive `indexes` for which `belongs` holds."""
    run: list[int] = []
    for i in indexes:
        if belongs(i) and (not run or i == run[-1] + 1):
            run.append(i)
        elif run:
            break
    return run


def _runner_up(
    candidates: list[Candidate], scores: np.ndarray, order: np.ndarray
) -> Candidate | None:
    """The best other sentence, when nearly as good and (if ADJACENT_ONLY) next to the best
    one in the same passage, so a two-sentence answer reads as one passage."""
    best = candidates[order[0]]
    for index in order[1:]:
        if float(scores[order[0]]) - float(scores[index]) > SECOND_SENTENCE_MARGIN:
            continue
        other = candidates[index]
        if other.text == best.text or _rows(best, other):
            continue
        if not ADJACENT_ONLY or adjacent(best, other, candidates):
            return other
    return None


def _rows(first: Candidate, second: Candidate) -> bool:
    """Either is a record (a table's row, a field on its line: `is_record`): an answer of its
    own, never half of one with another record or with the sentence that introduces them; nor
    are two of a list's items ("\u2022 Premium plan" and the "\u25e6 2 TB of storage" under it)
    one answer, unless the whole list is asked for (`asked_section`)."""
    items = ITEM_MARK.match(first.text) and ITEM_MARK.match(second.text)
    return is_record(first.text) or is_record(second.text) or bool(items)


def _antecedent(candidates: list[Candidate], chosen: list[Candidate]) -> list[Candidate]:
    """The sentence before the answer's first (same passage), when that one opens pointing
    back at it: the answer then says what "it" or "they" is."""
    first = min(chosen, key=lambda c: (c.passage, c.start))
    if not points_back(first.text):
        return []
    at = candidates.index(first)
    before = candidates[at - 1] if at else None
    if before is None or not adjacent(before, first, candidates):
        return []
    return [] if not before.stands or before in chosen else [before]


def _continuation(
    candidates: list[Candidate],
    scores: np.ndarray,
    best: int,
    gives: Callable[[str], bool] | None = None,
) -> list[Candidate]:
    """The sentence after the best one, scored within CONTINUATION_MARGIN of it, when it
    points back at it ("It cannot be undone.") or gives what the question asks for and the
    best one does not (`gives`: "After five years you may apply for a sabbatical." then
    "Applications go to the Managing Director, Callum Ferreira." for "Who do I apply to?")."""
    if best + 1 == len(candidates):
        return []
    first, after = candidates[best], candidates[best + 1]
    tells = gives is not None and not gives(first.text) and gives(after.text)
    goes_on = (
        after.stands
        and (points_back(after.text) or tells)
        and adjacent(first, after, candidates)
        and not _rows(first, after)
    )
    close = float(scores[best]) - float(scores[best + 1]) <= CONTINUATION_MARGIN
    return [after] if goes_on and close else []


def adjacent(first: Candidate, second: Candidate, candidates: list[Candidate]) -> bool:
    """Next to each other in one passage, nothing left out between them (candidates keep each
    passage's text order)."""
    if first.passage != second.passage:
        return False
    a, b = sorted((candidates.index(first), candidates.index(second)))
    return b - a == 1 and candidates[b].follows
