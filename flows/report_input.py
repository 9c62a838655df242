"""Reading what a person typed during a report: percents, step numbers, money, the
one-message shortcut. Thai digits are read as Arabic ones throughout."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flows.draft import Choice, ProjectView
from plans.matching import Candidate, matches, normalise
from plans.thai import clean_text, parse_number, to_arabic_digits

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
_UNTICK = re.compile(r"^(?:ยังไม่เสร็จ|ไม่เสร็จ|เอาออก|เอา|ไม่ใช่|untick|undo)\s*")
_UNTICK_TAIL = re.compile(r"\s*ออก$")
_SEPARATORS = re.compile(r"\s*(?:,|และ|\s)\s*")


@dataclass(frozen=True)
class Input:
    text: str = ""
    action: str | None = None  # from a button: "confirm", "edit", "choose", ...
    value: str | None = None  # what the button carries (a project id for "choose")
    nonce: str | None = None  # the conversation the button belongs to
    command: str | None = None  # typed text that starts with a command word: that word

    @property
    def word(self) -> str:
        return normalise(self.text)

    @property
    def answer(self) -> str:
        """The text as a free-text answer is kept."""
        return clean_text(self.text)


@dataclass(frozen=True)
class Shortcut:
    project: str
    percent: Decimal
    text: str


def shortcut(argument: str) -> Shortcut | None:
    """``รายงาน <project> <percent>% <text>``: everything after "รายงาน"."""
    found = _SHORTCUT.match(to_arabic_digits(argument).strip())
    if not found or not clean_text(found["text"]):
        return None
    return Shortcut(found["project"], Decimal(found["pct"]), clean_text(found["text"]))


class Ambiguous(ValueError):
    """A bare small number that is not a step number: a step or a percent?"""


def typed_percent(word: str, project: ProjectView) -> Decimal | None:
    """An overall percent: "45%", "๔๕ เปอร์เซ็นต์", "ร้อยละ 45", or a bare number that is
    no step number (nor a group of steps, "1" for 1.1 and 1.2) and too large to be one."""
    found = _PERCENT.match(word)
    if found:
        return Decimal(found.group(1) or found.group(2))
    if re.fullmatch(_NUMBER, word) and not _resolve(word, [s.no for s in project.steps]):
        if Decimal(word) <= AMBIGUOUS_UP_TO:
            raise Ambiguous(word)
        return Decimal(word)
    return None


@dataclass(frozen=True)
class StepAnswer:
    ticked: tuple[str, ...] = ()
    unticked: tuple[str, ...] = ()


def step_answer(word: str, project: ProjectView) -> StepAnswer | None:
    """Steps as typed: "3", "1,2", "1 2", "1-3", "ขั้นที่ 3 และ 4"; with sub-numbered steps
    "1" (all of 1.x), "1.1 1.2", "1.1-1.2"; "ยังไม่เสร็จ 3" unticks. None if any is unknown."""
    untick = _UNTICK.match(word)
    rest = _UNTICK_TAIL.sub("", word[untick.end() :]) if untick else word
    numbers = step_numbers(rest, project)
    if numbers is None:
        return None
    return StepAnswer(unticked=tuple(numbers)) if untick else StepAnswer(ticked=tuple(numbers))


def step_numbers(word: str, project: ProjectView) -> list[str] | None:
    order = [s.no for s in project.steps]
    found: list[str] = []
    for token in filter(None, _SEPARATORS.split(_STEP_PREFIX.sub("", word.strip()))):
        token = _STEP_PREFIX.sub("", token)
        span = re.fullmatch(r"([0-9.]+)-([0-9.]+)", token)
        if span:
            first, last = _resolve(span[1], order), _resolve(span[2], order)
            if not first or not last or order.index(first[0]) > order.index(last[-1]):
                return None
            found.extend(order[order.index(first[0]) : order.index(last[-1]) + 1])
        elif resolved := _resolve(token, order):
            found.extend(resolved)
        else:
            return None
    return list(dict.fromkeys(found)) or None


def _resolve(token: str, order: list[str]) -> list[str]:
    """A step number, or a group number standing for all its sub-steps ("1" -> 1.1, 1.2)."""
    token = token.rstrip(".")
    if token in order:
        return [token]
    return [no for no in order if no.startswith(token + ".")] if token else []


def example_steps(project: ProjectView, completed: tuple[str, ...] = ()) -> str:
    """An example answer that works for this project's own numbering: two steps to do."""
    todo = [s.no for s in project.steps if s.no not in completed] or [s.no for s in project.steps]
    return ",".join(todo[:2]) if todo else "1"


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
