"""What the hardening costs: input checks on every ``Message`` and scrubbing of every failed result.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/hardening_overhead.py [--rounds 7] [--n 20000]

Each case is timed against a named baseline in the same run, in interleaved rounds (best round
each), and printed as operations per second and their ratio:

* ``Message(...)`` with its checks (types, lone surrogates) against the same fields stored
  without any check (``object.__new__`` and one dict update: the floor of constructing it);
* a whole ``Gateway.send`` on the in-process ``memory`` provider, checks on against checks off
  (the field check replaced by the identity);
* a failed send (HTTP 400 from a ``MockTransport``, so every result carries an error) with
  scrubbing on against scrubbing off.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import orjson

from smsgate import Gateway, HttpResponse, Message, MockTransport, RetryPolicy, _gateway, _models

FIELDS: dict[str, Any] = {
    "to": ["13800138000"],
    "template": "SMS_123456789",
    "params": {"code": "123456"},
    "sign_name": "阿里云短信测试",
    "out_id": "order-42",
}
REFUSAL = orjson.dumps({"Code": "SignatureDoesNotMatch", "Message": "server string to sign is: POST&%2F&…"})
ALIYUN = {"access_key_id": "LTAI5t", "access_key_secret": "s3cr3t-k3y", "sign_name": "Acme"}


def unchecked() -> Message:
    message = object.__new__(Message)
    vars(message).update(
        to=("13800138000",),
        template="SMS_123456789",
        params={"code": "123456"},
        sign_name="阿里云短信测试",
        text=None,
        templates={},
        sign_names={},
        param_order=None,
        recipient_params={},
        idempotency_key=None,
        out_id="order-42",
        extend_code=None,
    )
    return message


Case = tuple[Callable[[], Any], Callable[[], Any]]  # what to run, and the context it runs in


def rate(case: Case, n: int) -> float:
    run, context = case
    with context():
        started = time.perf_counter()
        for _ in range(n):
            run()
        return n / (time.perf_counter() - started)


def compare(title: str, cases: dict[str, Case], n: int, rounds: int) -> None:
    results = {name: 0.0 for name in cases}
    for case in cases.values():  # warm up
        rate(case, max(1, n // 10))
    for _ in range(rounds):
        for name, case in cases.items():
            results[name] = max(results[name], rate(case, n))
    baseline = list(results.values())[-1]
    print(f"\n{title}")
    for name, value in results.items():
        print(f"  {name:<44} {value:>12,.0f}/s   {value / baseline:5.2f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--n", type=int, default=20000)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # every refused send is logged at WARNING: not what is measured

    plain = contextlib.nullcontext
    no_checks = functools.partial(mock.patch.object, _models, "_text", lambda value, where: value)
    no_scrub = functools.partial(mock.patch.object, _gateway, "scrubbed", lambda error, hidden: error)

    compare(
        "Message construction",
        {
            "Message(...) with checks": (lambda: Message(**FIELDS), plain),
            "baseline: fields stored unchecked": (unchecked, plain),
        },
        args.n,
        args.rounds,
    )

    memory = Gateway({"memory": {}}, retry=RetryPolicy(max_attempts=1))
    compare(
        "Gateway.send, memory provider",
        {
            "checks on": (lambda: memory.send(Message(**FIELDS)), plain),
            "baseline: checks off": (lambda: memory.send(Message(**FIELDS)), no_checks),
        },
        args.n // 4,
        args.rounds,
    )

    transport = MockTransport(lambda request: HttpResponse(400, {}, REFUSAL))
    refusing = Gateway({"aliyun": ALIYUN}, transport=transport, retry=RetryPolicy(max_attempts=1))
    failing = Message(**FIELDS)
    compare(
        "Gateway.send, Aliyun refusal over MockTransport",
        {
            "scrubbing on": (lambda: refusing.send(failing), plain),
            "baseline: scrubbing off": (lambda: refusing.send(failing), no_scrub),
        },
        args.n // 4,
        args.rounds,
    )


if __name__ == "__main__":
    main()
