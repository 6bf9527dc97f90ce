"""Instructions a straight Aliyun send costs in smsgate's own Python, free of the machine's load.

Run by hand (never as a test); needs valgrind::

    .venv/bin/python benchmarks/hot_path_instructions.py [--before COMMIT] [--sends 2000]

Each client sends one-recipient SendSms messages (a new phone each) to a canned transport that
answers Aliyun's OK body at once, so only the client's own work is counted: smsgate's
``AsyncGateway`` and ``Gateway`` (the message, E.164 parse, flow, signing, reading, result), and
the floor client of ``aliyun_throughput.py`` (the same signing by hand, the same JSON read).
Instructions per send come from cachegrind (``--cache-sim=no``) as the difference between a run of
``--sends`` and one of three times as many, so start-up and imports cancel out. ``--before`` also
counts smsgate as it was at that commit (its ``src`` exported with ``git archive``): the baseline.
Valgrind does not use the CPU's SHA extensions, so the hashing costs more instructions here than it
takes time on the machine; the floor hashes alike, and the difference is smsgate's own.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OK = b'{"Code":"OK","Message":"OK","BizId":"9006197469364984400^0","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990"}'
AK, SECRET, SIGN, TEMPLATE = "benchAK", "benchSecret", "阿里云短信测试", "SMS_154950909"
SETTINGS = {"access_key_id": AK, "access_key_secret": SECRET, "endpoint": "127.0.0.1:9", "sign_name": SIGN}


def phones(count: int) -> list[str]:
    return [f"135{n * 7919 % 100_000_000:08d}" for n in range(count)]


def run_smsgate(kind: str, count: int) -> None:
    from smsgate import AsyncGateway, Gateway, Message
    from smsgate._http import HttpResponse
    from smsgate.transports.base import AsyncTransport, Transport

    class Canned(AsyncTransport, Transport):
        async def handle_async_request(self, request: object) -> HttpResponse:
            return HttpResponse(200, {"content-type": "application/json"}, OK)

        def handle_request(self, request: object) -> HttpResponse:
            return HttpResponse(200, {"content-type": "application/json"}, OK)

    if kind == "sync":
        gateway = Gateway({"aliyun": SETTINGS}, transport=Canned())
        for phone in phones(count):
            assert gateway.send(Message(phone, template=TEMPLATE, params={"code": "1234"})).ok

    async def main() -> None:
        gateway = AsyncGateway({"aliyun": SETTINGS}, transport=Canned())
        for phone in phones(count):
            assert (await gateway.send(Message(phone, template=TEMPLATE, params={"code": "1234"}))).ok

    if kind == "async":
        asyncio.run(main())


def run_floor(count: int) -> None:
    """The floor client's per-message work (``aliyun_throughput.bench_floor_pyreqwest``), canned answer."""
    import json

    sys.path.insert(0, str(Path(__file__).parent))
    from aliyun_throughput import floor_request

    request = floor_request("127.0.0.1:9")

    async def send(url: str, headers: dict[str, str]) -> bytes:  # the transport's await, answered at once
        return OK

    async def one(phone: str) -> None:
        assert json.loads(await send(*request(phone)))["Code"] == "OK"

    async def main() -> None:
        for phone in phones(count):
            await one(phone)

    asyncio.run(main())


def instructions(python: list[str], env: dict[str, str]) -> int:
    """Instructions cachegrind counts for ``python`` (a command line)."""
    with tempfile.TemporaryDirectory(prefix="smsgate-ir-") as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={tmp}/out", *python],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{out.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def per_send(kind: str, sends: int, src: Path | None) -> float:
    env = {**os.environ, **({"PYTHONPATH": str(src)} if src else {})}
    command = [sys.executable, __file__, "--child", kind]
    few, many = (instructions([*command, str(n)], env) for n in (sends, 3 * sends))
    return (many - few) / (2 * sends)


def exported(commit: str, into: Path) -> Path:
    """``src`` as it was at ``commit``, written under ``into``."""
    archive = subprocess.run(["git", "archive", commit, "src"], cwd=ROOT, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=2000, help="sends in the shorter run (the longer: three times)")
    parser.add_argument("--before", metavar="COMMIT", help="also count smsgate as it was at COMMIT")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, count = args.child[0], int(args.child[1])
        run_floor(count) if kind == "floor" else run_smsgate(kind, count)
        return 0
    if shutil.which("valgrind") is None:
        parser.error("valgrind is needed: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="smsgate-before-") as tmp:
        before = exported(args.before, Path(tmp)) if args.before else None
        counts = {"floor client": per_send("floor", args.sends, None)}
        for kind in ("async", "sync"):
            counts[f"smsgate {kind}"] = per_send(kind, args.sends, None)
            if before is not None:
                counts[f"smsgate {kind} at {args.before}"] = per_send(kind, args.sends, before)
    floor = counts["floor client"]
    print("\n| client | instructions a send | / floor client |\n|---|---:|---:|")
    for name, count in counts.items():
        print(f"| {name} | {count:,.0f} | {count / floor:.2f}× |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
