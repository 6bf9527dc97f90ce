"""The push entry point: provider lookup, answers for errors, and no untyped exception escaping."""

from __future__ import annotations

import pytest

from smsgate import ConfigError, InvalidRequest, NotAuthentic, SmsError
from smsgate.emulators import EMULATORS
from smsgate.receipts import PARSERS, NotSupported, parse_push, receipt_parser, reply_for
from smsgate.receipts._base import Received
from smsgate.receipts._push import UNSUPPORTED


def test_every_provider_with_an_emulator_has_receipts_or_says_why_not() -> None:
    assert sorted(PARSERS) == sorted(set(EMULATORS) - set(UNSUPPORTED))
    assert [name for name, cls in PARSERS.items() if not cls.pushes] == ["jdcloud"]  # pull only


@pytest.mark.parametrize("name", sorted(UNSUPPORTED))
def test_a_provider_without_documented_receipts_says_so(name: str) -> None:
    with pytest.raises(NotSupported, match=f"{name}: not supported by this provider") as info:
        receipt_parser(name, {"path_token": "t"})
    assert isinstance(info.value, ConfigError) and info.value.what == "push" and info.value.code == 46010
    with pytest.raises(NotSupported):
        parse_push(name, "POST", "https://x/t", {}, b"{}")
    assert reply_for(info.value).status == 404


def test_an_unknown_provider_type_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'acme'.*known: aliyun"):
        receipt_parser("acme")


def test_bad_settings_name_the_field_without_echoing_values() -> None:
    with pytest.raises(ConfigError) as info:
        receipt_parser("twilio", {"replay_window": "soon", "auth_token": "s3cr3t-value"}, alias="tw")
    assert "receipts 'tw': replay_window" in str(info.value) and "s3cr3t-value" not in str(info.value)


@pytest.mark.parametrize(
    ("error", "status"),
    [(NotAuthentic("x", reason="signature"), 403), (InvalidRequest("x", field="body"), 400), (SmsError("x"), 503)],
)
def test_reply_for(error: SmsError, status: int) -> None:
    assert reply_for(error).status == status


def test_a_parser_bug_on_odd_input_still_surfaces_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    parser = receipt_parser("aliyun", {"path_token": "t"})

    def boom(received: Received, now: float) -> None:
        raise KeyError("field")

    monkeypatch.setattr(parser, "parse", boom)
    with pytest.raises(InvalidRequest) as info:
        parse_push(parser, "POST", "https://x/t", {}, b"[]")
    assert info.value.field == "body" and isinstance(info.value.__cause__, KeyError)


def test_received_reads_query_form_and_json_fields() -> None:
    r = Received.of("post", "https://x/p?a=1", {"Content-Type": "application/x-www-form-urlencoded"}, "b=2&b=3")
    assert (
        r.method == "POST"
        and r.path == "/p"
        and r.fields() == {"a": "1", "b": "3"}
        and r.form() == [("b", "2"), ("b", "3")]
    )
    j = Received.of("POST", "https://x/p", {"content-type": "application/json"}, b'{"c": null, "d": 4}')
    assert j.fields() == {"c": "", "d": "4"}
    with pytest.raises(InvalidRequest):
        Received.of("POST", "https://x/p", {"content-type": "application/json"}, b"[1]").fields()
