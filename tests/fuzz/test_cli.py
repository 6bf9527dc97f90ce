"""Fuzzed command lines: exit 0, 1 or 2; an exit 2 is one line on stderr; never a traceback."""

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from smsgate.cli import main

from .strategies import CONFIG, PHONES, TEXT, toml_document

ARG = st.one_of(TEXT, st.sampled_from(["", "-", "--", "=", "k=v", "code=1234", "SMS_1", "13800138000", "x.toml"]))
SEND = st.lists(
    st.one_of(
        st.tuples(st.just("--to"), st.one_of(PHONES, ARG)),
        st.tuples(st.sampled_from(["--template", "--text", "--sign-name", "--region", "--provider"]), ARG),
        st.tuples(st.just("--param"), st.one_of(st.just("code=1234"), ARG)),
        st.tuples(st.sampled_from(["--app", "--element", "--csv", "--rejects", "--resume", "--name"]), ARG),
        st.tuples(st.sampled_from(["--json", "--config"])),
        st.tuples(ARG),
    ),
    max_size=5,
).map(lambda parts: ["send", *[p for part in parts for p in part]])
LOG = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(["--phone", "--message-id", "--status", "--since", "--limit", "--region"]), ARG),
        st.tuples(st.sampled_from(["--json", "--config"])),
    ),
    max_size=4,
).map(lambda parts: ["log", *[p for part in parts for p in part]])
OTHERS = st.one_of(
    st.tuples(st.just("check"), ARG).map(list),
    st.just(["providers"]),
    st.just(["providers", "--json"]),
    st.lists(ARG, max_size=2).map(lambda args: ["--version", *args]),
    st.lists(ARG, min_size=1, max_size=3),
)
COMMANDS = st.one_of(SEND, SEND, LOG, OTHERS)
LOCAL = CONFIG.map(lambda data: {**data, "providers": {"console": {}, "memory": {}}})  # nothing leaves the machine


def run(args: list[str]) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["smsgate", *args]
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
    return code, stdout.getvalue(), stderr.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(COMMANDS, st.one_of(st.none(), LOCAL.map(toml_document)))
def test_any_command_line_exits_0_1_or_2_with_one_line_errors(args, config):
    with tempfile.TemporaryDirectory() as folder:
        here = os.getcwd()
        os.chdir(folder)
        env = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SMSGATE_")}
        try:
            if config is not None:
                Path("x.toml").write_bytes(config)
                args = [*args, "--config", "x.toml"] if args and args[0] in ("send", "log") else args
            code, out, err = run(args)
        finally:
            os.chdir(here)
            os.environ.update(env)
    event(f"exit {code}")
    assert code in (0, 1, 2), (code, out, err)
    assert "Traceback" not in out + err and "internal error" not in err, err
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("smsgate: "), err
