"""What the fuzz tests draw from: values of every documented type and of none, surrogates included."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ANY_CHAR = st.characters(blacklist_categories=())  # lone surrogates included
TEXT = st.one_of(st.text(ANY_CHAR, max_size=12), st.text(max_size=12))
PHONES = st.sampled_from(["13800138000", "+86 139 0013 9000", "008613700137000", "+14155550123", "+447700900123"])
NAMES = st.sampled_from(["code", "name", "n"])
PROVIDERS = st.sampled_from(["aliyun", "tencent", "huawei", "twilio", "sns", "vonage", "memory"])
NUMBERS = st.one_of(st.integers(), st.floats(), st.builds(pow, st.just(10), st.just(5000)), st.decimals(allow_nan=True))
SCALARS: st.SearchStrategy[Any] = st.one_of(st.none(), st.booleans(), NUMBERS, st.binary(max_size=8), TEXT)
ANY: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)


def message_fields(wild: bool) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``Message``: of the documented types (any text but lone surrogates),
    or, when ``wild``, sometimes anything at all, surrogates included."""
    text = TEXT if wild else st.text(max_size=12)

    def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(strategy, ANY) if wild else strategy

    params = maybe(st.dictionaries(st.one_of(NAMES, text), st.one_of(text, st.integers(), NUMBERS), max_size=3))
    return st.fixed_dictionaries(
        {"to": maybe(st.one_of(PHONES, st.lists(st.one_of(PHONES, PHONES, text), min_size=1, max_size=3)))},
        optional={
            "template": maybe(st.one_of(st.just("SMS_1"), text)),
            "text": maybe(st.one_of(st.just("code ${code}"), text)),
            "params": params,
            "sign_name": maybe(st.one_of(st.just("Acme"), text)),
            "templates": maybe(st.dictionaries(PROVIDERS, st.one_of(st.just("1110"), text), max_size=2)),
            "sign_names": maybe(st.dictionaries(PROVIDERS, text, max_size=2)),
            "param_order": maybe(st.lists(st.one_of(NAMES, text), max_size=3)),
            "recipient_params": maybe(st.dictionaries(st.one_of(PHONES, text) if wild else PHONES, params, max_size=2)),
            "idempotency_key": maybe(text),
            "out_id": maybe(text),
            "extend_code": maybe(text),
        },
    )


# -- configuration files -------------------------------------------------------------------------


def toml_value(value: Any) -> str:
    """``value`` written as a TOML value (inline tables for mappings); best effort for odd values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**4000 else "9" * 5000
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return '"' + "".join(_toml_char(c) for c in str(value)) + '"'


def _toml_char(char: str) -> str:
    if char in '"\\':
        return "\\" + char
    return char if char.isprintable() else f"\\u{ord(char):04x}" if ord(char) < 0x10000 else f"\\U{ord(char):08x}"


def toml_key(key: Any) -> str:
    return toml_value(str(key))


def toml_document(data: dict[str, Any]) -> bytes:
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in data.items()]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


LOCAL_PROVIDERS = st.sampled_from(["console", "memory", "file", "aliyun", "tencent", "twilio", "nope"])
SETTING_VALUES = st.one_of(TEXT, st.integers(), st.floats(), st.booleans(), st.just("${UNSET_VAR}"), ANY)
PROVIDER_TABLE = st.dictionaries(
    st.sampled_from(
        [
            "provider",
            "path",
            "stream",
            "access_key_id",
            "access_key_secret",
            "timeout",
            "endpoint",
            "sign_name",
            "from",
            "bogus",
        ]
    ),
    SETTING_VALUES,
    max_size=4,
)
STORES = st.sampled_from(["memory", "state.sqlite3", "missing/dir/state.sqlite3", ".", "bogus://x", ""])
CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "default_region": st.one_of(st.sampled_from(["CN", "US", "XX", "cn"]), TEXT, ANY),
        "send_log": st.one_of(st.sampled_from(["log.sqlite3", ".", "missing/dir/log.sqlite3", False, True]), TEXT),
        "store": st.one_of(STORES, ANY),
        "strategy": st.one_of(st.sampled_from(["in_order", "random", "round_robin", "weighted", "nope"]), ANY),
        "weights": st.one_of(st.dictionaries(LOCAL_PROVIDERS, st.one_of(st.integers(), st.floats())), ANY),
        "retry": st.one_of(
            st.dictionaries(
                st.sampled_from(["max_attempts", "base_delay", "deadline", "x"]),
                st.one_of(st.integers(), st.floats(), TEXT),
            ),
            ANY,
        ),
        "limits": st.one_of(
            st.dictionaries(st.sampled_from(["per_minute", "per_day", "x"]), st.one_of(st.integers(), st.floats())), ANY
        ),
        "providers": st.one_of(st.dictionaries(LOCAL_PROVIDERS, st.one_of(PROVIDER_TABLE, ANY), max_size=3), ANY),
        "bogus": ANY,
    },
)
CONFIG_FILES = st.one_of(
    CONFIG.map(toml_document),
    CONFIG.map(toml_document),
    st.binary(max_size=40),
    st.integers(1, 100_000).map(lambda depth: b"a = " + b"[" * depth + b"]" * depth),
    st.integers(1, 5_000).map(lambda depth: b"a = " + b"{b = " * depth + b"1" + b"}" * depth),
    st.integers(4300, 9000).map(lambda digits: b"[retry]\nmax_attempts = " + b"9" * digits),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
)
ENV_NAMES = st.sampled_from(
    [
        "SMSGATE_DEFAULT_REGION",
        "SMSGATE_SEND_LOG",
        "SMSGATE_STORE",
        "SMSGATE_STRATEGY",
        "SMSGATE_RETRY__MAX_ATTEMPTS",
        "SMSGATE_PROVIDERS__CONSOLE__STREAM",
        "SMSGATE_PROVIDERS__ALIYUN__ACCESS_KEY_SECRET",
        "SMSGATE_PROVIDERS__X",
        "SMSGATE_PROVIDERS__MEMORY",
        "SMSGATE_LIMITS__PER_DAY",
        "SMSGATE_BOGUS",
        "UNSET_VAR",
    ]
)
ENVIRON = st.dictionaries(
    ENV_NAMES, st.one_of(st.text(max_size=12), st.sampled_from(["1", "inf", "{}", "[1]"])), max_size=3
)
