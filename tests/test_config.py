import pytest

from smsgate import ConfigError
from smsgate._config import load_config


def write(tmp_path, text):
    path = tmp_path / "smsgate.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_default_is_the_console(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.providers == {"console": {}} and config.source == "(embedded default)"
    with config.gateway() as gateway:
        assert list(gateway.providers) == ["console"] and gateway.send_log is not None
    assert (tmp_path / "smsgate.sqlite3").is_file()


def test_send_log_from_the_file(tmp_path):
    path = write(tmp_path, f'send_log = "{tmp_path / "log.db"}"\n[providers.memory]\n')
    with load_config(path, environ={}).gateway() as gateway:
        assert gateway.send_log is not None
    assert (tmp_path / "log.db").is_file()
    assert load_config(write(tmp_path, "[providers.memory]\n"), environ={}).send_log is None


def test_file_keeps_provider_order_and_reads_secrets_from_env(tmp_path):
    path = write(
        tmp_path,
        """
default_region = "US"
[providers.first]
provider = "memory"
[providers.out]
provider = "file"
path = "${OUTBOX}"
""",
    )
    config = load_config(path, environ={"OUTBOX": str(tmp_path / "o.jsonl")})
    gateway = config.gateway()
    assert list(gateway.providers) == ["first", "out"] and gateway.default_region == "US"
    assert str(gateway.providers["out"].settings.path) == str(tmp_path / "o.jsonl")


def test_environment_overrides_one_setting(tmp_path):
    path = write(tmp_path, '[providers.console]\nstream = "stdout"\n')
    config = load_config(path, environ={"SMSGATE_PROVIDERS__CONSOLE__STREAM": "stderr"})
    assert config.providers["console"]["stream"] == "stderr"


def test_config_path_from_environment(tmp_path):
    path = write(tmp_path, "[providers.memory]\n")
    assert list(load_config(environ={"SMSGATE_CONFIG": str(path)}).providers) == ["memory"]


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("[providers.console]\nstreem = 'x'\n", {}, "smsgate.toml: provider 'console': streem: unknown setting"),
        ("[providers.console\n", {}, "smsgate.toml: not valid TOML"),
        ("[providers.x]\nprovider = 'nope'\n", {}, "unknown provider 'nope'"),
        ("[providers.file]\npath = '${MISSING}'\n", {}, "providers.file.path: environment variable MISSING is not set"),
        ("regoin = 'CN'\n", {}, "smsgate.toml: regoin: unknown setting"),
    ],
)
def test_bad_config_names_file_and_field(tmp_path, text, env, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=env).gateway()
    assert expected in str(info.value)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "[providers.a]\nprovider = 'console'\nx = 1\n[providers.b]\nprovider = 'file'\ny = 2\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={}).gateway()
    assert len(info.value.problems) == 2


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml", environ={})
