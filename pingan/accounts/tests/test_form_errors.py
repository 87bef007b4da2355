"""The sign-in form reports all its field errors at once and stays on a reloadable URL."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_signing_in_with_nothing_names_both_fields(client):
    url = reverse("accounts:login")
    response = client.post(url, {"username": "", "password": ""})
    assert response.status_code in (200, 400)
    assert set(response.context["form"].errors) == {"username", "password"}
    assert client.get(url).status_code == 200
