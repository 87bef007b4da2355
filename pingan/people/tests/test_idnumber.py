"""Citizen ID numbers (GB 11643-1999): parsing, validation, conversion, masking, generation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pingan.people import idnumber
from pingan.people.idnumber import FEMALE, MALE, PROVINCES

TODAY = dt.date(2025, 6, 1)


def error_of(value: str, today: dt.date = TODAY) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        idnumber.parse(value, today=today)
    return caught.value


# --- known numbers ------------------------------------------------------------------------------


def test_the_standard_example_with_an_x_check_digit_parses():
    parsed = idnumber.parse("11010519491231002X", today=TODAY)
    assert parsed == idnumber.IdNumber(
        number="11010519491231002X",
        region="110105",
        birth_date=dt.date(1949, 12, 31),
        sex=FEMALE,
    )


def test_a_lower_case_x_and_spaces_are_normalised():
    assert idnumber.normalise(" 110105 19491231 002x ") == "11010519491231002X"
    assert idnumber.parse("110105 19491231 002x", today=TODAY).number == "11010519491231002X"


def test_an_odd_seventeenth_digit_means_male():
    number = idnumber.generate("510104", dt.date(1990, 1, 1), 123)
    assert idnumber.parse(number, today=TODAY).sex == MALE


def test_the_check_digit_follows_mod_11_2():
    # Worked by hand: 1·7 + 1·9 + 1·5 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5
    # + 2·2 = 167; 167 mod 11 = 2 → "X".
    assert idnumber.check_digit("11010519491231002") == "X"
    # 5·7 + 1·9 + 1·5 + 4·4 + 1·2 + 9·1 + 9·6 + 1·9 + 1·5 + 1·8 + 2·4 + 3·2 = 166;
    # 166 mod 11 = 1 → "0".
    assert idnumber.check_digit("51010419900101123") == "0"


def test_the_check_digit_refuses_anything_but_17_digits():
    with pytest.raises(ValueError):
        idnumber.check_digit("1101051949123100")
    with pytest.raises(ValueError):
        idnumber.check_digit("1101051949123100A")


def test_validate_returns_the_normalised_number():
    assert idnumber.validate("11010519491231002x") == "11010519491231002X"


def test_validate_refuses_none_as_too_short():
    with pytest.raises(ValidationError) as caught:
        idnumber.validate(None)
    assert caught.value.code == "length"


# --- old 15-digit numbers -----------------------------------------------------------------------


def test_a_15_digit_number_converts_to_18_digits():
    assert idnumber.convert_15_to_18("110105491231002") == "11010519491231002X"


def test_a_15_digit_number_parses_to_its_18_digit_form():
    parsed = idnumber.parse("110105491231002", today=TODAY)
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == FEMALE


def test_conversion_refuses_anything_but_15_digits():
    with pytest.raises(ValueError):
        idnumber.convert_15_to_18("11010519491231002X")
    with pytest.raises(ValueError):
        idnumber.convert_15_to_18("11010549123100X")


def test_a_15_digit_number_with_an_impossible_date_is_refused():
    assert error_of("110105490230002").code == "birth_date"


def test_a_15_digit_number_ending_in_x_has_bad_characters():
    assert error_of("11010549123100x").code == "characters"


# --- problems -----------------------------------------------------------------------------------


def test_a_wrong_check_digit_is_refused_without_telling_the_right_one():
    with translation.override("en"):
        error = error_of("110105194912310029")
    assert error.code == "check_digit"
    assert error.messages == ["The check digit (the last character) is wrong."]


@pytest.mark.parametrize("value", ["", "1101051949123100", "11010519491231002X1", "1" * 17])
def test_a_wrong_length_is_refused(value):
    with translation.override("en"):
        error = error_of(value)
    assert error.code == "length"
    assert error.messages == ["An ID number has 18 characters (or 15 for an old one)."]


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100XX",  # X before the last character
        "11010519491231002Y",  # a letter other than X
        "11010519491231-02X",  # punctuation
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits are digits to str.isdigit()
        "A10105491231002",  # a letter in an old number
    ],
)
def test_bad_characters_are_refused(value):
    with translation.override("en"):
        error = error_of(value)
    assert error.code == "characters"
    assert error.messages == [
        "An ID number has only digits, with X allowed only as its 18th character."
    ]


@pytest.mark.parametrize("prefix", ["00", "99", "10", "16", "47", "72", "84", "90"])
def test_a_region_prefix_that_is_no_province_is_refused(prefix):
    first17 = prefix + "010519491231002"
    with translation.override("en"):
        error = error_of(first17 + idnumber.check_digit(first17))
    assert error.code == "region"
    assert error.messages == ["The first two digits of the ID number are not a province code."]


@pytest.mark.parametrize("prefix", sorted(PROVINCES))
def test_every_province_prefix_is_accepted(prefix):
    first17 = prefix + "010519491231002"
    assert idnumber.parse(first17 + idnumber.check_digit(first17), today=TODAY).region[:2] == prefix


@pytest.mark.parametrize("birth", ["19900230", "19900431", "19901301", "19900000", "21000229"])
def test_a_birth_date_that_does_not_exist_is_refused(birth):
    first17 = "110105" + birth + "002"
    with translation.override("en"):
        error = error_of(first17 + idnumber.check_digit(first17))
    assert error.code == "birth_date"
    assert error.messages == [
        "The birth date in the ID number (digits 7 to 14) is not a real date."
    ]


def test_a_leap_day_is_a_real_birth_date():
    first17 = "11010520000229002"
    parsed = idnumber.parse(first17 + idnumber.check_digit(first17), today=TODAY)
    assert parsed.birth_date == dt.date(2000, 2, 29)


def test_a_birth_date_in_the_future_is_refused():
    number = idnumber.generate("110105", TODAY + dt.timedelta(days=1), 2)
    with translation.override("en"):
        error = error_of(number)
    assert error.code == "birth_date"
    assert error.messages == ["The birth date in the ID number is in the future."]


def test_a_birth_date_of_today_is_accepted():
    number = idnumber.generate("110105", TODAY, 2)
    assert idnumber.parse(number, today=TODAY).birth_date == TODAY


def test_the_future_is_judged_against_the_local_date_by_default():
    number = idnumber.generate("110105", dt.date(2999, 1, 1), 2)
    with pytest.raises(ValidationError) as caught:
        idnumber.parse(number)
    assert caught.value.code == "birth_date"


def test_a_birth_date_before_1900_is_refused():
    first17 = "11010518991231002"
    with translation.override("en"):
        error = error_of(first17 + idnumber.check_digit(first17))
    assert error.code == "birth_date"
    assert error.messages == ["The birth date in the ID number is before 1900."]


def test_messages_are_translatable_strings():
    with translation.override("en"):
        assert str(idnumber.MESSAGES["length"]).startswith("An ID number")


# --- masking ------------------------------------------------------------------------------------


def test_a_mask_keeps_the_first_three_and_last_four_characters():
    assert idnumber.mask("510104199001011234") == "510***********1234"
    assert idnumber.mask("11010519491231002x") == "110***********002X"


def test_a_mask_of_an_old_number_stars_eight_characters():
    assert idnumber.mask("110105491231002") == "110********1002"


def test_an_empty_value_masks_to_empty():
    assert idnumber.mask("") == ""
    assert idnumber.mask(None) == ""


def test_a_very_short_value_is_starred_completely():
    assert idnumber.mask("1234567") == "*******"


# --- generation ---------------------------------------------------------------------------------


def test_generation_refuses_bad_arguments():
    with pytest.raises(ValueError):
        idnumber.generate("11010", dt.date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        idnumber.generate("990105", dt.date(1990, 1, 1), 1)
    with pytest.raises(ValueError):
        idnumber.generate("110105", dt.date(1990, 1, 1), 1000)
    with pytest.raises(ValueError):
        idnumber.generate("110105", dt.date(1990, 1, 1), -1)
    with pytest.raises(ValueError):
        idnumber.generate("110105", dt.date(1899, 12, 31), 1)


def test_generation_reproduces_the_standard_example():
    assert idnumber.generate("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"


regions = st.builds(
    lambda province, rest: province + rest,
    st.sampled_from(sorted(PROVINCES)),
    st.text(alphabet="0123456789", min_size=4, max_size=4),
)
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


@given(region=regions, birth_date=birth_dates, sequence=sequences)
def test_any_generated_number_parses_back_to_its_region_date_and_sex(region, birth_date, sequence):
    number = idnumber.generate(region, birth_date, sequence)
    parsed = idnumber.parse(number, today=TODAY)
    assert parsed.number == number
    assert parsed.region == region
    assert parsed.birth_date == birth_date
    assert parsed.sex == (MALE if sequence % 2 else FEMALE)
    assert idnumber.validate(number) == number


@given(
    region=regions,
    birth_date=birth_dates,
    sequence=sequences,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_changing_any_single_character_of_a_valid_number_makes_it_invalid(
    region, birth_date, sequence, position, replacement
):
    number = idnumber.generate(region, birth_date, sequence)
    if position < 17 and replacement == "X":  # X is only allowed last: use a digit instead
        replacement = "0"
    if replacement == number[position]:  # pick another character of the allowed ones
        allowed = "0123456789X" if position == 17 else "0123456789"
        replacement = allowed[(allowed.index(replacement) + 1) % len(allowed)]
    changed = number[:position] + replacement + number[position + 1 :]
    assert changed != number
    assert error_of(changed).code in {"check_digit", "birth_date", "region"}


@given(
    region=regions,
    birth_date=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
    sequence=sequences,
)
def test_an_old_number_converts_to_the_generated_18_digit_number(region, birth_date, sequence):
    number = idnumber.generate(region, birth_date, sequence)
    old = number[:6] + number[8:17]
    assert idnumber.convert_15_to_18(old) == number
    assert idnumber.parse(old, today=TODAY).number == number
