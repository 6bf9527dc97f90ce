"""``ApiKeys``: keys made, checked, listed and revoked in any store; only hashes kept."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import InvalidRequest
from smsgate.server import ApiKeys
from smsgate.stores.memory import MemoryStore


def test_a_made_key_checks_until_revoked():
    ring = ApiKeys(MemoryStore())
    made = ring.create("acme", ["send"], rate=10)
    key = asyncio.run(ring.acheck(made.token))
    assert key == made.key and key.tenant == "acme" and key.scopes == ("send",) and key.rate == 10
    assert made.token not in repr(made) and made.token.split("_", 2)[2] not in repr(key)
    ring.revoke(made.key.prefix)
    assert asyncio.run(ring.acheck(made.token)) is None
    assert ring.list()[0].revoked_at is not None


def test_list_is_in_order_of_making():
    ring = ApiKeys(MemoryStore())
    made = [ring.create(t, ["read"]).key.id for t in ("a", "b", "c")]
    assert [k.id for k in ring.list()] == made


def test_scopes():
    ring = ApiKeys(MemoryStore())
    assert ring.create("t", ["admin"]).key.allows("send")
    reader = ring.create("t", [" read ", "read"]).key
    assert reader.scopes == ("read",) and not reader.allows("send")
    with pytest.raises(InvalidRequest) as info:
        ring.create("t", [])
    assert info.value.field == "scope"


@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0, max_value=63), char=st.sampled_from("AZaz09-_x"))
def test_any_other_token_is_refused(position, char):
    ring = ApiKeys(MemoryStore())
    token = ring.create("acme").token
    forged = token[:position] + char + token[position + 1 :]
    checked = asyncio.run(ring.acheck(forged))
    assert (checked is not None) == (forged == token)


@settings(max_examples=100, deadline=None)
@given(token=st.text(max_size=80))
def test_garbage_tokens_are_refused_quietly(token):
    assert asyncio.run(ApiKeys(MemoryStore()).acheck(token)) is None
