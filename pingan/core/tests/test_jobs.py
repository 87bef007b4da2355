"""Background jobs: running, progress, failures, who may see them, and the grid import job."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pingan.core.jobs import JobError, UnknownJobFunction, job_function, run_job, start_job
from pingan.core.models import Job
from pingan.geo.models import Grid

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
    assert job.error == "ZeroDivisionError: division by zero in the report"
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


# --- the grid import from the admin ---------------------------------------------------------------


def feature_of(grid: Grid, **changes) -> dict:
    props = {
        "code": grid.code,
        "region_code": grid.region.code,
        "name": grid.name,
        "kind": grid.kind,
        "subkind": grid.subkind,
        "households": grid.households,
        "active_from": grid.active_from.isoformat() if grid.active_from else None,
        "active_until": grid.active_until.isoformat() if grid.active_until else None,
        "description": grid.description,
        "is_active": grid.is_active,
    }
    props.update(changes)
    return {"type": "Feature", "properties": props, "geometry": grid.geometry}


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


IMPORT_URL = "admin:geo_grid_import"


def test_the_grid_changelist_offers_the_import_to_superusers(client_as):
    page = client_as("admin").get(reverse("admin:geo_grid_changelist")).content.decode()
    assert reverse(IMPORT_URL) in page


def test_the_import_view_rejects_a_file_that_is_not_geojson(client_as):
    client = client_as("admin")
    response = client.post(reverse(IMPORT_URL), {"file": upload("grids.csv", b"code,name\n1,a\n")})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert "GeoJSON" in errors[0]
    response = client.post(reverse(IMPORT_URL), {"file": upload("grids.json", b'{"a": 1}')})
    assert "FeatureCollection" in response.context["form"].errors["file"][0]
    response = client.post(reverse(IMPORT_URL), {"file": upload("grids.geojson", b"{nope")})
    assert "JSON" in response.context["form"].errors["file"][0]
    assert not Job.objects.exists()


def test_the_import_view_refuses_a_file_over_the_size_limit(client_as, monkeypatch):
    from pingan.geo import admin as geo_admin

    monkeypatch.setattr(geo_admin, "GRID_IMPORT_MAX_BYTES", 10)
    body = json.dumps({"type": "FeatureCollection", "features": []}).encode()
    response = client_as("admin").post(reverse(IMPORT_URL), {"file": upload("g.geojson", body)})
    assert "20 MB" in response.context["form"].errors["file"][0]


def test_only_superusers_may_import_grids(client_as):
    response = client_as("center").get(reverse(IMPORT_URL))
    assert response.status_code in (302, 403)


def test_a_good_file_becomes_a_job_whose_summary_counts_match(
    client_as, user, django_capture_on_commit_callbacks
):
    grids = list(Grid.objects.select_related("region").filter(kind=Grid.Kind.RURAL)[:2])
    unchanged, updated = grids
    new_code = updated.region.code + "987"
    assert not Grid.objects.filter(code=new_code).exists()
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature_of(unchanged),
            feature_of(updated, name=updated.name + "（新）"),
            feature_of(updated, code=new_code, name="新网格"),
            feature_of(updated, code="510999009009001", region_code="510999009009"),
        ],
    }
    body = json.dumps(collection, ensure_ascii=False).encode()
    client = client_as("admin")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(IMPORT_URL), {"file": upload("grids.geojson", body)})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert job.created_by == user("admin")
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.percent == 100
    assert job.result_summary == {"created": 1, "updated": 1, "unchanged": 1, "rejected": 1}
    assert Grid.objects.get(code=new_code).name == "新网格"
    assert Grid.objects.get(pk=updated.pk).name.endswith("（新）")
    result = client.get(reverse("core:job_result", args=[job.pk]))
    text = b"".join(result.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2  # the header and the one rejected feature
    assert rows[1][:2] == ["3", "510999009009001"]
    assert "510999009009" in rows[1][2]
    page = client.get(job.get_absolute_url()).content.decode()
    assert "1 rejected" in page or "拒绝" in page


def test_an_unreadable_feature_collection_fails_the_job_with_the_reason(
    user, django_capture_on_commit_callbacks, settings
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    stored = default_storage.save("imports/bad.geojson", ContentFile(b'{"type": "Feature"}'))
    job = start(user("admin"), "geo.import_grids", django_capture_on_commit_callbacks, path=stored)
    assert job.status == Job.Status.FAILED
    assert "FeatureCollection" in job.error
