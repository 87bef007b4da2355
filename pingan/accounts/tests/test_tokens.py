"""API tokens: a lifetime, hashed storage, the owner's list and revocation, automatic revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from pingan.accounts.models import ApiToken
from pingan.accounts.tokens import hash_key, issue_token

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
TOKENS_URL = "/api/v1/auth/tokens/"
PASSWORD = "pingan-demo"


def sign_in(username: str, address: str = "127.0.0.1") -> str:
    response = APIClient().post(
        TOKEN_URL,
        {"username": username, "password": PASSWORD},
        format="json",
        REMOTE_ADDR=address,
        HTTP_USER_AGENT="pingan-test-script/1.0",
    )
    assert response.status_code == 200
    return response.json()["token"]


def with_token(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def works(key: str) -> bool:
    return with_token(key).get("/api/v1/me/").status_code == 200


# --- issuing -----------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_hash():
    key = sign_in("grid01")
    token = ApiToken.objects.get(user__username="grid01")
    assert token.digest == hash_key(key)
    assert key not in (token.digest, token.prefix)
    assert key.startswith(token.prefix)


@override_settings(PINGAN_TOKEN_DAYS=3)
def test_the_token_answer_says_when_it_expires():
    response = APIClient().post(
        TOKEN_URL, {"username": "grid01", "password": PASSWORD}, format="json"
    )
    token = ApiToken.objects.get(user__username="grid01")
    assert set(response.json()) == {"token", "expires_at"}
    assert abs(token.expires_at - timezone.now() - timedelta(days=3)) < timedelta(minutes=1)


def test_an_expired_token_is_refused():
    key = sign_in("grid01")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_token(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_a_made_up_token_is_refused():
    assert with_token("0" * 40).get("/api/v1/me/").status_code == 401


def test_using_a_token_records_its_last_use():
    key = sign_in("grid01")
    assert ApiToken.objects.get().last_used_at is None
    works(key)
    assert ApiToken.objects.get().last_used_at is not None


# --- refused for deactivated and locked-out users ------------------------------------------------


def test_deactivating_a_user_revokes_their_tokens(user):
    key = sign_in("grid01")
    grid01 = user("grid01")
    grid01.is_active = False
    grid01.save()
    assert not ApiToken.objects.filter(user=grid01).exists()
    assert not works(key)


def test_a_token_of_a_user_deactivated_behind_the_signals_back_is_refused(user):
    key = sign_in("grid01")
    type(user("grid01")).objects.filter(username="grid01").update(is_active=False)
    assert not works(key)


def test_changing_the_password_revokes_the_tokens(user):
    key = sign_in("grid01")
    other = issue_token(user("grid02"))[1]
    grid01 = user("grid01")
    grid01.set_password("a-new-password-2026")
    grid01.save()
    assert not works(key)
    assert works(other)


def test_saving_a_user_without_touching_the_password_keeps_the_tokens(user):
    key = sign_in("grid01")
    grid01 = user("grid01")
    grid01.full_name = "改个名字"
    grid01.save()
    assert works(key)


def test_a_token_is_refused_from_an_address_where_its_user_is_locked_out():
    key = sign_in("grid01", address="10.9.9.9")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        APIClient().post(TOKEN_URL, {"username": "grid01", "password": "wrong"}, format="json")
    assert with_token(key).get("/api/v1/me/").status_code == 401
    other_address = with_token(key).get("/api/v1/me/", REMOTE_ADDR="10.9.9.9")
    assert other_address.status_code == 200


def test_signing_out_of_the_web_session_keeps_the_api_tokens(client_as):
    key = sign_in("grid01")
    client_as("grid01").post(reverse("accounts:logout"))
    assert works(key)


# --- the owner's tokens through the API ----------------------------------------------------------


def test_the_owner_lists_their_tokens_with_dates_and_the_current_one_marked():
    first = sign_in("grid01")
    sign_in("grid01")
    response = with_token(first).get(TOKENS_URL)
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == 2
    assert {"id", "prefix", "created_at", "last_used_at", "expires_at", "client"} <= set(rows[0])
    assert [row["current"] for row in rows].count(True) == 1
    [current] = [row for row in rows if row["current"]]
    assert first.startswith(current["prefix"])
    assert rows[0]["client"] == "pingan-test-script/1.0"
    assert "digest" not in rows[0] and "token" not in rows[0]


def test_the_owner_revokes_one_token():
    first, second = sign_in("grid01"), sign_in("grid01")
    second_id = ApiToken.objects.get(digest=hash_key(second)).pk
    response = with_token(first).delete(f"{TOKENS_URL}{second_id}/")
    assert response.status_code == 204
    assert not works(second)
    assert works(first)


def test_the_owner_revokes_all_tokens():
    first, second = sign_in("grid01"), sign_in("grid01")
    other = sign_in("grid02")
    response = with_token(first).post(f"{TOKENS_URL}revoke-all/")
    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    assert not works(first) and not works(second)
    assert works(other)


def test_a_user_cannot_see_or_revoke_another_users_tokens():
    mine = sign_in("grid02")
    theirs = sign_in("grid01")
    theirs_id = ApiToken.objects.get(digest=hash_key(theirs)).pk
    listed = with_token(mine).get(TOKENS_URL).json()
    assert theirs_id not in [row["id"] for row in listed]
    assert with_token(mine).delete(f"{TOKENS_URL}{theirs_id}/").status_code == 404
    assert works(theirs)


def test_the_token_list_works_with_a_web_session_too(client_as):
    sign_in("grid01")
    response = client_as("grid01").get(TOKENS_URL)
    assert response.status_code == 200
    assert len(response.json()) == 1
    assert response.json()[0]["current"] is False


def test_the_token_api_needs_a_sign_in():
    assert APIClient().get(TOKENS_URL).status_code == 401


# --- the tokens page -------------------------------------------------------------------------


def test_the_tokens_page_lists_only_the_users_own_tokens(client_as):
    key = sign_in("grid01")
    other = sign_in("grid02")
    response = client_as("grid01").get(reverse("accounts:tokens"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="token-list"' in content
    assert "撤销全部令牌" in content
    assert key[:8] in content
    assert other[:8] not in content


def test_the_tokens_page_says_when_there_are_none(client_as):
    response = client_as("grid01").get(reverse("accounts:tokens"))
    assert 'id="token-empty"' in response.content.decode()


def test_the_account_menu_links_to_the_tokens_page(client_as):
    response = client_as("grid01").get(reverse("accounts:home"))
    assert reverse("accounts:tokens") in response.content.decode()


def test_revoking_on_the_page_stops_the_token(client_as):
    key = sign_in("grid01")
    token = ApiToken.objects.get(digest=hash_key(key))
    client = client_as("grid01")
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert not works(key)


def test_the_page_cannot_revoke_another_users_token(client_as):
    key = sign_in("grid01")
    token = ApiToken.objects.get(digest=hash_key(key))
    response = client_as("grid02").post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert works(key)


def test_revoke_all_on_the_page(client_as):
    keys = [sign_in("grid01"), sign_in("grid01")]
    other = sign_in("grid02")
    client_as("grid01").post(reverse("accounts:token_revoke_all"))
    assert not any(works(key) for key in keys)
    assert works(other)


def test_revoking_needs_a_post(client_as):
    key = sign_in("grid01")
    token = ApiToken.objects.get(digest=hash_key(key))
    client = client_as("grid01")
    assert client.get(reverse("accounts:token_revoke", args=[token.pk])).status_code == 405
    assert works(key)


def test_an_administrator_lifting_the_lock_lets_the_token_work_again():
    from axes.utils import reset

    key = sign_in("grid01")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        APIClient().post(TOKEN_URL, {"username": "grid01", "password": "wrong"}, format="json")
    assert not works(key)
    reset(username="grid01")
    assert works(key)
