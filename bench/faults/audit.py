"""Counting what happened, from both ends: what reached the LINE stand-in (replies per
reply token, pushes per retry key) and what the database holds (inbox statuses, the
outbox, reports, processing order). Every figure is exact; ``Audit.failures`` names
each guarantee that does not hold."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, text

from bench.faults.load import Conversation, Sent
from bot.localline import World


@dataclass
class Audit:
    counts: dict[str, int | float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def expect(self, name: str, value: int, wanted: int = 0) -> None:
        self.counts[name] = value
        if value != wanted:
            self.failures.append(f"{name} = {value} (want {wanted})")

    def lines(self) -> list[str]:
        out = [f"  {name:<34} {value}" for name, value in self.counts.items()]
        out += [f"  note: {note}" for note in self.notes]
        out += [f"  FAILED: {failure}" for failure in self.failures]
        return out


def audit(engine: Engine, world: World, sent: list[Sent], conversations: list[Conversation],
          reminder_chats: list[str], *, processes_restarted: int | None = None) -> Audit:  # fmt: skip
    result = Audit()
    with engine.connect() as conn:
        inbox = list(conn.execute(text(
            "SELECT id, webhook_event_id, status, order_key, event_ts, processed_at, last_error FROM inbox_events")))
        outbox = list(conn.execute(text(
            "SELECT id, kind, inbox_event_id, retry_key, status, fallback_push, purpose, last_error FROM outbox")))
        reports = Counter(str(r[0]) for r in conn.execute(text("SELECT reporter_user_id FROM progress_reports")))
    statuses = Counter(str(row.status) for row in inbox)
    stored = {str(row.webhook_event_id): row for row in inbox}

    deliveries = world.deliveries()
    replies = Counter(d.reply_token for d in deliveries if d.kind == "reply")
    pushes = Counter(d.retry_key for d in deliveries if d.kind == "push")
    # A reply call on a token LINE already took (it answers 400): a reply retried blindly.
    # A retry after a certain refusal (5xx, 429 before the body was taken) is allowed.
    taken = {str((r.body or {}).get("replyToken")) for r in world.requests()
             if r.path == "/v2/bot/message/reply" and r.status == 200}  # fmt: skip
    blind = sum(1 for r in world.requests() if r.path == "/v2/bot/message/reply" and r.status == 400
                and str((r.body or {}).get("replyToken")) in taken)  # fmt: skip
    answer_rows: dict[int, list[str]] = defaultdict(list)
    for row in outbox:
        if row.inbox_event_id is not None and row.kind == "push" and row.fallback_push:
            answer_rows[int(row.inbox_event_id)].append(str(row.retry_key))

    accepted = [s for s in sent if s.accepted]
    result.counts["events sent by LINE"] = len(sent)
    result.counts["deliveries incl. redeliveries"] = sum(s.posts for s in sent)
    result.counts["answered non-2xx (redelivered)"] = sum(1 for s in sent for st in s.statuses if not 200 <= st < 300)
    waits = sorted(s.answered_after for s in sent if s.answered_after is not None)
    if waits:
        result.counts["answer seen at LINE p50 (s)"] = round(waits[len(waits) // 2], 2)
        result.counts["answer seen at LINE max (s)"] = round(waits[-1], 2)
    result.expect("never taken (LINE gave up)", len(sent) - len(accepted))
    result.expect("acknowledged but not stored", sum(1 for s in accepted if s.event_id not in stored))
    answers: Counter[str] = Counter()
    for s in accepted:
        row = stored.get(s.event_id)
        keys = answer_rows.get(int(row.id), []) if row is not None else []
        answers[s.event_id] = replies[s.token] + sum(pushes[k] for k in keys)
    result.expect("events without an answer (lost)", sum(1 for s in accepted if answers[s.event_id] == 0))
    result.expect("events answered twice (duplicated)", sum(1 for s in accepted if answers[s.event_id] > 1))
    result.counts["answers as fallback pushes"] = sum(
        1 for s in accepted if answers[s.event_id] and not replies[s.token])
    # A reply cut off mid-send is sent again on its token: LINE refuses a spent one, so
    # such a call is counted, not a failure; a duplicate would show as answered twice.
    result.counts["reply calls LINE refused as already used"] = blind
    received = world.received()
    result.counts["push calls (incl. retries)"] = sum(v["calls"] for v in received["retry_keys"].values())
    result.expect("pushes delivered twice (same key)",
                  sum(1 for v in received["retry_keys"].values() if v["delivered"] > 1))  # fmt: skip
    result.expect("pushes without a retry key", pushes[None])

    for status in ("pending", "processing", "parked"):
        result.expect(f"inbox {status}", statuses.get(status, 0))
    result.counts["inbox done"] = statuses.get("done", 0)
    out_status = Counter(str(row.status) for row in outbox)
    for status in ("pending", "sending"):
        result.expect(f"outbox {status}", out_status.get(status, 0))
    for status in ("sent", "failed", "unknown", "dropped"):
        result.counts[f"outbox {status}"] = out_status.get(status, 0)

    finished = [c for c in conversations if c.finished]
    result.counts["conversations"] = len(conversations)
    result.expect("conversations not finished", len(conversations) - len(finished))
    for c in conversations:
        if c.gave_up:
            result.notes.append(f"{c.user} in {c.chat}: {c.gave_up}")
    result.counts["reports saved"] = sum(reports.values())
    result.expect("finished without a saved report", sum(1 for c in finished if reports[c.user] == 0))
    result.expect("reports saved twice", sum(1 for n in reports.values() if n > 1))

    if reminder_chats:
        per_chat = Counter(d.to for d in deliveries if d.kind == "push" and d.to.startswith("Cremind"))
        result.counts["reminder groups"] = len(reminder_chats)
        result.expect("reminder groups not reminded", sum(1 for c in reminder_chats if per_chat[c] == 0))
        result.expect("reminder groups reminded twice", sum(1 for c in reminder_chats if per_chat[c] > 1))

    by_key: dict[str, list[Any]] = defaultdict(list)
    for row in inbox:
        if row.processed_at is not None:
            by_key[str(row.order_key)].append(row)
    out_of_order = 0
    for rows in by_key.values():
        rows.sort(key=lambda r: (r.event_ts, r.id))
        out_of_order += sum(1 for a, b in zip(rows, rows[1:], strict=False) if b.processed_at < a.processed_at)
    result.expect("events processed out of chat order", out_of_order)
    if processes_restarted is not None:
        result.expect("processes restarted to recover", processes_restarted)
    errors = Counter((str(row.last_error) or "").splitlines()[-1][:120] for row in inbox
                     if row.status != "done" and row.last_error)  # fmt: skip
    for error, n in errors.most_common(3):
        result.notes.append(f"{n} inbox event(s) last error: {error}")
    out_errors = Counter(str(row.last_error)[:120] for row in outbox if row.status in ("failed", "unknown"))
    for error, n in out_errors.most_common(3):
        result.notes.append(f"{n} outbox row(s) failed/unknown: {error}")
    return result
