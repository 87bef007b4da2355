"""Reminders through the API: my own only, bad input by field, a move refused with 409."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from pingan.workflow.models import Deadline, Reminder, ReminderEntry

pytestmark = pytest.mark.django_db
URL = "/api/v1/reminders/"


def _soon() -> str:
    return (timezone.now() + dt.timedelta(hours=2)).isoformat()


def test_a_reminder_is_created_with_its_deadline_and_lists_only_for_its_owner(api_as):
    api = api_as("grid01")
    created = api.post(URL, {"title": "回访王大爷", "due_at": _soon()}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "open" and body["allowed_actions"] == ["complete"]
    reminder = Reminder.objects.get(pk=body["id"])
    assert Deadline.objects.filter(object_id=reminder.pk, handler="workflow.reminder").exists()
    assert [e.action for e in ReminderEntry.objects.filter(reminder=reminder)] == ["create"]
    assert [r["id"] for r in api.get(URL).json()["results"]] == [reminder.pk]
    assert api_as("grid02").get(URL).json()["results"] == []
    assert api_as("grid02").get(f"{URL}{reminder.pk}/").status_code == 404


def test_bad_input_is_answered_by_field_and_stores_nothing(api_as):
    before = Reminder.objects.count()
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    answer = api_as("grid01").post(URL, {"title": "", "due_at": past}, format="json")
    assert answer.status_code == 400
    assert {"title", "due_at"} <= set(answer.json())
    assert (
        api_as("grid01").post(URL, {"title": "x", "due_at": "soon"}, format="json").status_code
        == 400
    )
    assert Reminder.objects.count() == before


def test_completing_twice_answers_409_with_the_moves_allowed_now(api_as):
    api = api_as("grid01")
    reminder = api.post(URL, {"title": "巡查", "due_at": _soon()}, format="json").json()
    moves = f"{URL}{reminder['id']}/actions/"

    done = api.post(moves, {"action": "complete", "note": "已巡查"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    again = api.post(moves, {"action": "complete"}, format="json")
    assert again.status_code == 409
    assert again.json()["status"] == "done" and again.json()["allowed_actions"] == []
    entries = ReminderEntry.objects.filter(reminder_id=reminder["id"]).order_by("at", "id")
    assert [(e.action, e.from_status, e.to_status, e.note) for e in entries][-1] == (
        "complete",
        "open",
        "done",
        "已巡查",
    )


def test_an_unknown_move_is_a_field_error_and_someone_elses_reminder_answers_404(api_as):
    reminder = (
        api_as("grid01").post(URL, {"title": "巡查", "due_at": _soon()}, format="json").json()
    )
    moves = f"{URL}{reminder['id']}/actions/"
    assert api_as("grid01").post(moves, {"action": "teleport"}, format="json").status_code == 400
    assert api_as("grid02").post(moves, {"action": "complete"}, format="json").status_code == 404
    assert Reminder.objects.get(pk=reminder["id"]).status == Reminder.Status.OPEN


def test_the_reminders_api_needs_a_sign_in():
    assert APIClient().get(URL).status_code in (401, 403)
