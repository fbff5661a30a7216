"""Two senders at once send each deduplicated email once (mail claims, migration 0015).

Two threads, each with its own database session, send the same five messages (as two
overlapping `planning-sv monitor run`s would). A barrier inside the "already sent?" check
holds both threads until both have looked at the mail log and found nothing, so without an
atomic claim both would send every message (10 sends). With the claim exactly one thread
sends each message: 5 sends, 5 `sent` log rows, 5 claims. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import planning_sv.mail as mail
from planning_sv.mail import MailError, Message, send_and_log
from planning_sv.store.db import Database
from planning_sv.store.mail import MailClaim, MailLogEntry

KEYS = [f"overdue:developer:{n}:2026-10-01:abc" for n in range(1, 6)]


class CountingMailer:
    """A transport that counts what it was asked to send (thread-safe)."""

    transport = "smtp"

    def __init__(self, fail: bool = False) -> None:
        self.sent: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.fail = fail

    def describe(self) -> str:
        return "counting"

    def send(self, message: Message) -> str | None:
        if self.fail:
            raise MailError("the server refused it")
        with self.lock:
            self.sent[message.dedupe_key or ""] += 1
        return None


def _message(key: str) -> Message:
    return Message("dev@example.org", "Obligation overdue", "body", "overdue", dedupe_key=key)


def test_two_senders_at_once_send_each_email_once(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=30)
    original = mail.already_sent
    looked: Counter[str] = Counter()

    def already_sent_then_wait(session: Session, key: str) -> bool:
        found = original(session, key)
        looked[key] += 1
        barrier.wait()  # both threads have looked before either claims
        return found

    monkeypatch.setattr(mail, "already_sent", already_sent_then_wait)
    mailer = CountingMailer()
    results: list[list[bool]] = [[], []]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            with database.session() as session:
                for key in KEYS:
                    results[slot].append(send_and_log(session, mailer, _message(key)))
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert looked == {key: 2 for key in KEYS}  # both really raced on every key
    assert mailer.sent == {key: 1 for key in KEYS}
    assert sorted(results[0] + results[1]) == [False] * 5 + [True] * 5
    with database.session() as session:
        sent_rows = session.execute(
            select(MailLogEntry.dedupe_key, func.count())
            .where(MailLogEntry.status == mail.SENT)
            .group_by(MailLogEntry.dedupe_key)
        ).all()
        assert dict(sent_rows) == {key: 1 for key in KEYS}
        assert sorted(session.scalars(select(MailClaim.dedupe_key))) == sorted(KEYS)
        # The loser logs nothing: one row per message in all.
        assert session.scalar(select(func.count()).select_from(MailLogEntry)) == 5


def test_a_failed_send_frees_its_claim_for_the_next_run(database: Database) -> None:
    with database.session() as session:
        assert send_and_log(session, CountingMailer(fail=True), _message(KEYS[0])) is False
        assert session.scalars(select(MailClaim)).all() == []
        working = CountingMailer()
        assert send_and_log(session, working, _message(KEYS[0])) is True
        assert send_and_log(session, working, _message(KEYS[0])) is False  # once only
        assert working.sent == {KEYS[0]: 1}
        statuses = session.scalars(select(MailLogEntry.status).order_by(MailLogEntry.id)).all()
        assert statuses == [mail.FAILED, mail.SENT]


def test_a_key_claimed_elsewhere_is_not_sent(database: Database) -> None:
    """A claim without a log row (another sender mid-send, or a sent key the migration
    copied in) is enough to stop a second send."""
    with database.session() as session:
        assert mail.claim(session, KEYS[1]) is True
        session.commit()
        assert mail.claim(session, KEYS[1]) is False
        mailer = CountingMailer()
        assert send_and_log(session, mailer, _message(KEYS[1])) is False
        assert mailer.sent == {}
        assert session.scalar(select(func.count()).select_from(MailLogEntry)) == 0
