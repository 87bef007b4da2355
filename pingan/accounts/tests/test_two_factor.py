"""Two-factor login with TOTP: enrolment, the code step after the password, mandatory 2FA."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "pingan-demo"


def code_for(device: TOTPDevice, ahead: int = 0) -> str:
    """Return the code the user's app shows now (or ``ahead`` time steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + ahead)
    return f"{value:0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = {code_for(device, ahead) for ahead in (-1, 0, 1, 2)}
    value = int(code_for(device))
    while f"{value:06d}" in right:
        value = (value + 1) % 1_000_000
    return f"{value:06d}"


def enrol(client, username: str) -> TOTPDevice:
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user__username=username)
    response = client.post(reverse("accounts:otp_setup"), {"token": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    return device


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_setup_page_creates_a_device_and_shows_a_qr_code_and_the_key(client_as):
    response = client_as("grid01").get(reverse("accounts:otp_setup"))
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user__username="grid01")
    assert not device.confirmed
    assert device.name == "default"
    content = response.content.decode()
    assert "<svg" in content
    assert response.context["secret"].replace(" ", "")
    assert 'id="otp-enrol-form"' in content


def test_reloading_the_setup_page_keeps_the_same_key(client_as):
    client = client_as("grid01")
    first = client.get(reverse("accounts:otp_setup")).context["secret"]
    second = client.get(reverse("accounts:otp_setup")).context["secret"]
    assert first == second
    assert TOTPDevice.objects.filter(user__username="grid01").count() == 1


def test_a_valid_code_confirms_the_device_and_verifies_the_session(client_as):
    client = client_as("grid01")
    device = enrol(client, "grid01")
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    response = client.get(reverse("accounts:otp_setup"))
    assert response.context["device"] == device
    assert 'id="otp-enrol-form"' not in response.content.decode()


def test_a_wrong_code_does_not_confirm_the_device(client_as):
    client = client_as("grid01")
    client.get(reverse("accounts:otp_setup"))
    device = TOTPDevice.objects.get(user__username="grid01")
    response = client.post(reverse("accounts:otp_setup"), {"token": wrong_code_for(device)})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    device.refresh_from_db()
    assert not device.confirmed


def test_a_code_that_is_not_six_digits_is_refused_with_a_field_error(client_as):
    client = client_as("grid01")
    client.get(reverse("accounts:otp_setup"))
    response = client.post(reverse("accounts:otp_setup"), {"token": "12ab"})
    assert response.status_code == 200
    assert response.context["form"].errors["token"]


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_enrolled_user_must_enter_the_code_after_the_password(client_as, user):
    client = client_as("grid01")
    device = enrol(client, "grid01")
    client.post(reverse("accounts:logout"))

    response = client.post(reverse("accounts:login"), {"username": "grid01", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:otp_verify")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("accounts:home")).status_code == 302

    page = client.get(reverse("accounts:otp_verify"))
    assert page.status_code == 200
    assert 'id="otp-verify-form"' in page.content.decode()

    wrong = client.post(reverse("accounts:otp_verify"), {"token": wrong_code_for(device)})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["token"]
    assert signed_in_user_id(client) is None

    right = client.post(reverse("accounts:otp_verify"), {"token": code_for(device, ahead=1)})
    assert right.status_code == 302
    assert right["Location"] == reverse("accounts:home")
    assert signed_in_user_id(client) == str(user("grid01").pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
def test_the_code_step_keeps_the_next_page(client_as):
    client = client_as("grid01")
    device = enrol(client, "grid01")
    client.post(reverse("accounts:logout"))
    client.post(
        reverse("accounts:login"),
        {"username": "grid01", "password": PASSWORD, "next": "/accounts/2fa/"},
    )
    right = client.post(reverse("accounts:otp_verify"), {"token": code_for(device, ahead=1)})
    assert right["Location"] == "/accounts/2fa/"


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, AXES_FAILURE_LIMIT=50)
def test_five_wrong_codes_end_the_pending_sign_in(client_as):
    client = client_as("grid01")
    device = enrol(client, "grid01")
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "grid01", "password": PASSWORD})
    for _attempt in range(5):
        response = client.post(reverse("accounts:otp_verify"), {"token": wrong_code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    right = client.post(reverse("accounts:otp_verify"), {"token": code_for(device, ahead=1)})
    assert right["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0, AXES_FAILURE_LIMIT=3)
def test_wrong_codes_count_towards_the_sign_in_lockout(client_as):
    client = client_as("grid01")
    device = enrol(client, "grid01")
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "grid01", "password": PASSWORD})
    for _attempt in range(3):
        response = client.post(reverse("accounts:otp_verify"), {"token": wrong_code_for(device)})
    assert response.status_code == 429
    again = client.post(reverse("accounts:login"), {"username": "grid01", "password": PASSWORD})
    assert again.status_code == 429
    assert signed_in_user_id(client) is None


def test_the_code_step_without_a_password_step_goes_back_to_login(client):
    response = client.get(reverse("accounts:otp_verify"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")


def test_user_without_a_device_signs_in_with_the_password_alone(client, user):
    response = client.post(reverse("accounts:login"), {"username": "grid01", "password": PASSWORD})
    assert response["Location"] == reverse("accounts:home")
    assert signed_in_user_id(client) == str(user("grid01").pk)


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_mandatory_two_factor_sends_a_centre_user_without_a_device_to_setup(client_as):
    response = client_as("center").get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_mandatory_two_factor_does_not_apply_to_grid_workers(client_as):
    assert client_as("grid01").get(reverse("accounts:home")).status_code == 200


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_after_enrolment_the_centre_user_reaches_home(client_as):
    client = client_as("center")
    enrol(client, "center")
    assert client.get(reverse("accounts:home")).status_code == 200


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_an_enrolled_but_unverified_session_can_verify_on_the_setup_page(client_as):
    client = client_as("center")
    device = enrol(client, "center")
    session = client.session
    del session[DEVICE_ID_SESSION_KEY]
    session.save()
    assert client.get(reverse("accounts:home")).status_code == 302
    page = client.get(reverse("accounts:otp_setup"))
    assert 'id="otp-session-form"' in page.content.decode()
    response = client.post(
        reverse("accounts:otp_setup") + "?next=/", {"token": code_for(device, ahead=1)}
    )
    assert response["Location"] == "/"
    assert client.get(reverse("accounts:home")).status_code == 200


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_mandatory_two_factor_cannot_be_turned_off(client_as):
    client = client_as("center")
    enrol(client, "center")
    client.post(reverse("accounts:otp_disable"), {"confirm": "on"})
    assert TOTPDevice.objects.filter(user__username="center", confirmed=True).exists()


def test_a_user_may_turn_off_optional_two_factor_after_confirming(client_as):
    client = client_as("grid01")
    enrol(client, "grid01")
    client.post(reverse("accounts:otp_disable"), {})
    assert TOTPDevice.objects.filter(user__username="grid01").exists()
    response = client.post(reverse("accounts:otp_disable"), {"confirm": "on"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user__username="grid01").exists()


def test_turning_off_two_factor_needs_a_post(client_as):
    client = client_as("grid01")
    enrol(client, "grid01")
    assert client.get(reverse("accounts:otp_disable")).status_code == 405


def test_an_enrolled_user_needs_the_code_to_get_an_api_token(client_as):
    from rest_framework.test import APIClient

    device = enrol(client_as("grid01"), "grid01")
    api = APIClient()
    url = "/api/v1/auth/token"
    without = api.post(url, {"username": "grid01", "password": PASSWORD}, format="json")
    assert without.status_code == 400
    assert "otp_token" in without.json()
    wrong = api.post(
        url,
        {"username": "grid01", "password": PASSWORD, "otp_token": wrong_code_for(device)},
        format="json",
    )
    assert wrong.status_code == 400
    assert "token" not in wrong.json()
    # django-otp throttles a device for a moment after a wrong code; let that pass.
    device.refresh_from_db()
    device.throttle_reset()
    right = api.post(
        url,
        {"username": "grid01", "password": PASSWORD, "otp_token": code_for(device, 1)},
        format="json",
    )
    assert right.status_code == 200
    assert right.json()["token"]


@override_settings(PINGAN_REQUIRE_2FA=True)
def test_mandatory_two_factor_refuses_api_tokens_until_the_user_enrols(db):
    from rest_framework.test import APIClient

    api = APIClient()
    refused = api.post(
        "/api/v1/auth/token", {"username": "center", "password": PASSWORD}, format="json"
    )
    assert refused.status_code == 403
    allowed = api.post(
        "/api/v1/auth/token", {"username": "grid01", "password": PASSWORD}, format="json"
    )
    assert allowed.status_code == 200
