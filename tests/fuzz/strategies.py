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
