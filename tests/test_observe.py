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
