"""How long the ``smsgate`` command takes to start, against named baselines in the same run.

Run by hand (never as a test)::

    .venv/bin/python benchmarks/cli_startup.py [--repeat 7]

Each round runs, one after the other: a bare interpreter (``python -c pass``), ``import pydantic``
and ``import pydantic, pydantic_settings`` (what configuration on pydantic-settings adds to the
import), ``import smsgate``, and ``smsgate --version`` (what shell completion pays on every
Tab). The best of ``--repeat`` rounds counts for each; the report gives seconds and ratios to the
bare interpreter and to ``import smsgate``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import pydantic": [sys.executable, "-c", "import pydantic"],
    "import pydantic + settings": [sys.executable, "-c", "import pydantic, pydantic_settings"],
    "import smsgate": [sys.executable, "-c", "import smsgate"],
    "smsgate --version": [sys.executable, "-c", "from smsgate.cli import main; main()", "--version"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    best = dict.fromkeys(CASES, float("inf"))
    for _ in range(args.repeat):
        for name, command in CASES.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            best[name] = min(best[name], time.perf_counter() - started)
    bare, package = best["python -c pass"], best["import smsgate"]
    for name, seconds in best.items():
        ratios = f"{seconds / bare:6.1f}x bare  {seconds / package:5.2f}x import smsgate"
        print(f"{name:28} {seconds * 1000:8.0f} ms  {ratios}")


if __name__ == "__main__":
    main()
