"""Finding a project from what a person typed: a code, "#id", or part of a name.

Thai is written without spaces between words, so a typed fragment is compared
with the best-aligned stretch of the name of the same length (rapidfuzz's
``partial_ratio``), as well as with the whole name (``ratio``). Text is compared
as typed, casefolded, with Thai digits read as Arabic and runs of spaces
squeezed: vowels and tone marks are never stripped (they change the word), so
rapidfuzz's default processor, which drops them, is turned off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from plans.thai import only_digits, parse_whole, to_arabic_digits

THRESHOLD = 0.6


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    code: str | None = None


def normalise(text: str) -> str:
    return " ".join(to_arabic_digits(text).casefold().split())


def score(query: str, candidate: Candidate) -> float:
    q = normalise(query)
    return _score(q, _digits(q), candidate)


def _score(q: str, q_digits: str, candidate: Candidate) -> float:
    if not q:
        return 0.0
    if q.startswith("#") and q[1:].isdigit():  # "#12"; "#²" or "#" and 5,000 digits match nothing
        return 1.0 if parse_whole(q[1:]) == candidate.id else 0.0
    if candidate.code and q_digits and q_digits == _digits(candidate.code):
        return 1.0
    name = normalise(candidate.name)
    if q == name:
        return 1.0
    if q in name:
        return 0.9 + 0.1 * len(q) / len(name)
    squeezed_q, squeezed_name = q.replace(" ", ""), name.replace(" ", "")
    if squeezed_q in squeezed_name:
        return 0.88
    whole = fuzz.ratio(squeezed_q, squeezed_name, processor=None) / 100
    part = 0.0
    if len(squeezed_q) < len(squeezed_name):
        part = fuzz.partial_ratio(squeezed_q, squeezed_name, processor=None) / 100
    return max(whole, part * 0.85)


def matches(query: str, candidates: Sequence[Candidate], *, threshold: float = THRESHOLD) -> list[Candidate]:
    """Candidates that fit, best first. An exact code/#id/name hit comes alone."""
    q = normalise(query)
    q_digits = _digits(q)
    scored = sorted(((_score(q, q_digits, c), c) for c in candidates), key=lambda sc: (-sc[0], sc[1].id))
    if scored and scored[0][0] >= 1.0:
        return [c for s, c in scored if s >= 1.0]
    return [c for s, c in scored if s >= threshold]


def _digits(text: str) -> str:
    digits = only_digits(text)
    return digits if len(digits) >= 6 else ""

