from typer.testing import CliRunner

from smsgate.cli import app

runner = CliRunner()


def test_an_app_without_elements_fails(tmp_path):
    (tmp_path / "emptyapp").mkdir()
    result = runner.invoke(app, ["check", str(tmp_path / "emptyapp")])
    assert result.exit_code == 1 and "no SMS elements" in result.stderr


def test_a_missing_app_folder_fails(tmp_path):
    result = runner.invoke(app, ["check", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "Traceback" not in result.output
