"""``store``: each of the four stores (the stores' own fixture), for the campaign tests that must
hold on every one."""

from tests.stores.conftest import store

__all__ = ["store"]
