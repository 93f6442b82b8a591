"""The question's words against the passages' words: a misspelt word read as the passages
spell it, and the names a question uses that no passage holds."""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Sequence
from typing import Protocol

from backend.retrieval.lexical import content_terms, fold_accents

# A misspelt question word still counts when a passage word is this similar (difflib ratio).
SPELLING_CUTOFF = 0.85
SPELLING_MIN_CHARS = 5
MIN_NAME_CHARS = 3
# A code names a thing however short it is: a word of letters and figures ("E7", "B12").
CODE_RE = re.compile(r"\b[^\W\d_]+\d[^\W_]*")
NAME_RE = re.compile(r"[^\W\d_][^\W_]*(?:['’][^\W_]+)?")


class HasText(Protocol):
    @property
    def text(self) -> str: ...


def with_spelling_matches(asked: set[str], vocabulary: Collection[str]) -> set[str]:
    """The question's terms, each long one that the passages never use replaced by the
    passages' term spelled almost the same ("gaurantee" -> "guarantee"), if there is one."""
    known = list(vocabulary)
    out = set()
    for term in asked:
        if term in vocabulary or len(term) < SPELLING_MIN_CHARS:
            out.add(term)
            continue
        out.add(_spelled_like(term, known) or term)
    return out


def _spelled_like(term: str, known: list[str]) -> str | None:
    """The known word `term` misspells: one similar enough by difflib's ratio, else one a
    single typing slip away (a letter added, dropped, changed, or two swapped: "Shirly" for
    "Shirley"), the first in order when several are."""
    close = difflib.get_close_matches(term, known, n=1, cutoff=SPELLING_CUTOFF)
    if close:
        return close[0]
    slips = [word for word in known if _one_slip(term, word)]
    return min(slips) if slips else None


def _one_slip(a: str, b: str) -> bool:
    """Whether b is a, one letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    at = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
    if len(a) < len(b):
        return a[at:] == b[at + 1 :]
    swapped = at + 1 < len(a) and a[at] == b[at + 1] and a[at + 1] == b[at]
    return a[at + 1 :] == b[at + 1 :] or (swapped and a[at + 2 :] == b[at + 2 :])


def missing_names(question: str, passages: Sequence[HasText]) -> list[str]:
    """The names the question uses (capitalised words of three letters or more, the first
    word aside, and codes of a capital and a figure, "E7") that no retrieved passage holds,
    compared as stemmed terms ("Huguenots'" holds "Huguenot") and forgiving a misspelling
    ("Ghandi" for "Gandhi"): "Who painted the Mona Lisa?" over passages about Tesla gives
    ["Mona", "Lisa"]. A question written in capitals or title case ("WHO PAINTED THE MONA
    LISA?") names nothing: its capitals tell no names."""
    words = NAME_RE.findall(question)[1:]
    if sum(w[0].isupper() for w in words) * 2 > len(words):
        return []
    names = {
        w: terms
        for w in words
        if w[0].isupper()
        and (len(w) >= MIN_NAME_CHARS or CODE_RE.fullmatch(w))
        and (terms := set(content_terms(w)))
    }
    if not names:
        return []
    held = {term for passage in passages for term in content_terms(passage.text)}
    missing = [w for w, terms in names.items() if not with_spelling_matches(terms, held) & held]
    # A code is held however the text spaces or breaks it ("O\n3" for "O3").
    missing = [w for w in missing if not (CODE_RE.fullmatch(w) and _code_held(w, passages))]
    # An acronym is held where its words are ("EHO": "Environmental Health Officer").
    missing = [
        w
        for w in missing
        if not (ACRONYM.fullmatch(w) and any(spelled_out(w, p.text) for p in passages))
    ]
    if not missing:
        return []
    # Stemming can hide a slip ("Shirly" stems to "shir", "Shirley" to "shirley"): the
    # words as written are compared too.
    written = sorted(
        {fold_accents(w.lower()) for passage in passages for w in NAME_RE.findall(passage.text)}
    )
    return [
        w
        for w in missing
        if len(w) < SPELLING_MIN_CHARS or not _spelled_like(fold_accents(w.lower()), written)
    ]


def _code_held(code: str, passages: Sequence[HasText]) -> bool:
    spaced = re.compile(
        r"(?<![^\W_])" + r"\s*".join(map(re.escape, code)) + r"(?![^\W_])", re.IGNORECASE
    )
    return any(spaced.search(passage.text) for passage in passages)


def name_phrases(question: str, names: Collection[str]) -> list[str]:
    """`names` as the question writes them, neighbours joined: ["Mona", "Lisa"] in "Who
    painted the Mona Lisa?" is ["Mona Lisa"]."""
    spans: list[list[int]] = []
    for match in NAME_RE.finditer(question):
        if match.group() not in names:
            continue
        if spans and not question[spans[-1][1] : match.start()].strip():
            spans[-1][1] = match.end()
        else:
            spans.append([match.start(), match.end()])
    return list(dict.fromkeys(question[a:b] for a, b in spans))


# An acronym: three to six capitals ("AGM", "EHO", "NHS"), maybe a plural "s".
ACRONYM = re.compile(r"\b([A-Z]{3,6})s?\b")
# Small words an acronym skips: "Food Standards Agency" is FSA, "Department of Health" DH.
_SKIPPED = r"(?:(?:of|and|for|the|on|in|&)\s+)?"


def spelled_out(acronym: str, text: str) -> str | None:
    """The words of `text` whose initials spell `acronym` ("annual general meeting" for
    "AGM"), the small words between them aside, or None."""
    pattern = r"\s+".join(
        (_SKIPPED if k else "") + rf"{letter}[^\W\d_]+" for k, letter in enumerate(acronym)
    )
    found = re.search(rf"\b{pattern}\b", text, re.IGNORECASE)
    return found.group() if found else None


def acronym_terms(question: str, sentence: str) -> set[str]:
    """The question's terms a sentence holds by an acronym: the acronym a question uses, for
    a sentence that spells it out ("Senior EHO" and "Environmental Health Officer"), and the
    words a question spells out, for a sentence that uses their acronym ("the annual general
    meeting" and "The 2024 AGM")."""
    terms: set[str] = set()
    for acronym in ACRONYM.findall(question):
        if acronym not in sentence and spelled_out(acronym, sentence):
            terms.update(content_terms(acronym))
    for acronym in ACRONYM.findall(sentence):
        if acronym not in question and (words := spelled_out(acronym, question)):
            terms.update(content_terms(words))
    return terms


# Short forms a label or a line writes for a word a question spells out: "Invoice no.",
# "Customer ref.", "Tel.", "Qty".
_SHORT_FORMS = {
    "no": "number", "nos": "numbers", "ref": "reference", "tel": "telephone",
    "qty": "quantity", "dept": "department", "approx": "approximately", "amt": "amount",
    "incl": "including", "excl": "excluding", "max": "maximum", "min": "minimum",
    "est": "estimated", "addr": "address", "yr": "year", "yrs": "years", "mo": "month",
    "hrs": "hours", "mins": "minutes", "wk": "week", "wks": "weeks",
}  # fmt: skip
_SHORT_FORM = re.compile(
    r"\b(" + "|".join(sorted(_SHORT_FORMS, key=len, reverse=True)) + r")\.?(?=[\s:]|$)",
    re.IGNORECASE,
)


def short_form_terms(sentence: str) -> set[str]:
    """The terms of the words a sentence's short forms stand for ("number" for the "no." of
    "Invoice no.: NLE-2025-0462"): a short form with its stop, or "Qty" and the like before a
    colon or a space. "No" alone ("No pets are allowed") stands for nothing."""
    terms: set[str] = set()
    for found in _SHORT_FORM.finditer(sentence):
        word = found.group(1).lower()
        written = found.group()
        if word in ("no", "nos", "mo", "min", "max", "est") and not written.endswith("."):
            continue
        terms.update(content_terms(_SHORT_FORMS[word]))
    return terms


# A key to the codes a document marks its items with ("Key: GF = gluten-free · V = vegetarian
# · VG = vegan"): a code of one to four letters, its capital first, then "=" and what it stands
# for, up to the next separator or code.
_LEGEND_ENTRY = re.compile(
    r"(?<![\w&])([A-Z][A-Za-z]{0,3})\s?=\s?([^\W\d_][^=·•|;,/\n]{0,40}?)"
    r"(?=\s*(?:[·•|;,/\n]|$|[A-Z][A-Za-z]{0,3}\s?=))"
)
# Two entries or more make a key: "x = 5" alone is a sum.
MIN_LEGEND_ENTRIES = 2
# A code as a word of its own, in a key or in the sentences using it.
_CODE_WORD = re.compile(r"(?<![\w&])[A-Z][A-Za-z]{0,3}(?![\w&])")


def legend(text: str) -> dict[str, set[str]]:
    """The codes a text's keys define, each with the terms of what it stands for: "VG" with
    {"vegan"}, "D" with {"contain", "dairi"}."""
    codes: dict[str, set[str]] = {}
    for line in text.split("\n"):
        entries = _LEGEND_ENTRY.findall(line)
        if len(entries) < MIN_LEGEND_ENTRIES:
            continue
        for code, meaning in entries:
            terms = set(content_terms(meaning))
            if terms:
                codes.setdefault(code, set()).update(terms)
    return codes


def is_key(sentence: str, question: str) -> bool:
    """Whether a sentence is a key to codes that the question does not use: it tells what the
    codes mean, not which item has them ("Which dessert is vegan?" is not answered by "VG =
    vegan", "What does VG mean?" is)."""
    entries = _LEGEND_ENTRY.findall(sentence)
    if len(entries) < MIN_LEGEND_ENTRIES:
        return False
    used = set(_CODE_WORD.findall(question))
    return not used & {code for code, _ in entries}


def legend_terms(sentence: str, codes: dict[str, set[str]]) -> set[str]:
    """The terms a sentence holds by the codes of its document's key: "Sorbet of the Day GF,
    VG $8" holds "vegan"; a code counts as a word of its own, in the key's case."""
    terms: set[str] = set()
    if not codes:
        return terms
    for word in set(_CODE_WORD.findall(sentence)):
        terms.update(codes.get(word, ()))
    return terms
