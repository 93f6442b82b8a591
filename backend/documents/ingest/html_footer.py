"""What a web page's footer says of the place or business the page is about: its address,
telephone, opening hours ("Hours: Dinner: Tue–Thu 5–9 pm … Closed Mondays"), not its links,
forms, copyright or the site's small print. A page's footer is left out with the site's other
parts (`html_text`); these facts are read after the page's own text, under the footer's own
headings, as are those of a box named for contacting the business wherever it stands (a
sidebar's "contact-card": "Live chat: Monday to Friday, 8am to 6pm")."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

from backend.documents.ingest.headings import escape_marks
from backend.documents.ingest.html_landmarks import BLOCK_TAGS, SKIPPED_TAGS, VOID_TAGS, named

# Inside a footer, what says nothing of the place: what a browser shows nothing of, links
# (menus, social icons), forms (newsletter sign-ups), buttons and the like.
_SKIPPED = SKIPPED_TAGS | frozenset("a button form nav select label input textarea".split())
_HEADING = re.compile(r"h[1-6]")
# Lines that are the site's small print, not facts about the place.
_SMALL_PRINT = re.compile(
    r"©|\bcopyright\b|\ball rights reserved\b|\blast (?:edited|updated|modified)\b|"
    r"\bpowered by\b|\bwebsite by\b|\bsite by\b|\bcookies?\b|\bprivacy\b|\bterms\b",
    re.IGNORECASE,
)
_SEPARATORS = " \t·•|–—-"
_WORD = re.compile(r"[^\W\d_]{2,}")
_WORD_OR_FIGURE = re.compile(r"[^\W\d_]{2,}|\d{3}")
# Fewer words than this in all is no fact ("f", "Home").
MIN_FACT_WORDS = 3


class _FooterFacts(HTMLParser):
    """Collects the text of a page's footers (<footer>, role="contentinfo", or an element
    whose id or class names it a footer), leaving out what `_SKIPPED` names."""

    def __init__(self, opens: Callable[[str, list[tuple[str, str | None]]], bool]) -> None:
        super().__init__(convert_charrefs=True)
        self._opens = opens  # whether an element is one whose facts are read
        self.parts: list[str] = []
        self._footer_depth = 0  # elements open inside the outermost footer (0: none open)
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            if self._footer_depth and tag == "br":
                self.parts.append("\n")
            return
        if self._footer_depth == 0:
            if self._opens(tag, attrs):
                self._footer_depth = 1
                self.parts.append("\n\n")
            return
        self._footer_depth += 1
        if self._skip_depth or tag in _SKIPPED:
            self._skip_depth += 1
            return
        if _HEADING.fullmatch(tag):
            self.parts.append(f"\n\n{'#' * int(tag[1])}\x02 ")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or self._footer_depth == 0:
            return
        self._footer_depth -= 1
        if self._skip_depth:
            self._skip_depth -= 1
            return
        if _HEADING.fullmatch(tag):
            self.parts.append("\n\n")
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._footer_depth and not self._skip_depth:
            self.parts.append(" ".join(data.split()) if data.strip() else " ")


def _is_footer(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in ("html", "body", "main", "article"):
        return False  # a page's style ("footer-dark" on <body>) names no footer
    role = dict(attrs).get("role")
    return tag == "footer" or role == "contentinfo" or "footer" in named(attrs)[1]


def _is_contact(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """A box named for contacting the business ("contact-card", "contact-details")."""
    _, words = named(attrs)
    return tag not in ("html", "body", "main", "article", "form") and "contact" in words


def footer_facts(
    html: str, opens: Callable[[str, list[tuple[str, str | None]]], bool] = _is_footer
) -> str:
    """The facts a page's footers (or the elements `opens` names) give, a line each, under
    their own headings ("## Hours"), or "" when they give none."""
    parser = _FooterFacts(opens)
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # markup the parser gives up on
        return ""
    blocks: list[tuple[str | None, list[str]]] = []
    for raw in "".join(parser.parts).split("\n"):
        line = " ".join(raw.split()).strip(_SEPARATORS)
        if "\x02" in raw:
            heading = raw.replace("\x02", "").strip()
            blocks.append((heading if _WORD.search(heading) else None, []))
            continue
        if not _WORD_OR_FIGURE.search(line) or _SMALL_PRINT.search(line):
            continue
        if not blocks:
            blocks.append((None, []))
        blocks[-1][1].append(escape_marks(line))
    kept = [(heading, lines) for heading, lines in blocks if lines]
    words = sum(len(_WORD.findall(line)) for _, lines in kept for line in lines)
    if words < MIN_FACT_WORDS:
        return ""
    out = []
    for title, lines in kept:
        if title:
            out.append(title)
        out.append("\n".join(lines))
    return "\n\n".join(out)


def with_footer(text: str, html: str) -> str:
    """The page's text, then what its footer and its boxes for contacting the business say
    of the place (`footer_facts`), each unless the text holds it already (read as the page's
    own)."""
    for facts in (footer_facts(html), footer_facts(html, _is_contact)):
        if facts and facts.split("\n", 1)[0].lstrip("#").strip() not in text:
            text = f"{text.rstrip()}\n\n{facts}"
    return text
