"""The grid import from the admin, run as a background job with its summary and failures."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from pingan.core.models import Job

# The job set-up of the core tests: media in a temporary folder, a job run at once.
from pingan.core.tests.test_jobs import _media, start  # noqa: F401
from pingan.geo.models import Grid

pytestmark = pytest.mark.django_db


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
            feature_of(updated, code="=cmd|' /C calc'!A0\x01", region_code="510999009009"),
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
    sheet = load_workbook(io.BytesIO(b"".join(result.streaming_content))).active
    rows = list(sheet.iter_rows())
    assert len(rows) == 2  # the header and the one rejected feature
    # The code from the file is text in the report, never a formula; \x01 is dropped.
    assert [c.value for c in rows[1][:2]] == [3, "=cmd|' /C calc'!A0"]
    assert rows[1][1].data_type == "s"
    assert rows[1][2].value
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


def test_the_import_view_refuses_deeply_nested_json_with_a_field_error(client_as):
    body = b'{"type": "FeatureCollection", "features": ' + b"[" * 1000 + b"]" * 1000 + b"}"

    response = client_as("admin").post(reverse(IMPORT_URL), {"file": upload("grids.geojson", body)})

    assert response.status_code == 200  # the form again, with the file's error
    assert response.context["form"].errors["file"]
    assert not Job.objects.exists()
