"""``smsgate serve``: its start-up errors (serving itself is tested in tests/server/test_shutdown.py)."""

from smsgate.cli import app


def test_serve_with_a_bad_config_says_so_in_one_line(runner, tmp_path):
    (tmp_path / "bad.toml").write_text("colour = 'red'\n")
    result = runner.invoke(app, ["serve", "--config", str(tmp_path / "bad.toml")])
    assert result.exit_code == 2 and "colour" in result.output and "Traceback" not in result.output


def test_serve_help_names_its_options(runner):
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert all(option in result.output for option in ("--config", "--host", "--port", "--workers"))
