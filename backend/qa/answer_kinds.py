"""What kind of answer a question asks for, when its words say so plainly, and whether a text
gives one: "How much does the Aurora K2 cost?" asks for an amount of money, "How many gardens
took part?" for a figure, "What year was the museum founded?" for a year, "What date is the
fair?" for a date, "What time does the café open?" for a time of day. An answer that gives
nothing of the kind ("The Aurora K2 has a 15-bar pump.") names what was asked about without
saying what was asked: the evidence for it is weaker, however many of the question's words it
shares (`answering` lowers it).

Only the plain cases are read: "When …?" may be answered by "after the war", and "What is …?"
by anything, so they ask for no kind unless they name it ("What is the unit price …?", "What
year …?", "What date …?", "What time …?").
"""

from __future__ import annotations

import re
from enum import Enum


class Kind(Enum):
    MONEY = "an amount of money"
    FIGURE = "a figure"
    YEAR = "a year"
    DATE = "a date"
    TIME = "a time of day"
    PHONE = "a telephone number"


_MONEY = r"(?:cost|price|fee|fare|premium|rent|charge|salary|wage|deposit|fine|tuition)s?"
# "How much does it cost to join?", "How much will I pay?"
_HOW_MUCH_PAY = re.compile(
    rf"\bhow much\b.*\b(?:pay|paid|spend|spent|charged|costing|{_MONEY})\b"
)
# "How much is a coffee?", "How much are the tickets?" (a thing, not "How much protein is …")
_HOW_MUCH_IS = re.compile(
    r"\bhow much (?:is|are|was|were|will be|would be) (?:a|an|the|one|each|my|your|it|"
    r"they|this|that|these|those)\b"
)
# "What is the unit price of …?", "What's the annual premium?"
_WHAT_PRICE = re.compile(
    rf"\bwhat(?:'s| is| are| was| were| will be) (?:the |a |an |its |their |my |your )?"
    rf"(?:[\w-]+ ){{0,3}}{_MONEY}\b"
)
_FIGURE_ASKS = re.compile(
    # Not "how far" nor "how big": "a short walk" and "roomy" answer them.
    r"\b(?:how (?:many|old|tall|high|heavy|wide|deep|long|often)|"
    r"what (?:percentage|percent|proportion|number|amount|size|temperature)|"
    r"which (?:percentage|number))\b|"
    r"\bwhat(?:'s| is| are| was| were) (?:the )?(?:[\w-]+ ){0,2}"
    r"(?:number|amount|percentage|proportion|share) of\b|"
    # "How much protein is in one slice?", not "How much did the war change the town?"
    r"\bhow much (?!did\b|does\b|do\b|has\b|have\b|had\b|was\b|were\b|would\b|could\b)"
)
_YEAR_ASKS = re.compile(r"\b(?:what|which|in what|in which) year\b")
# "What date is the fair?", "On which day do the bins go out?", "What dates is it held on?"
_DATE_ASKS = re.compile(r"\b(?:what|which) (?:dates?|days?)\b(?! of (?:the )?(?:year|month)s?\b)")
# The time of day something does or will happen ("What time does the café open?"), not an
# age or era ("What time period …?", "During what time did …?").
_TIME_ASKS = re.compile(
    r"(?<!during )(?<!in )\b(?:what|which) time (?:does|do|is|are|will|should|can|must|would)\b"
)
# "What's the phone number for the surgery?", "What number do I call to book a repair?"
_PHONE_ASKS = re.compile(
    r"\b(?:what|which)(?:'s| is| are| was| were)? (?:the |your |their |a |an |its |his |her )?"
    r"(?:[\w'&-]+ ){0,4}(?:phone|telephone|contact|mobile|helpline|hotline|emergency|fax|"
    r"landline|tel\.?) numbers?\b|"
    r"\b(?:what|which) numbers? (?:do|should|can|could|would|must|shall) (?:i|we|you|they) "
    r"(?:call|ring|phone|telephone|dial|text)\b"
)
# A telephone number: six digits or more, apart only by spaces, dashes, dots or brackets
# ("01668 000 310", "(828) 555-0193", "+44 20 7946 0958"), or a national line's three ("999",
# "105" for a power cut).
_PHONE = re.compile(r"\+?\(?\d(?:[\s().-]{0,2}\d){5,}|\b(?:999|911|112|111|101|105)\b")
# A figure asked for may be a span of time in words ("How long …?": "since the war", "How
# much notice …?": "a week"); "How many …?" asks for a count.
_HOW_MANY = re.compile(r"\bhow many\b")

_CURRENCY = re.compile(
    r"[$£€¥₹₩₽]|\b(?:usd|gbp|eur|chf|jpy|aud|cad|nzd|sek|nok|dkk)\b|"
    r"\b(?:pounds?|pence|dollars?|cents?|euros?|yen|francs?|rupees?|marks?|shillings?|"
    r"guineas?|crowns?|kronor|krona|lire|lira|pesos?)\b|"
    r"\b\d+(?:[.,]\d+)?(?:p|bn)\b|\b\d+(?:[.,]\d+)? bn\b|"
    r"\b(?:free|no charge|no cost|nothing|complimentary|included)\b|"
    # a share of an amount: "it covers 90% of the claim", "half the fare"
    r"%|\b(?:percent|per cent|half|quarter|third)\b"
)
# An amount in a currency written by its code ("18 SKM", "CHF 40"), in the text's own case.
_CURRENCY_CODE = re.compile(r"\b\d[\d.,]*\s?[A-Z]{3}\b|\b[A-Z]{3}\s?\d")
_NUMBER_WORDS = (
    r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|score|"
    r"half|halves|third|thirds|quarters?|twice|thrice|once|single|double|triple|couple|"
    r"handful|few|several|none|majority|minority"
)
# A figure: digits, a vulgar fraction ("½ tsp"), a share, or a number in words.
_FIGURE = re.compile(rf"\d|[\u00bc-\u00be\u2150-\u215e]|%|\b(?:{_NUMBER_WORDS}|percent|per cent)\b")
_SPAN_WORDS = re.compile(
    r"\b(?:seconds?|minutes?|hours?|days?|nights?|weeks?|fortnights?|months?|years?|decades?|"
    r"centuries|century|daily|weekly|monthly|yearly|annually|hourly|overnight|"
    r"always|never|usually|often|rarely|seldom|until|since|season|term|lifetime|ever|every|"
    r"biennial|biennially|biannual|annual|perennial)\b"
)
# A year of the last millennium or this one ("1759", "the 1990s"), or one named by its era.
_YEAR = re.compile(r"\b(?:1\d{3}|2[01]\d{2})s?\b|\b\d+\s?(?:bc|bce|ad|ce)\b|\bcentur(?:y|ies)\b")
_TIME = re.compile(
    r"\d{1,2}[:.]\d{2}|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.|o'clock|h)\b|"
    r"\b(?:noon|midday|midnight|dawn|dusk|sunrise|sunset|morning|afternoon|evening|night|"
    r"lunchtime|teatime|half past|quarter (?:past|to))\b|"
    # a time told by another: "45 minutes before closing", "after the last show"
    r"\b(?:minutes?|mins?|hours?|hrs?)\s+(?:before|after)\b|"
    r"\b(?:before|after|until|from)\s+(?:the\s+)?(?:closing|opening|close|dark|lunch|dinner|"
    r"breakfast|school|work|the last|the first)\b"
)


_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|june?|july?|aug(?:ust)?|"
    r"sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# A day, a month or a year: "17 October", "Thursday", "17/10/2024", "2024-10-17", "May 3rd",
# "the first Tuesday of the month", "tomorrow", "Easter".
_DATE = re.compile(
    rf"\b(?:{_MONTHS})\b|\b\d{{1,2}}(?:st|nd|rd|th)? may\b|\bmay \d|"
    r"\b(?:mon|tues|wednes|thurs|fri|satur|sun)days?\b|"
    r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\b|\b\d{1,2}(?:st|nd|rd|th)\b|"
    r"\b(?:today|tomorrow|yesterday|tonight|weekends?|weekdays?|christmas|easter|"
    r"new year|bank holidays?|daily|every day|all week)\b"
)


def lacking(kind: str) -> str:
    """What a refusal tells the asker the passages lack, for the kind `Answer.ungiven` names:
    "an amount of money" -> "The passages closest to your question give no amount of money."."""
    article, _, rest = kind.partition(" ")
    named = rest if article in ("a", "an") and rest else kind
    return f"The passages closest to your question give no {named}."


# "How much storage …?", "How much water …?": an amount of a thing, asked as a figure whatever
# the rest says ("… on the Premium plan"); "How much rent …?" and "How much money …?" ask for
# money, and "How much is …?", "How much does …?" are read by the patterns below.
_HOW_MUCH_OF = re.compile(
    r"\bhow much (?!(?:is|are|was|were|will|would|do|does|did|has|have|had|can|could|should|"
    r"must|may|might|it|they|we|i|you|he|she|to|of|more|less|longer|better|money|cash|"
    rf"{_MONEY})\b)[a-z]+\b"
)


def asked_kind(question: str) -> Kind | None:
    """The kind of answer the question's words ask for, or None when they do not say. The
    words must be the question's own ask, not a clause inside it: "How was it decided how
    many seats each party got?" asks how, not how many."""
    text = " ".join(question.lower().split())
    opens = _QUESTION_WORD.search(text)
    limit = opens.start() if opens else len(text)
    thing = _HOW_MUCH_OF.search(text)
    if thing and thing.start() <= limit:
        return Kind.FIGURE
    for pattern, kind in _ASKS:
        found = pattern.search(text)
        if found and found.start() <= limit:
            return kind
    return None


_QUESTION_WORD = re.compile(r"\b(?:who|whom|whose|what|when|where|why|which|how)\b")
_ASKS = (
    (_PHONE_ASKS, Kind.PHONE),
    (_HOW_MUCH_PAY, Kind.MONEY),
    (_WHAT_PRICE, Kind.MONEY),
    (_HOW_MUCH_IS, Kind.MONEY),
    (_YEAR_ASKS, Kind.YEAR),
    (_DATE_ASKS, Kind.DATE),
    (_TIME_ASKS, Kind.TIME),
    (_FIGURE_ASKS, Kind.FIGURE),
)


def gives(text: str, kind: Kind, question: str = "") -> bool:
    """Whether the text gives an answer of the kind: a figure, an amount, a year or a time
    (a figure the question itself holds does not count: "How many gardens took part in the
    2022 survey?" is not answered by "the 2022 survey")."""
    lowered = text.lower()
    asked = question.lower()
    for figure in re.findall(r"\d+(?:[.,]\d+)*", asked):
        lowered = lowered.replace(figure, " ")
    if kind is Kind.MONEY:
        return bool(_CURRENCY.search(lowered) or _CURRENCY_CODE.search(text))
    if kind is Kind.YEAR:
        return bool(_YEAR.search(lowered))
    if kind is Kind.DATE:
        return bool(_DATE.search(lowered))
    if kind is Kind.TIME:
        return bool(_TIME.search(lowered))
    if kind is Kind.PHONE:
        return bool(_PHONE.search(lowered))
    if not _HOW_MANY.search(asked) and _SPAN_WORDS.search(lowered):
        return True  # "How much notice do I need?": "a week"
    return bool(_FIGURE.search(lowered))
