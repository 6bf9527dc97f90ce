"""The platform makes and checks codes for its tenants: a SEND_SMS event no longer carries one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smsgate import InvalidRequest, RetryPolicy, Status, VerificationFailed, VerificationStatus
from smsgate.extensions import SEND_SMS, AliyunSmsExtension, Event, Platform, SmsExtension
from smsgate.verify import KeyRing
from tests.fakes.aliyun import AliyunFake

PKG = AliyunSmsExtension.package
KEYS = {"1": "the platform's server key, 32+ bytes"}


class SeedStyleExtension(SmsExtension):
    """Written the seed's way: it reads ``code`` from the event, as before."""

    def __init__(self) -> None:
        super().__init__("com.example.sms.seed")
        self.sent: list[dict[str, Any]] = []

    def send_sms(self, event: Event, **kwargs: Any) -> Any:
        self.sent.append(dict(event.data))
        return {"Code": "OK"}


@pytest.fixture
def platform(aliyun_server: AliyunFake) -> Iterator[Platform]:
    platform = Platform(retry=RetryPolicy(max_attempts=1), verify_keys=KeyRing(KEYS))
    platform.register(AliyunSmsExtension())
    s = aliyun_server.settings()
    creds = {"access_key_id": s["access_key_id"], "access_key_secret": s["access_key_secret"]}
    for tenant in ("acme", "other"):
        platform.save_settings(tenant, PKG, {**creds, "endpoint": aliyun_server.server.endpoint})  # type: ignore[union-attr]
    yield platform
    platform.close()


def config(platform: Platform, tenant: str = "acme") -> str:
    return platform.add_config(tenant, PKG, {"sign_name": "阿里云短信测试", "template_code": "SMS_154950909"})


def test_start_and_check_without_a_caller_made_code(platform: Platform, aliyun_server: AliyunFake) -> None:
    event = Event(SEND_SMS, "acme", PKG, {"config_id": config(platform), "mobile": "13800138000"})
    v = platform.start_verification(event)
    [sent] = aliyun_server.delivered
    assert (sent.phone, sent.template_code, list(sent.params)) == ("13800138000", "SMS_154950909", ["code"])
    assert v.send_status is Status.ACCEPTED and v.status is VerificationStatus.PENDING
    with pytest.raises(VerificationFailed):
        platform.check_verification("other", v.id, sent.params["code"])  # another tenant's
    assert platform.check_verification("acme", v.id, sent.params["code"]).approved
    assert platform.get_verification("acme", v.id).status is VerificationStatus.APPROVED  # type: ignore[union-attr]
    assert platform.get_verification("other", v.id) is None


async def test_async_twins_and_areacode(platform: Platform, aliyun_server: AliyunFake) -> None:
    data = {"config_id": config(platform), "mobile": "91234567", "areacode": "852"}
    v = await platform.astart_verification(Event(SEND_SMS, "acme", PKG, data), purpose="signup")
    assert aliyun_server.delivered[-1].phone == "85291234567" and v.phone == "+85291234567"
    assert (await platform.acheck_verification("acme", v.id, aliyun_server.delivered[-1].params["code"])).approved


def test_a_seed_style_extension_sends_the_code_unchanged(platform: Platform) -> None:
    seed = SeedStyleExtension()
    platform.register(seed)
    event = Event(SEND_SMS, "acme", seed.package, {"config_id": "c1", "mobile": "13800138000", "username": "bob"})
    v = platform.start_verification(event)
    [data] = seed.sent
    assert data["username"] == "bob" and data["mobile"] == "+8613800138000"
    assert platform.check_verification("acme", v.id, data["code"]).approved


def test_a_failed_send_is_reported(platform: Platform, aliyun_server: AliyunFake) -> None:
    aliyun_server.fail_phone("13800138000", "isv.BUSINESS_LIMIT_CONTROL", "limit")
    v = platform.start_verification(
        Event(SEND_SMS, "acme", PKG, {"config_id": config(platform), "mobile": "13800138000"})
    )
    assert v.send_status is Status.REJECTED and v.error is not None and v.error.code == 46002


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (Event(SEND_SMS, "acme", PKG, {"config_id": "c", "mobile": "13800138000", "code": "1"}), "data.code"),
        (Event(SEND_SMS, "acme", (PKG, "x"), {"config_id": "c", "mobile": "13800138000"}), "packages"),
        (Event(SEND_SMS, "acme", PKG, {"config_id": "c"}), "data.mobile"),
        (Event("OTHER", "acme", PKG, {}), "event"),
    ],
)
def test_bad_events_name_the_field(platform: Platform, event: Event, field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        platform.start_verification(event)
    assert info.value.field == field
