import io

import pytest
from rich.console import Console
from rich.text import Text

from smsgate.cli import _output


def test_a_terminal_gets_a_table_with_data_never_read_as_markup(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(_output, "out", Console(file=screen, force_terminal=True, width=200, color_system=None))
    _output.table(("a", "b"), [("[/x] [bold]y", Text("[red]z", style="red"))])
    assert "[/x] [bold]y" in screen.getvalue() and "[red]z" in screen.getvalue()


def test_a_pipe_gets_whole_tab_separated_lines(monkeypatch, capsys):
    monkeypatch.setattr(_output, "out", Console(file=io.StringIO(), force_terminal=False))
    long = "x" * 500
    _output.table(("a", "b"), [(long, "tab\there\nnewline")])
    assert capsys.readouterr().out.splitlines() == ["a\tb", f"{long}\ttab here newline"]


def test_fail_prints_one_line_with_brackets_as_typed(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(_output, "err", Console(file=screen, width=80))
    exit_ = _output.fail("[/mobile] [aliyun] " + "y" * 200)
    assert exit_.exit_code == 2 and screen.getvalue().count("\n") == 1 and "[/mobile] [aliyun]" in screen.getvalue()


def test_main_turns_a_bug_into_one_line(monkeypatch, capsys):
    from smsgate import cli

    def broken(**_):
        raise RuntimeError("secret-ish internals")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(SystemExit) as info:
        cli.main()
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.strip() == "smsgate: internal error (RuntimeError); please report it"


def test_fail_escapes_control_characters_in_data(monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(_output, "err", Console(file=screen, width=80))
    _output.fail("no send log at \n\r\x1b[31m")
    assert screen.getvalue() == "smsgate: no send log at \\n\\r\\x1b[31m\n"
