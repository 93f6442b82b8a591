"""A figure the question gives against the bands a table's rows or a text's lines set out.

"My train was 40 minutes late, how much can I claim?" is answered by the row for "30 to 59
minutes", not the one for "15 to 29 minutes", though both share every word of the question:
the row whose band holds the question's figure, in the same unit, is the one meant. Bands are
read as "15 to 29 minutes", "15-29 minutes", "between 15 and 29 minutes", "120 minutes or
more", "over 65 years", "under 5 years", "up to 2 hours" and "2 hours or less".
"""

from __future__ import annotations

import math
import re

from backend.retrieval.lexical import content_terms

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_UNIT = r"([^\W\d_]{2,12})"
# A figure with its unit in the question: "40 minutes", "3 hours", "aged 70" is no unit.
_FIGURE = re.compile(rf"\b{_NUMBER}\s?-?{_UNIT}\b")
_BANDS = (
    # "15 to 29 minutes", "15–29 minutes", "between 15 and 29 minutes"
    (re.compile(rf"\b{_NUMBER}\s?(?:to|–|—|-)\s?{_NUMBER}\s?{_UNIT}\b"), "between"),
    (re.compile(rf"\bbetween {_NUMBER} and {_NUMBER}\s?{_UNIT}\b"), "between"),
    # "120 minutes or more", "65 years and over", "2 hours or less", "5 years and under"
    (re.compile(rf"\b{_NUMBER}\s?{_UNIT} (?:or|and) (?:more|over|above|longer|later)\b"), "from"),
    (re.compile(rf"\b{_NUMBER}\s?{_UNIT} (?:or|and) (?:less|under|below|fewer)\b"), "upto"),
    # "over 65 years", "more than 2 hours", "under 5 years", "up to 2 hours", "less than 3 days"
    (re.compile(rf"\b(?:over|above|more than|at least) {_NUMBER}\s?{_UNIT}\b"), "from"),
    (re.compile(rf"\b(?:under|below|less than|up to|within) {_NUMBER}\s?{_UNIT}\b"), "upto"),
)


def _value(number: str) -> float:
    return float(number.replace(",", ""))


def _unit(word: str) -> str:
    terms = content_terms(word)
    return terms[0] if terms else word.lower()


def asked_figures(question: str) -> list[tuple[float, str]]:
    """The figures the question gives with their units: [(40.0, "minut")]."""
    return [
        (_value(n), _unit(u)) for n, u in _FIGURE.findall(question.lower()) if content_terms(u)
    ]


def band_width(figures: list[tuple[float, str]], sentence: str) -> float | None:
    """The width of the narrowest band the sentence sets out that holds one of the question's
    figures in its unit (infinite for "120 minutes or more"), or None when none does."""
    if not figures:
        return None
    text = sentence.lower()
    widths = []
    for pattern, shape in _BANDS:
        for found in pattern.findall(text):
            if shape == "between":
                low, high, unit = _value(found[0]), _value(found[1]), _unit(found[2])
            elif shape == "from":
                low, high, unit = _value(found[0]), math.inf, _unit(found[1])
            else:
                low, high, unit = -math.inf, _value(found[0]), _unit(found[1])
            if any(u == unit and low <= value <= high for value, u in figures):
                widths.append(high - low)
    return min(widths) if widths else None


def narrowest_bands(question: str, sentences: list[str]) -> list[bool]:
    """Which sentences set out the narrowest band holding the question's figure: the row for
    "60 to 119 minutes" for "75 minutes late", not the "15 minutes or more" that opens the
    page (which holds it too)."""
    figures = asked_figures(question)
    widths = [band_width(figures, s) for s in sentences]
    held = [w for w in widths if w is not None]
    if not held:
        return [False] * len(sentences)
    return [w is not None and w == min(held) for w in widths]
