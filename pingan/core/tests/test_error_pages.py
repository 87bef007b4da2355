"""The error pages: Chinese first, in the layout, with a way back; JSON under /api/; no leaks."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client, RequestFactory

from pingan.core import errors

pytestmark = pytest.mark.django_db

BASIC_DATA_REASON = "基础数据由综治中心和网格工作人员维护。"


@pytest.fixture
def database_down(monkeypatch):
    """Return a function that makes every later query fail as if the database had gone away."""

    def refuse(self):
        raise OperationalError("could not connect to server at 10.1.2.3: secret-host-name")

    return lambda: monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)


def text_of(response) -> str:
    return response.content.decode()


# --- 404 -----------------------------------------------------------------------------------------


def test_an_unknown_page_answers_a_chinese_404_inside_the_layout(client_as):
    response = client_as("grid01").get("/no-such-page/")

    html = text_of(response)
    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert '<html lang="zh-hans">' in html
    assert "页面不存在" in html
    assert 'id="nav-main"' in html  # the menus of the signed-in user are there
    assert 'id="error-home" href="/"' in html
    assert "Not Found" not in html


def test_the_404_page_links_back_to_the_page_the_user_came_from(client_as):
    client = client_as("grid01")

    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/events/mine/")

    assert 'id="error-back" href="http://testserver/events/mine/"' in text_of(response)


def test_the_404_page_offers_no_way_back_to_another_site(client_as):
    client = client_as("grid01")

    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")

    html = text_of(response)
    assert "evil.example" not in html
    assert 'id="error-back"' not in html
    assert 'id="error-home"' in html


def test_the_404_page_never_says_what_was_looked_for(client_as):
    # get_object_or_404 says "No Job matches the given query."; a page must not (scope rule 1).
    response = client_as("grid01").get("/jobs/987654321/")

    html = text_of(response)
    assert response.status_code == 404
    assert "matches the given query" not in html
    assert "Job" not in html


def test_an_anonymous_visitor_gets_the_404_page_too(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in text_of(response)


# --- 403 -----------------------------------------------------------------------------------------


def test_the_leader_opening_basic_data_is_told_why_on_a_chinese_403(client_as):
    response = client_as("leader").get("/people/")

    html = text_of(response)
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]
    assert f'<p class="lead" id="error-reason">{BASIC_DATA_REASON}</p>' in html
    assert 'id="nav-main"' in html
    assert "403 Forbidden" not in html


def test_a_403_without_a_message_gives_the_general_explanation_only():
    request = RequestFactory().get("/admin/some/thing/")
    request.user = _anonymous()

    response = errors.permission_denied(request, PermissionDenied())

    html = text_of(response)
    assert response.status_code == 403
    assert 'id="error-reason"' not in html
    assert "您的账号" in html


def test_a_403_shows_no_message_that_was_not_written_for_a_person():
    long_internal = "check failed: " + "x" * 400
    assert errors.reason_of(PermissionDenied(long_internal)) == ""
    assert errors.reason_of(PermissionDenied({"field": "dict"})) == ""
    assert errors.reason_of(PermissionDenied()) == ""
    assert errors.reason_of(PermissionDenied(" 只能查看本网格。 ")) == "只能查看本网格。"


def test_a_403_message_is_escaped(client):
    request = RequestFactory().get("/x/")
    request.user = _anonymous()

    response = errors.permission_denied(request, PermissionDenied("<script>alert(1)</script>"))

    assert "<script>alert(1)</script>" not in text_of(response)
    assert "&lt;script&gt;" in text_of(response)


# --- 400 -----------------------------------------------------------------------------------------


def test_a_request_for_a_foreign_host_name_gets_the_chinese_400_page(client):
    response = client.get("/", HTTP_HOST="evil.example")

    html = text_of(response)
    assert response.status_code == 400
    assert "无法处理" in html
    assert "evil.example" not in html
    assert "Bad Request" not in html


# --- 500 -----------------------------------------------------------------------------------------


def test_the_500_page_renders_in_chinese_while_the_database_is_down(client_as, database_down):
    client = client_as("grid01")
    client.raise_request_exception = False
    database_down()

    response = client.get("/")

    html = text_of(response)
    assert response.status_code == 500
    assert "出错了" in html
    assert 'id="error-home" href="/"' in html
    assert "secret-host-name" not in html
    assert "OperationalError" not in html


def test_the_500_page_falls_back_to_plain_html_if_its_template_breaks(monkeypatch):
    def broken(name):
        raise ValueError("Missing staticfiles manifest entry for 'vendor/bootstrap.css'")

    monkeypatch.setattr(errors.loader, "get_template", broken)
    request = RequestFactory().get("/")

    response = errors.server_error(request)

    html = text_of(response)
    assert response.status_code == 500
    assert "出错了" in html
    assert "manifest" not in html


# --- the API answers JSON ------------------------------------------------------------------------


def test_an_unknown_api_path_answers_json_in_chinese(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_an_unknown_api_path_answers_json_to_a_signed_in_user_too(api_as):
    response = api_as("center").post("/api/v2/events/", {}, format="json")

    assert response.status_code == 404
    assert response.json()["detail"] == "未找到。"


def test_an_api_server_error_answers_json_without_internals(api_as, database_down):
    api = api_as("center")
    api.raise_request_exception = False
    database_down()

    response = api.get("/api/v1/me/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    detail = response.json()["detail"]
    assert "服务器" in detail
    assert "secret-host-name" not in response.content.decode()


def test_a_403_under_the_api_answers_json_with_its_reason():
    request = RequestFactory().get("/api/v1/something/")

    response = errors.permission_denied(request, PermissionDenied(BASIC_DATA_REASON))

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.content.decode() == '{"detail": "' + BASIC_DATA_REASON + '"}'


def test_a_bad_request_under_the_api_answers_json(client):
    response = client.get("/api/v1/grids/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


# --- CSRF failure --------------------------------------------------------------------------------


def test_a_form_sent_without_the_csrf_cookie_explains_in_chinese_and_offers_a_retry():
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/login/",
        {"username": "grid01", "password": "pingan-demo"},
        HTTP_REFERER="http://testserver/accounts/login/?next=/events/",
    )

    html = text_of(response)
    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
    assert "表单未能提交" in html
    assert "打开太久" in html
    assert 'id="csrf-cookies" class="fw-bold"' in html  # the cookie was missing: say so first
    assert 'id="csrf-retry" href="http://testserver/accounts/login/?next=/events/"' in html
    assert "CSRF cookie not set" not in html


def test_a_form_with_a_stale_csrf_token_gets_the_same_page_without_blaming_cookies(client_as):
    client = client_as("grid01")
    client.handler.enforce_csrf_checks = True
    client.get("/")  # sets the CSRF cookie

    response = client.post(
        "/accounts/logout/",
        {"csrfmiddlewaretoken": "x" * 64},
        HTTP_REFERER="http://testserver/accounts/logout/",
    )

    html = text_of(response)
    assert response.status_code == 403
    assert "表单未能提交" in html
    assert 'class="fw-bold"' not in html
    assert 'id="nav-main"' in html  # still signed in: the menus are there
    # Even when the form was sent to the page it came from, that page is the retry.
    assert 'id="csrf-retry" href="http://testserver/accounts/logout/"' in html


def test_a_csrf_failure_under_the_api_answers_json():
    request = RequestFactory().post("/api/v1/events/")

    response = errors.csrf_failure(request, reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "重新加载" in json.loads(response.content)["detail"]


# --- the throttled login -------------------------------------------------------------------------


def test_the_throttled_login_page_is_chinese_and_says_how_long_to_wait(client, settings):
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "grid01", "password": "wrong"})

    response = client.post("/accounts/login/", {"username": "grid01", "password": "wrong"})

    html = text_of(response)
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    assert response.status_code == 429
    assert "登录失败次数过多" in html
    assert f"请在 {minutes} 分钟后重试。" in html
    assert 'href="/accounts/login/"' in html  # the way back
    assert '<html lang="zh-hans">' in html


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
