"""The workflow kit: moves, the checks of the table, and perform (lock, check, handler)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from pingan.core import transitions
from pingan.core.models import Job
from pingan.core.transitions import PREVIOUS, IllegalTransition, Move, Workflow, workflow_for

J = Job.Status
RUN = Move(J.RUNNING, {"worker"}, label="Run", log_label="Started", primary=2)
FAIL = Move(J.FAILED, {"worker"}, fields=("note",), label="Fail", confirm=True)
FINISH = Move(J.SUCCEEDED, {"worker"}, label="Finish", primary=1, headline="Done")
PAUSE_BACK = Move(PREVIOUS, {"worker"}, label="Back")


def roles(user, job) -> set[str]:
    return {"worker"} if user == "worker" else set()


@pytest.fixture
def jobs():
    """A throwaway workflow over core's Job, unregistered again afterwards."""
    workflow = Workflow(
        key="tests.job",
        model=Job,
        table={
            J.QUEUED: {"run": RUN, "fail": FAIL},
            J.RUNNING: {"finish": FINISH, "fail": FAIL, "back": PAUSE_BACK},
            J.SUCCEEDED: {},
            J.FAILED: {},
        },
        roles=roles,
        resume=lambda job: J.QUEUED,
        headlines={"queued": "In the queue"},
    )
    yield workflow
    transitions._registry.pop(Job, None)


def test_a_move_needs_its_fields_and_only_blank_ones_may_be_empty():
    move = Move(None, {"a"}, fields=("note", "grade"), blank=("grade",))
    assert move.missing({}) == ["note", "grade"]
    assert move.missing({"note": "", "grade": ""}) == ["note"]
    assert move.missing({"note": "why", "grade": ""}) == []
    assert move.missing({"note": "why", "grade": None}) == ["grade"]


def test_a_move_is_allowed_by_role_and_guard():
    guarded = Move(None, {"a"}, guard=lambda item: item == "open")
    assert guarded.allows("open", {"a", "b"})
    assert not guarded.allows("closed", {"a"})
    assert not guarded.allows("open", {"b"})


def test_a_move_shown_differently_under_two_statuses_is_refused():
    with pytest.raises(ValueError, match="label"):
        Workflow(
            key="tests.bad",
            model=Job,
            table={J.QUEUED: {"run": RUN}, J.RUNNING: {"run": RUN.but(label="Other")}},
            roles=roles,
        )


def test_a_move_may_vary_who_makes_it_by_status():
    other = RUN.but(roles={"someone"})
    workflow = Workflow(
        key="tests.roles",
        model=Job,
        table={J.QUEUED: {"run": RUN}, J.FAILED: {"run": other}},
        roles=roles,
    )
    transitions._registry.pop(Job, None)
    assert workflow.moves["run"].label == "Run"


def test_a_handler_for_a_move_not_in_the_table_is_refused(jobs):
    with pytest.raises(ValueError, match="teleport"):
        jobs.handles("teleport")(print)
    with pytest.raises(ValueError, match="teleport"):
        Workflow(key="tests.x", model=Job, table={}, roles=roles, handlers={"teleport": print})
    transitions._registry.pop(Job, None)


def test_labels_come_from_the_moves_and_the_workflows_own_entries(jobs):
    assert jobs.label("run") == "Run" and jobs.label("nothing") == "nothing"
    assert jobs.log_label("run") == "Started"
    assert jobs.log_label("fail") == "Fail"  # no timeline text of its own: its button
    assert jobs.headline("finish") == "Done"
    assert jobs.headline("queued") == "In the queue"
    with pytest.raises(KeyError):
        jobs.headline("run")


def test_primary_moves_come_first_in_their_order(jobs):
    assert jobs.ordered(["fail", "run", "finish"]) == ["finish", "run", "fail"]


def test_the_workflow_of_an_item_is_found_by_its_model(jobs):
    assert workflow_for(Job()) is jobs
    assert workflow_for(Job) is jobs
    with pytest.raises(LookupError):
        workflow_for(object())


def test_a_move_not_allowed_now_names_the_move_the_status_and_what_is_allowed(jobs):
    job = Job(status=J.QUEUED)
    with translation.override("en"), pytest.raises(IllegalTransition) as info:
        jobs.check(job, "finish", "worker")
    assert "Finish" in info.value.message and "Queued" in info.value.message
    assert info.value.status == J.QUEUED
    assert info.value.allowed == ["fail", "run"]
    with pytest.raises(IllegalTransition) as info:
        jobs.check(job, "run", "visitor")
    assert info.value.allowed == []
    with translation.override("en"), pytest.raises(IllegalTransition) as info:
        jobs.check(job, "teleport", "worker")
    assert "Unknown action" in info.value.message


@pytest.mark.django_db
def test_perform_without_a_handler_sets_the_status(jobs):
    job = Job.objects.create(kind="k", title="t", func_path="f")
    moved = jobs.perform(job.pk, "run", acting_user="worker")
    assert moved.status == J.RUNNING
    assert Job.objects.get(pk=job.pk).status == J.RUNNING


@pytest.mark.django_db
def test_perform_checks_the_stored_state_not_the_callers_copy(jobs):
    job = Job.objects.create(kind="k", title="t", func_path="f")
    stale = Job.objects.get(pk=job.pk)
    jobs.perform(job, "run", acting_user="worker")
    with pytest.raises(IllegalTransition) as info:
        jobs.perform(stale, "run", acting_user="worker")  # someone moved it first
    assert info.value.status == J.RUNNING
    assert sorted(info.value.allowed) == ["back", "fail", "finish"]


@pytest.mark.django_db
def test_a_missing_field_or_a_failing_handler_changes_nothing(jobs):
    job = Job.objects.create(kind="k", title="t", func_path="f")
    with pytest.raises(ValidationError) as info:
        jobs.perform(job, "fail", acting_user="worker")
    assert "note" in info.value.message_dict

    @jobs.handles("fail")
    def _fail(item, user, *, before, target, note="", **_f):
        item.status = target
        item.error = note
        item.save(update_fields=["status", "error"])
        raise ValidationError({"note": "Say it differently."})

    with pytest.raises(ValidationError):
        jobs.perform(job, "fail", acting_user="worker", note="broken")
    job.refresh_from_db()
    assert (job.status, job.error) == (J.QUEUED, "")


@pytest.mark.django_db
def test_a_handler_gets_the_status_before_and_the_resolved_target(jobs):
    seen = {}

    @jobs.handles("back")
    def _back(item, user, *, before, target, **fields):
        seen.update(before=before, target=target, fields=fields, user=user)
        item.status = target
        item.save(update_fields=["status"])

    job = Job.objects.create(kind="k", title="t", func_path="f", status=J.RUNNING)
    jobs.perform(job, "back", acting_user="worker", note="again")
    assert seen == {
        "before": J.RUNNING,
        "target": J.QUEUED,  # PREVIOUS, resolved by the workflow's resume()
        "fields": {"note": "again"},
        "user": "worker",
    }
