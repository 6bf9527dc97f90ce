"""Tenant-set endpoints: the provider's public hosts by default, more only when the operator allows."""

import ipaddress

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import ConfigError, HttpResponse, MockTransport, RetryPolicy
from smsgate.extensions import SEND_SMS, AliyunSmsExtension, EndpointPolicy, Event, Platform, ProviderSmsExtension

PKG = AliyunSmsExtension.package
CREDS = {"access_key_id": "ak", "access_key_secret": "sk"}
OK = HttpResponse(200, {}, orjson.dumps({"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"}))

REFUSED = [
    "127.0.0.1:6379",
    "http://127.0.0.1:6379",
    "169.254.169.254",
    "http://169.254.169.254/latest/meta-data/",
    "10.0.0.8",
    "192.168.1.1:443",
    "[::1]:443",
    "[::ffff:127.0.0.1]",
    "localhost",
    "2130706433",  # 127.0.0.1 spelled as one number
    "0x7f.0.0.1",
    "metadata.google.internal",
    "evil.example.com",
    "aliyuncs.com.evil.example.com",
    "evilaliyuncs.com",
    "8.8.8.8",  # a public address is still not the provider's host
]


def platform(policy=None, transport=None, **options):
    p = Platform(
        transport=transport or MockTransport(lambda r: OK),
        retry=RetryPolicy(max_attempts=1),
        endpoints=policy or EndpointPolicy(),
        **options,
    )
    p.register(AliyunSmsExtension())
    return p


@pytest.mark.parametrize("endpoint", REFUSED)
def test_default_policy_refuses_anything_but_the_public_hosts_naming_the_field(endpoint):
    p = platform()
    with pytest.raises(ConfigError) as info:
        p.save_settings("t", PKG, {**CREDS, "endpoint": endpoint})
    (problem,) = info.value.problems
    assert problem.startswith(f"settings of {PKG!r}: endpoint: ")
    assert p.list_settings("t") == []  # nothing stored


@pytest.mark.parametrize(
    "endpoint", ["http://dysmsapi.aliyuncs.com", "dysmsapi.aliyuncs.com:8443", "ftp://dysmsapi.aliyuncs.com"]
)
def test_public_hosts_only_over_https_on_443(endpoint):
    with pytest.raises(ConfigError, match="endpoint: "):
        platform().save_settings("t", PKG, {**CREDS, "endpoint": endpoint})


@pytest.mark.parametrize(
    "endpoint",
    ["dysmsapi.aliyuncs.com", "https://dysmsapi.ap-southeast-1.aliyuncs.com", "dysmsapi.aliyuncs.com:443", None],
)
def test_public_hosts_are_allowed(endpoint):
    p = platform()
    p.save_settings("t", PKG, {**CREDS, "endpoint": endpoint})
    assert p.list_settings("t")[0]["settings"]["endpoint"] == endpoint


def test_a_tenant_proxy_needs_the_operators_leave():
    p = Platform(endpoints=EndpointPolicy())
    p.register(ProviderSmsExtension("twilio"))
    twilio = {"account_sid": "AC1", "auth_token": "t", "from": "+15005550006"}
    with pytest.raises(ConfigError, match=r"settings of 'com.smsgate.sms.twilio': proxy: '127.0.0.1' is an address"):
        p.save_settings("t", "com.smsgate.sms.twilio", {**twilio, "proxy": "http://127.0.0.1:3128"})
    allowed = Platform(endpoints=EndpointPolicy(allow=["127.0.0.1"]))
    allowed.register(ProviderSmsExtension("twilio"))
    allowed.save_settings("t", "com.smsgate.sms.twilio", {**twilio, "proxy": "http://127.0.0.1:3128"})


def test_the_resolved_address_is_checked_at_send_time():
    answers = {"dysmsapi.aliyuncs.com": ["169.254.169.254"]}
    transport = MockTransport(lambda r: OK)
    p = platform(EndpointPolicy(resolve=lambda host, port: answers[host]), transport)
    p.save_settings("t", PKG, {**CREDS, "endpoint": "dysmsapi.aliyuncs.com"})  # the string is fine
    config_id = p.add_config("t", PKG, {"sign_name": "S", "template_code": "SMS_1"})
    event = Event(SEND_SMS, "t", PKG, {"config_id": config_id, "mobile": "13800138000", "code": "123456"})
    outcome = p.dispatch(event)[PKG]
    assert isinstance(outcome.error, ConfigError)
    assert str(outcome.error) == (
        "endpoint: 'dysmsapi.aliyuncs.com' resolves to 169.254.169.254, an address the platform does not allow"
    )
    assert transport.requests == []  # nothing left
    answers["dysmsapi.aliyuncs.com"] = ["106.11.0.1", "2408:4001::1"]  # public again
    assert p.dispatch(event)[PKG].ok
    assert [r.url.split("/?")[0] for r in transport.requests] == ["https://dysmsapi.aliyuncs.com"]


def test_an_unresolvable_host_is_a_typed_error():
    def fail(host, port):
        raise OSError("no such host")

    p = platform(EndpointPolicy(resolve=fail))
    with pytest.raises(ConfigError, match=r"endpoint: 'dysmsapi\.aliyuncs\.com' cannot be resolved"):
        p.gateway("aliyun", {**CREDS, "endpoint": "dysmsapi.aliyuncs.com"})


def test_the_operator_allows_ranges_and_hosts_on_any_port():
    allow = ["127.0.0.0/8", "sms-gw.internal", ".corp.example"]
    policy = EndpointPolicy(allow=allow, resolve=lambda host, port: ["10.9.9.9"])
    p = platform(policy)
    for endpoint in ["127.0.0.1:6379", "http://127.0.0.2:9000", "http://sms-gw.internal:8080", "a.corp.example"]:
        p.save_settings("t", PKG, {**CREDS, "endpoint": endpoint})
        p.gateway("aliyun", {**CREDS, "endpoint": endpoint})  # trusted as named, resolution and all
    with pytest.raises(ConfigError, match=r"endpoint: '169\.254\.169\.254'"):
        p.save_settings("t", PKG, {**CREDS, "endpoint": "169.254.169.254"})


def test_the_policy_comes_from_the_environment_when_not_given(monkeypatch):
    monkeypatch.setenv("SMSGATE_EXTENSIONS_ALLOW", " 127.0.0.1 , gw.internal,")
    policy = Platform().endpoints
    assert policy.allow == ("127.0.0.1", "gw.internal")
    monkeypatch.delenv("SMSGATE_EXTENSIONS_ALLOW")
    assert Platform().endpoints.allow == ()


@pytest.mark.parametrize("entry", ["", "http://x", "10.0.0.0/99", "a:b"])
def test_a_bad_policy_entry_is_a_config_error(entry):
    with pytest.raises(ConfigError, match="endpoint policy: "):
        EndpointPolicy(allow=[entry])


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses(), st.integers(1, 65535), st.sampled_from(["", "http://", "https://"]))
def test_no_address_literal_passes_the_default_policy(address, port, scheme):
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    with pytest.raises(ConfigError, match=r"^endpoint: "):
        EndpointPolicy().check("aliyun", {"endpoint": f"{scheme}{host}:{port}"}, resolve=False)


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses().filter(lambda a: not a.is_global))
def test_no_public_host_may_resolve_to_a_non_public_address(address):
    policy = EndpointPolicy(resolve=lambda host, port: ["106.11.0.1", str(address)])
    with pytest.raises(ConfigError, match=f"resolves to {address}"):
        policy.check("aliyun", {"endpoint": "dysmsapi.aliyuncs.com"}, resolve=True)


def test_every_http_provider_has_its_public_hosts():
    from smsgate import available_providers, provider_class
    from smsgate.extensions._endpoints import PUBLIC_HOSTS
    from smsgate.providers.base import LocalProvider

    http = {name for name in available_providers() if not issubclass(provider_class(name), LocalProvider)}
    assert http <= set(PUBLIC_HOSTS) | {n for n in http if getattr(provider_class(n), "public_hosts", ())}
