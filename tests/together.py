"""Processes started together: each prints ``ready``, then all are told ``go`` at once."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_together(commands: Sequence[Sequence[str]], *, env: Mapping[str, str], cwd: Path | None = None) -> list[str]:
    """Start every command, wait until each printed ``ready``, send them all ``go``, and return what
    each printed after that (failing the test when one exits non-zero or outlives 60 s)."""
    workers = [
        subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    for worker in workers:
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != "ready":  # it failed before the start: say why
            for other in workers:
                other.kill()
            _, err = worker.communicate(timeout=60)
            raise AssertionError(f"a worker exited before it was ready (exit {worker.returncode}):\n{err}")
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        outputs.append(out)
    return outputs
