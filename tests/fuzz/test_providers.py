"""Fuzzed provider replies: every one becomes a result line per recipient, never an exception,
and a reply that may mean delivery (a 5xx, an unreadable body) is never reported as not sent."""

import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smsgate import Gateway, HttpResponse, Message, MockTransport, RetryPolicy, Status

from .strategies import ANY, TEXT
from .test_message import SETTINGS

HTTP = [name for name in SETTINGS if name != "memory"]
COMMON = [200, 201, 202, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503]
STATUSES = st.one_of(st.sampled_from(COMMON), st.integers(100, 599))
KEYS = st.sampled_from(
    [
        "Code",
        "Message",
        "BizId",
        "RequestId",
        "Response",
        "SendStatusSet",
        "Error",
        "code",
        "result",
        "status",
        "sid",
        "error_code",
        "message-count",
        "messages",
        "MessageId",
        "ErrorResponse",
        "smsMsgId",
        "description",
    ]
)
SHAPED: st.SearchStrategy = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT, st.sampled_from(["OK", "Ok", "000000", "0"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(KEYS, TEXT), inner, max_size=4)),
    max_leaves=10,
)
BODIES = st.one_of(
    st.binary(max_size=64),
    ANY.map(lambda v: _json(v)),
    SHAPED.map(lambda v: _json(v)),
    SHAPED.map(lambda v: f"<ErrorResponse><Error><Code>{v}</Code></Error></ErrorResponse>".encode("utf-8", "replace")),
)
HEADERS = st.dictionaries(
    st.sampled_from(["retry-after", "x-acs-retry-after", "content-type", "x-amzn-requestid"]), st.text(max_size=12)
)


def _json(value):
    try:
        return json.dumps(value, default=str).encode()
    except (TypeError, ValueError):  # a number too long to print
        return b"{}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(HTTP), STATUSES, HEADERS, BODIES)
def test_any_reply_is_a_result_line_per_recipient(provider, status, headers, body):
    message = Message(
        to=["13800138000", "+14155550123"],
        template="SMS_1",
        text="code ${code}",
        params={"code": "1234"},
        templates={"tencent": "1110", "huawei": "t1"},
        sign_name="Acme",
    )
    transport = MockTransport(lambda request: HttpResponse(status, headers, body))
    with Gateway({provider: SETTINGS[provider]}, transport=transport, retry=RetryPolicy(max_attempts=1)) as gateway:
        result = gateway.send(message)
    assert sorted(r.phone.e164 for r in result.recipients) == ["+14155550123", "+8613800138000"]
    for row in result.recipients:
        event(f"{row.status}")
        assert (row.error is None) == (row.status is Status.ACCEPTED)
        if status >= 500:
            assert row.status is not Status.FAILED, row.error  # it may have been delivered
