"""A million-row CSV sent with the CLI to the Aliyun emulator, interrupted at ~50% and resumed.

Run by hand (never as a test), from the repository root, with the ``test`` extra installed::

    .venv/bin/python benchmarks/campaign_million.py [--rows 1000000] [--bad-every 9973]

It writes the CSV (every ``--bad-every``-th row has an invalid phone), starts the Aliyun emulator
on 127.0.0.1 in this process, runs ``smsgate send --csv … --rejects …`` under ``/usr/bin/time -v``
on the embedded default store (SQLite), sends it Ctrl-C (SIGINT) once the store shows half the
rows finished, runs ``smsgate send --resume ID`` to the end, and reports: each run's peak RSS and
time, the campaign's counts, the emulator's count (every valid row exactly once?), and whether the
rejects file names exactly the bad rows. ``tests/cli/test_campaigns.py`` runs a 20,000-row version.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from smsgate.campaigns import Campaigns
from smsgate.emulators import serve
from smsgate.emulators.aliyun import AliyunFake
from smsgate.stores import SQLiteStore


def write_csv(path: Path, rows: int, bad_every: int) -> set[int]:
    bad = set(range(bad_every, rows + 1, bad_every))
    with path.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["phone", "name", "code"])
        for n in range(1, rows + 1):
            phone = "12345" if n in bad else f"13{5 + n // 10**8 % 5}{n % 10**8:08d}"
            writer.writerow([phone, f"user{n}", str(n % 1_000_000).zfill(6)])
    return bad


def timed_run(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["/usr/bin/time", "-v", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def child_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/task/{pid}/children").read_text().split()[0])


def peak_rss_mb(stderr: str) -> float:
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return int(found.group(1)) / 1024 if found else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bad-every", type=int, default=9973)
    args = parser.parse_args()
    smsgate = str(Path(sys.executable).with_name("smsgate"))
    with tempfile.TemporaryDirectory(prefix="smsgate-million-") as tmp_name, serve(AliyunFake()) as emulator:
        tmp = Path(tmp_name)
        started = time.perf_counter()
        bad = write_csv(tmp / "recipients.csv", args.rows, args.bad_every)
        print(f"wrote {args.rows:,} rows ({len(bad):,} bad) in {time.perf_counter() - started:.1f}s", flush=True)
        settings = "\n".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in emulator.settings().items())
        (tmp / "smsgate.toml").write_text(f'send_log = "smsgate.sqlite3"\n[providers.aliyun]\n{settings}\n')
        send = [smsgate, "send", "--template", "SMS_154950909", "--rejects", "rejects.csv"]

        first = timed_run([*send, "--csv", "recipients.csv"], tmp)
        store = SQLiteStore(tmp / "smsgate.sqlite3")
        while not (listed := Campaigns(store).list()) or listed[0].finished < args.rows // 2:
            if first.poll() is not None:
                sys.exit(f"the first run ended early: {first.communicate()[1].decode()[-2000:]}")
            time.sleep(0.2)
        os.kill(child_of(first.pid), signal.SIGINT)
        _, err1 = first.communicate()
        campaign_id = listed[0].id
        paused = Campaigns(store).get(campaign_id)
        second = timed_run([*send, "--resume", campaign_id], tmp)
        _, err2 = second.communicate()
        final = Campaigns(store).get(campaign_id)
        store.close()
        delivered = Counter(emulator.phones())
        with open(tmp / "rejects.csv", encoding="utf-8", newline="") as src:
            rejected_rows = sorted(int(r["row"]) for r in csv.DictReader(src))

    valid = args.rows - len(bad)
    elapsed = [re.search(r"Elapsed \(wall clock\) time.*: (\S+)", e.decode()) for e in (err1, err2)]
    print(f"\nload {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    for name, code, err, took in (
        ("first run", first.returncode, err1, elapsed[0]),
        ("resume", second.returncode, err2, elapsed[1]),
    ):
        wall = took.group(1) if took else "?"
        print(f"{name}: exit {code}, peak RSS {peak_rss_mb(err.decode()):.0f} MB, wall {wall}")
    share = paused.finished / args.rows
    print(f"interrupted at {paused.finished:,} of {args.rows:,} rows ({share:.0%}), status {paused.status}")
    print(f"campaign {final.status}: {json.dumps(final.counts)}")
    most = max(delivered.values())
    print(f"emulator: {len(delivered):,} phones, {sum(delivered.values()):,} messages, max per phone {most}")
    print(f"every valid row delivered exactly once: {len(delivered) == valid and set(delivered.values()) == {1}}")
    print(f"rejects file names exactly the bad rows: {rejected_rows == sorted(bad)} ({len(rejected_rows):,} rows)")


if __name__ == "__main__":
    main()
