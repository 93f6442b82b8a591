"""Which sentences of a passage can stand as an answer: not a question the text itself asks
("How do I change my own password?" in a FAQ), not a heading ("Configuring the result
backend": `backend.documents.ingest.headings`). Both restate what is asked better than
anything, and the answer is the text under them (`answering` still lets their words carry to
the sentences after them). And which cannot
stand alone: one that opens pointing back ("It appoints the board of the central bank.") is
shown with the sentence before it, which names what "it" is. And what a sentence may borrow
words from: the sentence before it, or for a table's row or a list's item the sentence that
introduces the table or list (which, when it ends in a colon, is never an answer itself).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from backend.documents.ingest import LIST_NUMBER
from backend.documents.ingest.headings import (
    LABELLED,
    SECTION_NUMBER,
    SENTENCE_END,
    closes,
    unmarked,
)
from backend.documents.ingest.html_text import SUB_BULLET
from backend.retrieval.lexical import content_terms

# A sentence ending so asks rather than answers; a heading ends with none of these.
QUESTION_END = ("?", "\uff1f")
WORD_RE = re.compile(r"[a-z0-9]+")
# A table's row as extraction writes it: "Day: Saturday; Departure: 10:30; Return: 19:05."
ROW_CELL = re.compile(r"([^:;]{1,40}): \S")
# A sentence opening with one of these words is about what the sentence before it named, and
# so is one opening with a condition or a time about it ("If it has not arrived by 14 April,
# …", "When they return, …") or on what it said ("If not, …").
POINTS_BACK = re.compile(
    r"[\"'\u201c\u2018(]*(?:(?:if|when|once|unless|until|because|although|while)\s+)?"
    r"(?:it|its|they|their|them|he|his|him|she|her|this|these|those)\b"
    r"|if (?:so|not)\b",
    re.IGNORECASE,
)


def asks(sentence: str) -> bool:
    """A sentence that is itself a question: it restates what is asked, never answers it. One
    that ends quoting a question ('Thesis 86 asks: "Why does the pope ...?"') says who asked
    it, and stays an answer."""
    return sentence.rstrip().endswith(QUESTION_END)


# A mail's header line, as a pasted thread keeps them: who wrote to whom, when, about what.
_MAIL_HEADER = re.compile(
    r"(?:From|To|Cc|Bcc|Reply-To)\s?:\s*(?:.*@|(?:[A-Z][\w.'’-]*\s?){1,4}$)|"
    r"Sent\s?:.*\d|Subject\s?:\s*(?:Re|Fwd?)\s?:"
)
_ASKS_MAIL = re.compile(
    r"\b(?:e-?mails?|mail|sent|send|sender|wrote|written|writes|subject|address(?:es)?|"
    r"repl(?:y|ied|ies)|cc|copied|messages?)\b",
    re.IGNORECASE,
)


def mail_header(sentence: str, question: str) -> bool:
    """A mail's header line ("To: Tom Baxter <tom@…>", "Sent: Monday, 17 February 2025 09:05")
    that the question, asking nothing of the mails themselves, is not answered by: it names
    who wrote, not what they wrote."""
    return bool(_MAIL_HEADER.match(sentence)) and not _ASKS_MAIL.search(question)


def points_back(sentence: str) -> bool:
    """A sentence that opens with a pronoun ("It", "They", "This", "His" ...), or with a
    condition or a time about one ("If it …", "When they …", "If not, …"): on its own it does
    not say who or what it is about ("Who appoints the board?" -> "It appoints ...")."""
    return POINTS_BACK.match(sentence.lstrip()) is not None


def is_record(sentence: str) -> bool:
    """A table's row ("Day: Saturday; Departure: 10:30.") or a field written as a line of its
    own, without a sentence's closing stop ("Saturday: 10:00 to 16:00", "Apologies: David
    Brooks"): a record, an answer of its own."""
    field = LABELLED.match(sentence) is not None and not closes(sentence, SENTENCE_END)
    return field or row_labels(sentence) is not None


def row_labels(sentence: str) -> tuple[str, ...] | None:
    """The column names of a table's row as extraction writes it ("Day: Saturday; Departure:
    10:30." -> ("Day", "Departure")), or None for a sentence that is not one."""
    cells = sentence.rstrip(".").split("; ")
    if len(cells) < 2:
        return None
    labels = [ROW_CELL.match(cell) for cell in cells]
    if not all(labels):
        return None
    return tuple(label.group(1) for label in labels if label)


# "Who is the contractor?", "What is the Agreement?": a question asking what a term stands for.
# "What are the limitations of the study?", "Describe the warranty.": a question asking for what
# a section says as a whole, rather than for one fact of it.
ASKS_WHOLE = re.compile(
    r"^\s*(?:(?:what|which)\s+(?:is|are|was|were)\b|describe\b|explain\b|summari[sz]e\b"
    r"|tell\s+me\s+about\b|list\b"
    r"|what\s+(?:should|do|can|must)\s+(?:i|we|you)\s+(?:need\s+to\s+|have\s+to\s+)?do\b"
    r"|how\s+(?:do|can|should)\s+(?:i|we)\b)",
    re.IGNORECASE,
)

# Where a question's clauses part: "I've lost my passport - what do I need to do?".
_CLAUSES = re.compile(r"\s+[-\u2013\u2014]\s+|[,;.]\s+")
# A heading of this many words or more is named by a question holding all but one of them.
NAMED_SECTION_WORDS = 3


def names_section(question: str, heading: str) -> bool:
    """Whether the question asks for a section as a whole by its heading's words: "What are
    the limitations of the study?" names "Limitations"; "What is the warranty period?" names
    "Warranty"; "What should I do if my card is stolen?" names "Lost or stolen card". A
    heading with a word the question does not use (two, for one of three words or more) is not
    named. The asking may follow what the asker tells first ("I've lost my passport - what do
    I need to do?")."""
    if not any(ASKS_WHOLE.match(clause) for clause in _CLAUSES.split(question)):
        return False
    title = unmarked(heading)
    number = SECTION_NUMBER.match(title)
    words = set(content_terms(title[number.end() :] if number else title))
    # A heading of three words or more may hold one the question does not ("Lost or stolen
    # card" for "What should I do if my card is stolen?").
    unasked = len(words - set(content_terms(question)))
    allowed = 1 if len(words) >= NAMED_SECTION_WORDS else 0
    return bool(words) and unasked <= allowed


# A figure standing as one ("3.1.0", "2026"), not a letter's part of a name ("Q2", "A4").
_FIGURE = re.compile(r"(?<![^\W\d_])\d+")


def new_figures(heading: str, question: str) -> bool:
    """Whether a heading holds a figure the question does not, its section's number aside
    ("## 3.1.0 (2026-06-15)" for "When was 3.1.0 released?"): it tells something, and may
    answer; a heading of words ("Warranty") only names what its section is about."""
    title = unmarked(heading)
    number = SECTION_NUMBER.match(title)
    if number:
        title = title[number.end() :]
    return bool(set(_FIGURE.findall(title)) - set(_FIGURE.findall(question)))


LIST_ITEM = ("list item",)
# An item of a list inside another list's item ("\u25e6 2 TB of storage" under "\u2022 Premium
# plan"): it borrows the words of the item it belongs to.
SUB_ITEM = ("sub item",)
# A numbered list's item as extraction writes it ("1. Open Settings.", "b) Choose Security.").
NUMBERED = re.compile(rf"{LIST_NUMBER}[.)]\s", re.IGNORECASE)
# A list's item as written: numbered, or with a bullet.
ITEM_MARK = re.compile(rf"(?:{LIST_NUMBER}[.)]|[-*\u2022\u25e6\u2013])\s", re.IGNORECASE)


def introduces(sentence: str) -> bool:
    """A sentence ending in a colon announces what follows ("Members can borrow the following
    at once:"); before a list or a table it lends its words to the items and is never the
    answer itself."""
    return sentence.rstrip().endswith((":", "\uff1a"))


def record_keys(sentences: list[str], same_passage: list[bool]) -> list[tuple[str, ...] | None]:
    """What kind of record each sentence is: a table's row (its `row_labels`), a list's item
    (`LIST_ITEM`: a line that is numbered, has a bullet or ends no sentence, after an
    introduction ending in a colon or after another such item), or None for prose.
    `same_passage[i]` says whether sentence i follows i - 1 in one passage."""
    out: list[tuple[str, ...] | None] = []
    for i, sentence in enumerate(sentences):
        key = row_labels(sentence)
        marked = ITEM_MARK.match(sentence) is not None
        if key is None and same_passage[i] and (marked or not closes(sentence, SENTENCE_END)):
            before = sentences[i - 1]
            if sentence.startswith(SUB_BULLET) and (
                ITEM_MARK.match(before) or out[i - 1] == SUB_ITEM
            ):
                key = SUB_ITEM
            elif introduces(before) or out[i - 1] in (LIST_ITEM, SUB_ITEM):
                key = LIST_ITEM
        out.append(key)
    return out


def leading_sentences(
    labels: list[tuple[str, ...] | None], same_passage: list[bool]
) -> list[int | None]:
    """For each sentence, the one whose words it may borrow: the sentence before it, or, for
    a table's row after the first, the sentence before the table (the one that says what the
    table is: "Ferries leave for Skerra from the north pier."), so every row borrows alike;
    a list's items likewise borrow the list's introduction. `labels` are the sentences'
    `record_keys`; `same_passage[i]` says whether sentence i follows i - 1 in one passage."""
    out: list[int | None] = []
    for i, (own, before) in enumerate(zip(labels, [None, *labels], strict=False)):
        if not same_passage[i]:
            out.append(None)
        elif own is not None and own == before:
            out.append(out[i - 1])
        elif before == SUB_ITEM:
            # After a nested list, an item borrows as the item the nested list belongs to did.
            parent = i - 1
            while labels[parent] == SUB_ITEM and same_passage[parent]:
                parent -= 1
            out.append(out[parent] if own is not None and own == labels[parent] else parent)
        else:
            out.append(i - 1)
    return out


class Placed(Protocol):
    """A candidate sentence: its passage and text."""

    @property
    def passage(self) -> int: ...
    @property
    def text(self) -> str: ...


# For each sentence, the one whose words it may borrow (`leading_sentences`), and whether it
# is a record, a table's row or a list's item (which borrow their introduction's in full).
Borrowing = tuple[list[int | None], np.ndarray]


def sentence_borrowing(
    sentences: Sequence[Placed], sections: Sequence[object] | None = None
) -> Borrowing:
    """What each sentence (passages in order, each passage's sentences in text order) may
    borrow from, and which are records. `sections[i]`: the section sentence i is in (its
    heading); nothing is borrowed across a heading, from a sentence of another section."""
    same_passage = [
        i > 0
        and s.passage == sentences[i - 1].passage
        and (sections is None or sections[i] == sections[i - 1])
        for i, s in enumerate(sentences)
    ]
    keys = record_keys([s.text for s in sentences], same_passage)
    records = np.array([key is not None for key in keys], dtype=bool)
    return leading_sentences(keys, same_passage), records
