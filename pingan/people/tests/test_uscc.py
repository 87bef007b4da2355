"""Unified social credit codes (GB 32100-2015): check character, validation, generation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from pingan.people import uscc
from pingan.people.uscc import ALPHABET

# Codes published by real organisations (business licences, annual reports).
REAL_CODES = [
    "91350100M000100Y43",
    "914403001922038216",
    "91110108551385082Q",
    "9144030071526726XG",
    "91330100799655058B",
]


def error_of(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        uscc.validate(value)
    return caught.value


def test_the_alphabet_has_31_characters_without_i_o_s_v_z():
    assert len(ALPHABET) == 31
    assert not set("IOSVZ") & set(ALPHABET)


def test_the_weights_are_powers_of_3_mod_31():
    assert uscc.WEIGHTS == tuple(pow(3, i, 31) for i in range(17))


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_world_codes_are_valid(code):
    assert uscc.validate(code) == code


def test_the_check_character_of_the_standard_example_works_out_by_hand():
    # 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4, weighted:
    # 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + 21·20 + 1·8 + 30·30 + 4·28 = 1640;
    # 1640 mod 31 = 28; 31 − 28 = 3 → "3".
    assert uscc.check_character("91350100M000100Y4") == "3"


def test_a_check_value_of_zero_maps_to_the_character_0():
    # 1 followed by zeros, except a 1 at weight 30 (position 16): 1·1 + 1·30 = 31 ≡ 0 → "0".
    assert uscc.check_character("10000000000000010") == "0"


def test_a_check_value_of_thirty_maps_to_the_character_y():
    # A single 1 in front: 1·1 = 1; 31 − 1 = 30 → "Y".
    assert uscc.check_character("10000000000000000") == "Y"


def test_the_check_character_refuses_a_bad_prefix():
    with pytest.raises(ValueError):
        uscc.check_character("91350100M000100Y")
    with pytest.raises(ValueError):
        uscc.check_character("91350100O000100Y4")


def test_validate_normalises_case_and_spaces():
    assert uscc.validate(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert uscc.validate("9135 0100 M000 100Y 43") == "91350100M000100Y43"


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y433"])
def test_a_wrong_length_is_refused(value):
    with translation.override("en"):
        error = error_of(value)
    assert error.code == "length"
    assert error.messages == ["A unified social credit code has 18 characters."]


def test_none_is_refused_as_too_short():
    assert error_of(None).code == "length"


@pytest.mark.parametrize(
    "value",
    ["91350100M000100O43", "91350100I000100Y43", "9135010-M000100Y43", "91350100M000100Z43"],
)
def test_letters_outside_the_alphabet_are_refused(value):
    with translation.override("en"):
        error = error_of(value)
    assert error.code == "characters"
    assert error.messages == [
        "A unified social credit code has only digits and capital letters other than "
        "I, O, S, V and Z."
    ]


def test_a_wrong_check_character_is_refused():
    with translation.override("en"):
        error = error_of("91350100M000100Y44")
    assert error.code == "check"
    assert error.messages == ["The check character (the last character) is wrong."]


def test_generation_appends_the_check_character():
    assert uscc.generate("91350100M000100Y4") == "91350100M000100Y43"
    assert uscc.generate("91350100m000100y4") == "91350100M000100Y43"


def test_generation_refuses_a_bad_prefix():
    with pytest.raises(ValueError):
        uscc.generate("91350100M000100Y43")


prefixes = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@given(prefix=prefixes)
def test_any_generated_code_is_valid(prefix):
    code = uscc.generate(prefix)
    assert uscc.validate(code) == code


@given(
    prefix=prefixes,
    position=st.integers(min_value=0, max_value=17),
    shift=st.integers(min_value=1, max_value=30),
)
def test_changing_any_single_character_of_a_valid_code_makes_it_invalid(prefix, position, shift):
    code = uscc.generate(prefix)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % 31]
    changed = code[:position] + replacement + code[position + 1 :]
    assert error_of(changed).code == "check"
