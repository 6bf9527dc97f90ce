import pytest

from smsgate import cli


def test_every_public_module_is_a_registered_command_group(runner):
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("send", "log", "providers", "check"):
        assert command in result.output


def test_usage_errors_are_one_line_with_exit_code_2(capsys, monkeypatch):
    for argv, words in [
        (["log", "--limit", "x"], "smsgate: Invalid value for '--limit': "),
        (["--bogus"], "smsgate: No such option: --bogus (see smsgate --help)"),
        (["send", "--to"], "smsgate: Option '--to' requires an argument. (see smsgate --help)"),
        (["nope"], "smsgate: No such command 'nope'. (see smsgate --help)"),
    ]:
        monkeypatch.setattr("sys.argv", ["smsgate", *argv])
        with pytest.raises(SystemExit) as info:
            cli.main()
        err = capsys.readouterr().err
        assert info.value.code == 2 and err.startswith(words) and err.count("\n") == 1, err


def test_exit_codes_pass_through_main(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["smsgate", "--version"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 0 and capsys.readouterr().out.startswith("smsgate ")
    monkeypatch.setattr("sys.argv", ["smsgate", "send", "--to", "13800138000", "--text", "hi", "--provider", "nope"])
    with pytest.raises(SystemExit) as info:
        cli.main()
    assert info.value.code == 2


def test_an_error_naming_odd_characters_stays_one_inert_line(tmp_path, capsys, monkeypatch):
    config = tmp_path / "x.toml"
    config.write_text('[providers.console]\n[weights]\n"a\\nb\\u2028c\\u001b[31m" = "x"\n', encoding="utf-8")
    monkeypatch.setattr("sys.argv", ["smsgate", "send", "--to", "13800138000", "--text", "hi", "--config", str(config)])
    with pytest.raises(SystemExit) as info:
        cli.main()
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1 and "\x1b" not in err
    assert "a\\nb\\u2028c\\x1b[31m" in err
