"""Token sign-in (with lockout), /api/v1/me/ and the departments list."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from pingan.accounts.models import ApiToken, Department
from pingan.accounts.tokens import hash_key
from pingan.geo.models import Grid

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token"
PASSWORD = "pingan-demo"


def sign_in(username: str, password: str, url: str = TOKEN_URL):
    return APIClient().post(url, {"username": username, "password": password}, format="json")


def with_token(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


# --- token ---------------------------------------------------------------------------------


def test_right_password_gives_a_token_that_works(user):
    response = sign_in("center", PASSWORD)
    assert response.status_code == 200
    key = response.json()["token"]
    assert ApiToken.objects.get(user=user("center")).digest == hash_key(key)
    me = with_token(key).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "center"


def test_signing_in_twice_gives_two_tokens_that_both_work():
    first = sign_in("grid01", PASSWORD).json()["token"]
    second = sign_in("grid01", PASSWORD).json()["token"]
    assert first != second
    assert with_token(first).get("/api/v1/me/").status_code == 200
    assert with_token(second).get("/api/v1/me/").status_code == 200


def test_token_endpoint_also_answers_with_a_trailing_slash():
    response = sign_in("grid01", PASSWORD, url=TOKEN_URL + "/")
    assert response.status_code == 200
    assert response.json()["token"]


def test_token_endpoint_accepts_a_form_post():
    response = APIClient().post(TOKEN_URL, {"username": "grid01", "password": PASSWORD})
    assert response.status_code == 200


def test_signing_in_records_the_last_login(user):
    assert sign_in("leader", PASSWORD).status_code == 200
    assert user("leader").last_login is not None


def test_wrong_password_is_a_400_with_a_clear_message():
    response = APIClient().post(
        TOKEN_URL,
        {"username": "center", "password": "not-the-password"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert "token" not in body
    (message,) = body["non_field_errors"]
    assert "username and password" in message


def test_unknown_user_is_a_400_like_a_wrong_password():
    wrong_user = sign_in("nobody-here", PASSWORD)
    wrong_password = sign_in("center", "nope")
    assert wrong_user.status_code == wrong_password.status_code == 400
    assert wrong_user.json() == wrong_password.json()


def test_inactive_user_gets_no_token(user):
    account = user("grid02")
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert sign_in("grid02", PASSWORD).status_code == 400


def test_missing_fields_are_field_errors():
    response = APIClient().post(TOKEN_URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_get_on_the_token_endpoint_is_not_allowed():
    assert APIClient().get(TOKEN_URL).status_code == 405


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_account_out():
    assert sign_in("center", "wrong-1").status_code == 400
    assert sign_in("center", "wrong-2").status_code == 400
    locked = APIClient().post(
        TOKEN_URL,
        {"username": "center", "password": "wrong-3"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    # Locked: even the right password gives no token now.
    response = sign_in("center", PASSWORD)
    assert response.status_code == 429
    assert "token" not in response.json()
    assert "detail" in response.json()
    assert AccessAttempt.objects.filter(username="center").exists()


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_is_per_username():
    for attempt in range(3):
        sign_in("center", f"wrong-{attempt}")
    assert sign_in("center", PASSWORD).status_code == 429
    assert sign_in("leader", PASSWORD).status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_successful_sign_in_forgets_earlier_failures():
    sign_in("center", "wrong-1")
    sign_in("center", "wrong-2")
    assert sign_in("center", PASSWORD).status_code == 200
    assert sign_in("center", "wrong-3").status_code == 400
    assert sign_in("center", "wrong-4").status_code == 400


def test_stored_attempts_never_contain_the_password():
    APIClient().post(TOKEN_URL, {"username": "center", "password": "s3cret-guess"})
    attempt = AccessAttempt.objects.get(username="center")
    assert "s3cret-guess" not in attempt.post_data


# --- me ------------------------------------------------------------------------------------


def test_me_for_the_county_centre(api_as):
    body = api_as("center").get("/api/v1/me/").json()
    assert body["username"] == "center"
    assert body["full_name"]
    assert body["is_superuser"] is False
    assert body["memberships"] == [
        {
            "role": "center",
            "role_display": body["memberships"][0]["role_display"],
            "unit_type": "region",
            "unit": body["memberships"][0]["unit"],
        }
    ]
    assert body["memberships"][0]["unit"]["code"] == "513999"
    assert body["scope"] == {
        "everything": False,
        "regions": ["513999"],
        "grids": [],
        "departments": [],
        "roles": ["center"],
    }


def test_me_for_a_grid_worker(api_as, user):
    grid = Grid.objects.get(memberships__user=user("grid01"))
    body = api_as("grid01").get("/api/v1/me/").json()
    (membership,) = body["memberships"]
    assert membership["role"] == "grid_worker"
    assert membership["unit_type"] == "grid"
    assert membership["unit"] == {"id": grid.pk, "code": grid.code, "name": grid.name}
    assert body["scope"]["grids"] == [grid.code]
    assert body["scope"]["regions"] == []
    assert body["scope"]["roles"] == ["grid_worker"]


def test_me_for_a_department_handler(api_as, user):
    department = Department.objects.get(memberships__user=user("dept-transport"))
    body = api_as("dept-transport").get("/api/v1/me/").json()
    (membership,) = body["memberships"]
    assert membership["unit_type"] == "department"
    assert membership["unit"]["code"] == department.code
    assert body["scope"]["departments"] == [department.code]
    assert body["scope"]["grids"] == body["scope"]["regions"] == []


def test_me_for_the_superuser_says_everything(api_as):
    body = api_as("admin").get("/api/v1/me/").json()
    assert body["is_superuser"] is True
    assert body["scope"]["everything"] is True


def test_me_for_anonymous_is_a_401():
    response = APIClient().get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_me_works_with_a_session(client_as):
    response = client_as("grid01").get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == "grid01"


# --- departments ---------------------------------------------------------------------------


def all_departments(api, **params) -> list[dict]:
    response = api.get("/api/v1/departments/", {"page_size": 500, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_center_sees_every_department_of_the_county(api_as):
    rows = all_departments(api_as("center"))
    assert len(rows) == Department.objects.count() > 0
    assert {"id", "code", "name", "kind", "kind_display", "region", "parent"} <= set(rows[0])


def test_department_handler_sees_only_their_department(api_as, user):
    own = Department.objects.get(memberships__user=user("dept-transport"))
    rows = all_departments(api_as("dept-transport"))
    assert [row["id"] for row in rows] == [own.pk]


def test_grid_worker_sees_no_departments(api_as):
    assert all_departments(api_as("grid01")) == []


def test_department_outside_scope_is_a_404(api_as, user):
    housing = Department.objects.get(memberships__user=user("dept-housing"))
    assert api_as("dept-transport").get(f"/api/v1/departments/{housing.pk}/").status_code == 404
    assert api_as("center").get(f"/api/v1/departments/{housing.pk}/").status_code == 200


def test_departments_filter_by_kind_and_text(api_as, user):
    api = api_as("center")
    police = all_departments(api, kind="police")
    assert {row["kind"] for row in police} == {"police"}
    assert len(police) == Department.objects.filter(kind="police").count()
    own = Department.objects.get(memberships__user=user("dept-transport"))
    assert own.pk in {row["id"] for row in all_departments(api, q=own.name)}


def test_departments_query_count_does_not_grow_with_the_page_size(api_as):
    api = api_as("center")
    counts = []
    for size in (2, 200):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/departments/", {"page_size": size}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
