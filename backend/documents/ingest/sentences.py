"""Rule-based sentence splitting with character offsets back into the text."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """A sentence: text == source[start:end]."""

    start: int
    end: int
    text: str


# Abbreviations that are (almost) never the end of a sentence, compared without the final dot.
# Words like "etc." or "Inc." are left out on purpose: they often do end one.
_ABBREVIATIONS = frozenset(
    """mr mrs ms mx dr prof st sr jr capt lt sgt cmdr adm hon mt ft pp figs approx cf vs v viz
    al e.g i.e a.k.a ext tel fax incl excl""".split()
)
# Before a figure only: "c. 1455", "ca. 1200" (circa), as "(c. 1455–1536)".
_BEFORE_FIGURES = frozenset({"c", "ca", "circa"})
# Only when capitalised: in lower case these are ordinary words ("the answer is no.").
_CAPITALISED_ABBREVIATIONS = frozenset(
    """No Nos Vol Vols Fig Art Sec Ch Eq Ed Eds Est Gen Col Gov Sen Rep Pres Rev Jan Feb Mar
    Apr Jun Jul Aug Sep Sept Oct Nov Dec""".split()
)
# Punctuation that may end a sentence, with closing quotes/brackets that belong to it.
_END = re.compile(r"(?:\.{2,}|\u2026|[.!?]+)[\"'\u201d\u2019)\]]*(?=\s|$)")
# Chinese and Japanese full stops end a sentence with no space after them.
_CJK_END = re.compile(r"[\u3002\uff01\uff1f]+[\u300d\u300f\uff09\u3011\"'\u201d\u2019]*")
_LINES = re.compile(r"[^\n]+")
_FOLLOWING = re.compile(r"\s*(\S{1,4})")
_ACRONYM = re.compile(r"^(?:[A-Z]\.)+[A-Z]$")
# A list's number or letter ("1", "12", "b", "iv"), written before "." or ")" to open an item.
LIST_NUMBER = r"(?:\d{1,3}|[a-z]|[ivxlc]{1,5})"
# Such a number opening a line ("1. Open Settings."): its dot does not end a sentence.
_ENUMERATOR = re.compile(rf"\s*{LIST_NUMBER}", re.IGNORECASE)
# A numbered item's run-in heading ("4. Spring concert.", "3.2 Pets."): its number, then a
# few words opening with a capital; its dot does not end the sentence that follows it.
_RUN_IN = re.compile(
    rf"\s*(?:{LIST_NUMBER}[.)]|\d{{1,2}}(?:\.\d{{1,2}})+\.?)\s+[A-Z][\w'\u2019-]*"
    r"(?:\s+[\w'\u2019&-]+){0,3}"
)
# What follows a run-in heading is a sentence of this many words at least ("Done." is not).
_RUN_ON_WORDS = 3
_NEXT_ITEM = re.compile(rf"{LIST_NUMBER}[.)]", re.IGNORECASE)
_WORD_WINDOW = 40


def split_sentences(text: str) -> list[Span]:
    """Split text into sentences; line breaks always end a sentence, and a table's row as
    extraction writes it ("Name: limit; Type: integer; Description: Results per page. Default
    25.") is one, however many sentences its cells hold: a record answers whole."""
    spans: list[Span] = []
    for line in _LINES.finditer(text):
        start = line.start()
        for cut in [] if _is_row(line.group()) else _cuts(line.group()):
            _add(spans, text, start, line.start() + cut)
            start = line.start() + cut
        _add(spans, text, start, line.end())
    return spans


# A table row's cell as extraction writes it: its column's name, then its value.
_ROW_CELL = re.compile(r"([^:;]{1,40}): \S")


def _is_row(line: str) -> bool:
    """Cells of a column's name and a value, the names closing what brackets they open (not
    "The Amazon rainforest (Portuguese: Floresta Amazônica; Spanish: Selva Amazónica)")."""
    cells = line.strip().split("; ")
    if len(cells) < 2:
        return False
    labels = [_ROW_CELL.match(cell) for cell in cells]
    return all(label and brackets_closed(label.group(1)) for label in labels)


def brackets_closed(text: str) -> bool:
    """Whether a text closes the brackets it opens ("Your charge (£)", not "The Normans
    (Norman")."""
    return text.count("(") == text.count(")")


def _add(spans: list[Span], text: str, start: int, end: int) -> None:
    """Append text[start:end] trimmed of whitespace, if anything is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append(Span(start, end, text[start:end]))


def _cuts(line: str) -> list[int]:
    """Offsets inside one line right after each sentence-ending punctuation run."""
    cuts = []
    for match in _END.finditer(line):
        following = _FOLLOWING.match(line, match.end())
        if following and _ends_sentence(line, match.start(), match.group(), following.group(1)):
            cuts.append(match.end())
    cuts.extend(m.end() for m in _CJK_END.finditer(line) if m.end() < len(line))
    return sorted(set(cuts))


def _ends_sentence(line: str, at: int, punct: str, following: str) -> bool:
    """Decide whether `punct`, found at line[at], ends a sentence before `following`."""
    first = following.lstrip("\"'\u201c\u2018([")[:1] or following[:1]
    if first.islower():
        return False
    if punct[0] != "." or punct.startswith(".."):
        return True
    if following.startswith("."):
        return False  # a dot of an ellipsis spaced out (". . ."): its last dot decides
    if punct == "." and _ENUMERATOR.fullmatch(line[:at]):
        return False
    if (
        punct == "."
        and _RUN_IN.fullmatch(line[:at])
        and not _NEXT_ITEM.fullmatch(following)
        and len(line[at + 1 : at + 1 + _WORD_WINDOW].split()) >= _RUN_ON_WORDS
    ):
        return False
    # Only the word right before the dot matters; a bounded window keeps long lines linear.
    before = line[max(0, at - _WORD_WINDOW) : at]
    if not before or before[-1].isspace():
        return True
    token = before.split()[-1].lstrip("(\"'\u201c")
    if token.lower() in _ABBREVIATIONS or token in _CAPITALISED_ABBREVIATIONS:
        return False
    if token.lower() in _BEFORE_FIGURES and first.isdigit():
        return False
    return not ((len(token) == 1 and token.isupper()) or _ACRONYM.match(token))
