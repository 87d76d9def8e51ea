"""``make bench``: the scale-and-speed scenarios of issue 7, each measured side by side with its floor.

    python -m bench.run [--scale full|small] [--only kpi,import,import_related,cascade,load,poll,browser,lighthouse]

Runs against the configured DATABASE_URL (the Makefile target defaults to a local PostgreSQL database
``okrplan_bench`` and migrates it). Generated data is reused between runs: a row in the table ``bench_dataset``
records which company was generated with which seed and sizes, and a matching row skips the generation.
Prints a table and writes bench/results/<date>.json (+ <date>-explain.txt with EXPLAIN (ANALYZE, BUFFERS) of every
query the KPI refresh runs, and of the floor's statements).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The scenarios run against one gunicorn (bench/feel.py, bench/lighthouse.py).
FEEL = frozenset({"load", "poll", "browser", "lighthouse"})
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "var" / "bench"
SEED = 1

SCALES = {
    "full": {
        "leads": 1_000_000,
        "opportunities": 200_000,
        "touchpoints": 3_000_000,
        "objectives": 500,
        "initiatives": 200,
        "budget_lines": 1000,
        "import_rows": 1_000_000,
        "cascade_sizes": [50, 500, 5000],
        "kpi_runs": 2,
        "load_seconds": 60,
    },
    "small": {
        "leads": 50_000,
        "opportunities": 10_000,
        "touchpoints": 150_000,
        "objectives": 200,
        "initiatives": 50,
        "budget_lines": 200,
        "import_rows": 50_000,
        "cascade_sizes": [50, 500],
        "kpi_runs": 3,
        "load_seconds": 15,
    },
}


def say(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S} UTC] {message}", flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values)


# ------------------------------------------------------------------------------------------------ datasets


def _marker_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dataset (name varchar(100) PRIMARY KEY, spec text NOT NULL, "
            "created_at varchar(40) NOT NULL)"
        )


def dataset_ready(name: str, spec: dict) -> bool:
    from django.db import connection

    _marker_table()
    with connection.cursor() as cursor:
        cursor.execute("SELECT spec FROM bench_dataset WHERE name = %s", [name])
        row = cursor.fetchone()
    return row is not None and json.loads(row[0]) == spec


def dataset_mark(name: str, spec: dict) -> None:
    from django.db import connection

    _marker_table()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM bench_dataset WHERE name = %s", [name])
        cursor.execute(
            "INSERT INTO bench_dataset (name, spec, created_at) VALUES (%s, %s, %s)",
            [name, json.dumps(spec, sort_keys=True), dt.datetime.now(dt.UTC).isoformat()],
        )


def wipe_company(slug: str) -> None:
    """Remove a half-made or outdated bench company (CRM rows by plain SQL: millions of rows)."""
    from django.db import connection, transaction

    from companies.models import Company

    company = Company.objects.filter(slug=slug).first()
    if company is None:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("crm_touchpoint", "crm_opportunity", "crm_lead", "reporting_kpisnapshot"):
            cursor.execute(f"DELETE FROM {table} WHERE company_id = %s", [company.pk])
        from budgets.models import BudgetAuditEntry, BudgetLine, SpendEntry
        from initiatives.models import Initiative
        from objectives.models import CheckIn, Cycle, KeyResult, Objective

        for model in (SpendEntry, BudgetAuditEntry, BudgetLine, Initiative, CheckIn, KeyResult):
            model.objects.filter(company=company)._raw_delete(connection.alias)
        Objective.objects.filter(company=company).update(parent=None)
        Objective.objects.filter(company=company).delete()
        Cycle.objects.filter(company=company).update(parent=None)
        Cycle.objects.filter(company=company).delete()
        company.delete()


def ensure_dataset(slug: str, **sizes) -> None:
    from bench.scale import ScaleSpec, generate_scale

    spec = {"seed": SEED, "until": dt.date.today().isoformat(), **sizes}
    if dataset_ready(slug, spec):
        say(f"dataset {slug}: reused (same seed and sizes)")
        return
    say(f"dataset {slug}: generating {sizes}")
    wipe_company(slug)
    started = time.perf_counter()
    generate_scale(ScaleSpec(company=slug, seed=SEED, until=dt.date.today(), **sizes), progress=say)
    say(f"dataset {slug}: generated in {time.perf_counter() - started:.1f} s")
    dataset_mark(slug, spec)


# ------------------------------------------------------------------------------------------------ scenario 1


def _dataset_company(cfg: dict):
    """The company of the scenario's data set, generated first if it is not there yet."""
    from companies.models import Company

    slug = f"bench-{cfg['name']}"
    ensure_dataset(
        slug,
        leads=cfg["leads"],
        opportunities=cfg["opportunities"],
        touchpoints=cfg["touchpoints"],
        objectives=cfg["objectives"],
        initiatives=cfg["initiatives"],
        budget_lines=cfg["budget_lines"],
    )
    _fresh_statistics()
    return Company.objects.get(slug=slug)


def _fresh_statistics() -> None:
    """The import scenarios write and delete millions of CRM rows in another company, and autovacuum is off on these
    machines: without fresh statistics the planner mistook the KPI queries' sizes (a funnel statement of 4.7 s ran
    for minutes). Production has autovacuum; the bench states what the KPI queries cost on analysed tables."""
    from django.db import connection

    from crm.models import Lead, Opportunity, Touchpoint

    with connection.cursor() as cursor:
        tables = ", ".join(model._meta.db_table for model in (Lead, Opportunity, Touchpoint))
        cursor.execute(f"VACUUM (ANALYZE) {tables}")


def scenario_kpi(cfg: dict, details: dict, explain_lines: list[str]) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from bench.floor_kpi import floor_statements, run_floor
    from bench.scale import member
    from reporting.services.kpi import kpi_snapshots_refresh, refresh_periods

    company = _dataset_company(cfg)
    actor = member(company, "cmo")
    today = dt.date.today()
    todo = refresh_periods(company=company, scope="open", on=today)
    stmts = floor_statements(company, todo)
    say(f"KPI refresh: {len(todo)} periods, {len(stmts)} floor statements; warming up")
    snapshots = kpi_snapshots_refresh(company=company, scope="open", actor=actor)
    run_floor(stmts)
    product, floor = [], []
    for run in range(cfg["kpi_runs"]):
        started = time.perf_counter()
        kpi_snapshots_refresh(company=company, scope="open", actor=actor)
        product.append(time.perf_counter() - started)
        started = time.perf_counter()
        run_floor(stmts)
        floor.append(time.perf_counter() - started)
        say(f"KPI refresh run {run + 1}: product {product[-1]:.2f} s, floor {floor[-1]:.2f} s")
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        kpi_snapshots_refresh(company=company, scope="open", actor=actor)
    queries = [q["sql"] for q in captured.captured_queries]
    details["kpi"] = {
        "periods": [p.key for p in todo],
        "snapshots": snapshots,
        "queries": len(queries),
        "floor_statements": len(stmts),
        "product_seconds": product,
        "floor_seconds": floor,
    }
    if connection.vendor == "postgresql":
        say(f"EXPLAIN (ANALYZE, BUFFERS) of {len(queries)} refresh queries and the floor")
        explain_lines.append(f"# KPI refresh of {company.slug}: {len(queries)} queries, {len(todo)} periods\n")
        with connection.cursor() as cursor:
            for number, sql in enumerate(queries, 1):
                if not sql.lstrip().upper().startswith(("SELECT", "WITH")):  # reads only; writes are not re-run
                    explain_lines.append(f"## refresh query {number} (not a SELECT, not explained)\n{sql[:500]}\n")
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                explain_lines.append(f"## refresh query {number}\n{sql}\n\n{plan}\n")
            for number, (key, sql, params) in enumerate(stmts, 1):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                explain_lines.append(f"## floor statement {number} ({key})\n{sql}\n\n{plan}\n")
    measured, floor_s = median(product), median(floor)
    return [
        {
            "scenario": "kpi refresh",
            "case": f"{cfg['leads']:,} leads, {len(todo)} periods",
            "measured": measured,
            "floor": floor_s,
            "ratio": measured / floor_s,
            "goal": "≤ 1.5 × floor, < 60 s",
            "ok": measured <= 1.5 * floor_s and measured < 60,
            "unit": "s",
        }
    ]


# ------------------------------------------------------------------------------------------------ scenario 2


HUBSPOT_HEADER = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Create Date",
    "Lifecycle Stage",
    "Original Traffic Source",
    "Original Traffic Source Drill-Down 1",
    "Industry",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Accepted Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
]


def write_hubspot_csv(path: Path, rows: int, seed: int) -> None:
    """A HubSpot contacts export of ``rows`` contacts (deterministic)."""
    import csv
    import random

    from bench.scale import CAMPAIGNS, CHANNELS, SEGMENTS

    rng = random.Random(f"{seed}-hubspot")
    base = dt.datetime(2025, 1, 1, 8, 0)
    stages = ["subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HUBSPOT_HEADER)
        for i in range(rows):
            created = base + dt.timedelta(minutes=int(rng.random() * 60 * 24 * 680))
            depth = min(int(rng.expovariate(1.2)), 5)
            dates, t = [], created
            for _stage in range(5):
                t += dt.timedelta(days=1 + int(rng.random() * 20))
                dates.append(t.strftime("%Y-%m-%d %H:%M") if len(dates) + 1 < depth else "")
            writer.writerow(
                [
                    str(100000 + i),
                    f"Vorname{i}",
                    f"Nachname{i}",
                    f"kontakt{i}@example.com",
                    created.strftime("%Y-%m-%d %H:%M"),
                    stages[depth],
                    CHANNELS[int(rng.random() * len(CHANNELS))],
                    CAMPAIGNS[int(rng.random() * len(CAMPAIGNS))],
                    SEGMENTS[int(rng.random() * len(SEGMENTS))],
                    dates[0],
                    dates[1],
                    dates[2],
                    dates[3],
                    dates[4],
                ]
            )
    tmp.replace(path)


def _copy_floor(path: Path, company_id: int | None = None) -> float:
    """COPY of the file into a bare table of its columns, typed (dates as timestamptz): no index, no constraint."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_copy_floor (record_id text, first_name text, last_name text, "
            "email text, create_date timestamptz, lifecycle_stage text, source text, drill_down text, industry text,"
            " mql timestamptz, sal timestamptz, sql timestamptz, opportunity timestamptz, customer timestamptz)"
        )
        cursor.execute("TRUNCATE bench_copy_floor")
        seconds = _copy(cursor, path, "bench_copy_floor")
        cursor.execute("TRUNCATE bench_copy_floor")
    return seconds


# The bench file's columns as crm_lead's (the HubSpot preset's mapping); names, e-mail have no lead column.
INDEXED_FLOOR_COLUMNS = ("external_id, first_name, last_name, email, created, lifecycle_stage, channel, campaign, "
                         "segment, mql_at, sal_at, sql_at, opportunity_at, customer_at")  # fmt: skip


def _copy_floor_indexed(path: Path, company_id: int) -> float:
    """The first load's floor: COPY of the file into a copy of crm_lead (LIKE ... INCLUDING ALL: its columns, unique
    constraint and every index, the company's id as the default so the rows land where the product's do) plus the
    three text columns the file has and the lead has not. Dates are typed by COPY; the product also parses,
    validates, derives is_marketing_sourced and keeps the row digest, none of which the floor does."""
    from django.db import connection

    from crm.models import Lead

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_indexed")
        cursor.execute(f"CREATE TABLE bench_copy_indexed (LIKE {Lead._meta.db_table} INCLUDING ALL)")
        cursor.execute(
            "ALTER TABLE bench_copy_indexed ADD COLUMN first_name text, ADD COLUMN last_name text, "
            "ADD COLUMN email text, ALTER COLUMN company_id SET DEFAULT %s, "
            "ALTER COLUMN is_marketing_sourced SET DEFAULT true, ALTER COLUMN crm_opportunity_id SET DEFAULT ''",
            [company_id],
        )
        seconds = _copy(cursor, path, f"bench_copy_indexed ({INDEXED_FLOOR_COLUMNS})")
        cursor.execute("DROP TABLE bench_copy_indexed")
    return seconds


def _copy(cursor, path: Path, target: str) -> float:
    started = time.perf_counter()
    with (
        open(path, "rb") as handle,
        cursor.cursor.copy(f"COPY {target} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            copy.write(chunk)
    return time.perf_counter() - started


def _import_child(slug: str, path: Path, mode: str = "first") -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "bench.import_child", slug, str(path), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"import child failed: {out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_changed_csv(source: Path, path: Path, every: int = 100) -> int:
    """``source`` with every ``every``-th data row changed in a mapped column (its Industry, the lead's segment):
    the re-import with 1 % changed rows. Deterministic; returns the number of rows changed."""
    import csv

    tmp = path.with_suffix(".tmp")
    changed = 0
    with open(source, newline="", encoding="utf-8") as src, open(tmp, "w", newline="", encoding="utf-8") as out:
        reader, writer = csv.reader(src), csv.writer(out)
        header = next(reader)
        column = header.index("Industry")
        writer.writerow(header)
        for n, row in enumerate(reader):
            if n % every == every // 2:
                row[column] = f"{row[column]} (changed)"
                changed += 1
            writer.writerow(row)
    tmp.replace(path)
    return changed


def scenario_import(cfg: dict, details: dict) -> list[dict]:
    from django.db import connection

    from bench.scale import ensure_company

    WORK.mkdir(parents=True, exist_ok=True)
    rows = cfg["import_rows"]
    small_rows = max(rows // 10, 1000)
    paths = {}
    for n in (small_rows, rows):
        path = WORK / f"hubspot-contacts-{n}-s{SEED}.csv"
        if not path.exists():
            say(f"CRM import: writing {path.name}")
            write_hubspot_csv(path, n, SEED)
        paths[n] = path
    changed_path = WORK / f"hubspot-contacts-{rows}-s{SEED}-1pct.csv"
    if not changed_path.exists():
        say(f"CRM import: writing {changed_path.name}")
        write_changed_csv(paths[rows], changed_path)
    slug = f"bench-import-{cfg['name']}"
    company_id = ensure_company(slug).pk
    say(f"CRM import: {small_rows:,} rows (memory reference)")
    small = _import_child(slug, paths[small_rows])
    postgres = connection.vendor == "postgresql"
    # Each case twice, each with its floor right after it: COPY of the same file, once to warm up (the product's
    # child read the file just before), then measured. The faster of the two counts on both sides (the machine may
    # be shared). The 1 % case imports the changed file, then the first one again: both change 1 % of the rows.
    runs = [
        ("first", "first load", [paths[rows]] * 2, "indexed", 2, "COPY into crm_lead's columns and indexes"),
        ("again", "re-import, unchanged", [paths[rows]] * 2, "bare", 3, "COPY into a bare table"),
        ("again", "re-import, 1 % rows changed", [changed_path, paths[rows]], "bare", 3, "COPY into a bare table"),
    ]
    measured = {}
    results = []
    # A first load is a company's first import: each run imports into a new company (whose id follows every other
    # company's, as a new customer's does), removed again after the run. The bench's own company then gets the same
    # first load after its earlier leads were deleted (the state the re-imports start from), reported beside it.
    new_company = f"{slug}-new"
    older = None
    for mode, case, files, floor_kind, divisor, floor_name in runs:
        products, floors = [], []
        if mode == "again" and older is None:
            say(f"CRM import: {rows:,} rows, first load into {slug} after deleting its leads (reference)")
            older = _import_child(slug, paths[rows], "first")
        for path in files:
            say(f"CRM import: {rows:,} rows through the product, {case} ({path.name})")
            target = slug
            if mode == "first":
                wipe_company(new_company)
                target = ensure_company(new_company).slug
            products.append(_import_child(target, path, mode))
            if mode == "first":
                wipe_company(new_company)
            if products[-1]["status"] != "done":
                raise RuntimeError(f"the import was rejected: {products[-1]}")
            if postgres:
                say(f"CRM import: {floor_name} (floor of the {case})")
                copy = _copy_floor_indexed if floor_kind == "indexed" else _copy_floor
                copy(path, company_id)
                floors.append(copy(path, company_id))
        product = min(products, key=lambda run: run["seconds"])
        floor_seconds = min(floors) if floors else None
        measured[case] = {
            **product,
            "all_s": [run["seconds"] for run in products],
            "floor_s": floor_seconds,
            "floor_all_s": floors,
            "floor": floor_name,
            "peak_rss_kb": max(run["peak_rss_kb"] for run in products),
        }
        product_rate = product["rows"] / product["seconds"]
        floor_rate = rows / floor_seconds if floor_seconds else None
        if mode == "again" and "older company" not in measured and older is not None:
            first_floor = measured["first load"]["floor_s"]
            measured["older company"] = older
            results.append(
                {
                    "scenario": "crm import",
                    "case": f"{rows:,} HubSpot contacts, first load after deleting the company's leads, rows/s "
                    "(floor: COPY into crm_lead's columns and indexes)",
                    "measured": older["rows"] / older["seconds"],
                    "floor": rows / first_floor if first_floor else None,
                    "ratio": first_floor / older["seconds"] if first_floor else None,
                    "goal": "reference (its rows land among deleted ones)",
                    "ok": older["status"] == "done",
                    "unit": "rows/s",
                }
            )
        results.append(
            {
                "scenario": "crm import",
                "case": f"{rows:,} HubSpot contacts, {case}, rows/s (floor: {floor_name})",
                "measured": product_rate,
                "floor": floor_rate,
                "ratio": product_rate / floor_rate if floor_rate else None,
                "goal": f"≥ 1/{divisor} of COPY",
                "ok": bool(floor_rate) and product_rate >= floor_rate / divisor,
                "unit": "rows/s",
            }
        )
    peak = max(run["peak_rss_kb"] for run in measured.values())
    details["import"] = {"rows": rows, "runs": measured, "small": {"rows": small_rows, **small}}
    results.append(
        {
            "scenario": "crm import",
            "case": f"peak RSS MB at {small_rows:,} → {rows:,} rows (highest of the six runs)",
            "measured": peak / 1024,
            "floor": small["peak_rss_kb"] / 1024,
            "ratio": peak / small["peak_rss_kb"],
            "goal": "flat (≤ 1.5 × at 10× rows)",
            "ok": peak <= 1.5 * small["peak_rss_kb"],
            "unit": "MB",
        }
    )
    return results


# ------------------------------------------------------------------------------------------------ scenario 3


def cascade_dataset(size: int) -> str:
    """The company ``bench-cascade-<size>`` with ``size`` objectives × 4 key results this year (made once)."""
    from bench.scale import analyze, ensure_company, ensure_cycles, generate_objectives

    slug = f"bench-cascade-{size}"
    spec = {"seed": SEED, "objectives": size, "until": dt.date.today().isoformat()}
    if not dataset_ready(slug, spec):
        wipe_company(slug)
        company = ensure_company(slug)
        _previous, cycle = ensure_cycles(company, dt.date.today())
        generate_objectives(company, cycle, size, seed=SEED)
        analyze()
        dataset_mark(slug, spec)
    return slug


def scenario_cascade(cfg: dict, details: dict) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.scale import member
    from companies.models import Company
    from core import versions
    from objectives.models import Cycle

    results = []
    measured: dict[str, dict[int, tuple[float, int]]] = {"page": {}, "api": {}}
    for size in cfg["cascade_sizes"]:
        slug = cascade_dataset(size)
        company = Company.objects.get(slug=slug)
        cycle = Cycle.objects.get(company=company, name=str(dt.date.today().year))
        client = Client(HTTP_ACCEPT_LANGUAGE="de")
        client.force_login(member(company, "facilitator"))
        urls = {
            "page": f"/c/{slug}/cascade/?cycle={cycle.pk}",
            "api": f"/api/v1/companies/{slug}/cascade/?cycle={cycle.pk}",
        }
        runs = 3 if size >= 5000 else 7
        for kind, url in urls.items():
            response = client.get(url)  # warm-up
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            reset_queries()  # the capture slices the (bounded) query log: start from an empty one
            executed = []

            def count(execute, sql, params, many, context, executed=executed):
                executed.append(sql)
                return execute(sql, params, many, context)

            # Both: CaptureQueriesContext as in the tests, and an execute wrapper that cannot miss a query.
            versions.bump("okr", company_id=company.pk)
            with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(count):
                client.get(url)
            times = []
            for _ in range(runs):
                # what rendering costs: a new data version each time (a cached read is the load scenario's business)
                versions.bump("okr", company_id=company.pk)
                started = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - started)
            queries = max(len(captured.captured_queries), len(executed))
            measured[kind][size] = (median(times) * 1000, queries)
            say(f"cascade {kind} {size} objectives: {median(times) * 1000:.0f} ms, {queries} queries")
    details["cascade"] = {kind: {str(k): v for k, v in sizes.items()} for kind, sizes in measured.items()}
    for kind, sizes in measured.items():
        smallest = min(sizes)
        base_ms, base_queries = sizes[smallest]
        for size, (ms, queries) in sorted(sizes.items()):
            # The floor of a tree that grows linearly: the smallest tree's time scaled by the size ratio.
            linear = base_ms * size / smallest
            results.append(
                {
                    "scenario": f"cascade {kind}",
                    "case": f"{size:,} objectives × 4 KRs, ms ({queries} queries)",
                    "measured": ms,
                    "floor": linear,
                    "ratio": ms / linear,
                    "goal": "queries constant, ≤ linear" + (", < 250 ms" if size == 500 else ""),
                    "ok": queries == base_queries and ms <= linear * 1.05 + 1 and (size != 500 or ms < 250),
                    "unit": "ms",
                    "queries": queries,
                }
            )
    return results


# ------------------------------------------------------------------------------------------------ scenario 4


def _sessions(cfg: dict) -> dict:
    """Who the load, poll and browser scenarios act as: the load company's executive (session and API token), its
    facilitator (API token, for the edits) and the facilitator of the 500-objective cascade company (session)."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from bench.scale import member
    from companies.models import Company
    from objectives.models import Cycle, Objective

    def session_of(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    slug = f"bench-{cfg['name']}"
    company = Company.objects.get(slug=slug)
    cycle = Cycle.objects.get(company=company, name=str(dt.date.today().year))
    executive = member(company, "executive")
    facilitator = member(company, "facilitator")
    token, _ = Token.objects.get_or_create(user=executive)
    editor, _ = Token.objects.get_or_create(user=facilitator)
    objective = Objective.objects.filter(company=company, cycle=cycle).order_by("position", "id").first()
    out = {
        "slug": slug,
        "cycle": cycle.pk,
        "session": session_of(executive),
        "token": token.key,
        "editor_token": editor.key,
        "objective": objective.pk,
    }
    cascade = Company.objects.filter(slug="bench-cascade-500").first()
    if cascade is not None:
        out["cascade_slug"] = cascade.slug
        out["cascade_cycle"] = Cycle.objects.get(company=cascade, name=str(dt.date.today().year)).pk
        out["cascade_session"] = session_of(member(cascade, "facilitator"))
    return out


def scenario_feel(cfg: dict, details: dict, only: set[str]) -> list[dict]:
    """Scenario 4 (load, with think time) and issue 19's poll and browser scenarios against one gunicorn."""
    from bench import feel, lighthouse

    who = _sessions(cfg)
    results: list[dict] = []
    with feel.gunicorn() as (base, env):
        env = {
            **env,
            "BENCH_SLUG": who["slug"],
            "BENCH_CYCLE": str(who["cycle"]),
            "BENCH_SESSION": who["session"],
            "BENCH_TOKEN": who["token"],
            "BENCH_EDITOR_TOKEN": who["editor_token"],
            "BENCH_OBJECTIVE": str(who["objective"]),
        }
        floor_p95 = None
        if only & {"load", "poll"}:
            floor = feel.locust(base, env, ["Floor"], users=32, seconds=cfg["load_seconds"], name="floor")
            floor_p95 = float(floor[0]["95%"])
            details["floor"] = floor
            results += feel.load_rows("load 32 users", floor, floor_p95, {})
        if "load" in only:
            stats = feel.locust(base, env, ["Executive"], users=32, seconds=cfg["load_seconds"], name="load")
            details["load"] = stats
            results += feel.load_rows("load 32 users", stats, floor_p95, {"board page": 3, "cascade page": 4})
            results += feel.scenario_think(base, env, cfg, details)
        if "poll" in only:
            results += feel.scenario_poll(base, env, cfg, details, floor_p95)
        pages = {
            "board": (f"/c/{who['slug']}/board/", who["session"]),
            "budgets": (f"/c/{who['slug']}/budgets/overview/", who["session"]),
        }
        if "cascade_slug" in who:
            pages["cascade (500 objectives)"] = (
                f"/c/{who['cascade_slug']}/cascade/?cycle={who['cascade_cycle']}",
                who["cascade_session"],
            )
        if "browser" in only:
            results += feel.scenario_browser(base, pages, details)
        if "lighthouse" in only:
            results += lighthouse.scenario_lighthouse(base, pages, details, say)
    return results


# ------------------------------------------------------------------------------------------------------ main


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version() || ', autovacuum ' || current_setting('autovacuum')")
        else:
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        return cursor.fetchone()[0]


def _static_up_to_date() -> bool:
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    newest = max((f.stat().st_mtime for f in (ROOT / "static").rglob("*") if f.is_file()), default=0)
    return manifest.stat().st_mtime > newest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default=os.environ.get("BENCH_SCALE") or "full")
    parser.add_argument(
        "--only",
        default="kpi,import,import_related,cascade,load,poll,browser,lighthouse",
        help="comma-separated scenarios",
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplan.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    from bench.report import format_table, machine_facts, write_results

    call_command("migrate", "--noinput", verbosity=0)
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    # Production settings serve hashed static files (whitenoise manifest): pages need it before they render.
    # Compressing plotly.js takes minutes on a busy 2-core machine, so an up-to-date manifest is kept.
    if only & {"cascade", *FEEL} and not _static_up_to_date():
        say("collectstatic (production static files)")
        call_command("collectstatic", "--noinput", verbosity=0)
    cfg = {"name": args.scale, **SCALES[args.scale]}
    rows: list[dict] = []
    details: dict = {"scale": args.scale, "config": cfg}
    explain: list[str] = []
    when = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    if "kpi" in only:
        rows += scenario_kpi(cfg, details, explain)
    if "import" in only:
        rows += scenario_import(cfg, details)
    if "import_related" in only:
        from bench.import_related import scenario_import_related

        rows += scenario_import_related(cfg, details)
    if "cascade" in only:
        rows += scenario_cascade(cfg, details)
    if only & FEEL:
        if "kpi" not in only:
            scenario_kpi_dataset_only(cfg)
        if only & {"browser", "lighthouse"} and "cascade" not in only:
            cascade_dataset(500)
        rows += scenario_feel(cfg, details, only)
    details["total_seconds"] = time.perf_counter() - started
    facts = machine_facts(_database_version())
    path = write_results(RESULTS, rows=rows, facts=facts, details=details, when=when)
    if explain:
        path.with_name(path.stem + "-explain.txt").write_text("\n".join(explain), encoding="utf-8")
    print()
    print(f"okrplan bench ({args.scale}) on {facts['cores']} cores, {facts['database']}")
    print(format_table(rows))
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


def scenario_kpi_dataset_only(cfg: dict) -> None:
    """The load scenario reads the KPI company's board: make sure it exists and has snapshots."""
    from bench.scale import member
    from reporting.models import KpiSnapshot
    from reporting.services.kpi import kpi_snapshots_refresh

    company = _dataset_company(cfg)
    if not KpiSnapshot.objects.filter(company=company).exists():
        kpi_snapshots_refresh(company=company, scope="open", actor=member(company, "cmo"))


if __name__ == "__main__":
    sys.exit(main())
