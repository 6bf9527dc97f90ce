import logging
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from smsgate import OutcomeUnknown, PhoneNumber, Rejected
from smsgate._redact import MASK, Cause, QueryFilter, needles, redact, scrubbed, strip_queries
from smsgate.providers.aliyun import AliyunSettings

SETTINGS = AliyunSettings(access_key_id="ak", access_key_secret=SecretStr("s3cr3t/+=ü"), security_token="T0K3N&x")
PHONE = PhoneNumber.parse("13812345678")


def test_needles_cover_secrets_params_and_phones_in_their_encoded_forms():
    hidden = needles(SETTINGS, [{"code": "58613947", "n": "ab"}], [PHONE])
    for form in ("s3cr3t/+=ü", quote("s3cr3t/+=ü", safe=""), quote(quote("T0K3N&x", safe=""), safe="")):
        assert form in hidden
    assert {"58613947", "+8613812345678", "8613812345678", "13812345678"} <= set(hidden)
    assert "ab" not in hidden and "ak" not in hidden  # too short to take out; not secret
    assert [len(n) for n in hidden] == sorted((len(n) for n in hidden), reverse=True)


def test_redact_reaches_into_json_like_data():
    raw = {"Message": "sts: SecurityToken%3DT0K3N%2526x", "list": ["58613947", 3], "58613947": None}
    assert redact(raw, needles(SETTINGS, [{"code": "58613947"}])) == {
        "Message": f"sts: SecurityToken%3D{MASK}",
        "list": [MASK, 3],
        MASK: None,
    }


def test_scrubbed_drops_the_traceback_and_reduces_the_cause():
    try:
        try:
            raise ConnectionError("error sending request for url (http://h/?TemplateParam=58613947&Token=T0K3N)")
        except ConnectionError as exc:
            raise OutcomeUnknown("no response after sending") from exc
    except OutcomeUnknown as exc:
        error = scrubbed(exc, needles(SETTINGS, [{"code": "58613947"}]))
    assert error.__traceback__ is None and error.__context__ is None
    assert isinstance(error.__cause__, Cause)
    assert str(error.__cause__) == "builtins.ConnectionError: error sending request for url (http://h/?…)"


def test_scrubbed_cleans_words_provider_message_and_raw():
    error = Rejected("bad: T0K3N&x", provider_message="sts T0K3N%26x", raw={"echo": "13812345678"})
    scrubbed(error, needles(SETTINGS, (), [PHONE]))
    assert (error.message, error.provider_message, error.raw) == (f"bad: {MASK}", f"sts {MASK}", {"echo": MASK})
    assert str(error) == f"bad: {MASK}" and error.args == (f"bad: {MASK}",)


SECRETS = st.text(st.characters(blacklist_categories=["Cs", "Cc", "Zs"], blacklist_characters="#"), min_size=4)
AROUND = st.text(alphabet=" #\n")  # nothing a secret is made of


@settings(max_examples=300, deadline=None)
@given(SECRETS, AROUND, AROUND)
def test_a_secret_never_survives_in_any_encoding(secret, before, after):
    hidden = needles(AliyunSettings(access_key_id="a", access_key_secret=SecretStr(secret)))
    for form in (secret, quote(secret, safe=""), quote(quote(secret, safe=""), safe="")):
        shown = redact(before + form + after, hidden)
        assert shown == before + MASK + after


def test_query_filter_cuts_urls_in_log_arguments():
    record = logging.LogRecord("urllib3", logging.DEBUG, "", 0, '%s "%s %s"', ("h", "POST", "/?code=1&t=2"), None)
    assert QueryFilter().filter(record) and record.getMessage() == 'h "POST /?…"'
    assert strip_queries("see http://x/y?a=1 and 'https://z/?b=2'") == "see http://x/y?… and 'https://z/?…'"


def test_phone_reprs_are_masked():
    assert repr(PHONE) == "PhoneNumber('+86138****5678')" and "13812345678" not in repr([PHONE])
