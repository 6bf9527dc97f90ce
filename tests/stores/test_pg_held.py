"""The connection a PostgreSQL store holds between sync calls: shared safely by threads, and never
kept once its server is lost."""

from __future__ import annotations

import threading

import pytest

from smsgate import StoreError
from smsgate.stores.postgres import PostgresStore
from tests.fixtures.postgres import PostgresServer
from tests.waits import wait_until


def test_threads_share_the_store_its_held_connection_or_the_pool(postgres_dsn: str) -> None:
    store = PostgresStore(postgres_dsn, max_connections=4)

    def count() -> None:
        for _ in range(50):
            store.incr("n", 1, 60)

    threads = [threading.Thread(target=count) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("n") == "400"
    store.close()


def test_a_held_connection_lost_with_its_server_is_replaced(own_postgres: PostgresServer) -> None:
    store = PostgresStore(own_postgres.dsn(), timeout=2.0)
    store.set("k", "v")
    own_postgres.kill()
    with pytest.raises(StoreError):
        store.get("k")
    own_postgres.start()

    def answers() -> bool:  # a stale connection idle in the pool fails once, then is replaced
        try:
            return store.get("k") == "v"
        except StoreError:
            return False

    wait_until(answers, what="the store answering again")  # the held connection was not kept
    store.close()
