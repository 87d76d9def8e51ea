"""Runs ONE CRM import in its own process, so its peak RSS is the import's alone: ``python -m bench.import_child
<company slug> <csv path> [first|again]``. "first" (the default) deletes the company's leads first (every row is
inserted), "again" keeps them (a re-import). Prints one JSON line: seconds, rows, created, status, peak RSS."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import time


def _rss_kb() -> int:
    """Peak RSS since the last reset (VmHWM), else the process's lifetime peak."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    """Linux: "5" in clear_refs resets the peak RSS, so the peak measured is the import's own, not the setup's."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        pass


def _rss_now_kb() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main(slug: str, csv_path: str, mode: str = "first") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")
    import django

    django.setup()
    from django.db import connection

    from bench.scale import ensure_company, member
    from crm.models import CrmImport, Lead
    from crm.services import crm_import_run

    company = ensure_company(slug)
    if mode == "first":
        with connection.cursor() as cursor:  # a fresh start: every run inserts all rows (no upsert shortcut)
            cursor.execute(f"DELETE FROM {Lead._meta.db_table} WHERE company_id = %s", [company.pk])
            # A company's first import meets no dead rows of earlier ones (the bench runs with autovacuum off):
            # the deleted rows and their index entries are cleared before the clock starts, the statistics renewed.
            cursor.execute(f"VACUUM (ANALYZE) {Lead._meta.db_table}")
    job = CrmImport(
        company=company,
        kind="leads",
        source=CrmImport.Source.HUBSPOT,
        original_name=os.path.basename(csv_path),
        size=os.path.getsize(csv_path),
        created_by=member(company, "facilitator"),
    )
    storage = CrmImport._meta.get_field("file").storage
    os.makedirs(storage.location, exist_ok=True)
    name = f"bench-{os.getpid()}.csv"
    shutil.copyfile(csv_path, os.path.join(storage.location, name))
    job.file.name = name
    job.save()
    _reset_peak()
    before = _rss_now_kb()
    started = time.perf_counter()
    result = crm_import_run(import_id=job.pk)  # what the Celery task crm.crm_import_run calls
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": result.rows_done,
                "created": result.rows_created,
                "status": result.status,
                "errors": result.errors[:3],
                "rss_before_kb": before,  # resident when the import starts
                "peak_rss_kb": _rss_kb(),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
