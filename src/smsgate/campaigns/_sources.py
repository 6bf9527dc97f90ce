"""Campaign sources, streamed: a CSV file, a JSON lines file, or any iterable of rows.

Each yields, in order, a :class:`Row` (a valid phone, parsed into E.164, and its params) or a
:class:`Reject` (the row number and why it cannot be sent). Rows are numbered from 1, the first
data row (the CSV header and blank lines do not count; in JSON lines, every line counts). Nothing is
read whole: a file of a million rows costs the memory of one row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import InvalidPhone, InvalidRequest
from .._phone import PhoneNumber

__all__ = ["Reject", "Row", "Source", "read_csv", "read_json_lines", "read_rows"]


@dataclass(frozen=True, slots=True)
class Row:
    """One recipient: row ``number``, ``phone`` in E.164 and its own template params."""

    number: int
    phone: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reject:
    """A row that was not sent: its ``number``, the ``phone`` as written, and the ``reason``."""

    number: int
    reason: str
    phone: str = ""


Item = Row | Reject


def _row(number: int, phone: Any, params: Mapping[str, Any], region: str | None) -> Item:
    if not isinstance(phone, str) or not phone.strip():
        return Reject(number, "no phone number", "" if phone is None else str(phone))
    try:
        e164 = PhoneNumber.parse(phone, region).e164
    except InvalidPhone as exc:
        return Reject(number, exc.message, phone)
    bad = [k for k, v in params.items() if v is None or isinstance(v, (dict, list))]
    if bad:
        return Reject(number, f"param {bad[0]!r} must be a string or number", phone)
    return Row(number, e164, {k: v if type(v) is str else str(v) for k, v in params.items()})


@dataclass(frozen=True)
class Source:
    """Where a campaign's rows come from, as a file path and how to read it (resumable), or an iterable."""

    path: str | None = None
    kind: str = "csv"  # csv | jsonl | rows
    phone_column: str = "phone"
    param_columns: tuple[str, ...] | None = None
    rows: Iterable[Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(
        cls,
        source: str | Path | Iterable[Any],
        *,
        phone_column: str = "phone",
        param_columns: Sequence[str] | None = None,
    ) -> Source:
        """A file path (``.jsonl`` / ``.ndjson``: JSON lines; anything else: CSV) or an iterable of rows."""
        columns = None if param_columns is None else tuple(param_columns)
        if isinstance(source, (str, Path)):
            path = Path(source)
            kind = "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"
            return cls(str(path.resolve()), kind, phone_column, columns)
        return cls(None, "rows", phone_column, columns, source)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "phone_column": self.phone_column, "params": self.param_columns}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Source:
        params = data.get("params")
        return cls(
            data.get("path"), data.get("kind", "csv"), data.get("phone_column", "phone"), params and tuple(params)
        )

    def read(self, region: str | None = None) -> Iterator[Item]:
        """Every row, in order. Raises :class:`InvalidRequest` (naming the file) for a file that
        cannot be read at all, before yielding anything."""
        if self.kind == "rows":
            if self.rows is None:
                raise InvalidRequest("this campaign's rows came from Python: pass them again to resume", field="source")
            return read_rows(self.rows, phone_column=self.phone_column, param_columns=self.param_columns, region=region)
        assert self.path is not None
        reader = read_json_lines if self.kind == "jsonl" else read_csv
        return reader(self.path, phone_column=self.phone_column, param_columns=self.param_columns, region=region)


def _open(path: str | Path) -> Any:
    try:
        return open(path, encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidRequest(f"{path}: cannot open: {exc.strerror}", field=str(path)) from None


def read_csv(
    path: str | Path,
    *,
    phone_column: str = "phone",
    param_columns: Sequence[str] | None = None,
    region: str | None = None,
) -> Iterator[Item]:
    """Rows of a CSV file with a header: ``phone_column`` holds the phone; ``param_columns`` (default:
    every other column) become template params, named by their header."""
    src = _open(path)
    reader = csv.reader(src)
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as exc:
        src.close()
        raise InvalidRequest(f"{path}: cannot read the header: {exc}", field=str(path)) from None
    if header is None or phone_column not in header:
        src.close()
        raise InvalidRequest(f"{path}: no {phone_column!r} column in the header", field=str(path))
    columns = [c for c in header if c != phone_column] if param_columns is None else list(param_columns)
    absent = [c for c in columns if c not in header]
    if absent:
        src.close()
        raise InvalidRequest(f"{path}: no column {', '.join(map(repr, absent))} in the header", field=str(path))
    return _csv_rows(src, reader, header, phone_column, columns, region, str(path))


def _csv_rows(
    src: Any, reader: Any, header: list[str], phone: str, columns: list[str], region: str | None, path: str
) -> Iterator[Item]:
    at = {name: i for i, name in enumerate(header)}
    phone_at, width, number = at[phone], len(header), 0
    with src:
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                number += 1
                yield Reject(number, f"not valid CSV: {exc}")
                continue
            except UnicodeDecodeError:
                raise InvalidRequest(f"{path}: not UTF-8 after row {number}", field=path) from None
            if not fields:
                continue
            number += 1
            if len(fields) != width:
                yield Reject(number, f"{len(fields)} fields where the header has {width}", fields[0] if fields else "")
                continue
            yield _row(number, fields[phone_at], {c: fields[at[c]] for c in columns}, region)


def read_json_lines(
    path: str | Path,
    *,
    phone_column: str = "phone",
    param_columns: Sequence[str] | None = None,
    region: str | None = None,
) -> Iterator[Item]:
    """Rows of a JSON lines file: one object per line, ``phone_column`` holding the phone and the
    other keys (or only ``param_columns``) the params. Row numbers are line numbers."""
    src = _open(path)
    return _json_rows(src, phone_column, param_columns, region, str(path))


def _json_rows(src: Any, phone: str, columns: Sequence[str] | None, region: str | None, path: str) -> Iterator[Item]:
    with src:
        number = 0
        while True:
            try:
                line = src.readline()
            except UnicodeDecodeError:
                raise InvalidRequest(f"{path}: not UTF-8 after line {number}", field=path) from None
            if not line:
                return
            number += 1
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Reject(number, f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield _mapping(number, data, phone, columns, region)


def _mapping(number: int, data: Any, phone: str, columns: Sequence[str] | None, region: str | None) -> Item:
    if not isinstance(data, Mapping):
        return Reject(number, "not an object")
    if columns is None:
        params = {k: v for k, v in data.items() if k != phone}
    else:
        absent = [c for c in columns if c not in data]
        if absent:
            return Reject(number, f"no {absent[0]!r}", str(data.get(phone, "")))
        params = {c: data[c] for c in columns}
    return _row(number, data.get(phone), params, region)


def read_rows(
    rows: Iterable[Any],
    *,
    phone_column: str = "phone",
    param_columns: Sequence[str] | None = None,
    region: str | None = None,
) -> Iterator[Item]:
    """Rows from Python: mappings (``{"phone": …, "code": …}``), ``(phone, params)`` pairs or phone strings."""
    for number, item in enumerate(rows, 1):
        if isinstance(item, str):
            yield _row(number, item, {}, region)
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Mapping):
            yield _row(number, item[0], item[1], region)
        else:
            yield _mapping(number, item, phone_column, param_columns, region)
