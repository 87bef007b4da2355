"""Helpers of the import and export tests: workbooks in, jobs run, workbooks out."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from openpyxl import Workbook, load_workbook

from pingan.core.jobs import run_job, start_job
from pingan.core.models import Job
from pingan.geo.models import Grid
from pingan.people import idnumber, uscc
from pingan.people.jobs import EXPORT, IMPORT
from pingan.people.models import Household, Organization, Resident

GRID01 = "513999001001001"
GRID02 = "513999002201001"


def ident(seq: int, year: int = 1970) -> str:
    """Return a valid synthetic ID number, different for each ``seq``."""
    return idnumber.generate("513999", dt.date(year, 1, 1) + dt.timedelta(days=seq), seq % 1000)


def credit_code(seq: int) -> str:
    """Return a valid synthetic unified social credit code, different for each ``seq``."""
    return uscc.generate(f"91513999MA{seq:07d}")


def wrong_check(code: str) -> str:
    """Return ``code`` with another last character (so its check fails)."""
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def workbook(header: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write(tmp_path: Path, content: bytes, name: str = "ledger.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def sheet_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def run_import_job(kind: str | None, content: bytes, user) -> Job:
    """Store ``content`` as an upload and run the import job of ``kind`` on it as ``user``."""
    stored = default_storage.save("imports/ledger.xlsx", ContentFile(content))
    params = {"path": stored, "user_id": user.pk, "language": "en"}
    if kind is not None:
        params["kind"] = kind
    job = start_job(kind="test", title="import", user=user, func_path=IMPORT, params=params)
    run_job(job.pk)
    job.refresh_from_db()
    return job


def run_export_job(kind: str, user, filters: dict | None = None) -> tuple[Job, list[tuple]]:
    """Run the export job of ``kind`` as ``user``; return it and its workbook's rows."""
    job = start_job(
        kind="test",
        title="export",
        user=user,
        func_path=EXPORT,
        params={"user_id": user.pk, "filters": filters or {}, "language": "en", "kind": kind},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    return job, sheet_rows(job.result_file.read())


def make_resident(grid_code: str, seq: int, name: str) -> Resident:
    grid = Grid.objects.get(code=grid_code)
    resident = Resident(name=name, grid=grid, region=grid.region, registered_address="示范县")
    resident.set_id_number(ident(seq))
    resident.set_phone(f"139{seq:08d}")
    resident.save()
    return resident


def make_household(grid_code: str, number: str) -> Household:
    grid = Grid.objects.get(code=grid_code)
    household = Household(number=number, grid=grid, region=grid.region)
    household.save()
    return household


def make_organization(grid_code: str, seq: int, name: str, phone: str = "") -> Organization:
    grid = Grid.objects.get(code=grid_code)
    organization = Organization(
        name=name, credit_code=credit_code(seq), grid=grid, region=grid.region
    )
    organization.set_contact_phone(phone)
    organization.save()
    return organization
