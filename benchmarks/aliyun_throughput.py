"""Aliyun SendSms throughput against a local nginx: smsgate vs the official SDK vs a bare loop.

Run by hand (never as a test), with the ``bench`` extra installed::

    .venv/bin/python benchmarks/aliyun_throughput.py [--messages 4000] [--uvloop] [--shared-cpus]

The floor client signs and sends the very requests smsgate sends, by hand, on the same transport:
the ratio to it is what smsgate's own work costs. The contract floors add to it only what any
client taking a ``Message`` and returning a ``SendResult`` must do (the phone parsed, the typed
result): the ratio to them is what smsgate's layers cost. It starts its own nginx on 127.0.0.1
(``worker_processes 1``, keep-alive) answering every request with Aliyun's OK JSON. nginx stands
for the provider's servers, which are elsewhere: it runs on the last CPU and the clients (every
thread of this process) on the others, so neither takes the other's CPU. ``--shared-cpus`` lets
the clients run on every CPU, nginx's too; on a virtual machine the wake-ups between an HTTP
client's threads on different CPUs then cost more than the client's own work, whoever the client
is (see benchmarks/README.md). It then measures messages per second for each client,
in interleaved rounds; each client's best round counts. The CPU per message is that of the timed
part only (no warm-up or imports), of the main thread (the client's own Python work) and of the
process (with the HTTP client's threads), the least of any round. Every message has one
recipient, a different valid mainland mobile each time, so phone parsing is never served from a cache.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

OK_JSON = (
    '{"Code":"OK","Message":"OK","BizId":"9006197469364984400^0","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"}'
)
AK, SECRET, SIGN, TEMPLATE = "benchAK", "benchSecret", "阿里云短信测试", "SMS_154950909"
IN_FLIGHT = 64

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_timeout 120s;
    keepalive_requests 10000000;
    large_client_header_buffers 4 32k;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            default_type application/json;
            return 200 '{body}';
        }}
    }}
}}
"""

_phones = (f"13{d}{n * 7919 % 100_000_000:08d}" for d in "56789" for n in range(100_000_000))


def phones(count: int) -> list[str]:
    """``count`` valid mainland mobiles never used before in this process."""
    return [next(_phones) for _ in range(count)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(proc: subprocess.Popen[bytes], port: int, what: str) -> None:
    """Return once ``proc`` accepts connections on ``port`` (5 s at most)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.05)


CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
SERVER_CPUS = CPUS[-1:] if len(CPUS) > 1 else []  # the last CPU, when there are two or more


def pinned_to_last_cpu() -> list[str]:
    """``taskset`` arguments keeping the server on the last CPU, so it never lands on the client's
    core mid-run (the largest source of run-to-run noise here); none on one CPU or without taskset."""
    taskset = shutil.which("taskset")
    return [taskset, "-c", str(SERVER_CPUS[0])] if taskset and SERVER_CPUS else []


def keep_off_server_cpu() -> str:
    """Run this process, and every thread it starts from now on, on the CPUs the server does not
    use; call it before any client starts a thread. Says which CPUs the clients got."""
    rest = [cpu for cpu in CPUS if cpu not in SERVER_CPUS]
    if not (SERVER_CPUS and rest):
        return "clients and server share the only CPU"
    os.sched_setaffinity(0, rest)
    return f"clients on CPU {','.join(map(str, rest))}, nginx on CPU {SERVER_CPUS[0]}"


@contextmanager
def nginx() -> Iterator[int]:
    """Start nginx on a free loopback port; yield the port; stop it (only the process we started)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="smsgate-bench-") as tmp:
        conf = Path(tmp, "nginx.conf")
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, body=OK_JSON))
        proc = subprocess.Popen([*pinned_to_last_cpu(), binary, "-c", str(conf), "-p", tmp, "-e", f"{tmp}/error.log"])
        try:
            wait_for_port(proc, port, "nginx")
            yield port
        finally:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


# -- the clients ----------------------------------------------------------------------------


def smsgate_settings(port: int) -> dict[str, str]:
    return {"access_key_id": AK, "access_key_secret": SECRET, "endpoint": f"127.0.0.1:{port}", "sign_name": SIGN}


async def run_concurrently(numbers: list[str], one: Callable[[str], Awaitable[object]]) -> None:
    queue = iter(numbers)

    async def worker() -> None:
        for phone in queue:
            await one(phone)

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


CPU: dict[str, float] = {}  # the CPU seconds of the last measured run (``measured``)


@contextmanager
def measured() -> Iterator[None]:
    """Record the CPU time of the block in ``CPU``: the main thread's (the client's own Python work)
    and the whole process's (with the HTTP client's own threads); warm-up and imports left out."""
    thread, process = time.thread_time(), time.process_time()
    yield
    CPU.update(main=time.thread_time() - thread, process=time.process_time() - process)


async def timed(numbers: list[str], one: Callable[[str], Awaitable[object]]) -> float:
    """Warm up on fresh phones, then the seconds ``one`` takes over ``numbers``, 64 in flight."""
    await run_concurrently(phones(IN_FLIGHT * 4), one)
    start = time.perf_counter()
    with measured():
        await run_concurrently(numbers, one)
    return time.perf_counter() - start


def bench_smsgate_async(port: int, numbers: list[str], transport: object = None) -> float:
    """``AsyncGateway`` as a user gets it: the default transport unless one is given."""
    from smsgate import AsyncGateway, Message

    async def main() -> float:
        options = {} if transport is None else {"transport": transport}
        async with AsyncGateway({"aliyun": smsgate_settings(port)}, concurrency=IN_FLIGHT, **options) as gateway:

            async def one(phone: str) -> None:
                result = await gateway.send(Message(phone, template=TEMPLATE, params={"code": "1234"}))
                assert result.ok, result.errors

            return await timed(numbers, one)

    return asyncio.run(main())


def bench_smsgate_async_aiohttp(port: int, numbers: list[str]) -> float:
    from smsgate.transports import AiohttpTransport

    return bench_smsgate_async(port, numbers, AiohttpTransport(limit=100))


def bench_provider_async(port: int, numbers: list[str]) -> float:
    """Diagnostic: message + AliyunProvider + AiohttpTransport, without the gateway around them."""
    from smsgate import Message
    from smsgate.providers.aliyun import AliyunProvider
    from smsgate.transports.aiohttp import AiohttpTransport

    provider = AliyunProvider(smsgate_settings(port))

    async def main() -> float:
        transport = AiohttpTransport(limit=100)

        async def one(phone: str) -> None:
            message = Message(phone, template=TEMPLATE, params={"code": "1234"}).normalised()
            request = provider.build_request(message, message.phones)
            rows = provider.parse(request, await transport.handle_async_request(request))
            assert rows[0].ok

        try:
            return await timed(numbers, one)
        finally:
            await transport.aclose()

    return asyncio.run(main())


def bench_smsgate_sync(port: int, numbers: list[str], transport: object = None) -> float:
    """``Gateway`` as a user gets it: the default transport unless one is given."""
    from smsgate import Gateway, Message

    options = {} if transport is None else {"transport": transport}
    with Gateway({"aliyun": smsgate_settings(port)}, **options) as gateway:
        for phone in phones(20):
            gateway.send(Message(phone, template=TEMPLATE, params={"code": "1234"}))
        start = time.perf_counter()
        with measured():
            for phone in numbers:
                result = gateway.send(Message(phone, template=TEMPLATE, params={"code": "1234"}))
                assert result.ok, result.errors
        return time.perf_counter() - start


def bench_smsgate_sync_urllib3(port: int, numbers: list[str]) -> float:
    from smsgate.transports import Urllib3Transport

    return bench_smsgate_sync(port, numbers, Urllib3Transport())


def sdk_client(port: int):  # type: ignore[no-untyped-def]
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi.models import Config

    config = Config(access_key_id=AK, access_key_secret=SECRET, endpoint=f"127.0.0.1:{port}", protocol="http")
    return Client(config)


def sdk_request(phone: str):  # type: ignore[no-untyped-def]
    from alibabacloud_dysmsapi20170525.models import SendSmsRequest

    return SendSmsRequest(phone_numbers=phone, sign_name=SIGN, template_code=TEMPLATE, template_param='{"code":"1234"}')


def bench_sdk_sync(port: int, numbers: list[str]) -> float:
    client = sdk_client(port)
    for phone in phones(20):
        client.send_sms(sdk_request(phone))
    start = time.perf_counter()
    with measured():
        for phone in numbers:
            assert client.send_sms(sdk_request(phone)).body.code == "OK"
    return time.perf_counter() - start


def bench_sdk_async(port: int, numbers: list[str]) -> float:
    async def main() -> float:
        client = sdk_client(port)

        async def one(phone: str) -> None:
            response = await client.send_sms_async(sdk_request(phone))
            assert response.body.code == "OK"

        return await timed(numbers, one)

    return asyncio.run(main())


def bench_bare_aiohttp(port: int, numbers: list[str]) -> float:
    """The same POST (query, headers, empty body) with no signing and no parsing beyond JSON."""
    import json
    from urllib.parse import quote

    import aiohttp

    async def main() -> float:
        headers = {"accept": "application/json", "x-acs-action": "SendSms", "x-acs-version": "2017-05-25"}
        param = quote('{"code":"1234"}', safe="~")
        sign = quote(SIGN, safe="~")
        base = f"http://127.0.0.1:{port}/?"
        connector = aiohttp.TCPConnector(limit=100)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def one(phone: str) -> None:
                url = f"{base}PhoneNumbers={phone}&SignName={sign}&TemplateCode={TEMPLATE}&TemplateParam={param}"
                async with session.post(url, headers=headers) as response:
                    assert json.loads(await response.read())["Code"] == "OK"

            return await timed(numbers, one)

    return asyncio.run(main())


def bench_bare_pyreqwest(port: int, numbers: list[str]) -> float:
    """The bare aiohttp loop's request, sent with pyreqwest's async client."""
    import json
    from urllib.parse import quote

    from pyreqwest.client import ClientBuilder

    async def main() -> float:
        headers = {"accept": "application/json", "x-acs-action": "SendSms", "x-acs-version": "2017-05-25"}
        param = quote('{"code":"1234"}', safe="~")
        sign = quote(SIGN, safe="~")
        base = f"http://127.0.0.1:{port}/?"
        async with ClientBuilder().max_connections(100).follow_redirects(False).no_proxy().build() as client:

            async def one(phone: str) -> None:
                url = f"{base}PhoneNumbers={phone}&SignName={sign}&TemplateCode={TEMPLATE}&TemplateParam={param}"
                response = await client.post(url).headers(headers).build().send()
                assert json.loads((await response.bytes()).to_bytes())["Code"] == "OK"

            return await timed(numbers, one)

    return asyncio.run(main())


def floor_request(host: str) -> Callable[[str], tuple[str, dict[str, str]]]:
    """The floor client's request for one phone, as ``(url, headers)``: SendSms to ``host`` signed
    with ACS3-HMAC-SHA256 by hand, byte for byte smsgate's (query, headers, empty body)."""
    import hashlib
    import hmac
    import secrets
    from urllib.parse import quote

    empty = hashlib.sha256(b"").hexdigest()
    key = hmac.new(SECRET.encode(), digestmod=hashlib.sha256)
    param = quote('{"code":"1234"}', safe="~")
    fixed = f"TemplateCode={TEMPLATE}&TemplateParam={param}"
    sign = f"SignName={quote(SIGN, safe='~')}"
    signed = "accept content-type host x-acs-action x-acs-content-sha256 x-acs-date x-acs-signature-nonce x-acs-version"
    names = ";".join(signed.split())
    form = "application/x-www-form-urlencoded"

    def request(phone: str) -> tuple[str, dict[str, str]]:
        query = f"PhoneNumbers={phone}&{sign}&{fixed}"
        date = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        nonce = secrets.token_hex(16)
        lines = (
            f"accept:application/json\ncontent-type:{form}\nhost:{host}\nx-acs-action:SendSms\n"
            f"x-acs-content-sha256:{empty}\nx-acs-date:{date}\nx-acs-signature-nonce:{nonce}\n"
            "x-acs-version:2017-05-25\n"
        )
        canonical = f"POST\n/\n{query}\n{lines}\n{names}\n{empty}"
        mac = key.copy()
        mac.update(f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}".encode())
        headers = {
            "host": host,
            "accept": "application/json",
            "content-type": form,
            "x-acs-action": "SendSms",
            "x-acs-content-sha256": empty,
            "x-acs-date": date,
            "x-acs-signature-nonce": nonce,
            "x-acs-version": "2017-05-25",
            "authorization": f"ACS3-HMAC-SHA256 Credential={AK},SignedHeaders={names},Signature={mac.hexdigest()}",
        }
        return f"http://{host}/?{query}", headers

    return request


def bench_floor_pyreqwest(port: int, numbers: list[str]) -> float:
    """The floor: a minimal hand-written client that signs (ACS3-HMAC-SHA256) and sends the same
    SendSms request as smsgate, byte for byte (query, headers, empty body), on pyreqwest."""
    import json

    from pyreqwest.client import ClientBuilder

    request = floor_request(f"127.0.0.1:{port}")

    async def main() -> float:
        async with ClientBuilder().max_connections(100).follow_redirects(False).no_proxy().build() as client:

            async def one(phone: str) -> None:
                url, headers = request(phone)
                response = await client.post(url).headers(headers).build().send()
                assert json.loads((await response.bytes()).to_bytes())["Code"] == "OK"

            return await timed(numbers, one)

    return asyncio.run(main())


def contract_result() -> Callable[[Any, bytes, float], Any]:
    """``result(phone, body, started)``: the typed result any client keeping ``send``'s contract
    returns for an accepted answer, a :class:`~smsgate.SendResult` with its row, its attempt and a
    message id."""
    import json

    from smsgate import Attempt, RecipientResult, SendResult, Status

    accepted = Status.ACCEPTED

    def result(phone: Any, body: bytes, started: float) -> SendResult:
        data = json.loads(body)
        assert data["Code"] == "OK"
        row = RecipientResult(phone, accepted, "aliyun", data["BizId"], None, data)
        attempt = Attempt("aliyun", (phone.e164,), accepted, None, started, time.time() - started)
        return SendResult((row,), (attempt,), (data,))

    return result


def bench_contract_async(port: int, numbers: list[str]) -> float:
    """The contract floor: the floor plus what ``AsyncGateway.send``'s contract needs, and nothing
    more: the caller's :class:`~smsgate.Message`, its phone parsed to E.164 (a bad one is an error
    naming it), and a typed result (``contract_result``). The least any client that takes a
    ``Message`` and returns a ``SendResult`` can cost, whatever its insides."""
    from pyreqwest.client import ClientBuilder

    from smsgate import Message

    request, result = floor_request(f"127.0.0.1:{port}"), contract_result()

    async def main() -> float:
        async with ClientBuilder().max_connections(100).follow_redirects(False).no_proxy().build() as client:

            async def one(phone: str) -> None:
                parsed = Message(phone, template=TEMPLATE, params={"code": "1234"}).normalised().phones[0]
                started = time.time()
                url, headers = request(parsed.national_number)
                response = await client.post(url).headers(headers).build().send()
                assert result(parsed, (await response.bytes()).to_bytes(), started).ok

            return await timed(numbers, one)

    return asyncio.run(main())


def bench_floor_sync(port: int, numbers: list[str], contract: bool = False) -> float:
    """The floor client's requests one after another on pyreqwest's blocking client; ``contract``:
    with what ``Gateway.send``'s contract needs too (see ``bench_contract_async``)."""
    import json

    from pyreqwest.client import SyncClientBuilder

    from smsgate import Message

    request, result = floor_request(f"127.0.0.1:{port}"), contract_result()
    with SyncClientBuilder().max_connections(100).follow_redirects(False).no_proxy().build() as client:

        def send(phone: str) -> bytes:
            url, headers = request(phone)
            return client.post(url).headers(headers).build().send().bytes().to_bytes()

        def floor(phone: str) -> None:
            assert json.loads(send(phone))["Code"] == "OK"

        def kept(phone: str) -> None:  # the contract kept
            parsed = Message(phone, template=TEMPLATE, params={"code": "1234"}).normalised().phones[0]
            started = time.time()
            assert result(parsed, send(parsed.national_number), started).ok

        one = kept if contract else floor
        for phone in phones(20):
            one(phone)
        start = time.perf_counter()
        with measured():
            for phone in numbers:
                one(phone)
        return time.perf_counter() - start


def bench_contract_sync(port: int, numbers: list[str]) -> float:
    return bench_floor_sync(port, numbers, contract=True)


def default_transports() -> str:
    from smsgate.transports.defaults import uses_pyreqwest

    return "pyreqwest" if uses_pyreqwest() else "aiohttp / urllib3"


DEFAULT = f"default: {default_transports()}"
CLIENTS: list[tuple[str, Callable[[int, list[str]], float], float]] = [
    (f"smsgate AsyncGateway ({DEFAULT}, 64 in flight)", bench_smsgate_async, 1.0),
    ("floor: hand-written V3-signed SendSms on pyreqwest (64 in flight)", bench_floor_pyreqwest, 1.0),
    ("contract floor: the floor + Message parsed + SendResult (64 in flight)", bench_contract_async, 1.0),
    ("smsgate AsyncGateway (aiohttp, 64 in flight)", bench_smsgate_async_aiohttp, 1.0),
    ("bare aiohttp loop, no signing (64 in flight)", bench_bare_aiohttp, 1.0),
    ("bare pyreqwest loop, no signing (64 in flight)", bench_bare_pyreqwest, 1.0),
    ("official SDK async (64 in flight)", bench_sdk_async, 1.0),
    (f"smsgate Gateway ({DEFAULT}, sequential)", bench_smsgate_sync, 0.5),
    ("smsgate Gateway (urllib3, sequential)", bench_smsgate_sync_urllib3, 0.5),
    ("official SDK sync (sequential)", bench_sdk_sync, 0.5),
    ("floor sync: the floor's requests on pyreqwest's blocking client (sequential)", bench_floor_sync, 0.5),
    ("contract floor sync: the floor sync + Message parsed + SendResult (sequential)", bench_contract_sync, 0.5),
    ("diagnostic: provider + aiohttp transport, no gateway (64 in flight)", bench_provider_async, 1.0),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000, help="messages per async client (sync: half)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each client's best round counts")
    parser.add_argument("--uvloop", action="store_true", help="run the async clients on uvloop")
    parser.add_argument("--only", help="comma-separated substrings of client names to run")
    parser.add_argument(
        "--shared-cpus", action="store_true", help="let the clients run on every CPU, nginx's too (see the docstring)"
    )
    args = parser.parse_args(argv)
    layout = "clients on every CPU, nginx's too" if args.shared_cpus else keep_off_server_cpu()
    if args.uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    chosen = [c for c in CLIENTS if not args.only or any(part in c[0] for part in args.only.split(","))]
    rates: dict[str, float] = {}
    cpu: dict[str, tuple[float, float]] = {}  # per message, the least of any round: (main thread, process)
    with nginx() as port:
        for round_ in range(args.rounds):  # interleaved, so a busy moment hurts every client alike
            for name, bench, share in chosen:
                count = max(1, int(args.messages * share))
                elapsed = bench(port, phones(count))
                rates[name] = max(rates.get(name, 0.0), count / elapsed)
                used = (CPU["main"] / count, CPU["process"] / count)
                cpu[name] = min(cpu.get(name, used), used)
                print(
                    f"  round {round_ + 1}: {name:<60} {count / elapsed:>9,.0f} msg/s, "
                    f"CPU µs/msg {used[0] * 1e6:,.0f} main thread, {used[1] * 1e6:,.0f} process",
                    file=sys.stderr,
                )
    report(rates, cpu, loop="uvloop" if args.uvloop else "asyncio", layout=layout)
    return 0


ASYNC_DEFAULT, ASYNC_AIOHTTP = "smsgate AsyncGateway (default", "smsgate AsyncGateway (aiohttp"
SYNC_DEFAULT, SYNC_URLLIB3 = "smsgate Gateway (default", "smsgate Gateway (urllib3"
SDK_ASYNC, SDK_SYNC, BARE_AIOHTTP, BARE_PYREQWEST, FLOOR = (
    "official SDK async",
    "official SDK sync",
    "bare aiohttp",
    "bare pyreqwest",
    "floor:",
)
CONTRACT, FLOOR_SYNC, CONTRACT_SYNC = "contract floor:", "floor sync:", "contract floor sync:"


def ratio(rates: dict[str, float], a: str, b: str) -> str:
    x = next((v for k, v in rates.items() if k.startswith(a)), None)
    y = next((v for k, v in rates.items() if k.startswith(b)), None)
    return f"{x / y:.2f}×" if x and y else "n/a"


def report(rates: dict[str, float], cpu: dict[str, tuple[float, float]], loop: str, layout: str) -> None:
    print(f"\nAliyun SendSms against local nginx, {os.cpu_count()} CPUs ({layout}), event loop {loop}\n")
    print("| client | messages/s | CPU µs/msg, main thread | CPU µs/msg, process |\n|---|---:|---:|---:|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:,.0f} | {cpu[name][0] * 1e6:,.1f} | {cpu[name][1] * 1e6:,.1f} |")
    rows = [
        ("smsgate async / floor client (same transport, same requests)", ASYNC_DEFAULT, FLOOR, "≥ 0.8×"),
        ("smsgate async / bare aiohttp loop", ASYNC_DEFAULT, BARE_AIOHTTP, "≥ 0.9×"),
        ("smsgate async / SDK async", ASYNC_DEFAULT, SDK_ASYNC, "≥ 4×"),
        ("smsgate sync / SDK sync", SYNC_DEFAULT, SDK_SYNC, "≥ 3.5×"),
        ("smsgate async / bare pyreqwest loop (same client)", ASYNC_DEFAULT, BARE_PYREQWEST, ""),
        ("floor client / bare pyreqwest loop (the cost of signing)", FLOOR, BARE_PYREQWEST, ""),
        ("contract floor / floor client (the cost of the contract alone)", CONTRACT, FLOOR, ""),
        ("smsgate async / contract floor (the cost of smsgate's layers)", ASYNC_DEFAULT, CONTRACT, ""),
        ("floor sync / SDK sync (the sync floor)", FLOOR_SYNC, SDK_SYNC, ""),
        ("contract floor sync / SDK sync", CONTRACT_SYNC, SDK_SYNC, ""),
        ("smsgate sync / contract floor sync (the cost of smsgate's layers)", SYNC_DEFAULT, CONTRACT_SYNC, ""),
        ("smsgate async on aiohttp / SDK async", ASYNC_AIOHTTP, SDK_ASYNC, ""),
        ("smsgate async on aiohttp / bare aiohttp loop (same client)", ASYNC_AIOHTTP, BARE_AIOHTTP, ""),
        ("smsgate sync on urllib3 / SDK sync", SYNC_URLLIB3, SDK_SYNC, ""),
        ("provider + aiohttp transport / bare aiohttp loop", "diagnostic", BARE_AIOHTTP, "(diagnostic)"),
    ]
    print("\n| ratio | value | target |\n|---|---:|---:|")
    for label, a, b, target in rows:
        print(f"| {label} | {ratio(rates, a, b)} | {target} |")
    main = {name: used[0] for name, used in cpu.items()}  # less sensitive to load than the rates
    print(f"\nmain-thread CPU per message, smsgate async / floor: {ratio(main, ASYNC_DEFAULT, FLOOR)}")


if __name__ == "__main__":
    raise SystemExit(main())
