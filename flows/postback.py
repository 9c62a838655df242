"""The report buttons' postback data: one codec builds it and reads it back.

    kaona=report&a=<action>[&n=<nonce>][&o=<owner>][&v=<value>][&p=<project id>]

``a=say`` buttons stand for typing their value; ``a=start`` starts a report on a
project (the reminders' and the status card's "รายงาน" button). Buttons of drafts
saved before owners were carried have no ``o``; they still read.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from bot.render import DATA_LIMIT
from plans.thai import parse_whole

KIND = "report"
SAY, START, CHOOSE = "say", "start", "choose"
# A command typed where free text is expected: keep it as the answer, or run it.
ANSWER, COMMAND = "answer", "command"


@dataclass(frozen=True)
class Postback:
    action: str
    nonce: str | None = None
    owner: str | None = None  # whose conversation the button belongs to
    value: str | None = None
    project: int | None = None


def encode(button: Postback) -> str:
    fields = {"kaona": KIND, "a": button.action, "n": button.nonce, "o": button.owner,
              "v": button.value, "p": None if button.project is None else str(button.project)}  # fmt: skip
    data = urlencode({k: v for k, v in fields.items() if v})
    if len(data) > DATA_LIMIT:
        raise ValueError(f"report button data over {DATA_LIMIT} characters: {data[:40]}…")
    return data


def decode(data: str | None) -> Postback | None:
    """The button, or None when the data is not a report button's."""
    raw = {k: v[0] for k, v in parse_qs(data or "").items()}
    if raw.get("kaona") != KIND or not raw.get("a"):
        return None
    return Postback(action=raw["a"], nonce=raw.get("n"), owner=raw.get("o"), value=raw.get("v"),
                    project=parse_whole(raw.get("p")))  # fmt: skip


def start_report_data(project_id: int) -> str:
    """The data of a "รายงาน" button that starts a report on ``project_id`` (for reminders
    and status cards)."""
    return encode(Postback(action=START, project=project_id))
