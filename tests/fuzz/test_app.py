"""Fuzzed app folders: loading and sending answer only with typed smsgate errors, naming the file."""

import json
import tempfile
from pathlib import Path

import orjson
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smsgate import App, ConfigError, HttpResponse, MockTransport, SmsError

from .strategies import ANY, NUMBERS, TEXT

OK = HttpResponse(200, {}, orjson.dumps({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}))
TYPES = st.sampled_from(["SMS.Aliyun", "SMS.Console", "SMS.Tencent", "SMS.Twilio", "SMS.Meta", "SMS.Nope"])
E_KEYS = st.sampled_from(["title", "type", "backendBundleEntry", "provider", "providerClass"])
SMS_KEYS = st.sampled_from(
    [
        "accessKey",
        "accessSecret",
        "verifySign",
        "endpoint",
        "timeout",
        "connectTimeout",
        "regionId",
        "secretId",
        "secret_key",
        "sdkAppId",
        "accountSid",
        "authToken",
        "from",
        "signName",
        "securityToken",
        "signatureVersion",
    ]
)
VALUES = st.one_of(TEXT, NUMBERS, ANY, st.sampled_from(["127.0.0.1:9", "v2", "SMS_1", "."]))


def _json(value) -> bytes:
    try:
        return json.dumps(value, default=str).encode()
    except (TypeError, ValueError):  # a number too long to print
        return b"{}"


def _text(value) -> bytes:
    return value.encode("utf-8", "surrogatepass")


FILES = st.one_of(
    st.fixed_dictionaries(
        {"title": TEXT, "type": TYPES, "backendBundleEntry": st.just(".")},
        optional={"provider": TEXT, "providerClass": TEXT},
    ).map(_json),
    st.dictionaries(st.one_of(E_KEYS, SMS_KEYS, TEXT), VALUES, max_size=5).map(_json),
    st.dictionaries(SMS_KEYS, VALUES, max_size=5).map(_json),
    st.binary(max_size=32),  # invalid UTF-8 among it
    st.integers(1, 200_000).map(lambda depth: b"[" * depth + b"]" * depth),  # deep nesting
    st.integers(1, 50_000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.integers(4300, 9000).map(lambda digits: b'{"timeout": ' + b"9" * digits + b"}"),
    TEXT.map(_text),
)
SEED_E = _json({"title": "t", "type": "SMS.Aliyun", "backendBundleEntry": "."})
SEED_SMS = st.fixed_dictionaries(
    {
        "accessKey": st.one_of(st.just("ak"), TEXT),
        "accessSecret": st.one_of(st.just("sk"), TEXT),
        "verifySign": st.one_of(st.just("Acme"), TEXT),
        "endpoint": st.just("127.0.0.1:9"),
    },
    optional={key: VALUES for key in ["timeout", "connectTimeout", "securityToken", "signatureVersion", "regionId"]},
).map(_json)
ELEMENT = st.one_of(
    st.tuples(st.sampled_from(["A", "B", "Sms"]), FILES, st.one_of(st.none(), FILES)),
    st.tuples(st.sampled_from(["A", "B", "Sms"]), st.just(SEED_E), SEED_SMS),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ELEMENT, min_size=1, max_size=3, unique_by=lambda e: e[0]), st.dictionaries(TEXT, VALUES, max_size=2))
def test_any_app_folder_loads_or_is_a_config_error_naming_its_files(elements, params):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, e_json, sms_json in elements:
            (root / "SMS" / name).mkdir(parents=True)
            (root / "SMS" / name / "e.json").write_bytes(e_json)
            if sms_json is not None:
                (root / "SMS" / name / "sms.json").write_bytes(sms_json)
        try:
            app = App(root, transport=MockTransport(lambda request: OK))
        except ConfigError as exc:
            assert exc.problems and all(p.startswith("SMS/") for p in exc.problems), exc.problems
            event("refused")
            return
        with app:
            for name in app.elements:
                try:
                    app.getElement(name).sendMessage(
                        phoneList=["13800138000"], params=params, verifyTemplateCode="SMS_1"
                    )
                    event("sent")
                except SmsError as exc:
                    event(f"send refused: {exc.code}")
