"""Server keys: codes drawn under a key, digests, rotation, and keys from the environment."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from smsgate import ConfigError
from smsgate.verify import KeyRing

SECRET = "x" * 32


@given(seed=st.binary(min_size=16, max_size=16), digits=st.integers(4, 10))
def test_codes_are_zero_padded_digits_of_the_asked_length(seed: bytes, digits: int) -> None:
    code = KeyRing({"1": SECRET}).code("1", seed, digits)
    assert len(code) == digits and code.isdigit()


def test_codes_depend_on_key_and_seed_and_are_spread_evenly() -> None:
    import secrets

    ring = KeyRing({"1": SECRET, "2": "y" * 32})
    seed = secrets.token_bytes(16)
    assert ring.code("1", seed, 6) == ring.code("1", seed, 6) != ring.code("2", seed, 6)
    firsts = Counter(ring.code("1", secrets.token_bytes(16), 6)[0] for _ in range(20_000))
    expected = 2_000
    chi2 = sum((firsts[d] - expected) ** 2 / expected for d in "0123456789")
    assert chi2 < 33.7  # 9 degrees of freedom, p = 0.0001


@given(a=st.lists(st.text(max_size=8), min_size=1, max_size=4), b=st.lists(st.text(max_size=8), min_size=1, max_size=4))
def test_digests_of_different_parts_differ(a: list[str], b: list[str]) -> None:
    ring = KeyRing({"1": SECRET})
    assert (ring.digest("1", a) == ring.digest("1", b)) == (a == b)


def test_an_unknown_key_id_matches_nothing() -> None:
    ring = KeyRing({"1": SECRET})
    assert ring.digest("gone", ["a"]) != ring.digest("1", ["a"]) and not ring.has("gone")


def test_the_first_key_is_current_and_secrets_never_show() -> None:
    ring = KeyRing({"2": SecretStr("n" * 40), "1": b"o" * 32})
    assert ring.current == "2" and ring.ids == ["2", "1"]
    assert "n" * 40 not in repr(ring) and "o" * 32 not in repr(ring)


def test_from_env() -> None:
    ring = KeyRing.from_env({"SMSGATE_VERIFY_KEYS": f"new:{'n' * 32}, old:{'o' * 32}"})
    assert ring.current == "new" and ring.ids == ["new", "old"]


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "SMSGATE_VERIFY_KEYS is not set"),
        ({"SMSGATE_VERIFY_KEYS": "nocolon"}, "id:secret"),
        ({"SMSGATE_VERIFY_KEYS": "1:short"}, "shorter than 32 bytes"),
    ],
)
def test_bad_keys_are_config_errors_that_name_the_variable_not_the_secret(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError) as info:
        KeyRing.from_env(env)
    assert says in str(info.value) and "short" not in str(info.value).replace("shorter", "")
