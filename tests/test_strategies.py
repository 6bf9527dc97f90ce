"""Strategies: order, random, smooth weighted round robin, round robin, by country, and any callable."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate import Gateway, Message
from smsgate.providers.memory import MemoryProvider
from smsgate.strategies import by_country, in_order, random_order, round_robin, weighted

NAMES = ["aliyun", "tencent", "twilio"]
MSG = Message(to=["13800138000"], template="T").normalised()


def test_in_order_keeps_configuration() -> None:
    assert list(in_order(NAMES, MSG)) == NAMES


def test_random_order_is_a_seeded_permutation() -> None:
    one, two = random_order(random.Random(7)), random_order(random.Random(7))
    a = [list(one(NAMES, MSG)) for _ in range(5)]
    b = [list(two(NAMES, MSG)) for _ in range(5)]
    assert a == b and all(sorted(x) == sorted(NAMES) for x in a)
    shuffle = random_order(random.Random(1))
    firsts = Counter(shuffle(NAMES, MSG)[0] for _ in range(300))
    assert set(firsts) == set(NAMES)


def test_round_robin_rotates_the_start() -> None:
    rr = round_robin()
    assert [list(rr(NAMES, MSG)) for _ in range(4)] == [
        NAMES,
        ["tencent", "twilio", "aliyun"],
        ["twilio", "aliyun", "tencent"],
        NAMES,
    ]


def test_weighted_is_smooth_like_nginx() -> None:
    wrr = weighted({"a": 5, "b": 1, "c": 1})
    firsts = [wrr(["a", "b", "c"], MSG)[0] for _ in range(7)]
    assert firsts == ["a", "a", "b", "a", "c", "a", "a"]  # nginx's published sequence for 5/1/1
    assert list(wrr(["a", "b", "c"], MSG))[1:] in (["b", "c"], ["c", "b"], ["a", "c"], ["a", "b"])


@given(st.dictionaries(st.sampled_from("abcde"), st.integers(0, 6), min_size=1))
def test_weighted_shares_match_weights_over_a_cycle(weights: dict[str, int]) -> None:
    total = sum(weights.values())
    wrr = weighted(weights)
    names = sorted(weights)
    firsts = Counter(wrr(names, MSG)[0] for _ in range(total * 3))
    if total:
        assert {n: firsts.get(n, 0) for n in names} == {n: w * 3 for n, w in weights.items()}


def test_weighted_rejects_bad_weights() -> None:
    with pytest.raises(ValueError, match="bad: x"):
        weighted({"x": -1})


def test_by_country_routes() -> None:
    route = by_country({"+86": ["aliyun", "tencent"], "US": ["twilio"]}, default=["twilio"])
    assert list(route(NAMES, MSG)) == ["aliyun", "tencent"]
    with pytest.raises(ValueError, match="neither"):
        by_country({"China": ["aliyun"]})


def test_unrouted_recipient_fails_unsent() -> None:
    a = MemoryProvider(alias="aliyun")
    with Gateway([a], strategy=by_country({"+86": ["aliyun"]})) as gw:
        result = gw.send(Message(to=["13800138000", "+12025550123"], template="T"))
    assert result["+8613800138000"].ok and not result["+12025550123"].ok
    assert "no configured provider" in str(result["+12025550123"].error) and len(a.outbox) == 1


def test_any_callable_is_a_strategy() -> None:
    a, b = MemoryProvider(alias="a"), MemoryProvider(alias="b")
    with Gateway([a, b], strategy=lambda names, message: list(reversed(names))) as gw:
        assert gw.send(Message(to=["13800138000"], template="T"))["+8613800138000"].provider == "b"
