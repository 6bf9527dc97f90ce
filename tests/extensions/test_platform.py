import asyncio

import pytest

from smsgate import ConfigError, InvalidRequest, OutcomeUnknown, Rejected
from smsgate.extensions import SEND_SMS, AliyunSmsExtension, Event, Extension, Platform, SmsExtension


class Recorder(SmsExtension):
    """Records what it was sent; fails on demand."""

    def __init__(self, package, fail=None):
        super().__init__(package)
        self.fail = fail
        self.seen = []
        self.unloaded = False

    def send_sms(self, event, **kwargs):
        self.seen.append(event)
        event.data.pop("mobile")  # a rude extension: the next one must still get its own copy
        if self.fail is not None:
            raise self.fail
        return {"sent_by": self.package}

    def unload(self):
        self.unloaded = True


def sms(*packages, **data):
    return Event(SEND_SMS, "t1", packages, {"config_id": "c", "mobile": "13800138000", **data})


def test_dispatch_reaches_only_the_targeted_packages():
    platform = Platform()
    a, b = platform.register(Recorder("com.a")), platform.register(Recorder("com.b"))
    outcomes = platform.dispatch(sms("com.b"))
    assert [o.package for o in outcomes] == ["com.b"]
    assert outcomes["com.b"].result == {"sent_by": "com.b"}
    assert (len(a.seen), len(b.seen)) == (0, 1)


def test_one_failing_extension_does_not_hide_the_others():
    platform = Platform()
    platform.register(Recorder("com.bad", fail=Rejected("refused", provider_code="isv.X")))
    platform.register(Recorder("com.crash", fail=KeyError("config_id")))
    platform.register(Recorder("com.good"))
    outcomes = platform.dispatch(sms("com.bad", "com.crash", "com.good", "com.absent"))
    assert [o.package for o in outcomes] == ["com.bad", "com.crash", "com.good", "com.absent"]
    assert outcomes["com.good"].ok and outcomes["com.good"].result == {"sent_by": "com.good"}
    assert outcomes["com.bad"].error.code == 46002 and outcomes["com.bad"].error.provider_code == "isv.X"
    crash = outcomes["com.crash"].error
    assert isinstance(crash, OutcomeUnknown) and crash.code == 46003  # typed, not a 500
    assert str(crash.__cause__) == "builtins.KeyError: 'config_id'"  # its type and words; no traceback
    assert isinstance(outcomes["com.absent"].error, ConfigError)
    assert not outcomes.ok and set(outcomes.results) == {"com.good"}


def test_each_extension_gets_its_own_copy_of_the_data():
    platform = Platform()
    first, second = platform.register(Recorder("com.a")), platform.register(Recorder("com.b"))
    event = sms("com.a", "com.b")
    platform.dispatch(event)
    assert "mobile" in event.data and "mobile" not in first.seen[0].data and "mobile" not in second.seen[0].data


def test_a_missing_required_key_is_46001_before_any_extension_runs():
    platform = Platform()
    recorder = platform.register(Recorder("com.a"))
    for event in (
        Event(SEND_SMS, "t1", "com.a", {"mobile": "13800138000"}),
        Event(SEND_SMS, "t1", "com.a", {"config_id": "c"}),
        Event(SEND_SMS, "t1", (), {"config_id": "c", "mobile": "1"}),
    ):
        with pytest.raises(InvalidRequest) as info:
            platform.dispatch(event)
        assert info.value.code == 46001
    assert recorder.seen == []


def test_other_events_without_packages_reach_every_listener():
    class Audit(Extension):
        def load(self):
            self.listen_event("LOGIN", lambda event, **kw: event.tenant)

    platform = Platform()
    platform.register(Audit("com.audit.one"))
    platform.register(Audit("com.audit.two"))
    assert platform.dispatch(Event("LOGIN", "t9")).results == {"com.audit.one": "t9", "com.audit.two": "t9"}
    outcome = platform.dispatch(Event("LOGIN", "t9", "com.audit.one"))
    assert outcome.results == {"com.audit.one": "t9"}
    assert "does not listen" in str(platform.dispatch(Event("LOGOUT", "t9", "com.audit.one"))[0].error)


def test_register_twice_and_unload():
    platform = Platform()
    recorder = platform.register(Recorder("com.a"))
    with pytest.raises(ConfigError, match="already loaded"):
        platform.register(Recorder("com.a"))
    platform.unload("com.a")
    assert recorder.unloaded and recorder.listeners == [] and recorder.platform is None
    assert isinstance(platform.dispatch(sms("com.a"))["com.a"].error, ConfigError)
    with pytest.raises(ConfigError):
        platform.unload("com.a")


def test_an_extension_needs_a_package():
    with pytest.raises(ConfigError, match="package id"):
        Recorder("")


def test_entry_points_load_the_builtin_aliyun_extension():
    platform = Platform()
    assert platform.load_entry_points() == ["com.smsgate.sms.aliyun"]
    extension = platform.extensions["com.smsgate.sms.aliyun"]
    assert isinstance(extension, AliyunSmsExtension) and extension.type == "sms"
    assert platform.load_entry_points() == []  # already loaded


def test_broken_entry_points_are_reported_after_loading_the_rest(monkeypatch):
    from importlib.metadata import EntryPoint

    from smsgate.extensions import _platform

    eps = [
        EntryPoint("broken", "no_such_module_xyz:Ext", "smsgate.extensions"),
        EntryPoint("ok", "smsgate.extensions.aliyun:AliyunSmsExtension", "smsgate.extensions"),
        EntryPoint("wrong", "json:dumps", "smsgate.extensions"),
    ]
    monkeypatch.setattr(_platform, "entry_points", lambda group: eps)
    platform = Platform()
    with pytest.raises(ConfigError) as info:
        platform.load_entry_points()
    assert len(info.value.problems) == 2
    assert "com.smsgate.sms.aliyun" in platform.extensions


async def test_adispatch_runs_sync_and_async_handlers():
    class Slow(Extension):
        def load(self):
            self.listen_event("PING", self.ping)

        async def ping(self, event, **kwargs):
            await asyncio.sleep(0.01)
            return "pong"

    platform = Platform()
    platform.register(Slow("com.slow"))
    platform.register(Recorder("com.rec"))
    platform.register(Recorder("com.bad", fail=RuntimeError("boom")))
    assert (await platform.adispatch(Event("PING", "t"))).results == {"com.slow": "pong"}
    outcomes = await platform.adispatch(sms("com.rec", "com.bad"))
    assert outcomes["com.rec"].result == {"sent_by": "com.rec"}
    assert isinstance(outcomes["com.bad"].error, OutcomeUnknown)
