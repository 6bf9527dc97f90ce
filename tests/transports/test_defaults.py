import importlib.util

import pytest

from smsgate import AsyncGateway, Gateway
from smsgate.elements import App
from smsgate.transports import (
    AiohttpTransport,
    PyreqwestSyncTransport,
    PyreqwestTransport,
    Urllib3Transport,
    default_async_transport,
    default_transport,
)
from smsgate.transports.defaults import uses_pyreqwest

pytest.importorskip("pyreqwest")


@pytest.fixture
def without_pyreqwest(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyreqwest" else real(name, *a))


async def test_pyreqwest_when_installed(monkeypatch):
    monkeypatch.delenv("SMSGATE_TRANSPORT", raising=False)
    assert uses_pyreqwest()
    with default_transport(8) as sync:
        assert isinstance(sync, PyreqwestSyncTransport)
    async with default_async_transport(8) as transport:
        assert isinstance(transport, PyreqwestTransport)


async def test_mature_pair_without_pyreqwest(without_pyreqwest):
    assert not uses_pyreqwest()
    with default_transport(8) as sync:
        assert isinstance(sync, Urllib3Transport)
    async with default_async_transport(8) as transport:
        assert isinstance(transport, AiohttpTransport)


@pytest.mark.parametrize("name", ["aiohttp", "urllib3", " AIOHTTP "])
async def test_environment_keeps_the_mature_pair(monkeypatch, name):
    monkeypatch.setenv("SMSGATE_TRANSPORT", name)
    assert not uses_pyreqwest()
    with default_transport(8) as sync:
        assert isinstance(sync, Urllib3Transport)
    async with default_async_transport(8) as transport:
        assert isinstance(transport, AiohttpTransport)


async def test_gateways_open_the_defaults(monkeypatch):
    monkeypatch.delenv("SMSGATE_TRANSPORT", raising=False)
    with Gateway({"console": {}}) as gateway:
        assert isinstance(gateway.transport, PyreqwestSyncTransport)
    async with AsyncGateway({"console": {}}) as agateway:
        assert isinstance(agateway.transport, PyreqwestTransport)
    monkeypatch.setenv("SMSGATE_TRANSPORT", "aiohttp")
    with Gateway({"console": {}}) as gateway:
        assert isinstance(gateway.transport, Urllib3Transport)
    async with AsyncGateway({"console": {}}) as agateway:
        assert isinstance(agateway.transport, AiohttpTransport)


def test_a_given_transport_wins(monkeypatch):
    monkeypatch.delenv("SMSGATE_TRANSPORT", raising=False)
    with Gateway({"console": {}}, transport=Urllib3Transport()) as gateway:
        assert isinstance(gateway.transport, Urllib3Transport)


def test_elements_share_one_default_transport(tmp_path, monkeypatch):
    monkeypatch.delenv("SMSGATE_TRANSPORT", raising=False)
    with App(tmp_path) as app:
        assert isinstance(app._transport, PyreqwestSyncTransport)
