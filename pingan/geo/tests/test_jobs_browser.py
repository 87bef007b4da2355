"""The job page in a real browser: the progress bar moves without a reload and stops polling."""

from __future__ import annotations

import json

import pytest

from pingan.accounts.models import User
from pingan.core.browser_testing import BROWSER_TEST_MARKS, log_in
from pingan.core.models import Job
from pingan.geo.models import Grid

pytestmark = BROWSER_TEST_MARKS


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def bar_value(page) -> str:
    return page.get_attribute("#job-progress-bar", "aria-valuenow")


def test_the_progress_bar_follows_a_running_job_and_stops_polling_when_it_ends(page, live_server):
    job = Job.objects.create(
        kind="tests.watch",
        title="Watch me",
        func_path="tests.watch",
        created_by=User.objects.get(username="center"),
        status=Job.Status.RUNNING,
        percent=10,
        messages=[{"at": "2026-03-14T03:00:00+00:00", "text": "started"}],
    )
    log_in(page, live_server, "center")
    polls = []
    page.on("request", lambda request: "/progress/" in request.url and polls.append(request.url))
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    assert bar_value(page) == "10"
    loaded_url = page.url

    Job.objects.filter(pk=job.pk).update(
        percent=60, messages=[*job.messages, {"at": "2026-03-14T03:00:05+00:00", "text": "half"}]
    )
    page.wait_for_selector("#job-progress-bar[aria-valuenow='60']")
    assert "60%" in page.inner_text("#job-progress-bar")
    assert "half" in page.inner_text("#job-messages")
    assert polls, "the page should poll the progress part"

    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, percent=100, result_summary={"created": 7}
    )
    page.wait_for_selector("#job-progress[data-status='succeeded']")
    assert bar_value(page) == "100"
    assert "7" in page.inner_text("#job-summary")
    assert page.url == loaded_url  # updated in place, never reloaded
    # Finished: the swapped-in part has no trigger, so no more requests go out.
    page.wait_for_timeout(300)
    count = len(polls)
    page.wait_for_timeout(2500)
    assert len(polls) == count


def test_an_admin_imports_grids_and_lands_on_the_finished_job(page, live_server, tmp_path):
    grid = Grid.objects.select_related("region").filter(kind=Grid.Kind.RURAL).first()
    feature = {
        "type": "Feature",
        "properties": {
            "code": grid.region.code + "986",
            "region_code": grid.region.code,
            "name": "浏览器导入网格",
        },
        "geometry": grid.geometry,
    }
    path = tmp_path / "grids.geojson"
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
        encoding="utf-8",
    )
    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/admin/geo/grid/")
    page.click("#grid-import-link")
    page.set_input_files("#grid-import-form input[type=file]", str(path))
    page.click("#grid-import-form input[type=submit]")
    # Tasks run immediately in tests, so the job has ended by the time its page shows.
    page.wait_for_url("**/jobs/*/")
    page.wait_for_selector("#job-progress[data-status='succeeded']")
    assert bar_value(page) == "100"
    assert page.locator("#job-summary [data-key=created]").inner_text().endswith("1")
    assert page.locator("#job-result").is_visible()
    assert Grid.objects.filter(name="浏览器导入网格").exists()
