import pytest

from smsgate.elements._jsonfile import read_object


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "SMS/A/sms.json: nested too deeply to read"),
        (b'{"a": ' * 100_000 + b"1" + b"}" * 100_000, "SMS/A/sms.json: nested too deeply to read"),
        (b'{"timeout": ' + b"9" * 5000 + b"}", "SMS/A/sms.json: a number has more than 4300 digits"),
        (b"\xff\xfe{}", "SMS/A/sms.json: cannot be read: UnicodeDecodeError"),
        (b'{"a": 1,}', "SMS/A/sms.json: line 1, column 9: invalid JSON: "),  # the words vary by Python version
        (b"[1]", "SMS/A/sms.json: expected a JSON object, got list"),
    ],
)
def test_unreadable_files_are_one_problem_naming_the_file(tmp_path, content, problem):
    path = tmp_path / "sms.json"
    path.write_bytes(content)
    problems: list[str] = []
    assert read_object(path, "SMS/A/sms.json", problems) is None
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_a_directory_where_the_file_should_be(tmp_path):
    (tmp_path / "sms.json").mkdir()
    problems: list[str] = []
    assert read_object(tmp_path / "sms.json", "SMS/A/sms.json", problems) is None
    assert problems == ["SMS/A/sms.json: not a file"]
