"""``make bench`` scenarios of what people feel (issue 19), each against a floor measured in the same run.

- ``load``: 32 users without think time on board, cascade and ``kpis/``, and the same users on ``/healthz`` (the
  floor: one query through the same gunicorn, Django and database); goals as ratios to the floor's p95 — board
  p95 ≤ 3 ×, cascade page p95 ≤ 4 ×, no errors. Then 200 users with 5–15 s think time: p95 < 300 ms.
- ``poll``: 40 workshop participants poll the cascade signature and the priority matrix every 3 s (conditional
  GETs, as static/js/okr/poller.js sends them; a changed signature fetches the tree partial like the page) while a
  facilitator renames an objective every 2 s: every request that changed nothing is a 304, their p95 < 50 ms.
- ``browser``: Debian's Chromium through Playwright opens board, cascade (500 objectives) and budgets cold (fresh
  profile each time, three times each): largest contentful paint and transferred bytes (Performance API).

The server is gunicorn with production settings (DEBUG off, hashed and precompressed static files, compression);
the load tool is locust through its own command line (bench/locustfile.py).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"


def say(message: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S} UTC] {message}", flush=True)


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


@contextlib.contextmanager
def gunicorn() -> Iterator[tuple[str, dict]]:
    """gunicorn with production settings on BENCH_PORT; yields (base URL, environment)."""
    port = os.environ.get("BENCH_PORT", "8765")
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only-secret-key-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": os.environ.get("WEB_CONCURRENCY", "4"),
        # As docker-compose.yml runs production: persistent database connections.
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        # BENCH_GUNICORN_LOG_LEVEL=INFO keeps the access lines (with their milliseconds) in var/bench/gunicorn.log
        "LOG_LEVEL": os.environ.get("BENCH_GUNICORN_LOG_LEVEL", "WARNING"),
    }
    bin_dir = Path(sys.executable).parent
    WORK.mkdir(parents=True, exist_ok=True)
    with open(WORK / "gunicorn.log", "w") as server_log:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "-c", "python:okrplan.gunicorn_conf", "okrplan.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_http(f"{base}/healthz", 60)
            yield base, env
        finally:
            server.terminate()
            server.wait(timeout=30)


def locust(base: str, env: dict, classes: list[str], *, users: int, seconds: int, spawn: int | None = None,
           name: str) -> list[dict]:  # fmt: skip
    """Run bench/locustfile.py headless; the rows of its stats CSV."""
    bin_dir = Path(sys.executable).parent
    prefix = WORK / f"locust-{name}"
    say(f"{name}: locust {'+'.join(classes)}, {users} users for {seconds} s against {base}")
    subprocess.run(
        [str(bin_dir / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), *classes, "--headless",
         "-u", str(users), "-r", str(spawn or users), "-t", f"{seconds}s", "--host", base, "--csv", str(prefix),
         "--only-summary", "--stop-timeout", "5", "--loglevel", "WARNING"],
        cwd=ROOT, env=env, check=False, timeout=seconds + 180,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]


def _summary(row: dict) -> str:
    return (
        f"{row['Name']}: {float(row['Requests/s']):.1f} req/s, p50 {row['50%']} p95 {row['95%']} p99 {row['99%']} ms, "
        f"{row['Failure Count']} errors / {row['Request Count']}"
    )


def load_rows(scenario: str, stats: list[dict], floor_p95: float, goals: dict[str, float]) -> list[dict]:
    """Result rows: each request type's p95 against the floor's p95 (goals: name → allowed ratio)."""
    rows = []
    for row in stats:
        name, errors, p95 = row["Name"], int(row["Failure Count"]), float(row["95%"])
        allowed = goals.get(name)
        ratio = p95 / floor_p95 if floor_p95 else None
        rows.append(
            {
                "scenario": scenario,
                "case": _summary(row),
                "measured": p95,
                "floor": floor_p95,
                "ratio": ratio,
                "goal": "0 errors" + (f", p95 ≤ {allowed:g} × floor" if allowed else ""),
                "ok": errors == 0 and (allowed is None or (ratio is not None and ratio <= allowed)),
                "unit": "ms (p95)",
            }
        )
    return rows


def scenario_think(base: str, env: dict, cfg: dict, details: dict) -> list[dict]:
    """200 users who read for 5–15 s between requests: p95 < 300 ms, no errors."""
    users = 200
    seconds = max(45, cfg["load_seconds"] * 2)
    stats = locust(base, env, ["Reader"], users=users, seconds=seconds, spawn=50, name="think")
    details["think"] = stats
    results = []
    for row in stats:
        errors, p95 = int(row["Failure Count"]), float(row["95%"])
        results.append(
            {
                "scenario": f"{users} users, think 5–15 s",
                "case": _summary(row),
                "measured": p95,
                "floor": None,
                "ratio": None,
                "goal": "0 errors, p95 < 300 ms",
                "ok": errors == 0 and p95 < 300,
                "unit": "ms (p95)",
            }
        )
    return results


def scenario_poll(base: str, env: dict, cfg: dict, details: dict, floor_p95: float | None) -> list[dict]:
    """40 participants polling every 3 s while a facilitator edits; the tally comes from the locustfile."""
    tally = WORK / "poll-tally.json"
    tally.unlink(missing_ok=True)
    seconds = max(30, cfg["load_seconds"] * 2)
    stats = locust(
        base, {**env, "BENCH_POLL_TALLY": str(tally)}, ["Participant", "Facilitator"], users=41, seconds=seconds,
        name="poll",
    )  # fmt: skip
    counts = json.loads(tally.read_text()) if tally.exists() else {}
    details["poll"] = {"stats": stats, "tally": counts}
    results = []
    unchanged = counts.get("unchanged_ms", [])
    p95 = _p95(unchanged)
    answered = counts.get("not_modified", 0)
    wrong = counts.get("unchanged_but_200", 0)
    results.append(
        {
            "scenario": "poll: 40 participants / 3 s + facilitator",
            "case": f"unchanged polls: {answered} answered 304, {wrong} answered 200 with the same ETag; "
            f"{counts.get('changed', 0)} changed (200), {counts.get('edits', 0)} edits; p95 of the 304s",
            "measured": p95,
            "floor": floor_p95,
            "ratio": p95 / floor_p95 if p95 is not None and floor_p95 else None,
            "goal": "all unchanged → 304, p95 < 50 ms",
            "ok": wrong == 0 and answered > 0 and p95 is not None and p95 < 50,
            "unit": "ms (p95)",
        }
    )
    for row in stats:
        results.append(
            {
                "scenario": "poll: 40 participants / 3 s + facilitator",
                "case": _summary(row),
                "measured": float(row["95%"]),
                "floor": None,
                "ratio": None,
                "goal": "0 errors",
                "ok": int(row["Failure Count"]) == 0,
                "unit": "ms (p95)",
            }
        )
    return results


def _p95(values: list[float]) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=20)[18]


BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run"]  # fmt: skip

LCP_JS = """() => new Promise((resolve) => {
  let last = null;
  new PerformanceObserver((list) => { const e = list.getEntries(); last = e[e.length - 1]; })
    .observe({ type: "largest-contentful-paint", buffered: true });
  setTimeout(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const resources = performance.getEntriesByType("resource");
    resolve({
      lcp: last ? last.startTime : null,
      lcpElement: last && last.element ? last.element.tagName + "." + (last.element.className || "") : null,
      transferred: nav.transferSize + resources.reduce((sum, r) => sum + (r.transferSize || 0), 0),
      decoded: nav.decodedBodySize + resources.reduce((sum, r) => sum + (r.decodedBodySize || 0), 0),
      domContentLoaded: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
    });
  }, 500);
})"""


def scenario_browser(base: str, pages: dict[str, tuple[str, str]], details: dict, runs: int = 3) -> list[dict]:
    """LCP and transferred bytes of each page (name → (URL path, session cookie)), cold, median of ``runs``."""
    from playwright.sync_api import sync_playwright

    results = []
    measured: dict[str, list[dict]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        try:
            for name, (path, session) in pages.items():
                measured[name] = []
                for _ in range(runs):
                    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="de-DE")
                    context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
                    page = context.new_page()
                    response = page.goto(base + path, wait_until="load")
                    if response is None or response.status != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status if response else '-'}")
                    page.wait_for_load_state("networkidle")
                    measured[name].append(page.evaluate(LCP_JS))
                    context.close()
                say(f"browser {name}: " + ", ".join(f"LCP {m['lcp']:.0f} ms {m['transferred'] / 1024:.0f} KB"
                                                    for m in measured[name]))  # fmt: skip
        finally:
            browser.close()
    details["browser"] = measured
    for name, runs_ in measured.items():
        lcp = statistics.median(m["lcp"] for m in runs_ if m["lcp"] is not None)
        kb = statistics.median(m["transferred"] for m in runs_) / 1024
        decoded = statistics.median(m["decoded"] for m in runs_) / 1024
        results.append(
            {
                "scenario": "browser (Chromium, cold)",
                "case": f"{name}: LCP ({runs_[0]['lcpElement']}), {kb:,.0f} KB transferred ({decoded:,.0f} KB decoded)",
                "measured": lcp,
                "floor": None,
                "ratio": None,
                "goal": "LCP < 1,500 ms",
                "ok": lcp < 1500,
                "unit": "ms (LCP)",
            }
        )
    return results
