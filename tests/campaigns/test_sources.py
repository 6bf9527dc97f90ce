"""Sources: rows streamed from CSV, JSON lines and iterables; every bad row rejected with its number."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import InvalidRequest
from smsgate.campaigns import Reject, Row, Source, read_csv, read_json_lines, read_rows


def test_csv_rows_params_and_rejects(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "\ufeffphone,name,code\n13800138000,Li,1\n\n+86 139 0013 9000,Wang,2\n12345,Zhao,3\n"
        "010 1234 5678,Qian,4\n13700137000,Sun\n",
        encoding="utf-8",
    )
    items = list(read_csv(path))
    assert items[0] == Row(1, "+8613800138000", {"name": "Li", "code": "1"})
    assert items[1] == Row(2, "+8613900139000", {"name": "Wang", "code": "2"})  # blank lines are not rows
    assert [(r.number, r.phone) for r in items[2:]] == [(3, "12345"), (4, "010 1234 5678"), (5, "13700137000")]
    assert "not a valid phone number" in items[2].reason and "not a mobile number" in items[3].reason
    assert items[4].reason == "2 fields where the header has 3"


def test_csv_param_columns_and_phone_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("mobile,code,note\n13800138000,1,x\n", encoding="utf-8")
    assert list(read_csv(path, phone_column="mobile", param_columns=["code"])) == [
        Row(1, "+8613800138000", {"code": "1"})
    ]


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("mobile,code\n", {}, "no 'phone' column"),
        ("", {}, "no 'phone' column"),
        ("phone,code\n", {"param_columns": ["code", "name"]}, "no column 'name'"),
    ],
)
def test_csv_header_problems_name_the_file(tmp_path, text, kwargs, message):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidRequest) as info:
        read_csv(path, **kwargs)
    assert message in str(info.value) and str(path) in str(info.value)


def test_missing_file_is_a_typed_error(tmp_path):
    with pytest.raises(InvalidRequest, match="cannot open"):
        read_csv(tmp_path / "absent.csv")


def test_not_utf8_is_a_typed_error(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"phone,name\n" + b"13800138000,Li\n" * 5000 + b"13900139000,\xff\xfe\n")
    with pytest.raises(InvalidRequest, match="not UTF-8 after row 4"):
        list(read_csv(path))
    path.write_bytes(b"phone,name\xff\n")
    with pytest.raises(InvalidRequest, match="cannot read the header"):
        read_csv(path)


def test_json_lines(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"phone": "13800138000", "code": 1}\n\nnot json\n[1]\n{"phone": "13900139000", "code": null}\n{"code": "1"}\n',
        encoding="utf-8",
    )
    items = list(read_json_lines(path))
    assert items[0] == Row(1, "+8613800138000", {"code": "1"})
    assert [type(i).__name__ for i in items[1:]] == ["Reject"] * 4
    assert [i.number for i in items] == [1, 3, 4, 5, 6]  # line numbers
    assert items[1].reason.startswith("not valid JSON") and items[2].reason == "not an object"
    assert "'code' must be a string or number" in items[3].reason and items[4].reason == "no phone number"


def test_iterables_of_mappings_pairs_and_phones():
    items = list(read_rows([{"phone": "13800138000", "code": 7}, ("13900139000", {"code": "8"}), "13700137000", 42]))
    assert items[:3] == [
        Row(1, "+8613800138000", {"code": "7"}),
        Row(2, "+8613900139000", {"code": "8"}),
        Row(3, "+8613700137000", {}),
    ]
    assert items[3] == Reject(4, "not an object")


def test_a_source_remembers_how_to_read_its_file(tmp_path):
    path = tmp_path / "r.JSONL"
    path.write_text('{"phone": "13800138000"}\n', encoding="utf-8")
    source = Source.of(path, param_columns=["a"])
    again = Source.from_dict(json.loads(json.dumps(source.to_dict())))
    assert again == source and again.kind == "jsonl" and again.param_columns == ("a",)
    with pytest.raises(InvalidRequest, match="pass them again"):
        Source.from_dict(Source.of([{"phone": "13800138000"}]).to_dict()).read()


def test_a_large_file_is_streamed(tmp_path):
    def peak_for(rows: int) -> int:
        path = tmp_path / f"{rows}.csv"
        with path.open("w", encoding="utf-8") as dst:
            dst.write("phone,code\n")
            for i in range(rows):
                dst.write(f"138{i % 1000:08d},{i}\n")
        tracemalloc.start()
        assert sum(1 for _ in read_csv(path)) == rows
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak

    small, large = peak_for(2_000), peak_for(20_000)
    assert large < small + 500_000  # 18,000 more rows (about 7 MB as objects) cost nothing


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**8 - 1), cell, cell), min_size=1, max_size=20))
def test_any_params_round_trip_through_csv(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "r.csv"
    with path.open("w", encoding="utf-8", newline="") as dst:
        writer = csv.writer(dst)
        writer.writerow(["phone", "a", "b"])
        for n, a, b in rows:
            writer.writerow([f"138{n:08d}", a, b])
    got = list(read_csv(path))
    assert [(r.phone, r.params) for r in got] == [(f"+86138{n:08d}", {"a": a, "b": b}) for n, a, b in rows]
    assert [r.number for r in got] == list(range(1, len(rows) + 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=15), min_size=1, max_size=20))
def test_any_phone_text_is_a_row_or_a_numbered_reject(phones):
    items = list(read_rows([{"phone": p} for p in phones]))
    assert [i.number for i in items] == list(range(1, len(phones) + 1))
    for item, raw in zip(items, phones, strict=True):
        assert isinstance(item, Row) or (isinstance(item, Reject) and item.reason)
        assert isinstance(item, Reject) or item.phone.startswith("+")
        if isinstance(item, Reject) and raw.strip():
            assert item.phone == raw


def test_csv_errors_in_a_row_reject_that_row(tmp_path):
    path = tmp_path / "r.csv"
    text = io.StringIO()
    text.write("phone,code\n13800138000,1\n")
    text.write('13900139000,"' + "x" * (csv.field_size_limit() + 1) + '"\n13700137000,3\n')
    path.write_text(text.getvalue(), encoding="utf-8")
    items = list(read_csv(path))
    assert items[0].number == 1 and isinstance(items[1], Reject) and "not valid CSV" in items[1].reason
    assert items[-1] == Row(3, "+8613700137000", {"code": "3"})
