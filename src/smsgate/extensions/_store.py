"""The embedded store of extension settings (one per tenant and package) and runtime configs.

SQLite, in a file or in memory. Every read names its tenant: a config id of another tenant is
simply not found. The keys marked secret when written are encrypted at rest (Fernet, see
:mod:`smsgate.extensions._keys`) and masked by every listing; only :meth:`ExtensionStore.settings`
and :meth:`ExtensionStore.config`, which extensions call to send, return them, decrypted, as
:class:`~pydantic.SecretStr`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from ._keys import Keys

__all__ = ["MASK", "ConfigRecord", "ExtensionStore", "SettingsRecord"]

MASK = "**********"
ENV_PATH = "SMSGATE_EXTENSIONS_DB"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    tenant TEXT NOT NULL, package TEXT NOT NULL, data TEXT NOT NULL, secrets TEXT NOT NULL,
    PRIMARY KEY (tenant, package)
);
CREATE TABLE IF NOT EXISTS configs (
    id TEXT PRIMARY KEY, tenant TEXT NOT NULL, package TEXT NOT NULL, name TEXT NOT NULL,
    data TEXT NOT NULL, secrets TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS configs_by_tenant ON configs (tenant, package);
"""


@dataclass(frozen=True)
class SettingsRecord:
    """A tenant's settings for one extension; secret values are :class:`~pydantic.SecretStr`."""

    tenant: str
    package: str
    settings: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class ConfigRecord:
    """One runtime config of a tenant (ArkID's ``TenantExtensionConfig``)."""

    id: str
    tenant: str
    package: str
    name: str
    config: dict[str, Any] = field(repr=False)


class ExtensionStore:
    """Settings and configs in SQLite: ``path`` (default ``$SMSGATE_EXTENSIONS_DB``, else in memory).

    ``keys`` encrypt the secrets (newest first); default: see :meth:`Keys.find`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, keys: Keys | None = None) -> None:
        self.path = str(path if path is not None else os.environ.get(ENV_PATH, ":memory:"))
        self.keys = keys or Keys.find(self.path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"<ExtensionStore {self.path!r}>"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -------------------------------------------------------------------------------

    def put_settings(self, tenant: str, package: str, data: Mapping[str, Any], secrets: Iterable[str] = ()) -> None:
        """Store ``tenant``'s settings for ``package``, replacing any; ``secrets`` names the secret keys."""
        hidden = sorted(set(secrets))
        row = (tenant, package, self._dump(data, hidden), json.dumps(hidden))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?, ?)", row)

    def add_config(
        self,
        tenant: str,
        package: str,
        data: Mapping[str, Any],
        *,
        name: str = "",
        secrets: Iterable[str] = (),
        config_id: str | None = None,
    ) -> str:
        """Store a new runtime config; returns its id (random and unguessable unless given)."""
        new_id = config_id or uuid.uuid4().hex
        hidden = sorted(set(secrets))
        row = (new_id, tenant, package, name, self._dump(data, hidden), json.dumps(hidden))
        with self._lock:
            self._db.execute("INSERT INTO configs VALUES (?, ?, ?, ?, ?, ?)", row)
        return new_id

    def delete_config(self, tenant: str, config_id: str) -> bool:
        with self._lock:
            cursor = self._db.execute("DELETE FROM configs WHERE id = ? AND tenant = ?", (config_id, tenant))
        return cursor.rowcount > 0

    # -- reading, for sending --------------------------------------------------------------------

    def settings(self, tenant: str, package: str) -> SettingsRecord | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data, secrets FROM settings WHERE tenant = ? AND package = ?", (tenant, package)
            ).fetchone()
        where = f"settings of {package!r} for tenant {tenant!r}"
        return None if row is None else SettingsRecord(tenant, package, self._load(row[0], row[1], where))

    def config(self, tenant: str, config_id: str) -> ConfigRecord | None:
        """The config ``config_id`` if it belongs to ``tenant``; ``None`` otherwise, whoever owns it."""
        with self._lock:
            row = self._db.execute(
                "SELECT package, name, data, secrets FROM configs WHERE id = ? AND tenant = ?", (config_id, tenant)
            ).fetchone()
        if row is None:
            return None
        return ConfigRecord(config_id, tenant, row[0], row[1], self._load(row[2], row[3], f"config {config_id!r}"))

    # -- listing (secrets masked) ----------------------------------------------------------------

    def list_settings(self, tenant: str) -> list[dict[str, Any]]:
        """``[{"package", "settings"}]`` of ``tenant``, secrets masked."""
        with self._lock:
            rows = self._db.execute(
                "SELECT package, data, secrets FROM settings WHERE tenant = ? ORDER BY package", (tenant,)
            ).fetchall()
        return [{"package": p, "settings": _masked(d, s)} for p, d, s in rows]

    def list_configs(self, tenant: str, package: str | None = None) -> list[dict[str, Any]]:
        """``[{"id", "package", "name", "config"}]`` of ``tenant`` (one package if given), secrets masked."""
        sql = "SELECT id, package, name, data, secrets FROM configs WHERE tenant = ?"
        args: tuple[str, ...] = (tenant,)
        if package is not None:
            sql, args = sql + " AND package = ?", (tenant, package)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY package, name, id", args).fetchall()
        return [{"id": i, "package": p, "name": n, "config": _masked(d, s)} for i, p, n, d, s in rows]

    # -- encryption ------------------------------------------------------------------------------

    def rotate_keys(self) -> int:
        """Re-encrypt every stored secret with the first key; returns how many were re-encrypted.

        Put the new key first (keeping the old ones), call this, then drop the old keys.
        """
        count = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for table, key_columns in (("settings", ("tenant", "package")), ("configs", ("id",))):
                    columns = ", ".join(key_columns)
                    rows = self._db.execute(f"SELECT {columns}, data, secrets FROM {table}").fetchall()
                    for row in rows:
                        *ids, data, secrets = row
                        values = json.loads(data)
                        for key in json.loads(secrets):
                            if isinstance(values.get(key), str):
                                values[key] = self.keys.rotate(values[key], f"{table} {'/'.join(ids)}: {key}")
                                count += 1
                        where = " AND ".join(f"{c} = ?" for c in key_columns)
                        self._db.execute(f"UPDATE {table} SET data = ? WHERE {where}", (json.dumps(values), *ids))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return count

    def _dump(self, data: Mapping[str, Any], secrets: list[str]) -> str:
        values = {k: _plain(v) for k, v in data.items()}
        for key in secrets:
            if isinstance(values.get(key), str):
                values[key] = self.keys.encrypt(values[key])
        return json.dumps(values, ensure_ascii=False)

    def _load(self, data: str, secrets: str, where: str) -> dict[str, Any]:
        values: dict[str, Any] = json.loads(data)
        for key in json.loads(secrets):
            if isinstance(values.get(key), str):
                values[key] = SecretStr(self.keys.decrypt(values[key], f"{where}: {key}"))
        return values


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def _masked(data: str, secrets: str) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(data)
    for key in json.loads(secrets):
        if values.get(key) is not None:
            values[key] = MASK
    return values
