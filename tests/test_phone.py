import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsgate import InvalidPhone, PhoneNumber
from smsgate._phone import parser

REGIONS = ["CN", "US", "GB", "IN", "DE", "BR", "HK", "JP", "FR", "AU"]


def reference(raw: str, region: str) -> str | None:
    """What phonenumbers alone says: the E.164 of a valid mobile, else None."""
    text = "+" + raw[2:] if raw.startswith("00") else raw
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ours(raw: str, region: str) -> str | None:
    try:
        return PhoneNumber.parse(raw, region).e164
    except InvalidPhone:
        return None


@pytest.mark.parametrize(
    "raw", ["13800138000", "+86 138 0013 8000", "008613800138000", "8613800138000", "+8613800138000"]
)
def test_one_phone_in_many_spellings(raw):
    phone = PhoneNumber.parse(raw)
    assert phone.e164 == "+8613800138000"
    assert (phone.country_code, phone.national_number, phone.region) == (86, "13800138000", "CN")
    assert phone.digits == "8613800138000" and phone.idd == "008613800138000"


def test_default_region_is_configurable():
    assert PhoneNumber.parse("2015550123", "US").e164 == "+12015550123"
    assert PhoneNumber.parse("07400123456", "gb").e164 == "+447400123456"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("010 12345678", "not a mobile"),
        ("12345", "not a valid"),
        ("hello", "cannot be parsed"),
        ("", "cannot be parsed"),
    ],
)
def test_landlines_and_junk_are_rejected_naming_the_number(raw, reason):
    with pytest.raises(InvalidPhone) as info:
        PhoneNumber.parse(raw)
    assert repr(raw) in str(info.value) and reason in str(info.value)
    assert info.value.code == 46001 and info.value.field == "to" and info.value.phone == raw


def test_non_strings_are_rejected():
    with pytest.raises(InvalidPhone):
        PhoneNumber.parse(13800138000)  # type: ignore[arg-type]


def test_a_phone_number_passes_through():
    phone = PhoneNumber.parse("13800138000")
    assert PhoneNumber.parse(phone) is phone and str(phone) == phone.e164


@settings(max_examples=400, deadline=None)
@given(region=st.sampled_from(REGIONS), digits=st.text("0123456789", min_size=4, max_size=15))
def test_fast_path_agrees_with_phonenumbers(region, digits):
    assert ours(digits, region) == reference(digits, region)


@settings(max_examples=300, deadline=None)
@given(
    rest=st.integers(min_value=0, max_value=10**8 - 1),
    prefix=st.sampled_from(["13", "14", "15", "16", "17", "18", "19", "10", "11", "12"]),
    lead=st.integers(0, 9),
)
def test_cn_mobile_like_numbers_agree_with_phonenumbers(rest, prefix, lead):
    digits = f"{prefix}{lead}{rest:08d}"
    for form in (digits, "+86" + digits, "0086" + digits):
        assert ours(form, "CN") == reference(form, "CN")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_arbitrary_text_never_crashes(text):
    try:
        phone = PhoneNumber.parse(text)
    except InvalidPhone as exc:
        assert exc.code == 46001
    else:
        assert phone.e164.startswith("+") and phone.e164[1:].isdigit()


@pytest.mark.parametrize("raw", [None, 13800138000, 10**5000, b"13800138000"], ids=["none", "int", "huge", "bytes"])
def test_a_phone_that_is_not_a_string_is_named_by_its_type(raw):
    with pytest.raises(InvalidPhone) as info:
        PhoneNumber.parse(raw)
    assert info.value.message == f"phone number 'a {type(raw).__name__}': must be a string"


@settings(max_examples=400, deadline=None)
@given(region=st.sampled_from(REGIONS), digits=st.text("0123456789", min_size=4, max_size=15))
def test_the_plus_country_code_fast_path_agrees_with_phonenumbers(region, digits):
    form = f"+{phonenumbers.country_code_for_region(region)}{digits}"
    assert ours(form, region) == reference(form, region)


def test_unique_numbers_leave_the_parse_cache_as_it_was():
    from smsgate._phone import _parse

    before = _parse.cache_info().currsize
    parsed = {PhoneNumber.parse(f"139{n:08d}").e164 for n in range(2000)}
    parsed |= {PhoneNumber.parse(f"+86137{n:08d}").e164 for n in range(2000)}
    assert len(parsed) == 4000 and _parse.cache_info().currsize == before


def outcome(parse, raw):
    """What a parse gives: the phone, or the error's words."""
    try:
        return parse(raw)
    except InvalidPhone as exc:
        return exc.message


@settings(max_examples=300, deadline=None)
@given(
    region=st.sampled_from([*REGIONS, "cn", None]),
    raw=st.one_of(
        st.text("0123456789+ ", max_size=16),
        st.integers(0, 10**8 - 1).map(lambda n: f"13{n:09d}"),
        st.integers(0, 10**8 - 1).map(lambda n: f"+86 15{n:09d}"),
        st.text(max_size=12),
        st.none(),
    ),
)
def test_a_region_parser_answers_as_parse_does(region, raw):
    from smsgate._phone import parser

    assert outcome(parser(region), raw) == outcome(lambda r: PhoneNumber.parse(r, region), raw)


def test_a_fast_path_phone_is_a_plain_frozen_phone_number():
    import dataclasses

    fast = parser("CN")("13800138000")
    built = PhoneNumber("+8613800138000", 86, "13800138000", "CN")
    assert fast == built and hash(fast) == hash(built) and repr(fast) == repr(built)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.e164 = "+8613900139000"  # type: ignore[misc]
