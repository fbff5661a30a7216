"""Figures: numbers, money and counts as an officer would write them, and when two are equal.

One place, so the rule explanations, the text report, the heads of terms and the value-set
listing agree on how a figure looks, and scenario tests and reproductions on when two
figures are the same.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

MISSING = "—"  # a figure that does not exist (e.g. no required quantity), not zero


# A number once the £ sign and digit-group separators are gone: ASCII digits only, since
# float() also takes '٣', '1_000' and 'nan', which are typing accidents or probes here.
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
# Commas and spaces (also no-break and narrow no-break) between digits group thousands.
_GROUP_SEPARATOR = re.compile(r"(?<=[0-9])[, \u00a0\u202f](?=[0-9])")
MAX_NUMBER_TEXT = 100  # characters; longer text is not a figure anyone typed


def parse_number(text: str) -> float | None:
    """A number as people and spreadsheets write it: "1,000", "£2,000.50", " 12 ",
    "45 000 000", "1e3"; else None.

    The one parser for typed-in figures (the applicant's forms, commitments CSV, value-set
    CSV), so all accept the same forms. NaN and infinities are None: they are never a
    quantity or a price.
    """
    if not isinstance(text, str) or len(text) > MAX_NUMBER_TEXT:
        return None
    cleaned = text.strip()
    sign = ""
    if cleaned[:1] in "+-" and cleaned[1:2] == "£":  # "-£5"
        sign, cleaned = cleaned[:1], cleaned[1:]
    cleaned = sign + cleaned.removeprefix("£").strip()
    cleaned = _GROUP_SEPARATOR.sub("", cleaned)
    if not _NUMBER_TEXT.fullmatch(cleaned):
        return None
    value = float(cleaned)
    return value if math.isfinite(value) else None


def format_gbp(value: float | None) -> str:
    """£45,000 for sums; pence only below £100, where they matter (£18.64 an hour)."""
    if value is None:
        return MISSING
    if abs(value) >= 100 or float(value).is_integer():
        return f"£{value:,.0f}"
    return f"£{value:,.2f}"


def format_gbp_exact(value: float) -> str:
    """£50,946.43: a sum owed, to the penny (an uprated payment)."""
    return f"£{value:,.2f}"


def format_number(value: Any, unit: str | None = None) -> str:
    """45,000,000; 2.5; 0.001; '2.5 fte years', '1 fte year'; money when `unit` is 'gbp'."""
    if value is None:
        return MISSING
    if unit == "gbp" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_gbp(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        text = str(value)
    elif float(value).is_integer():
        text = f"{int(value):,}"
    elif abs(value) < 1:
        # Rates such as 0.001 of build cost must not print as 0.
        text = f"{value:.6g}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit is None:
        return text
    words = unit.replace("_", " ")
    if value == 1 and words.endswith("s"):
        # Every plural unit in measures.yaml and the rule packs is a noun + "s" (placements,
        # fte years, commitments), so one of them reads "1 placement", not "1 placements".
        words = words[:-1]
    return f"{text} {words}"


def same_figure(a: Any, b: Any) -> bool:
    """Equal, with numbers compared within a tolerance.

    Figures go through JSON and float arithmetic, so 0.1 + 0.2 against 0.3 is no change.
    True is not the number 1 here: a status flag never equals a quantity.
    """
    if _is_number(a) and _is_number(b):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)
    return bool(a == b)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """'1 council', '3 councils'."""
    return f"{count:,} {noun if count == 1 else plural_noun or noun + 's'}"


_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (
        dt.date(2000, number, 1).strftime("%B").lower(),
        dt.date(2000, number, 1).strftime("%b").lower(),
    )
}


def day_fields(text: str) -> tuple[int, int, int] | None:
    """(year, month, day) of a date as people type it: 2026-03-31 (or 2026-3-31), 31/3/2026,
    31 3 2026 or 31 March 2026; None when the text has no date's shape (two-digit years,
    an unknown month name). The calendar is not checked (31/2/2026 gives (2026, 2, 31)), so
    a caller can tell "not a date" from "not a day on the calendar"; `parse_day` checks it."""
    raw = text.strip()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", raw)
    if iso:
        return int(iso[1]), int(iso[2]), int(iso[3])
    parts = re.split(r"[\s/.-]+", raw)
    # isdecimal, not isdigit: int() refuses superscripts such as '²', which isdigit accepts.
    if len(parts) != 3 or not (parts[0].isdecimal() and parts[2].isdecimal()):
        return None
    try:
        month = int(parts[1]) if parts[1].isdecimal() else _MONTHS.get(parts[1].lower())
        if month is None or len(parts[2]) != 4:
            return None
        return int(parts[2]), month, int(parts[0])
    except ValueError:  # thousands of digits: more than int() reads
        return None


def parse_day(text: str) -> dt.date | None:
    """A date as people type it (see `day_fields`); None when it is not a date on the
    calendar (31 February, month 13, two-digit years)."""
    fields = day_fields(text)
    if fields is None:
        return None
    try:
        return dt.date(*fields)
    except (ValueError, OverflowError):  # a day of 10**20 overflows rather than mis-dates
        return None


def format_date(value: dt.date | dt.datetime | str | None, *, time: bool = False) -> str:
    """'29 November 2026' (GOV.UK style: no leading zero, month in full); with `time`,
    '29 November 2026 at 2:05pm'. ISO strings are read; None or an unreadable string is
    returned as MISSING or unchanged rather than raising, since pages print stored values.

    Datetimes are printed as stored (UTC in this service): the reader's local time would
    need the council's time zone, which the service does not record.
    """
    if value is None or value == "":
        return MISSING
    if isinstance(value, str):
        try:
            value = (
                dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
            )
        except ValueError:
            return value
    text = f"{value.day} {value:%B %Y}"
    if time and isinstance(value, dt.datetime):
        if (value.hour, value.minute) == (12, 0):
            return f"{text} at midday"
        if (value.hour, value.minute) == (0, 0):
            return f"{text} at midnight"
        hour = value.hour % 12 or 12
        text += f" at {hour}:{value.minute:02d}{'am' if value.hour < 12 else 'pm'}"
    return text


# --- quantities with their units, whole or apportioned (public pages, issue 12) -----------

# Units measured in fractions (FTE-years of work, tonnes): a share keeps one decimal place.
# Every other unit counts whole things (placements, starts, people, hours, sqm …): a share of
# them is rounded to a whole number, because "1.08 placements" cannot happen.
FRACTIONAL_UNITS = frozenset({"fte_years", "tco2e", "tonnes"})
# Units that cannot be divided between wards (one plan document, a % of the workforce, a
# described commitment): a borough-wide one applies to every ward whole.
UNDIVIDED_UNITS = frozenset({"document", "text", "percent"})
_IRREGULAR_SINGULAR = {"people": "person"}


_ISO_DATE_IN_TEXT = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def dates_in_words(text: str | None) -> str:
    """Running text with its ISO dates written out: '(from 2025-04-30, ...)' becomes
    '(from 30 April 2025, ...)'. For stored text (rule explanations) written before pages
    printed dates in words; a string that is not a real date is left as it is."""

    def words(match: re.Match[str]) -> str:
        try:
            day = dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return match[0]
        return format_date(day)

    return _ISO_DATE_IN_TEXT.sub(words, text or "")


def singular_label(label: str) -> str:
    """A unit label for exactly one: 'placements of at least 2 weeks' -> 'placement of at
    least 2 weeks', 'apprenticeship starts' -> 'apprenticeship start', 'people employed' ->
    'person employed', 'FTE-years' -> 'FTE-year'. Only the first plural word changes."""
    words = label.split(" ")
    for index, word in enumerate(words):
        if word in _IRREGULAR_SINGULAR:
            words[index] = _IRREGULAR_SINGULAR[word]
            break
        plural_word = len(word) > 2 and word.endswith("s") and not word.endswith("ss")
        if plural_word and word.isascii() and not any(ch.isdigit() for ch in word):
            words[index] = word[:-1]
            break
    return " ".join(words)


def format_quantity(value: float | None, unit: str, unit_label: str) -> str:
    """A promised quantity with its unit, as a resident would read it: '£2,000,000 spent'
    (money in £, the label's '£' dropped), '20 placements of at least 2 weeks',
    '1 apprenticeship start', '3.5 FTE-years'."""
    if value is None:
        return MISSING
    if unit == "gbp":
        rest = unit_label.replace("£", "").strip()
        return f"{format_gbp(value)} {rest}".rstrip()
    if unit == "text":
        return "described in words"
    number = format_number(value)
    label = singular_label(unit_label) if value == 1 else unit_label
    return f"{number} {label}"


def round_share(value: float, unit: str) -> float:
    """An apportioned quantity rounded as it is shown: whole things to a whole number,
    fractional units to one decimal place, money to the pound."""
    if unit in FRACTIONAL_UNITS:
        return round(value, 1)
    return float(round(value))


def format_share(value: float | None, unit: str, unit_label: str) -> str:
    """A ward's share of a quantity: 'about 1 placement of at least 2 weeks' (1.08),
    'less than 1 apprenticeship start' (0.3), '£105,394 spent', 'about 0.4 FTE-years'.

    'about' marks a figure that was rounded; an exact whole share prints as it is.
    """
    if value is None:
        return MISSING
    if unit in UNDIVIDED_UNITS:
        return "applies to the whole borough (not divided)"
    if unit == "gbp":
        return format_quantity(round(value), unit, unit_label)
    if value == 0:
        return format_quantity(0, unit, unit_label)
    smallest = 0.1 if unit in FRACTIONAL_UNITS else 1.0
    shown = round_share(value, unit)
    if shown < smallest:
        label = singular_label(unit_label) if smallest == 1 else unit_label
        return f"less than {format_number(smallest)} {label}"
    text = format_quantity(shown, unit, unit_label)
    return text if math.isclose(shown, value, abs_tol=1e-9) else f"about {text}"


# Units as a reader writes them: (one, many). Codes are the measures catalogue's and the rule
# packs' unit codes; a code not here reads as its words ("fte years" never: it is listed).
UNIT_NOUNS: dict[str, tuple[str, str]] = {
    "sqm": ("m²", "m²"),
    "sqm_years": ("m²-year", "m²-years"),
    "fte_years": ("FTE-year", "FTE-years"),
    "people": ("person", "people"),
    "starts": ("start", "starts"),
    "placements": ("placement", "placements"),
    "weeks": ("week", "weeks"),
    "hours": ("hour", "hours"),
    "attendee_hours": ("attendee-hour", "attendee-hours"),
    "visits": ("visit", "visits"),
    "document": ("document", "documents"),
    "commitments": ("commitment", "commitments"),
    "tco2e": ("tonne CO2e", "tonnes CO2e"),
    "tonnes": ("tonne", "tonnes"),
    "years": ("year", "years"),
}
# Nouns whose article is not what their first letter suggests ("an FTE-year", "a unit").
_AN_EXCEPTIONS = ("hour", "honest", "heir", "fte", "m²", "s1")
_A_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "once")


def article(noun_phrase: str) -> str:
    """'an apprenticeship delivery plan', 'a work placement delivery plan', 'an hour'."""
    lowered = noun_phrase.strip().casefold()
    if lowered.startswith(_AN_EXCEPTIONS):
        word = "an"
    elif lowered.startswith(_A_EXCEPTIONS):
        word = "a"
    else:
        word = "an" if lowered[:1] in ("a", "e", "i", "o", "u") else "a"
    return f"{word} {noun_phrase.strip()}"


def noun_for(count: float, singular: str, plural_noun: str | None = None) -> str:
    """The noun alone, singular for exactly 1: 'placement' / 'placements'."""
    return singular if count == 1 else (plural_noun or singular + "s")


def format_in_unit(value: Any, unit: str | None) -> str:
    """A figure in a rule's or measure's unit code as a reader writes it: '£38,000', '800 m²',
    '1 commitment', '25 FTE-years', '40%'. For the heads of terms and committee report, where
    the unit is a code (format_quantity takes the catalogue's label instead)."""
    if value is None:
        return MISSING
    if unit == "gbp":
        return format_gbp(value)
    number = format_number(value)
    if not unit:
        return number
    if unit == "percent":
        return f"{number}%"
    one, many = UNIT_NOUNS.get(unit, (None, None))
    if one is None:
        return format_number(value, unit)
    return f"{number} {noun_for(value, one, many)}"
