"""Elements start and check verifications: the caller never makes or keeps a code."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsgate import InvalidRequest, VerificationFailed, VerificationStatus
from smsgate.elements import App
from tests.fakes.aliyun import AliyunFake

from .helpers import aliyun_element


@pytest.fixture
def app(tmp_path: Path, aliyun_server: AliyunFake) -> App:
    aliyun_element(tmp_path, "Aliyun", aliyun_server.server.endpoint)  # type: ignore[union-attr]
    return App(tmp_path)


def test_start_and_check_in_camel_case(app: App, aliyun_server: AliyunFake) -> None:
    element = app.getElement("SMS.Aliyun")
    v = element.startVerification("13800138000", "SMS_123456789")
    sent = aliyun_server.delivered[-1]
    assert sent.template_code == "SMS_123456789" and sent.sign_name == "阿里云短信测试"
    assert v.status is VerificationStatus.PENDING and sent.params["code"] not in repr(v)
    with pytest.raises(VerificationFailed) as info:
        element.checkVerification(v.id, "x")
    assert info.value.code == 46020
    assert element.checkVerification(v.id, sent.params["code"]).approved
    app.close()


async def test_snake_case_and_async_twins_share_the_state(app: App, aliyun_server: AliyunFake) -> None:
    element = app.get_element("SMS.Aliyun")
    v = await element.astart_verification("13800138000", template_code="SMS_1", purpose="signup")
    code = aliyun_server.delivered[-1].params["code"]
    assert element.check_verification(v.id, code).approved  # started async, checked sync
    w = element.start_verification("13900139000", "SMS_1", params={"product": "Acme"})
    assert aliyun_server.delivered[-1].params["product"] == "Acme"
    assert (await element.acheckVerification(w.id, aliyun_server.delivered[-1].params["code"])).approved
    v2 = await element.astartVerification("13700137000", "SMS_1")
    with pytest.raises(VerificationFailed):
        await element.acheck_verification(v2.id, "000000x")
    await app.aclose()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((None, "SMS_1"), "phone"),
        (("13800138000", None), "verifyTemplateCode"),
        (("13800138000", 5), "verifyTemplateCode"),
    ],
)
def test_bad_arguments_name_themselves(app: App, args: tuple[object, object], field: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        app.getElement("SMS.Aliyun").startVerification(*args)  # type: ignore[arg-type]
    assert info.value.field == field
    app.close()
