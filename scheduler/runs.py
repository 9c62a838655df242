"""Running what is due: the quota guard, the ledger claim, the outbox, delivery.

    plan (scheduler/planning.py) -> fit the quota (digests, first reminders,
    follow-ups, new-report notices; stop before it runs out) -> for each send:
    claim its ledger rows and write its outbox row in ONE transaction -> deliver.

Exactly once: the claim is unique in the database, so of two clocks (or a
clock and `kaona remind --now`) one gets each row; the outbox row's retry key is
derived from the ledger row and kept across every try, so a push LINE already
took is not delivered again; a clock killed after the commit leaves a pending
row that the sweeper (or the next start) delivers. A 429 for the monthly quota
stops the run: the rows not yet sent are dropped, never retried into a full quota.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import update

from bot.delivery import deliver
from bot.reminder_cards import quota_notice
from bot.services import Services
from plans.errors import LineApiError
from plans.reminders import Send, fit_quota
from scheduler.planning import Planned, RunPlanned, member_counts, plan_run
from storage import outbox
from storage import reminders as repo
from storage.models import OutboxMessage
from storage.reminder_models import SendLedger

log = logging.getLogger(__name__)
LEDGER_NAMESPACE = uuid.UUID("6b61f0a2-5a0e-4c1e-9d7e-6b616f6e6131")
CLAIM_BATCH = 200


def retry_key_of(key: tuple[str, str, str, str]) -> str:
    """The push's X-Line-Retry-Key: the same for the same ledger row, on every try."""
    return str(uuid.uuid5(LEDGER_NAMESPACE, "|".join(key)))


@dataclass
class RunResult:
    at: datetime
    planned: list[Planned]
    kept: list[Planned] = field(default_factory=list)
    skipped: list[Planned] = field(default_factory=list)
    taken_elsewhere: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    notices: int = 0
    stopped: str | None = None
    limit: int | None = None
    used: int | None = None

    @property
    def cost(self) -> int:
        return sum(p.cost for p in self.kept)

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(), "sent": self.statuses, "cost": self.cost,
            "skipped_for_quota": [p.describe() for p in self.skipped], "notices": self.notices,
            "taken_by_another_run": self.taken_elsewhere, "stopped": self.stopped,
            "quota": {"limit": self.limit, "used": self.used},
        }  # fmt: skip


def run(services: Services, at: datetime, *, kinds: tuple[str, ...] = ("remind", "digest", "newreports"),
        threads: int = 8) -> RunResult:  # fmt: skip
    return execute(services, plan_run(services, at, kinds=kinds), threads=threads)


def execute(services: Services, planned: RunPlanned, *, threads: int = 8) -> RunResult:
    result = RunResult(planned.at, planned.planned)
    _record_dropped(services, planned.dropped)
    if not planned.planned:
        return result
    try:
        quota = services.gateway.quota()
        result.limit, result.used = quota.limit, quota.used
    except LineApiError as exc:
        log.warning("LINE quota unknown (%s): sending without the guard", exc)
    left = None if result.limit is None or result.used is None else result.limit - result.used
    if left is not None:  # the guard needs each group's true size (LINE's count, not the members seen)
        member_counts(services, [p for p in planned.planned if p.send.scope == "group"])
    pairs = [(p.send, p.cost) for p in planned.planned]
    by_send = {id(p.send): p for p in planned.planned}
    budget = fit_quota(pairs, left)
    notices: dict[str, list[str]] = {}
    if budget.skipped:
        notices = _affected(services, [by_send[id(s)] for s in budget.skipped])
        budget = fit_quota(pairs, left, reserve=len(notices))
        notices = _affected(services, [by_send[id(s)] for s in budget.skipped])
    result.kept = [by_send[id(s)] for s in budget.kept]
    result.skipped = [by_send[id(s)] for s in budget.skipped]
    for p in result.skipped:
        log.warning("quota guard: not sending %s (cost %d, %s left)", p.describe(), p.cost, left)
    rows = _claim_all(services, result)
    _deliver_all(services, rows, result, threads=threads)
    if notices and result.stopped is None:
        _notify(services, result, notices, left)
    return result


def _record_dropped(services: Services, keys: Sequence[tuple[str, str, str, str]]) -> None:
    """A missed occasion past the grace window is never sent: the ledger says so, once."""
    if not keys:
        return
    with services.sessions() as session, session.begin():
        for key in keys:
            if repo.claim(session, key, kind="dropped", status="dropped") is not None:
                log.warning("reminder %s for %s missed while the clock was down, past the grace window: dropped", key[3], key[0])


def _affected(services: Services, skipped: Sequence[Planned]) -> dict[str, list[str]]:
    """Coordinator -> what was not sent that concerns them (a digest's own addressee too)."""
    with services.sessions() as session:
        by_unit = repo.coordinators_of_units(session, {u for p in skipped for u in p.units})
    out: dict[str, list[str]] = {}
    for p in skipped:
        who = [p.send.target] if p.send.kind == "digest" else [u for unit in p.units for u in by_unit.get(unit, [])]
        for user in dict.fromkeys(who):
            out.setdefault(user, []).append(p.describe())
    return out


def _claim_all(services: Services, result: RunResult) -> list[tuple[int, int]]:
    """Claim each send's ledger rows and queue its push, a batch per transaction (a few
    statements for the whole batch); (priority, outbox row id) of each."""
    row_ids: list[tuple[int, int]] = []
    kept = sorted(result.kept, key=lambda p: p.send.priority)
    for start in range(0, len(kept), CLAIM_BATCH):
        batch = kept[start : start + CLAIM_BATCH]
        with services.sessions() as session, session.begin():
            won = repo.claim_many(session, [(key, p.send.kind, p.project_ids, p.cost) for p in batch for key in p.send.ledger])
            pushes, links, order = [], [], []
            for p in batch:
                mine = [(won[key], key) for key in p.send.ledger if key in won]
                if not mine or not _narrow(p, {key[3] for _, key in mine}):
                    result.taken_elsewhere += 1
                    continue
                first_id, first_key = min(mine)
                dedupe = f"ledger:{first_id}"
                pushes.append((p.send.target, p.messages, f"scheduled-{p.send.kind}", dedupe, retry_key_of(first_key)))
                order.append((p.send.priority, dedupe, [ledger_id for ledger_id, _ in mine]))
            queued = outbox.enqueue_pushes(session, pushes)
            for priority, dedupe, ledger_ids in order:
                if dedupe in queued:
                    row_ids.append((priority, queued[dedupe]))
                    links += [(ledger_id, queued[dedupe]) for ledger_id in ledger_ids]
            repo.link_outbox(session, links)
    return row_ids


def _narrow(p: Planned, occasions: set[str]) -> bool:
    """Keep only the occasions this run won (another run took the rest); False if none is left."""
    send = p.send
    if occasions == set(send.keys):
        return True
    items = tuple(i for i in send.items if i.occasion.key in occasions)
    if send.items and not items:
        return False
    p.send = Send(send.target, send.scope, send.kind, send.month, tuple(sorted(occasions)), items, send.mentions,
                  send.about_group)  # fmt: skip
    p.messages = p.build(p.send)
    return True


def _deliver_all(services: Services, rows: list[tuple[int, int]], result: RunResult, *, threads: int) -> None:
    """Deliver several at once, a priority tier at a time (digests, then first reminders,
    then follow-ups), so what reaches LINE follows the guard's order."""
    stop = threading.Event()
    lock = threading.Lock()

    def one(row_id: int) -> None:
        if stop.is_set():
            return
        status = deliver(services, row_id)
        if status == "failed" and _quota_failure(services, row_id):
            stop.set()
            status = "quota"
        with lock:
            result.statuses[status] = result.statuses.get(status, 0) + 1

    row_ids = [row_id for _, row_id in rows]
    with ThreadPoolExecutor(max_workers=max(1, min(threads, len(row_ids) or 1))) as pool:
        for tier in sorted({priority for priority, _ in rows}):
            list(pool.map(one, [row_id for priority, row_id in rows if priority == tier]))
    if stop.is_set():
        result.stopped = "monthly quota exhausted"
        dropped = _drop_unsent(services, row_ids)
        if dropped:
            result.statuses["dropped"] = result.statuses.get("dropped", 0) + dropped
        log.error("monthly quota exhausted: run stopped, %d message(s) not sent and not retried", dropped)


def _quota_failure(services: Services, row_id: int) -> bool:
    with services.sessions() as session:
        row = session.get(OutboxMessage, row_id)
        return bool(row and row.last_error and row.last_error.startswith("monthly quota exhausted"))


def _drop_unsent(services: Services, row_ids: list[int]) -> int:
    with services.sessions() as session, session.begin():
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "pending")
            .values(status="dropped", last_error="monthly quota exhausted: run stopped, not retried")
        )
        session.execute(update(SendLedger).where(SendLedger.outbox_id.in_(row_ids)).values(status="quota"))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _notify(services: Services, result: RunResult, notices: dict[str, list[str]], left: int | None) -> None:
    """One one-to-one message to each coordinator affected by the guard."""
    day = result.at.astimezone(services.settings.tz).date()
    row_ids: list[int] = []
    with services.sessions() as session, session.begin():
        for user, lines in notices.items():
            key = (user, "notice", f"{day:%Y-%m}", f"quota@{day.isoformat()}")
            ledger_id = repo.claim(session, key, kind="notice", status="queued", cost=1)
            if ledger_id is None:
                continue
            row = outbox.enqueue_push(session, chat_id=user, messages=[quota_notice(lines, left)], purpose="scheduled-notice",
                                      dedupe_key=f"ledger:{ledger_id}", retry_key=retry_key_of(key))  # fmt: skip
            if row is not None:
                row_ids.append(row.id)
    for row_id in row_ids:
        if deliver(services, row_id) == "sent":
            result.notices += 1


def dump(result: RunResult) -> str:
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)
