"""The term a question asks to be told ("Who is the contractor?" -> "contractor", "When is the
next meeting?" -> "next meeting") and the sentences that define it as contracts, forms and
letters do: a name with the term in brackets, the term said to mean something, the term as a
line's label, or a name signing with it as its role (`answering` weighs them up)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from backend.documents.ingest.sentences import brackets_closed
from backend.qa.answer_gives import tells_when
from backend.retrieval.lexical import content_terms

ASKED_TERM = re.compile(
    r"^\s*(?:(?:who|what)(?:\s+(?:is|are|was|were)\s+|['\u2019]s\s+)"
    # "When is the next meeting?": when a thing is, told by its label ("Next meeting: …").
    r"|when(?:\s+(?:is|are)\s+|['\u2019]s\s+))"
    r"(?:the\s+|an?\s+|our\s+|my\s+|your\s+)?(?P<term>[^?]{1,60}?)\s*\?*\s*$",
    re.IGNORECASE,
)
_QUOTE = "[\"'\u201c\u201d\u2018\u2019]?"


# Where the noun a question asks about ends and what says which one begins.
_NOUN_ENDS = re.compile(r"\s+(?:of|that|who|which|whose|for|in|at|on|with)\s+", re.IGNORECASE)


def asked_term(question: str) -> str | None:
    """The term a question asks to be told ("Who is the contractor?" -> "contractor"), or
    None; a term of one to four words, or of a longer one the words before what says which
    ("Who is the chair of the residents' association?" -> "chair")."""
    match = ASKED_TERM.match(question)
    term = match.group("term").strip() if match else ""
    if len(term.split()) > 4:
        # "Who is the chair of the residents' association?" asks for the chair, "Who was the
        # engineer that did the service?" for the engineer.
        term = _NOUN_ENDS.split(term, maxsplit=1)[0]
    return term if term and len(term.split()) <= 4 else None


def defines(sentence: str, term: str) -> bool:
    """Whether the sentence defines the term as contracts and reports do: a name followed by
    it in brackets ("Brightwater Cleaning Ltd (the "Contractor")", "Maria Jensen (the
    Tenant)", "(hereinafter "the Client")"), or the term said to mean something ("
    "Contractor" means Brightwater Cleaning Ltd."), or as a form, a booking or a table's row
    gives it: the term as a label, its value after the colon ("Booking reference: K7QZ4M;
    Booking date: …", "Weight: 8.2 kg."), or as a letter signs off: a name, then the term as
    its role ("– Bernadette Quinlan, Chair")."""
    name = re.escape(term)
    bracketed = re.compile(
        rf"\(\s*(?:hereinafter\s+|hereafter\s+|together\s+)?(?:(?:called|referred\s+to\s+as)\s+)?"
        rf"{_QUOTE}(?:the\s+)?{_QUOTE}{name}{_QUOTE}\s*\)",
        re.IGNORECASE,
    )
    meaning = re.compile(
        rf"^\W*(?:the\s+)?{_QUOTE}{name}{_QUOTE}\s+(?:means|refers\s+to|is\s+defined\s+as)\b",
        re.IGNORECASE,
    )
    label = re.compile(rf"(?:^|;\s)\W*(?:the\s+)?{name}:\s+\S", re.IGNORECASE)
    return bool(
        bracketed.search(sentence)
        or meaning.search(sentence)
        or label.search(sentence)
        or _labelled_within(sentence, term)
        or re.match(rf"{_SIGNED}(?i:(?:the\s+)?{name})\W*$", sentence)
    )


# A line's label, or a table row's cell's ("Our reference: MMP/RM/0312", "- Next meeting:
# Thursday …", "Role: Instructor; …; Office hours: Mondays 2:00–4:00 p.m.").
_LABELS = re.compile(r"(?:^|;\s)\W*([^:;.?!]{1,40}):\s+\S")


def _labelled_within(sentence: str, term: str) -> bool:
    """Whether the sentence, a labelled line or a table's row, gives a value under a label of
    some of the words of a term of two words or more and no other: "Our reference: …" gives
    the "reference number", "Next meeting: …" the "next book club meeting", "Office hours: …"
    the "instructor's Monday office hours"."""
    asked = set(content_terms(term))
    opening = _LABELS.match(sentence)
    if len(asked) < 2 or opening is None or not brackets_closed(opening.group(1)):
        return False  # a sentence that opens with no label ("The Normans (Norman: …; Latin: …)")
    labels = [label for label in _LABELS.findall(sentence) if brackets_closed(label)]
    # A table's row names its every cell by its column ("Pos: 3; Rider: …; Time: 23:08."): a
    # column's label of one word names every row alike, and gives nothing.
    least = 1 if len(labels) == 1 else 2
    return any(
        len(words := set(content_terms(label))) >= least and words <= asked for label in labels
    )


_WORD = re.compile(r"[^\W_]+")
_QUOTED_KEY = re.compile(r"[\"\u201c\u201d]\s*:")

# A sentence that defines the term the question asks about ("Who is the contractor?" over
# "... Brightwater Cleaning Ltd (the "Contractor") ...") gains this much: the other sentences
# that use the term only name it.
DEFINITION_WEIGHT = 1.0
# A labelled line whose label the question says ("Reports to: …" for "Who does this post
# report to?") gains this much, where no sentence defines the term asked about.
SAID_LABEL_WEIGHT = 1.0


def asked_for(question: str, sentences: Sequence[str]) -> list[float]:
    """What each sentence gains for telling what the question asks to be told: defining its
    term (`defines`), or, where none does, being a line whose label the question says
    (`says_label`) and, asked when, saying when."""
    term = asked_term(question)
    defined = [term is not None and defines(sentence, term) for sentence in sentences]
    if any(defined):
        return [DEFINITION_WEIGHT * d for d in defined]
    says = _label_said(question)
    return [
        SAID_LABEL_WEIGHT * (says(sentence) and tells_when(sentence, question))
        for sentence in sentences
    ]


def _stems(words: list[str]) -> list[str]:
    """The words as terms, a stop word as itself ("reports to" -> ["report", "to"])."""
    return [(content_terms(word) or [word])[0] for word in words]


def says_label(sentence: str, question: str) -> bool:
    """Whether the sentence is a labelled line whose label the question says (`_label_said`)."""
    return _label_said(question)(sentence)


def _label_said(question: str) -> Callable[[str], bool]:
    """Whether a sentence is a labelled line (one label, not a table's row, whose columns name
    every row alike) whose label the question says word for word: "Reports to: …" for "Who
    does this post report to?", "Hours: …" for "How many hours a week is the job?"."""
    # A label the question says as a name ("GWEN:" for "How long has Gwen been keeping
    # bees?", a book's title before its subtitle) is who speaks or what is named, not what
    # is asked; an acronym written in capitals ("VAT") is no name.
    named = {
        word.lower()
        for word in _WORD.findall(question)[1:]
        if word[0].isupper() and not word.isupper()
    }
    words = _WORD.findall(question.lower())
    asked = _stems(words)

    def says(sentence: str) -> bool:
        opening = _LABELS.match(sentence)
        if opening is None or not brackets_closed(label := opening.group(1)):
            return False
        if len(_LABELS.findall(sentence)) > 1 or not content_terms(label):
            return False
        if _QUOTED_KEY.search(opening.group()):
            return False  # a key of code's data ('"name": "Bristol",'), not a line's label
        if any(word.lower() in named for word in _WORD.findall(label)):
            return False
        # Said whole, not as a word qualifying the next ("textbook" in "Which textbook
        # chapter …?", "rent" in "… is the rent due?"): what follows it is a small word.
        said = _stems(_WORD.findall(label.lower()))
        return any(
            asked[i : i + len(said)] == said
            and (i + len(said) == len(words) or not content_terms(words[i + len(said)]))
            for i in range(len(asked) - len(said) + 1)
        )

    return says


# A name signing with its role after a comma ("– Bernadette Quinlan, Chair", "Dr Amal Reid,
# Head of Science"): one to four capitalised words, a title before them or not.
_SIGNED = (
    r"\W*(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+)?"
    r"[A-Z][\w'\u2019.-]*(?:\s+[A-Z][\w'\u2019.-]*){0,3},\s+"
)
