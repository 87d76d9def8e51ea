"""Memory and time of a large HubSpot contacts import (streamed, two passes, batches of 2000).

Run: DEBUG=true .venv/bin/python bench/crm_import_memory.py [rows ...]
Each size runs in a fresh process against a throw-away SQLite database (or DATABASE_URL) and prints rows, file
size, seconds, and how much the process's peak memory (max RSS) grew during the import — flat across sizes.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "Record ID,Create Date,Lifecycle Stage,Original Traffic Source,Became a Marketing Qualified Lead Date,Industry\n"
)


def write_csv(path: Path, rows: int) -> None:
    rng = random.Random(1)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(HEADER)
        for i in range(rows):
            day = 1 + i % 28
            mql = f"2026-03-{day:02d} 12:00" if rng.random() < 0.3 else ""
            handle.write(f"{i},2026-02-{day:02d} 10:22,lead,ORGANIC_SEARCH,{mql},Stadtwerke\n")


def run_one(rows: int) -> None:
    import resource
    import time

    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")
    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from companies.models import Company
    from crm.models import CrmImport, Lead
    from crm.services import crm_import_run

    call_command("migrate", verbosity=0)
    company, _ = Company.objects.get_or_create(slug=f"bench-{rows}", defaults={"name": f"Bench {rows}"})
    Lead.objects.filter(company=company).delete()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "contacts.csv"
        write_csv(path, rows)
        job = CrmImport(company=company, kind="leads", source="hubspot", original_name=path.name,
                        size=path.stat().st_size)  # fmt: skip
        with path.open("rb") as handle:
            job.file.save(path.name, File(handle), save=False)
        job.save()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        done = crm_import_run(import_id=job.pk)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        size_mb = path.stat().st_size / 1e6
    print(
        f"{rows:>9} rows {size_mb:7.1f} MB file {seconds:7.1f} s ({rows / seconds:,.0f} rows/s) "
        f"peak memory +{(after - before) / 1024:5.1f} MB  {done.status}"
    )


def main(sizes: list[int]) -> None:
    # DEBUG off: with DEBUG on Django keeps every SQL statement in connection.queries, which is not the import.
    env = {"SECRET_KEY": "bench-only", **os.environ, "DEBUG": "false"}
    if "DATABASE_URL" not in env:
        database = Path(tempfile.gettempdir()) / "okrplan_bench_crm.sqlite3"
        database.unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{database}"
    for rows in sizes:
        subprocess.run([sys.executable, __file__, "--one", str(rows)], env=env, check=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        run_one(int(sys.argv[2]))
    else:
        main([int(a) for a in sys.argv[1:]] or [20_000, 200_000])
