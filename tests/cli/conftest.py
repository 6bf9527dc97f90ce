import pytest
from typer.testing import CliRunner


@pytest.fixture(autouse=True)
def in_a_fresh_folder(tmp_path, monkeypatch):
    """The embedded default writes smsgate.sqlite3 into the working directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("SMSGATE_CONFIG", "SMSGATE_SEND_LOG", "SMSGATE_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()
