"""Background jobs: running, progress, failures, who may see them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from pingan.core.jobs import JobError, UnknownJobFunction, job_function, run_job, start_job
from pingan.core.models import Job

pytestmark = pytest.mark.django_db


@job_function("tests.count_to_ten")
def count_to_ten(job: Job, *, label: str) -> None:
    for step in range(1, 11):
        job.progress(step * 10, f"{label} step {step}")
    job.set_summary({"rows": 10})
    job.set_result_file("count.csv", b"n\n1\n2\n")


@job_function("tests.explode")
def explode(job: Job) -> None:
    job.progress(40, "halfway")
    raise ZeroDivisionError("division by zero in the report")


@job_function("tests.refuse")
def refuse(job: Job) -> None:
    raise JobError("The sheet has no header row.")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def start(user, func_path: str, capture, **params) -> Job:
    with capture(execute=True):
        job = start_job(
            kind=func_path, title=f"Test {func_path}", user=user, func_path=func_path, params=params
        )
    job.refresh_from_db()
    return job


def test_a_job_runs_to_100_percent_and_its_creator_downloads_the_result(
    user, client_as, django_capture_on_commit_callbacks
):
    job = start(user("center"), "tests.count_to_ten", django_capture_on_commit_callbacks, label="A")
    assert job.status == Job.Status.SUCCEEDED
    assert job.percent == 100
    assert job.started_at <= job.finished_at
    assert job.result_summary == {"rows": 10}
    assert job.messages[-1]["text"] == "A step 10"
    assert len(job.messages) == 10
    client = client_as("center")
    page = client.get(reverse("core:job_detail", args=[job.pk]))
    assert page.status_code == 200
    assert 'aria-valuenow="100"' in page.content.decode()
    result = client.get(reverse("core:job_result", args=[job.pk]))
    assert result.status_code == 200
    assert b"".join(result.streaming_content) == b"n\n1\n2\n"
    assert "attachment" in result["Content-Disposition"]


def test_another_user_gets_404_for_someone_elses_job(
    user, client, django_capture_on_commit_callbacks
):
    job = start(user("center"), "tests.count_to_ten", django_capture_on_commit_callbacks, label="B")
    client.force_login(user("grid02"))
    for name in ("core:job_detail", "core:job_progress", "core:job_result"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name
    assert job.title not in client.get(reverse("core:job_list")).content.decode()
    client.force_login(user("admin"))  # a superuser sees every job
    assert client.get(reverse("core:job_result", args=[job.pk])).status_code == 200


def test_job_pages_need_a_login(client):
    job = Job.objects.create(kind="x", title="t", func_path="tests.explode")
    response = client.get(reverse("core:job_detail", args=[job.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_job_function_that_raises_ends_as_failed_with_the_error(
    user, client_as, django_capture_on_commit_callbacks
):
    job = start(user("grid01"), "tests.explode", django_capture_on_commit_callbacks)
    assert job.status == Job.Status.FAILED
    assert "ZeroDivisionError: division by zero in the report" in job.error
    assert job.percent == 40
    assert job.finished_at is not None
    assert job.messages[-1]["text"] == "halfway"
    page = client_as("grid01").get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert "division by zero in the report" in page
    result = client_as("grid01").get(reverse("core:job_result", args=[job.pk]))
    assert result.status_code == 404  # a failed job has no result file


def test_a_job_error_is_shown_as_written(user, django_capture_on_commit_callbacks):
    job = start(user("grid01"), "tests.refuse", django_capture_on_commit_callbacks)
    assert job.status == Job.Status.FAILED
    assert job.error == "The sheet has no header row."


def test_an_unknown_job_function_is_refused_before_anything_is_queued(user):
    with pytest.raises(UnknownJobFunction):
        start_job(kind="x", title="t", user=user("admin"), func_path="os.system", params={})
    assert not Job.objects.exists()


def test_a_job_stored_with_an_unregistered_function_fails_without_importing_it():
    job = Job.objects.create(kind="x", title="t", func_path="os.system", params={"command": "x"})
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "os.system" in job.error


def test_a_job_delivered_twice_runs_once(user, django_capture_on_commit_callbacks):
    job = start(user("center"), "tests.count_to_ten", django_capture_on_commit_callbacks, label="C")
    run_job(job.pk)  # the queue delivered it again
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert len(job.messages) == 10


def test_progress_writes_are_throttled(user):
    job = Job.objects.create(
        kind="x", title="t", func_path="tests.explode", created_by=user("center")
    )
    with CaptureQueriesContext(connection) as queries:
        for step in range(1000):
            job.progress(step / 10)
    writes = [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert 1 <= len(writes) <= 3
    job.refresh_from_db()
    assert job.percent == 0  # the first write; the runner writes the last state at the end


def test_the_progress_part_polls_while_running_and_stops_when_finished(user, client_as):
    job = Job.objects.create(
        kind="x",
        title="t",
        func_path="tests.explode",
        created_by=user("center"),
        status=Job.Status.RUNNING,
        percent=35,
    )
    client = client_as("center")
    url = reverse("core:job_progress", args=[job.pk])
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert 'aria-valuenow="35"' in running
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, percent=100)
    done = client.get(url).content.decode()
    assert "hx-trigger" not in done
    assert 'aria-valuenow="100"' in done


def test_the_job_list_shows_only_my_jobs(user, client_as):
    Job.objects.create(kind="x", title="Mine", func_path="f", created_by=user("grid01"))
    Job.objects.create(kind="x", title="Theirs", func_path="f", created_by=user("grid02"))
    page = client_as("grid01").get(reverse("core:job_list")).content.decode()
    assert "Mine" in page and "Theirs" not in page


def test_an_unexpected_failure_reads_as_a_reason_in_chinese_on_the_job_page(
    user, client_as, django_capture_on_commit_callbacks
):
    with translation.override("zh-hans"):
        job = start(user("grid01"), "tests.explode", django_capture_on_commit_callbacks)
    assert job.error.startswith("任务因意外错误中止（ZeroDivisionError")

    page = client_as("grid01").get(
        reverse("core:job_detail", args=[job.pk]), headers={"Accept-Language": "zh-hans"}
    )

    html = page.content.decode()
    assert "任务未能完成，原因见下方。" in html and "任务因意外错误中止" in html
    assert "正在处理" not in html and 'id="job-result"' not in html
