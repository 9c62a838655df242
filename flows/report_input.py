"""Reading what a person typed during a report: percents, step numbers, money, the
one-message shortcut. Thai digits are read as Arabic ones throughout."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flows.draft import Choice, ProjectView
from plans.matching import Candidate, matches, normalise
from plans.thai import parse_number, to_arabic_digits

HUNDRED = Decimal(100)
# The largest amount a report can carry (the column holds 16 digits, 2 after the point).
MAX_BAHT = Decimal("99999999999999.99")
# A bare number up to this, not a step number, could be either: ask for the % sign.
AMBIGUOUS_UP_TO = 20

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
_PERCENT_WORDS = r"(?:%|เปอร์เซ็นต์|เปอร์เซนต์|percent)"
_PERCENT = re.compile(rf"^(?:ร้อยละ\s*({_NUMBER})\s*%?|({_NUMBER})\s*{_PERCENT_WORDS})$")
_SHORTCUT = re.compile(rf"^(?P<project>.+?)\s+(?P<pct>{_NUMBER})\s*{_PERCENT_WORDS}\s*(?P<text>.*)$", re.S)
_STEP_PREFIX = re.compile(r"^(?:ขั้นที่|ขั้นตอนที่|ขั้น|step|steps)\s*")
_SEPARATORS = re.compile(r"\s*(?:,|และ|\s)\s*")


@dataclass(frozen=True)
class Input:
    text: str = ""
    action: str | None = None  # from a button: "confirm", "edit", "choose", ...
    value: str | None = None  # what the button carries (a project id for "choose")
    nonce: str | None = None  # the conversation the button belongs to

    @property
    def word(self) -> str:
        return normalise(self.text)


@dataclass(frozen=True)
class Shortcut:
    project: str
    percent: Decimal
    text: str


def shortcut(argument: str) -> Shortcut | None:
    """``รายงาน <project> <percent>% <text>``: everything after "รายงาน"."""
    found = _SHORTCUT.match(to_arabic_digits(argument).strip())
    if not found or not found["text"].strip():
        return None
    return Shortcut(found["project"], Decimal(found["pct"]), found["text"].strip())


class Ambiguous(ValueError):
    """A bare small number that is not a step number: a step or a percent?"""


def typed_percent(word: str, project: ProjectView) -> Decimal | None:
    """An overall percent: "45%", "๔๕ เปอร์เซ็นต์", "ร้อยละ 45", or a bare number that is
    no step number and too large to be one."""
    found = _PERCENT.match(word)
    if found:
        return Decimal(found.group(1) or found.group(2))
    if re.fullmatch(_NUMBER, word) and project.step(word) is None:
        if Decimal(word) <= AMBIGUOUS_UP_TO:
            raise Ambiguous(word)
        return Decimal(word)
    return None


def step_numbers(word: str, project: ProjectView) -> list[str] | None:
    """Step numbers as typed: "3", "1,2", "1 2", "1-3", "ขั้นที่ 3 และ 4". None if any is unknown."""
    order = [s.no for s in project.steps]
    found: list[str] = []
    for token in filter(None, _SEPARATORS.split(_STEP_PREFIX.sub("", word))):
        span = re.fullmatch(r"([0-9.]+)-([0-9.]+)", token)
        if span and span[1] in order and span[2] in order and order.index(span[1]) <= order.index(span[2]):
            found.extend(order[order.index(span[1]) : order.index(span[2]) + 1])
        elif token in order:
            found.append(token)
        else:
            return None
    return found or None


def amount(text: str) -> Decimal | None:
    """Baht: "12,500", "๑๒,๕๐๐.๕๐", "12500 บาท". None when it is not a sensible amount."""
    try:
        parsed = parse_number(text)
        if parsed is None or parsed < 0 or parsed > MAX_BAHT:
            return None
        return parsed.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def match_choices(text: str, choices: Sequence[Choice]) -> list[Choice]:
    by_id = {c.id: c for c in choices}
    return [by_id[c.id] for c in matches(text, [Candidate(c.id, c.name, c.code) for c in choices])]
