import pytest

from smsgate import ConfigError, Message, PolicyRefused
from smsgate._config import load_config
from tests.waits import within_one_window


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


def test_a_config_file_keeps_the_send_log_beside_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "conf").mkdir()
    config = load_config(write(tmp_path / "conf", "[providers.memory]\n"), environ={})
    assert config.send_log == str(tmp_path / "conf" / "smsgate.sqlite3")
    assert load_config(write(tmp_path / "conf", 'send_log = "logs.db"\n'), environ={}).send_log == str(
        tmp_path / "conf" / "logs.db"
    )
    assert load_config(write(tmp_path, "send_log = false\n[providers.memory]\n"), environ={}).send_log is None


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
        (
            "[providers.console]\nstreem = 'x'\n",
            {},
            "smsgate.toml: providers.console.streem: unknown setting (did you mean 'stream'?)",
        ),
        ("[providers.console\n", {}, "smsgate.toml: not valid TOML"),
        (
            "[providers.x]\nprovider = 'aliyn'\n",
            {},
            "providers.x.provider: unknown provider 'aliyn' (did you mean 'aliyun'?)",
        ),
        ("[providers.file]\npath = '${MISSING}'\n", {}, "providers.file.path: environment variable MISSING is not set"),
        ("regoin = 'CN'\n", {}, "smsgate.toml: regoin: unknown setting"),
        ("default_regoin = 'CN'\n", {}, "default_regoin: unknown setting (did you mean 'default_region'?)"),
        ("default_region = 'XX'\n", {}, "smsgate.toml: default_region: Value error, not a region code"),
        ("[retry]\nmax_atempts = 2\n", {}, "retry.max_atempts: unknown setting (did you mean 'max_attempts'?)"),
        ("[retry]\nbase_delay = inf\n", {}, "retry.base_delay: Input should be a finite number"),
        ("[providers.aliyun]\ntimeout = 1e15\n", {}, "providers.aliyun.timeout: Input should be less than"),
        ("store = 'ftp://x'\n", {}, "store ftp://…: expected memory, a file path, redis:// or postgresql://"),
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


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"\xff\xfe = 1\n", "not UTF-8 text (byte 0)"),
        (b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n", "nested"),
        (b"a = " + b"{b = " * 40 + b"1" + b"}" * 40 + b"\n", "nested more than 32 levels deep"),
    ],
)
def test_unreadable_files_are_one_problem_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "smsgate.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    [problem] = info.value.problems
    assert problem.startswith(str(path)) and expected in problem


def test_a_directory_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError, match="is a directory, not a TOML file"):
        load_config(tmp_path, environ={})


def test_every_problem_at_once_each_with_its_origin(tmp_path):
    path = write(
        tmp_path,
        "default_regoin = 'CN'\n[retry]\nmax_attempts = 0\n[providers.aliyun]\naccess_key_id = 'k'\n"
        "access_key_secret = '${ALIYUN_SECRET}'\n",
    )
    env = {"SMSGATE_PROVIDERS__ALIYUN__SIGN_NAM": "Acme", "SMSGATE_LIMITS__PER_DAY": "many"}
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=env)
    assert sorted(info.value.problems) == sorted(
        [
            f"{path}: providers.aliyun.access_key_secret: environment variable ALIYUN_SECRET is not set",
            f"{path}: default_regoin: unknown setting (did you mean 'default_region'?)",
            f"{path}: retry.max_attempts: Input should be greater than or equal to 1",
            "environment SMSGATE_LIMITS__PER_DAY: Input should be a valid integer, unable to parse string as an"
            " integer",
            "environment SMSGATE_PROVIDERS__ALIYUN__SIGN_NAM: unknown setting (did you mean 'sign_name'?)",
        ]
    )
    assert "\n" not in str(info.value) or len(info.value.problems) > 1


def test_the_environment_beats_the_file_and_an_unset_variable_it_replaces(tmp_path):
    path = write(
        tmp_path,
        "default_region = 'CN'\nsend_log = 'a.db'\n[providers.aliyun]\naccess_key_id = 'k'\n"
        "access_key_secret = '${ALIYUN_SECRET}'\n",
    )
    env = {
        "SMSGATE_PROVIDERS__ALIYUN__ACCESS_KEY_SECRET": "from-env-$HOME-${X}",
        "SMSGATE_DEFAULT_REGION": "us",
        "SMSGATE_SEND_LOG": str(tmp_path / "b.db"),
    }
    config = load_config(path, environ=env)
    assert config.providers["aliyun"]["access_key_secret"] == "from-env-$HOME-${X}"  # never expanded
    assert config.default_region == "US" and config.send_log == str(tmp_path / "b.db")


def test_environment_alone_configures_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={"SMSGATE_DEFAULT_REGION": "GB", "SMSGATE_SEND_LOG": "false"})
    assert config.default_region == "GB" and config.send_log is None and config.providers == {"console": {}}


def test_a_literal_dollar_is_written_twice(tmp_path):
    path = write(tmp_path, "[providers.console]\nstream = '$${NOT}stdout'\n")
    with pytest.raises(ConfigError, match="stream") as info:
        load_config(path, environ={})  # "${NOT}stdout" is not a stream, but NOT was not looked up
    assert "NOT is not set" not in str(info.value)


def test_the_file_sets_retry_strategy_limits_rates_and_store(tmp_path):
    path = write(
        tmp_path,
        """
store = "state.db"
strategy = "weighted"
[weights]
a = 3
b = 1
[retry]
max_attempts = 5
retry_unknown = true
[limits]
per_day = 2
[rates.a]
rate = 10
burst = 5
[providers.a]
provider = "memory"
[providers.b]
provider = "memory"
""",
    )
    config = load_config(path, environ={})
    options = config.gateway_options()
    assert options["retry"].max_attempts == 5 and options["retry"].retry_unknown
    assert options["limits"].per_day == 2 and options["rates"]["a"].burst == 5
    assert type(options["store"]).__name__ == "SQLiteStore" and options["store"].path == str(tmp_path / "state.db")
    options["store"].close()
    within_one_window(86400.0, 30.0)  # the limit counts in real time
    with config.gateway() as gateway:
        for _ in range(2):
            assert gateway.send(Message(to="13800138000", template="T")).ok
        with pytest.raises(PolicyRefused, match="per_day=2"):
            gateway.send(Message(to="13800138000", template="T"))


def test_a_redis_store_from_a_url(redis_url):
    config = load_config(environ={"SMSGATE_STORE": redis_url, "SMSGATE_SEND_LOG": "off"})
    store = config.gateway_options()["store"]
    assert type(store).__name__ == "RedisStore"
    store.close()


def test_reading_only_the_send_log_needs_no_secrets(tmp_path):
    path = write(tmp_path, "send_log = 'x.db'\n[providers.aliyun]\naccess_key_secret = '${ALIYUN_SECRET}'\n")
    assert load_config(path, environ={}, providers=False).send_log == str(tmp_path / "x.db")
    with pytest.raises(ConfigError, match="ALIYUN_SECRET is not set"):
        load_config(path, environ={})


def test_the_documented_file_loads(tmp_path):
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    [text] = re.findall(r"```toml\n(.*?)```", doc, re.S)
    config = load_config(write(tmp_path, text), environ={"ALIYUN_SECRET": "a", "TENCENT_SECRET": "t"})
    assert list(config.providers) == ["aliyun", "backup"] and config.limits.per_day == 10
    assert config.providers["backup"]["secret_key"] == "t" and config.rates["aliyun"].burst == 10


async def test_gateways_from_config(tmp_path):
    from smsgate import AsyncGateway, Gateway

    path = write(tmp_path, "default_region = 'US'\nsend_log = false\n[providers.memory]\n")
    with Gateway.from_config(path) as gateway:
        assert gateway.send(Message(to="2025550123", template="T")).ok and gateway.send_log is None
    async with AsyncGateway.from_config(path, default_region="CN") as agateway:
        assert (await agateway.send(Message(to="13800138000", template="T"))).ok


def test_a_number_too_long_to_read_is_a_config_error_naming_the_file(tmp_path):
    path = tmp_path / "smsgate.toml"
    path.write_text("[retry]\nmax_attempts = " + "9" * 5000 + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert info.value.problems == [f"{path}: a number has more than 4300 digits"]


@pytest.mark.parametrize("setting", ["send_log", "store"])
def test_an_unusable_sqlite_path_is_a_config_error_naming_the_setting(tmp_path, setting):
    path = tmp_path / "smsgate.toml"
    path.write_text(f'{setting} = "missing/dir/x.sqlite3"\n[providers.console]\n')
    with pytest.raises(ConfigError, match=rf"^{setting}: '.*missing/dir/x\.sqlite3' cannot be used as an SQLite file"):
        load_config(path, environ={}).gateway()


def test_a_gateway_closes_the_stores_its_configuration_opened(tmp_path, monkeypatch):
    from smsgate.stores.sqlite import SQLiteStore

    closed: list[str] = []
    monkeypatch.setattr(SQLiteStore, "close", lambda self: closed.append(self.path))
    config = tmp_path / "c.toml"
    config.write_text(f'store = "{tmp_path / "state.sqlite3"}"\nsend_log = false\n[providers.memory]\n')
    with load_config(config).gateway():
        pass
    assert closed == [str(tmp_path / "state.sqlite3")]
    given = SQLiteStore(str(tmp_path / "mine.sqlite3"))
    with load_config(config).gateway(store=given):  # a store passed in stays the caller's
        pass
    assert closed == [str(tmp_path / "state.sqlite3")]
