"""Clean extracted text: unicode, whitespace, PDF line wrapping, reference markers."""

from __future__ import annotations

import re
import unicodedata
from itertools import pairwise

from backend.documents.ingest.headings import HEADING_MARK, LABELLED, lone_question

# Invisible format characters that only get in the way of search; ZWJ/ZWNJ are kept because
# some scripts and emoji need them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
_LINE_SEPARATORS = {ord("\u2028"): "\n", ord("\u2029"): "\n\n", ord("\f"): "\n\n", ord("\v"): "\n"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_BULLET = re.compile(r"(?:[-*+\u2022\u25aa\u25e6\u2023\u2013\u2014]|\(?\d{1,3}[.)]|[a-z][.)])\s")
_HYPHENATED = re.compile(r"[^\W\d_]-$")
_FIGURE_HYPHEN = re.compile(r"\d-$")
_SENTENCE_END = re.compile(r"[.!?:;,\"'\u201d\u2019)\]]$")
_HEADING_MAX_WORDS = 8
# A line shorter than this share of its paragraph's longest ends where its writer ended it,
# not where the text was wrapped.
_SHORT_LINE = 0.5
# A list's item ending in a joining word goes on in the next line.
_JOINING = r"\b(?:and|or|of|the|a|an|to|for|in|on|at|by|with|from)"
_JOINING_END = re.compile(rf"{_JOINING}$")
# A line ending in a comma, a joining word or a dash goes on in the next.
_RUNS_ON = re.compile(rf"(?:[,&/(\u2013\u2014-]|{_JOINING})$")

# Reference apparatus that reads as noise in an answer: footnote calls attached to a word
# ("city.[12]", "[note 3]", "[a]"), editors' tags ("[citation needed]", "[when?]", "[vague]",
# a saved page's "[edit]" after each heading) and page references after a citation ("New York
# City:57–60 where"). "[sic]", IPA and editorial insertions in quotes ("[less than three
# years]") stay.
_FOOTNOTE_CALL = re.compile(r"(?<=\S)\[(?:\d{1,3}|[a-z]|(?:note|nb|n|lower-alpha) ?\d{1,3})\]")
# A footnote's call set apart from the sentence it follows ("1200 BC. [3] The town"), as a
# PDF's raised call reads once its line is joined.
_LOOSE_CALL = re.compile(r"(?<=[.,;:!?]) \[\d{1,3}\](?= |$)")
# Calls standing alone, as a PDF sets a raised call wrapped onto a line of its own ("[6]").
_CALLS_ALONE = re.compile(r"(?:\[\d{1,3}\] ?)+")
# Dots leading the eye from a menu's dish or a contents line to its price or page.
_LEADER = re.compile(r"[ \u00a0]*(?:\.[ \u00a0]?){5,}[ \u00a0]*")


def _led(leader: re.Match[str]) -> str:
    """Dots leading from a label to its value read as the colon after a label ("Front desk
    ........ 01632 960 412": "Front desk: 01632 960 412"); at a line's end, as nothing."""
    text, end = leader.string, leader.end()
    if end == len(text) or text[end] == "\n" or leader.start() == 0:
        return ""
    return " " if text[leader.start() - 1] in ":\n" else ": "
_FRACTION = re.compile("([\u00bc-\u00be\u2150-\u215e])")
_EDITOR_TAG = re.compile(
    r"\[(?:[a-z][a-z ,'’-]{0,40}(?:needed|given|required)|[a-z][a-z ,'’-]{0,30}\?"
    r"|update|updated|vague|dubious|clarify|discuss|dead link|permanent dead link"
    r"|failed verification|better source|full citation|citation|edit|edit source)\]"
)
_PAGE_REFERENCE = re.compile(  # a lone 4-digit number is a port or a year, not a page
    r"(?<![\w/@:.])(?!localhost:)([^\W\d_][^\s/@:]*?[^\W\d_)\]\"”’.,])"
    r":((?:\d{1,3}|\d{1,4}[–-]\d{1,4})(?:, ?\d{1,4}(?:[–-]\d{1,4})?)*)(?=[\s,.;)]|$)"
)


# Page references after a sentence's end ("parties.:1–4 When", "ideas).:4–5:24"): a colon
# straight after a word's full stop opens no list, so every page group there goes.
_PAGES_AFTER_END = re.compile(
    r"(?:(?<=[^\W\d_][.!?])|(?<=[)\]\"”’][.!?])|(?<=[^\W\d_][.!?][)\"”’]))"
    r"(?::\d{1,4}(?:[–-]\d{1,4})?(?:, ?\d{1,4}(?:[–-]\d{1,4})?)*)+(?=\s|$)"
)


def strip_reference_markers(text: str) -> str:
    """Remove footnote calls, editors' tags and citation page references (see above)."""
    text = _EDITOR_TAG.sub("", _FOOTNOTE_CALL.sub("", _LOOSE_CALL.sub("", text)))
    return _PAGE_REFERENCE.sub(r"\1", _PAGES_AFTER_END.sub("", text))


def clean_text(text: str) -> str:
    """Normalise unicode and whitespace, undo PDF line wrapping, keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_LINE_SEPARATORS)
    text = _normalised(text).translate(_INVISIBLE)
    text = _LEADER.sub(_led, _CONTROL.sub("", text.replace("\t", " ")))
    # Markers are stripped from joined lines: a PDF may wrap "[citation needed]" in two.
    paragraphs = (_unmarked(_join_lines(block)) for block in _BLANK_LINES.split(text))
    return "\n\n".join(p for p in paragraphs if p)


def _normalised(text: str) -> str:
    """NFKC, but a vulgar fraction stays one character: NFKC spells "2½" as "21⁄2"."""
    pieces = _FRACTION.split(text)
    pieces[::2] = [unicodedata.normalize("NFKC", piece) for piece in pieces[::2]]
    return "".join(pieces)


def _unmarked(paragraph: str) -> str:
    text = _SPACES.sub(" ", strip_reference_markers(paragraph)).strip()
    return "" if _CALLS_ALONE.fullmatch(text) else text


def _join_lines(block: str) -> str:
    """Join the hard-wrapped lines of one paragraph, keeping lines that stand on their own."""
    lines = [line for line in (_SPACES.sub(" ", raw).strip() for raw in block.split("\n")) if line]
    if not lines:
        return ""
    parts = [lines[0]]
    width = max(map(len, lines))
    for previous, line in pairwise(lines):
        if _is_hyphenated(previous, line):
            parts[-1] = parts[-1][:-1]
            parts.append(line)
        elif _FIGURE_HYPHEN.search(previous) and line[0].islower():
            # A figure's compound wrapped after its hyphen ("34-" + "kilometre trail").
            parts.append(line)
        elif HEADING_MARK.match(previous) or not _keeps_break(previous, line, width):
            # A marked heading's lines are one heading ("## Returns" wrapped by a <br>).
            parts.append(" " + line)
        elif (_heads(previous) or lone_question(previous)) and not _BULLET.match(line):
            # A heading above its text ("Habitat", then the section's first line) or an FAQ's
            # question above its answer is a paragraph of its own, as when a blank line
            # follows it.
            parts.append("\n\n" + line)
        else:
            parts.append("\n" + line)
    return "".join(parts)


def _is_hyphenated(previous: str, line: str) -> bool:
    """A word split across lines with a hyphen: 'infor-' + 'mation'."""
    return bool(_HYPHENATED.search(previous)) and line[0].islower() and not _BULLET.match(line)


def _keeps_break(previous: str, line: str, width: int) -> bool:
    """Whether a single line break is structure (list item, heading, a labelled line, a line
    ended well short of the paragraph's width) rather than wrapping."""
    if _BULLET.match(line) or LABELLED.match(line):
        return True
    return line[0].isupper() and (
        # A list's item ends at its line's end, unless it leaves a bracket open or ends on a
        # joining word ("• Book bag with the school logo (Reception to", then "Year 4)").
        (bool(_BULLET.match(previous)) and not _item_runs_on(previous))
        or _heads(previous)
        # "Nearest GP: Glendale Surgery, Wooler - 01668 000 310", then "The stopcock is …":
        # a labelled line ends where its value does, unless it runs on ("Address: 4 Mill
        # Lane,").
        or (bool(LABELLED.match(previous)) and not _RUNS_ON.search(previous))
        or len(previous) < _SHORT_LINE * width
    )


def _heads(line: str) -> bool:
    """Whether a line of a paragraph looks like a heading over the next
    (`_looks_like_heading`) and may be one: it leaves no bracket open ("Ethics Committee at
    the University of Northmoor (reference", then "PSY-2024-117), and all …")."""
    return _looks_like_heading(line) and line.count("(") <= line.count(")")


def _item_runs_on(item: str) -> bool:
    """Whether a list's item goes on onto the next line: a bracket left open, or a last word
    that joins ("and", "to", "for" …)."""
    return item.count("(") > item.count(")") or bool(_JOINING_END.search(item))


def _looks_like_heading(line: str) -> bool:
    """A short title-like line without closing punctuation, e.g. 'Early History'."""
    words = line.split()
    if len(words) > _HEADING_MAX_WORDS or _SENTENCE_END.search(line) or LABELLED.match(line):
        return False
    if line.isupper() or re.match(r"\d+(?:\.\d+)*\.?\s", line):
        return True
    return all(w[0].isupper() or not w[0].isalpha() or len(w) <= 3 for w in words)
