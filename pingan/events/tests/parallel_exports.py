"""Run several ledger exports at the same time on the embedded SQLite database (a helper).

``python -m pingan.events.tests.parallel_exports N`` migrates the database the settings
build (``PINGAN_VAR_DIR`` decides where, ``DATABASE_URL`` must be unset), loads the demo county
with a few hundred events, then runs N export jobs at once, one thread (and one connection)
each, as the worker's threads do. It prints one line per job: ``<status> <error>``.

test_parallel_exports.py runs it in a subprocess: the test database of pytest lives in memory,
where SQLite locks differently from the file every real installation uses.
"""

from __future__ import annotations

import os
import sys
import threading


def main(count: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pingan.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from pingan.core import jobs
    from pingan.core.models import Job
    from pingan.events import exports
    from pingan.events.jobs import EXPORT

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0)
    # Small chunks and no progress throttle: every job writes its progress while its rows are
    # still being read, as a long export does, with only a few hundred rows to write.
    exports.CHUNK = 50
    jobs.PROGRESS_INTERVAL = 0

    from pingan.accounts.models import User

    center = User.objects.get(username="center")
    ids = []
    for number in range(count):
        job = Job.objects.create(
            kind=EXPORT,
            title=f"export {number}",
            created_by=center,
            func_path=EXPORT,
            params={"user_id": center.pk, "filters": {}},
        )
        ids.append(job.pk)
    connections.close_all()
    start = threading.Barrier(count)

    def run(job_id: int) -> None:
        start.wait()
        try:
            jobs.run_job(job_id)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job_id,)) for job_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for job in Job.objects.filter(pk__in=ids).order_by("pk"):
        rows = (job.result_summary or {}).get("rows")
        print(job.status, rows, job.error.replace("\n", " ")[:300], flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
