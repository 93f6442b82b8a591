"""Where a web page's own content is: its <title>, its <main> (role="main") or its one
<article> (with the header above it that holds its first-level heading, when it holds none),
apart from the site's banner, menus, sidebars and footer; and its title once, when its first
heading repeats it."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())
# Elements that set their text in a bold face.
BOLD_TAGS = frozenset({"b", "strong"})
# Elements that stand as blocks of their own: a paragraph break before and after.
BLOCK_TAGS = frozenset(
    """address article aside blockquote caption dd details dialog div dl dt fieldset figcaption
    figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table
    tbody tfoot thead title tr ul""".split()
)


# What a browser shows nothing of.
SKIPPED_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "math", "iframe", "object", "canvas"}
)
# The parts of a page that are the site's rather than the document's (`site_part`): landmark
# roles, and words of an element's id or class (a forum post's signature and the box of its
# writer's rank, posts and joining date, repeated beside every post of theirs, are the
# writer's, not the post's).
_SITE_ROLES = frozenset({"navigation", "banner", "contentinfo", "search"})
_SITE_NAMES = frozenset(
    "nav navbar navigation sidebar footer breadcrumb breadcrumbs cookie cookies toc signature"
    " postprofile userinfo".split()
)
_NAME_WORDS = re.compile(r"[\s_-]+")
# A page's buttons for sharing it ("share-bar", "social-links", "sharing"), not a "market-share"
# table.
_SHARING = re.compile(
    r"\b(?:share[\s_-]?(?:bar|buttons?|links?|tools?|icons?|this)|social[\s_-]?"
    r"(?:share|shares|links?|icons?|buttons?|media)|sharing)\b"
)


def named(attrs: list[tuple[str, str | None]]) -> tuple[str, set[str]]:
    """An element's id and class as written (lower case) and as words ("site-footer": "site",
    "footer")."""
    values = dict(attrs)
    names = f"{values.get('id') or ''} {values.get('class') or ''}".lower()
    return names, set(_NAME_WORDS.split(names))


def site_part(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    """A part of the page named as the site's by its role, id or class (not a menu)."""
    if not attrs or tag == "nav":
        return False
    role = dict(attrs).get("role")
    if role == "navigation":
        return False
    names, words = named(attrs)
    return role in _SITE_ROLES or bool(_SITE_NAMES & words) or _SHARING.search(names) is not None


class _Landmarks(HTMLParser):
    """Where the page's <title>, <main> (role="main") and top-level <article>s are in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.spans: dict[str, list[list[int]]] = {
            "title": [],
            "main": [],
            "article": [],
            "header": [],
        }
        self._open: list[tuple[str, str]] = []  # (tag, landmark) of the elements open
        self._lines = [0]
        self._html = ""
        # How many elements of each tag (and landmark) are open: a stray end tag is told at
        # once, not by a walk down the open elements.
        self._open_count: Counter[str] = Counter()

    def feed_all(self, html: str) -> None:
        self._html = html
        for line in html.splitlines(keepends=True):
            self._lines.append(self._lines[-1] + len(line))
        self.feed(html)
        self.close()

    def _at(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID_TAGS:
            return
        landmark = "main" if dict(attrs).get("role") == "main" else tag
        if landmark == "article" and self._open_count["article"]:
            landmark = ""  # an article inside another is part of it
        if landmark in self.spans:
            self.spans[landmark].append([self._at(), -1])
        self._open.append((tag, landmark))
        self._open_count[tag] += 1
        self._open_count[landmark] += landmark != tag

    def handle_endtag(self, tag: str) -> None:
        if not self._open_count[tag]:
            return  # closes nothing open: a stray end tag
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                landmark = self._open[depth][1]
                for name, mark in self._open[depth:]:
                    self._open_count[name] -= 1
                    self._open_count[mark] -= mark != name
                del self._open[depth:]
                if landmark in self.spans and self.spans[landmark][-1][1] < 0:
                    # Up to the end of its end tag.
                    at = self._at()
                    self.spans[landmark][-1][1] = self._html.find(">", at) + 1 or len(self._html)
                return


def main_content(html: str) -> str | None:
    """The page's title and main content (its <main>, else its one <article>), or None."""
    if not _MAY_NAME_CONTENT.search(html):
        return None  # no landmark to look for: the page is not parsed twice
    marks = _Landmarks()
    try:
        marks.feed_all(html)
    except (AssertionError, ValueError):  # markup the parser gives up on: read it whole
        return None
    # An element left open runs to the end of the page.
    found = {
        name: [(a, b if b > a else len(html)) for a, b in spans]
        for name, spans in marks.spans.items()
    }
    content = found["main"][:1] or (found["article"] if len(found["article"]) == 1 else [])
    if not content:
        return None
    return "".join(html[a:b] for a, b in found["title"][:1] + _title_block(html, found) + content)


_H1 = re.compile(r"<h1\b", re.IGNORECASE)


def _title_block(html: str, found: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """The page's own title block when its content holds no first-level heading: a <header>
    before the content that holds the <h1> (a hero: "Northern Data Day 2024" over "Thursday 17
    October 2024 · The Engine Works"), not the site's banner, which heads no content."""
    main = (found["main"] or found["article"])[0]
    if _H1.search(html, main[0], main[1]):
        return []
    return [(a, b) for a, b in found["header"] if b <= main[0] and _H1.search(html, a, b)][:1]


_MAY_NAME_CONTENT = re.compile(r"<(?:main|article)\b|role\s*=\s*[\"']?main\b", re.IGNORECASE)


# What separates a page's title from its site's name: "Lake Orvel - Wikipedia".
_SITE_NAME = re.compile(r"\s+[-\u2013\u2014|:\u00b7]\s+")


def without_repeated_title(text: str) -> str:
    """The page's title once, when its first heading repeats it (<title> and <h1> alike), or
    repeats it less the site's name ("Lake Orvel - Wikipedia" over "Lake Orvel", "Senior Data
    Engineer – Logistics | Careers at Brightline" over "Senior Data Engineer – Logistics")."""
    first, _, rest = text.lstrip().partition("\n\n")
    following = rest.lstrip()
    heading = following.split("\n", 1)[0]
    shorter = [first[: m.start()] for m in _SITE_NAME.finditer(first)]
    if first.startswith("# ") and heading in (first, *shorter):
        return following
    return text
