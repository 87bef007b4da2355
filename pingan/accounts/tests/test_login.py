"""Signing in and out: the form, wrong passwords, per-user-and-IP lockout, the admin's login."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "pingan-demo"


def post_login(client, username, password, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password, **extra}
    )


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_shows_the_product_name_and_a_sign_in_form(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "平安" in content
    assert 'id="login-form"' in content
    assert 'name="username"' in content
    assert 'name="password"' in content


def test_login_page_speaks_chinese_by_default(client):
    response = client.get(reverse("accounts:login"))
    assert '<html lang="zh-hans">' in response.content.decode()


def test_login_page_tells_the_demo_password_when_demo_accounts_exist(client):
    response = client.get(reverse("accounts:login"))
    assert 'id="demo-note"' in response.content.decode()
    assert "pingan-demo" in response.content.decode()


def test_login_page_has_no_demo_note_without_demo_accounts(client, django_user_model):
    django_user_model.objects.update(is_demo=False)
    response = client.get(reverse("accounts:login"))
    assert "pingan-demo" not in response.content.decode()


def test_right_password_signs_in_and_goes_home(client, user):
    response = post_login(client, "grid01", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert signed_in_user_id(client) == str(user("grid01").pk)


def test_sign_in_follows_a_local_next_but_not_an_outside_one(client):
    response = post_login(client, "grid01", PASSWORD, next="/accounts/2fa/")
    assert response["Location"] == "/accounts/2fa/"
    client.post(reverse("accounts:logout"))
    response = post_login(client, "grid01", PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("accounts:home")


def test_wrong_password_shows_an_error_and_does_not_sign_in(client):
    response = post_login(client, "grid01", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert 'id="login-error"' in response.content.decode()
    assert signed_in_user_id(client) is None


def test_unknown_user_gets_the_same_error_as_a_wrong_password(client):
    wrong_password = post_login(client, "grid01", "not-the-password")
    unknown_user = post_login(client, "nobody-here", "not-the-password")
    assert (
        wrong_password.context["form"].non_field_errors()
        == unknown_user.context["form"].non_field_errors()
    )


def test_repeated_wrong_passwords_lock_the_user_even_with_the_right_password(client):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "grid01", "not-the-password")
    response = post_login(client, "grid01", PASSWORD)
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert 'id="locked-out"' in response.content.decode()
    assert signed_in_user_id(client) is None


def test_lockout_of_one_user_does_not_lock_another_user_from_the_same_address(client, user):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "grid01", "not-the-password")
    response = post_login(client, "grid02", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user("grid02").pk)


def test_lockout_of_a_user_from_one_address_does_not_lock_them_elsewhere(client, user):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "grid01", "not-the-password")
    response = client.post(
        reverse("accounts:login"),
        {"username": "grid01", "password": PASSWORD},
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user("grid01").pk)


def test_lockout_page_says_how_many_minutes_to_wait(client):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = post_login(client, "grid01", "not-the-password")
    assert response.status_code == 429
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    assert str(minutes) in response.content.decode()


def test_fewer_failures_than_the_limit_do_not_lock(client):
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        post_login(client, "grid01", "not-the-password")
    assert post_login(client, "grid01", PASSWORD).status_code == 302


def test_logout_needs_a_post(client_as):
    client = client_as("grid01")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert signed_in_user_id(client) is not None


def test_logout_by_post_signs_out_and_returns_to_login(client_as):
    client = client_as("grid01")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert signed_in_user_id(client) is None


def test_signed_in_user_opening_login_goes_home(client_as):
    response = client_as("grid01").get(reverse("accounts:login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_admin_login_sends_visitors_to_the_site_sign_in(client):
    response = client.get(reverse("admin:login") + "?next=/admin/geo/grid/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=/admin/geo/grid/" in response["Location"]


def test_admin_login_does_not_accept_a_password(client):
    response = client.post(reverse("admin:login"), {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_admin_login_refuses_signed_in_users_without_admin_access(client_as):
    assert client_as("grid01").get(reverse("admin:login")).status_code == 403
