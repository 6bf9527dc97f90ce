"""How :class:`~smsgate.stores.redis.RedisStore` lays out its keys and shapes the commands and
replies both of its twins (sync and async) share: nothing here does I/O."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from .._reports import DeliveryReport, InboundMessage
from ._codec import dump_inbound, dump_report, inbound_key, load_report
from ._redis_pipe import Command
from ._redis_scripts import SHAS
from .base import Keep, LogRecord, Refusal, Reserve, Start, Store, Window, provider_refs

__all__ = ["RedisLayout"]

Call = tuple[str, tuple[Any, ...]]

_NO_KEEP = ("", "", "", 0)
_NO_FORGET = ("", "")
_NO_CLAIM = ("", "", 0)


class RedisLayout(Store):
    """Keys under ``prefix``; the send log as strings indexed in sorted sets by time, message and
    phone; delivery reports as hashes; every compound operation a script called by its SHA."""

    prefix: str
    log_ttl: float | None

    def _k(self, key: str) -> str:
        return self.prefix + key

    @staticmethod
    def _script(name: str, keys: Sequence[str], args: Sequence[Any]) -> Command:
        return ("EVALSHA", SHAS[name], len(keys), *keys, *args)

    def _set(self, key: str, value: str, ttl: float | None) -> Command:
        return ("SET", self._k(key), value) if ttl is None else ("SET", self._k(key), value, "PX", self._ms(ttl))

    def _command(self, name: str, args: tuple[Any, ...]) -> Command:
        """The command of one :meth:`~smsgate.stores.Store.run` call (see :attr:`_BATCHED`)."""
        if name == "set":
            key, value, *ttl = args
            return self._set(key, value, ttl[0] if ttl else None)
        if name == "delete":
            return ("DEL", self._k(args[0]))
        if name == "get":
            return ("GET", self._k(args[0]))
        return self._write((args[0],), None, None)

    def _replies(self, calls: Sequence[Call], replies: Sequence[Any]) -> list[Any]:
        return [self._decode(r) if name == "get" else None for (name, _), r in zip(calls, replies, strict=True)]

    _BATCHED = frozenset({"set", "delete", "log_put", "get"})

    @staticmethod
    def _ms(ttl: float | None) -> int:
        return 0 if ttl is None else max(1, int(ttl * 1000))

    def _hit_args(self, windows: Sequence[Window]) -> tuple[list[str], list[Any]]:
        keys = [self._k(key) for key, _limit, _ttl in windows]
        args: list[Any] = []
        for _key, limit, ttl in windows:
            args += [limit, self._ms(ttl)]
        return keys, args

    def _write(self, records: Sequence[LogRecord], keep: Keep | None, forget: str | None) -> Command:
        """One script call for a whole :meth:`~smsgate.stores.Store.write`: records, kept key, forgotten key."""
        command: list[Any] = ["EVALSHA", SHAS["write"], 0, self.prefix, self._ms(self.log_ttl)]
        command += ("1", *keep[:2], self._ms(keep[2])) if keep is not None else _NO_KEEP
        command += ("1", forget) if forget is not None else _NO_FORGET
        _put(command, records)
        return tuple(command)

    def _start(
        self,
        blocked: Sequence[str],
        claim: Keep | None,
        windows: Sequence[Window],
        reserves: Sequence[Reserve],
        records: Sequence[LogRecord],
        keep: Keep | None,
    ) -> Command:
        """The one script call of a :meth:`~smsgate.stores.Store.start`."""
        command: list[Any] = ["EVALSHA", SHAS["start"], 0, self.prefix, self._ms(self.log_ttl)]
        command += ("1", *keep[:2], self._ms(keep[2])) if keep is not None else _NO_KEEP
        self._admission(command, blocked, claim, windows)
        command.append(len(reserves))
        for key, interval, burst, max_wait, now in reserves:
            command += (key, _number(interval), burst, _number(max_wait), _number(now))
        _put(command, records)
        return tuple(command)

    def _started(self, reply: Sequence[Any]) -> Start:
        if reply[0] != 0:
            return Start(self._admitted(reply), [], False)
        return Start(None, [None if wait is None else float(wait) for wait in reply[2:]], reply[1] == 1)

    def _report_args(self, report: DeliveryReport, matched: str | None) -> tuple[list[str], list[Any]]:
        keys = [self._k(f"rep:r:{report.key}"), self._k("rep:seq"), self._k("rep:all")]
        keys += [self._k(f"rep:p:{report.phone}"), self._k(f"rep:m:{matched}"), self._k(f"log:d:{matched}")]
        data = dump_report(report)
        return keys, [report.key, data, matched or "", report.phone, report.status.value, self._ms(self.log_ttl)]

    def _inbound_args(self, message: InboundMessage) -> tuple[list[str], list[Any]]:
        member = inbound_key(message) or f"~{uuid.uuid4().hex}"  # no id: never a duplicate
        keys = [self._k(f"in:r:{member}"), self._k("in:seq"), self._k("in:all"), self._k(f"in:p:{message.sender}")]
        return keys, [member, dump_inbound(message), self._ms(self.log_ttl)]

    @staticmethod
    def _matching(report: DeliveryReport, rows: Sequence[Any]) -> str | None:
        """The message id of the newest attempt that gave ``report.phone`` the report's provider id."""
        records = [LogRecord.from_json(row) for row in rows if row is not None]
        found = [r for r in records if r.message_ids.get(report.phone) == report.provider_message_id]
        return max(found, key=lambda r: r.created_at).message_id if found else None

    def _reports(self, message_id: str | None, phone: str | None, limit: int) -> Command:
        """The one script call listing kept reports, newest first (all of a message's for a phone)."""
        end = limit - 1 if message_id is None or phone is None else -1
        index = f"rep:m:{message_id}" if message_id is not None else "rep:all" if phone is None else f"rep:p:{phone}"
        return self._script("newest", (), (self.prefix, index, end, "rep:r:", "h"))

    def _inbound(self, phone: str | None, limit: int) -> Command:
        index = "in:all" if phone is None else f"in:p:{phone}"
        return self._script("newest", (), (self.prefix, index, limit - 1, "in:r:", "g"))

    def _reports_of(self, rows: Sequence[Any], phone: str | None, limit: int) -> list[DeliveryReport]:
        found = []
        for data, matched in rows:
            if data is not None:
                report = load_report(data, self._decode(matched) or None)
                if phone is None or report.phone == phone:
                    found.append(report)
        return found[:limit]

    def _admit(self, blocked: Sequence[str], claim: Keep | None, windows: Sequence[Window]) -> Command:
        command: list[Any] = ["EVALSHA", SHAS["admit"], 0, self.prefix]
        self._admission(command, blocked, claim, windows)
        return tuple(command)

    def _admission(
        self, command: list[Any], blocked: Sequence[str], claim: Keep | None, windows: Sequence[Window]
    ) -> None:
        """The admission's arguments (keys without the prefix, which the script adds), onto ``command``."""
        command.append(len(blocked))
        command += blocked
        command += (claim[0], claim[1], self._ms(claim[2])) if claim is not None else _NO_CLAIM
        command.append(len(windows))
        for key, limit, ttl in windows:
            command += (key, limit, self._ms(ttl))

    def _admitted(self, reply: Sequence[Any]) -> Refusal | None:
        kind = int(reply[0])
        if kind == 0:
            return None
        if kind == 2:
            return Refusal("claimed", self._decode(reply[1]))
        return Refusal("blocked" if kind == 1 else "full", int(reply[1]))

    @staticmethod
    def _decode(value: Any) -> str | None:
        return value.decode() if isinstance(value, bytes) else value

    def _read(self, filters: dict[str, Any]) -> Command:
        """The one script call of a :meth:`~smsgate.stores.Store.log_query`: by phone, or by index."""
        message_id, phone = filters.get("message_id"), filters.get("phone")
        low, high = self._range(filters)
        if phone is not None and message_id is None:  # the phone's messages, then their records
            return self._script("read", (), (self.prefix, "p", phone, low, high))
        index = "log:all" if message_id is None else f"log:m:{message_id}"
        return self._script("read", (), (self.prefix, "i", index, low, high))

    def _refs(self, report: DeliveryReport) -> Command:
        """The read of the attempt records that got ``report``'s provider message id."""
        return self._script("read", (), (self.prefix, "f", f"{report.provider}|{report.provider_message_id}", 0, 0))

    def _found(self, reply: Sequence[Any], filters: dict[str, Any]) -> list[LogRecord]:
        """The records of a read's ``reply`` (a message record with its deliveries), filtered and ordered."""
        message_id, phone, status = filters.get("message_id"), filters.get("phone"), filters.get("status")
        found = []
        for at in range(0, len(reply), 2):
            record = LogRecord.from_json(reply[at])
            if (
                (message_id is None or record.message_id == message_id)
                and (phone is None or phone in record.phones)
                and (status is None or record.status == status)
            ):
                if record.kind == "message":
                    pairs = reply[at + 1] or []
                    record.deliveries = {
                        self._decode(pairs[i]) or "": self._decode(pairs[i + 1]) or "" for i in range(0, len(pairs), 2)
                    }
                found.append(record)
        found.sort(key=lambda r: r.created_at, reverse=bool(filters.get("newest_first")))
        return found[: filters.get("limit", 1000)]

    @staticmethod
    def _range(filters: dict[str, Any]) -> tuple[Any, Any]:
        since, until = filters.get("since"), filters.get("until")
        return ("-inf" if since is None else since), ("+inf" if until is None else until)


def _put(command: list[Any], records: Sequence[LogRecord]) -> None:
    """The records' arguments of the ``put`` script function, onto ``command``."""
    for record in records:
        phones = record.phones
        command += (record.id, record.kind, record.message_id, _number(record.created_at), _json(record), len(phones))
        command += phones
        if record.provider is None or not record.message_ids:
            command.append(0)
        else:
            refs = provider_refs(record)
            command.append(len(refs))
            command += [f"{record.provider}|{ref}" for ref in refs]


def _number(value: float) -> bytes | float:
    """A number as a script reads it: written by orjson (Python's float repr costs ten times as much,
    and hiredis calls it for every float it packs); infinities and NaN as repr writes them."""
    return orjson.dumps(value) if math.isfinite(value) else value


def _json(record: LogRecord) -> bytes | str:
    """What :meth:`LogRecord.to_json` gives, made by orjson (this runs for every record written)."""
    try:
        return orjson.dumps(vars(record))
    except TypeError:  # something orjson declines (an integer past 64 bits): the standard library's
        return record.to_json()
