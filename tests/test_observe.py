"""Redaction and counters."""

from __future__ import annotations

from smsgate._observe import Metrics, mask_phone


def test_mask_phone_keeps_country_and_tail_only() -> None:
    assert mask_phone("+8613800138000") == "+86138****8000"
    assert mask_phone("+1234") == "+1****"


def test_metrics_snapshot_is_json_friendly() -> None:
    metrics = Metrics()
    metrics.refusal("per_day")
    assert metrics.snapshot() == {"attempts": {}, "recipients": {}, "refused": {"per_day": 1}}


def test_a_failed_attempt_is_logged_at_warning_when_info_is_off(caplog) -> None:
    import logging

    from smsgate import Gateway, Message
    from smsgate.providers.memory import MemoryProvider

    caplog.set_level(logging.WARNING, logger="smsgate")
    ok, refusing = MemoryProvider(alias="ok"), MemoryProvider(alias="refusing")
    refusing.fail_with("recipient")
    with Gateway([refusing]) as gateway:
        gateway.send(Message(to="13800138000", template="T"))
    with Gateway([ok]) as gateway:
        gateway.send(Message(to="13800138000", template="T"))
    [record] = [r for r in caplog.records if r.name.startswith("smsgate")]
    assert record.levelno == logging.WARNING and "rejected via refusing" in record.getMessage()
    assert "13800138000" not in caplog.text


def test_accepted_counts_what_result_counts_for_an_accepted_send() -> None:
    from smsgate import PhoneNumber
    from smsgate._models import Attempt, RecipientResult, SendResult, Status

    phones = [PhoneNumber.parse(p) for p in ("13800138000", "13900139000")]
    rows = tuple(RecipientResult(p, Status.ACCEPTED, "aliyun", "biz") for p in phones)
    attempt = Attempt("aliyun", tuple(p.e164 for p in phones), Status.ACCEPTED)
    walked, counted = Metrics(), Metrics()
    walked.result(SendResult(rows, (attempt,)))
    counted.accepted("aliyun", len(rows))
    assert (
        counted.snapshot()
        == walked.snapshot()
        == {
            "attempts": {"aliyun.accepted": 1},
            "recipients": {"accepted": 2},
            "refused": {},
        }
    )


def test_one_recipient_sends_counted_from_threads_are_never_lost() -> None:
    """Sends noted without the lock (one recipient each) are all counted, whatever reads meanwhile."""
    import threading

    metrics = Metrics()
    per_thread, threads = 5000, 4

    def count(provider: str) -> None:
        for _ in range(per_thread):
            metrics.accepted(provider, 1)
            if _ % 997 == 0:
                metrics.snapshot()  # reads fold what is noted so far, while others keep noting

    workers = [threading.Thread(target=count, args=(f"p{i % 2}",)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    metrics.accepted("p0", 3)  # more than one recipient: counted at once
    assert metrics.snapshot()["attempts"] == {"p0.accepted": 2 * per_thread + 1, "p1.accepted": 2 * per_thread}
    assert metrics.recipients["accepted"] == threads * per_thread + 3
    assert metrics.attempts[("p1", "accepted")] == 2 * per_thread
