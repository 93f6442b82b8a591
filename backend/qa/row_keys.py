"""Which of a table's rows a question names: the row whose first cell holds the question's
word, over a row of the same table that holds it only in another cell. "How much is the
standard membership a month?" means the row "Membership: Standard; …", not "Membership:
Student; Access: As Standard; …"; "… if I go for Premium?" the Premium row, not the Senior
row "As Premium, off-peak hours only". A row is named, too, by a cell's column name and
value read together in the question: "… our flight out to Malaga?" means the row whose "To"
is "Málaga (AGP)", not the return flight's, whose "From" is; "Band A" the row whose "Band" is
"A"; "the Developer plan" the row whose "Plan" is "Developer". Of rows whose names share
the question's word, the one it names whole is named; a code the question names ("What does
E24 mean?") names the one row whose first cell holds it; and a row whose name opens with a figure
and its unit ("8 weeks old", "Wave 3") is named by the question saying them together ("What
does my baby get at 8 weeks?"), where no other row's name opens so."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import NamedTuple

from backend.qa.question_words import CODE_RE
from backend.qa.sentence_roles import row_labels
from backend.retrieval.lexical import content_terms, fold_accents

# What a row's name says in brackets qualifies it ("Family Swim (2 adults + 2 children)"):
# the row is named by the rest.
_BRACKETED = re.compile(r"\([^()]*\)")
# Nor does a letter or number counting the rows ("C. Contents", "3) Parking").
_COUNTED = re.compile(r"^(?:[A-Za-z]|\d{1,3})[.)] ")
_WORD = re.compile(r"[^\W_]+")


class _Row(NamedTuple):
    labels: tuple[str, ...]  # its column names
    name: set[str]  # its first cell's terms, without what it says in brackets
    rest: set[str]  # its other cells' terms (values only)
    opening: str  # its name's first two words, when one of them is a figure ("8 weeks")


def _cells(sentence: str) -> _Row | None:
    """A table's row as read for naming, or None for a sentence that is no row."""
    labels = row_labels(sentence)
    if labels is None:
        return None
    values = [cell.split(": ", 1)[1] for cell in sentence.rstrip(".").split("; ")]
    first = _COUNTED.sub("", _BRACKETED.sub(" ", values[0]))
    name = set(content_terms(first))
    words = _words(first)[:2]
    opening = " ".join(words) if len(words) == 2 and any(w.isdigit() for w in words) else ""
    rest = {t for value in values[1:] for t in content_terms(value)}
    return _Row(labels, name, rest, opening)


def _words(text: str) -> list[str]:
    return [fold_accents(word) for word in _WORD.findall(text.lower())]


def _column_and_value(sentence: str, asked: str) -> bool:
    """Whether the question (`asked`: its words, folded, between spaces) says a cell's column
    name and the first word of its value together ("to malaga" for "To: Málaga (AGP)"), or
    a one-word value before its column's name ("the developer plan" for "Plan: Developer")."""
    for cell in sentence.rstrip(".").split("; "):
        label, _, value = cell.partition(": ")
        named, told = _words(label), _words(_BRACKETED.sub(" ", value))
        if named and told and f" {named[-1]} {told[0]} " in asked:
            return True
        # A word the question would say anyway ("a band B house") names nothing.
        if (
            len(named) == 1
            and len(told) == 1
            and content_terms(told[0])
            and f" {told[0]} {named[0]} " in asked
        ):
            return True
    return False


def named_rows(question: str, sentences: list[str]) -> list[bool]:
    """Which sentences are rows the question names by their first cell, where another row of
    the same table (the same column names) holds that word only in another cell or in a
    longer name; or by a column's name and value said together, where another row of the
    table is not named so."""
    asked = set(content_terms(question))
    said = f" {' '.join(_words(question))} "
    # A code the question names ("E24") names the one row whose first cell holds it.
    codes = {term for word in CODE_RE.findall(question) for term in content_terms(word)}
    tables: dict[tuple[str, ...], list[int]] = defaultdict(list)
    cells: dict[int, _Row] = {}
    for i, sentence in enumerate(sentences):
        read = _cells(sentence)
        if read is not None:
            cells[i] = read
            tables[read.labels].append(i)
    named = [False] * len(sentences)
    for rows in tables.values():
        for term in asked:
            keyed = [i for i in rows if term in cells[i].name]
            elsewhere = [i for i in rows if term in cells[i].rest and term not in cells[i].name]
            if keyed and (elsewhere or (term in codes and len(keyed) == 1 < len(rows))):
                for i in keyed:
                    named[i] = True
            # Of the rows whose names hold the word, the ones the question names whole: "the
            # buildings" is "A. Buildings", not "B. Buildings accidental damage".
            whole = [i for i in keyed if cells[i].name <= asked]
            if whole and len(whole) < len(keyed):
                for i in whole:
                    named[i] = True
        # A name opening with a figure and its unit, said together: "at 8 weeks" names "8 weeks
        # old" (not "12 weeks old"), where that opening is the row's own in its table.
        openings = Counter(cells[i].opening for i in rows)
        for i in rows:
            opening = cells[i].opening
            if opening and openings[opening] == 1 and len(rows) > 1 and f" {opening} " in said:
                named[i] = True
        told = [i for i in rows if _column_and_value(sentences[i], said)]
        if told and len(told) < len(rows):
            for i in told:
                named[i] = True
    return named
