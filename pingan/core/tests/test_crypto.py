"""Personal data at rest: encrypted, found by keyed hash, shown masked, keys that rotate."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.test import override_settings

from pingan.core import crypto

PHONE = "13800138000"


def test_a_value_encrypts_to_something_else_and_decrypts_back():
    token = crypto.encrypt(PHONE)
    assert PHONE not in token and "8000" not in token
    assert crypto.decrypt(token) == PHONE
    assert crypto.encrypt(PHONE) != token  # a fresh IV each time: equal values do not show
    assert crypto.encrypt("") == "" and crypto.decrypt("") == ""


def test_chinese_text_survives_the_round_trip():
    assert crypto.decrypt(crypto.encrypt("四川省示范县南门社区3栋")) == "四川省示范县南门社区3栋"


def test_a_token_no_key_opens_is_an_error_not_garbage():
    token = Fernet(Fernet.generate_key()).encrypt(b"13800138000").decode()
    with pytest.raises(ValueError):
        crypto.decrypt(token)


def test_the_keyed_hash_is_stable_and_ignores_spaces_dashes_and_case():
    digest = crypto.keyed_hash(PHONE)
    assert len(digest) == 64 and PHONE not in digest
    assert crypto.keyed_hash("138 0013 8000") == digest
    assert crypto.keyed_hash("138-0013-8000") == digest
    assert crypto.keyed_hash("51012319800101123x") == crypto.keyed_hash("51012319800101123X")
    assert crypto.keyed_hash("13800138001") != digest
    assert crypto.keyed_hash("") == ""


def test_the_keyed_hash_depends_on_the_hash_key():
    digest = crypto.keyed_hash(PHONE)
    with override_settings(PINGAN_HASH_KEY="another-deployment"):
        assert crypto.keyed_hash(PHONE) != digest


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800138000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("028-12345678", "*******5678"),
        ("0835-1234567", "*******4567"),
        ("12345", "*2345"),
        ("110", "***"),
        ("", ""),
    ],
)
def test_phones_are_shown_masked(phone, masked):
    assert crypto.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("19912345678", "19912345678"),
        ("028-12345678", "028-12345678"),
        ("02812345678", "02812345678"),
        ("(028) 12345678", "02812345678"),
        ("0835-1234567", "0835-1234567"),
        ("028-12345678-123", "028-12345678-123"),
        ("12345", "12345"),
        ("4008123123", "4008123123"),
    ],
)
def test_mainland_mobiles_landlines_and_service_numbers_are_accepted(value, normal):
    assert crypto.validate_phone(value) == normal


@pytest.mark.parametrize(
    "value",
    ["", "123", "12800138000", "1380013800", "138001380001", "phone", "28-12345678", "+1 555 0100"],
)
def test_anything_else_is_refused_with_a_clear_message(value):
    with pytest.raises(ValidationError) as info:
        crypto.validate_phone(value)
    assert info.value.code == "phone"


def test_keys_rotate_without_losing_old_values():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PINGAN_FIELD_KEYS=[old]):
        token = crypto.encrypt(PHONE)
    with override_settings(PINGAN_FIELD_KEYS=[new, old]):
        assert crypto.decrypt(token) == PHONE  # the old key still opens old values
        fresh = crypto.encrypt(PHONE)
        rotated = crypto.rotate(token)
    with override_settings(PINGAN_FIELD_KEYS=[new]):
        assert crypto.decrypt(fresh) == PHONE  # new values use the newest key
        assert crypto.decrypt(rotated) == PHONE
        with pytest.raises(ValueError):
            crypto.decrypt(token)  # once the old key is retired, unrotated values are lost
    with override_settings(PINGAN_FIELD_KEYS=[old]), pytest.raises(ValueError):
        crypto.decrypt(rotated)
