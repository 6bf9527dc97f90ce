import email.utils
import time

import pytest

from smsgate import HttpRequest, HttpResponse
from smsgate._http import split_endpoint


@pytest.mark.parametrize(
    ("endpoint", "base", "host"),
    [
        ("dysmsapi.aliyuncs.com", "https://dysmsapi.aliyuncs.com", "dysmsapi.aliyuncs.com"),
        ("127.0.0.1:9000", "https://127.0.0.1:9000", "127.0.0.1:9000"),
        ("http://127.0.0.1:9000/", "http://127.0.0.1:9000", "127.0.0.1:9000"),
        ("https://gw.example.com/sms/", "https://gw.example.com/sms", "gw.example.com"),
    ],
)
def test_split_endpoint(endpoint, base, host):
    assert split_endpoint(endpoint) == (base, host)


def test_split_endpoint_needs_a_host():
    with pytest.raises(ValueError, match="no host"):
        split_endpoint("http://")


def test_retry_after_in_seconds_or_date():
    assert HttpResponse(429, {"retry-after": "3"}).retry_after == 3.0
    later = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 50 < (HttpResponse(503, {"retry-after": later}).retry_after or 0) <= 60
    assert HttpResponse(503, {"retry-after": "soon"}).retry_after is None
    assert HttpResponse(200).retry_after is None


def test_json_and_text():
    assert HttpResponse(200, body=b'{"a": 1}').json() == {"a": 1}
    assert HttpResponse(200, body=b"<xml/>").json() is None and HttpResponse(200).json() is None
    assert HttpResponse(200, body="é".encode()).text == "é"


def test_reprs_hide_headers_and_bodies():
    request = HttpRequest("POST", "https://x/", headers={"Authorization": "Basic c2VjcmV0"}, body=b"secret")
    assert "c2VjcmV0" not in repr(request) and "secret" not in repr(request)
    assert "secret" not in repr(HttpResponse(200, body=b"secret"))
