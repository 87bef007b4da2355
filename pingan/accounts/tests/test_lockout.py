"""The sign-in lock cannot be used to keep an owner out: pair lock, fixed length, spraying, 2FA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from pingan.accounts.tests.test_two_factor import code_for, wrong_code_for

pytestmark = pytest.mark.django_db

PASSWORD = "pingan-demo"
ATTACKER = "10.66.0.1"
OWNER = "10.77.0.2"
TOKEN_URL = "/api/v1/auth/token"


def post_login(client, username, password, address=ATTACKER):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def lock(client, username="grid01", address=ATTACKER):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, username, "not-the-password", address)
    assert response.status_code == 429


def age_attempts(by: timedelta) -> None:
    """Move every recorded failure ``by`` into the past, as if that much time went by."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= by
        attempt.save(update_fields=["attempt_time"])


def enrolled_device(username: str) -> TOTPDevice:
    from pingan.accounts.models import User

    return TOTPDevice.objects.create(
        user=User.objects.get(username=username), name="default", confirmed=True
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_a_locked_pair_does_not_lock_the_username_from_another_address(client, user):
    lock(client)
    assert post_login(client, "grid01", PASSWORD, ATTACKER).status_code == 429
    response = post_login(client, "grid01", PASSWORD, OWNER)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user("grid01").pk)


def test_the_lock_ends_after_the_cool_off_even_while_failures_continue(client, user):
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    lock(client)
    age_attempts(cool_off - timedelta(minutes=1))
    # The attacker keeps failing during the last minute of the lock: it must not restart it.
    for _attempt in range(10):
        assert post_login(client, "grid01", "not-the-password").status_code == 429
    age_attempts(timedelta(minutes=2))
    response = post_login(client, "grid01", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user("grid01").pk)


@override_settings(PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT=12)
def test_spraying_many_usernames_from_one_address_is_throttled(client):
    # Two wrong passwords each for many names: no single pair reaches the limit of five.
    for number in range(6):
        for _attempt in range(2):
            post_login(client, f"user{number:02d}", "password123")
    # The address is paused for every username, even with a right password ...
    assert post_login(client, "grid02", PASSWORD).status_code == 429
    # ... but other addresses are not.
    assert post_login(client, "grid02", PASSWORD, OWNER).status_code == 302


@override_settings(PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT=12)
def test_a_few_typos_behind_one_address_do_not_pause_the_address(client):
    for number in range(5):
        post_login(client, f"user{number:02d}", "password123")
    assert post_login(client, "grid02", PASSWORD).status_code == 302


@override_settings(PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT=12)
def test_signing_in_to_ones_own_account_does_not_wipe_the_spraying_count(client):
    for number in range(5):
        for _attempt in range(2):
            post_login(client, f"user{number:02d}", "password123")
    assert post_login(client, "grid02", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    post_login(client, "user98", "password123")
    post_login(client, "user99", "password123")
    assert post_login(client, "grid01", PASSWORD).status_code == 429


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_the_right_password_and_a_valid_code_get_through_a_lock(client, user):
    device = enrolled_device("grid01")
    lock(client)
    page = post_login(client, "grid01", PASSWORD)
    assert 'id="login-with-code-form"' in page.content.decode()
    response = client.post(
        reverse("accounts:login_with_code"),
        {"username": "grid01", "password": PASSWORD, "token": code_for(device)},
        REMOTE_ADDR=ATTACKER,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert signed_in_user_id(client) == str(user("grid01").pk)
    assert client.get(reverse("accounts:home")).status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_a_wrong_code_or_password_does_not_get_through_a_lock(client):
    device = enrolled_device("grid01")
    lock(client)
    for password, token in (
        (PASSWORD, wrong_code_for(device)),
        ("not-the-password", code_for(device)),
        (PASSWORD, ""),
    ):
        response = client.post(
            reverse("accounts:login_with_code"),
            {"username": "grid01", "password": password, "token": token},
            REMOTE_ADDR=ATTACKER,
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:login")
        assert signed_in_user_id(client) is None


def test_a_user_without_an_authenticator_cannot_use_the_code_form(client):
    lock(client)
    response = client.post(
        reverse("accounts:login_with_code"),
        {"username": "grid01", "password": PASSWORD, "token": "123456"},
        REMOTE_ADDR=ATTACKER,
    )
    assert response["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None


def api_token(username, password, address=ATTACKER, **extra):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password, **extra},
        format="json",
        REMOTE_ADDR=address,
    )


def test_the_token_endpoint_locks_the_pair_only(db):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api_token("grid01", "not-the-password")
    assert api_token("grid01", PASSWORD).status_code == 429
    assert api_token("grid01", PASSWORD, OWNER).status_code == 200


def test_the_token_endpoint_lock_ends_after_the_cool_off_despite_failures(db):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api_token("grid01", "not-the-password")
    age_attempts(timedelta(hours=settings.AXES_COOLOFF_TIME) - timedelta(minutes=1))
    for _attempt in range(5):
        assert api_token("grid01", "not-the-password").status_code == 429
    age_attempts(timedelta(minutes=2))
    assert api_token("grid01", PASSWORD).status_code == 200


@override_settings(PINGAN_LOGIN_ADDRESS_FAILURE_LIMIT=12)
def test_the_token_endpoint_throttles_spraying(db):
    for number in range(6):
        for _attempt in range(2):
            api_token(f"user{number:02d}", "password123")
    assert api_token("grid02", PASSWORD).status_code == 429
    assert api_token("grid02", PASSWORD, OWNER).status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_the_token_endpoint_lets_the_password_and_a_valid_code_through_a_lock(db):
    device = enrolled_device("grid01")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        api_token("grid01", "not-the-password")
    assert api_token("grid01", PASSWORD).status_code == 429
    wrong = api_token("grid01", PASSWORD, otp_token=wrong_code_for(device))
    assert wrong.status_code == 429
    right = api_token("grid01", PASSWORD, otp_token=code_for(device))
    assert right.status_code == 200
    assert right.json()["token"]


@override_settings(PINGAN_BEHIND_PROXY=True)
def test_behind_the_proxy_the_lock_is_per_forwarded_client(client, user):
    def via_proxy(password, forwarded):
        return client.post(
            reverse("accounts:login"),
            {"username": "grid01", "password": password},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=forwarded,
        )

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        via_proxy("not-the-password", "203.0.113.9")
    # A client cannot pick its address by sending its own header: the proxy's entry counts.
    assert via_proxy(PASSWORD, "198.51.100.7, 203.0.113.9").status_code == 429
    assert via_proxy(PASSWORD, "203.0.113.9, 198.51.100.7").status_code == 302
    assert signed_in_user_id(client) == str(user("grid01").pk)


@override_settings(PINGAN_BEHIND_PROXY=True)
def test_behind_the_proxy_a_forwarded_header_that_is_no_address_is_ignored(client):
    response = client.post(
        reverse("accounts:login"),
        {"username": "grid01", "password": "not-the-password"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    assert response.status_code == 200
    assert AccessAttempt.objects.get().ip_address == "127.0.0.1"
