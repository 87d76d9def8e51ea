"""``make bench`` scenario ``lighthouse``: Lighthouse 12 (npm devDependency, ``node_modules/.bin/lighthouse``) with
Debian's Chromium (``CHROME_PATH=/usr/bin/chromium``, headless) against the bench's gunicorn, signed in by the
session cookie (``--extra-headers``).

Desktop preset (the workshop and board pages are used on laptops and projectors): Lighthouse's simulated
throttling of a desktop (40 ms round trip, 10 Mbit/s, no CPU slowdown), a cold profile each run. Each page runs
``BENCH_LIGHTHOUSE_RUNS`` times (3); the run with the median performance score is reported: score, largest
contentful paint, bytes transferred, total blocking time, and Lighthouse's opportunities and failing diagnostics
(the profile to act on when a page misses the goal: performance ≥ 90, LCP < 1.5 s).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "bench"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
GOAL_SCORE = 90
GOAL_LCP_MS = 1500


def run(url: str, session: str, out: Path) -> dict:
    """One Lighthouse run of ``url`` signed in with the session cookie; the JSON report."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--output=json",
        f"--output-path={out}",
        "--only-categories=performance",
        "--preset=desktop",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--extra-headers={json.dumps({'Cookie': f'sessionid={session}'})}",
        "--quiet",
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    # On a busy machine Lighthouse now and then loses the trace (NO_NAVSTART, "please run Lighthouse again"): once more.
    for _attempt in (1, 2):
        out.unlink(missing_ok=True)
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        if done.returncode == 0 and out.exists():
            return json.loads(out.read_text(encoding="utf-8"))
    raise RuntimeError(f"lighthouse {url}: exit {done.returncode} (twice)\n{done.stderr[-2000:]}")


def summary(report: dict) -> dict:
    """What the bench reports of one Lighthouse JSON report (pure: tests/bench/test_lighthouse.py)."""
    audits = report["audits"]
    score = report["categories"]["performance"]["score"]

    def value(audit: str) -> float | None:
        return audits.get(audit, {}).get("numericValue")

    element = ""
    details = audits.get("largest-contentful-paint-element", {}).get("details") or {}
    for item in details.get("items", []):
        for row in item.get("items", [item]):
            node = row.get("node") if isinstance(row, dict) else None
            if node:
                element = node.get("nodeLabel") or node.get("snippet") or ""
                break
        if element:
            break
    opportunities = []
    diagnostics = []
    performance_audits = {ref["id"] for ref in report["categories"]["performance"].get("auditRefs", [])}
    for audit_id, audit in audits.items():
        kind = (audit.get("details") or {}).get("type")
        if kind == "opportunity":
            saving_ms = (audit.get("details") or {}).get("overallSavingsMs") or 0
            saving_bytes = (audit.get("details") or {}).get("overallSavingsBytes") or 0
            if saving_ms > 0 or saving_bytes > 0:
                opportunities.append(
                    {"id": audit_id, "title": audit.get("title"), "ms": round(saving_ms), "bytes": round(saving_bytes)}
                )
        elif (
            audit_id in performance_audits
            and audit.get("score") is not None
            and audit.get("score") < 0.9
            and audit.get("scoreDisplayMode") in ("numeric", "binary", "metricSavings")
        ):
            diagnostics.append({"id": audit_id, "title": audit.get("title"), "value": audit.get("displayValue")})
    opportunities.sort(key=lambda entry: (-entry["ms"], -entry["bytes"]))
    return {
        "score": round(score * 100) if score is not None else None,
        "lcp_ms": value("largest-contentful-paint"),
        "fcp_ms": value("first-contentful-paint"),
        "tbt_ms": value("total-blocking-time"),
        "cls": value("cumulative-layout-shift"),
        "bytes": value("total-byte-weight"),
        "lcp_element": element,
        "opportunities": opportunities,
        "diagnostics": diagnostics,
        "lighthouse": report.get("lighthouseVersion"),
        "user_agent": (report.get("environment") or {}).get("hostUserAgent"),
    }


def row(name: str, runs: list[dict]) -> dict:
    """The result row of a page: the run with the median score (pure)."""
    ordered = sorted(runs, key=lambda entry: entry["score"] if entry["score"] is not None else -1)
    chosen = ordered[(len(ordered) - 1) // 2]
    scores = [entry["score"] for entry in runs]
    lcp = chosen["lcp_ms"]
    kb = (chosen["bytes"] or 0) / 1024
    return {
        "scenario": "lighthouse 12 (desktop)",
        "case": (
            f"{name}: performance {chosen['score']} (runs {scores}), LCP {lcp:,.0f} ms ({chosen['lcp_element'][:40]}), "
            f"{kb:,.0f} KB transferred, TBT {chosen['tbt_ms']:,.0f} ms"
        ),
        "measured": chosen["score"],
        "floor": None,
        "ratio": None,
        "goal": f"performance ≥ {GOAL_SCORE}, LCP < {GOAL_LCP_MS:,} ms",
        "ok": chosen["score"] is not None and chosen["score"] >= GOAL_SCORE and lcp is not None and lcp < GOAL_LCP_MS,
        "unit": "score",
        "lcp_ms": lcp,
        "bytes": chosen["bytes"],
    }


def scenario_lighthouse(base: str, pages: dict[str, tuple[str, str]], details: dict, say) -> list[dict]:
    """Every page (name → (URL path, session cookie)) ``BENCH_LIGHTHOUSE_RUNS`` times; one result row each."""
    if not LIGHTHOUSE.exists():
        raise RuntimeError("node_modules/.bin/lighthouse is missing: run `make vendor` (npm ci)")
    runs = int(os.environ.get("BENCH_LIGHTHOUSE_RUNS", "3"))
    WORK.mkdir(parents=True, exist_ok=True)
    results, measured = [], {}
    for name, (path, session) in pages.items():
        measured[name] = []
        for number in range(runs):
            out = WORK / f"lighthouse-{name.split()[0]}-{number + 1}.json"
            out.unlink(missing_ok=True)
            measured[name].append(summary(run(base + path, session, out)))
            last = measured[name][-1]
            say(
                f"lighthouse {name} run {number + 1}: performance {last['score']}, LCP {last['lcp_ms']:,.0f} ms, "
                f"{(last['bytes'] or 0) / 1024:,.0f} KB, TBT {last['tbt_ms']:,.0f} ms"
            )
        chosen = row(name, measured[name])
        results.append(chosen)
        median = statistics.median(entry["score"] for entry in measured[name] if entry["score"] is not None)
        say(f"lighthouse {name}: median performance {median:g}")
        for entry in measured[name][0]["opportunities"][:5]:
            say(f"  opportunity: {entry['title']} ({entry['ms']} ms, {entry['bytes'] / 1024:,.0f} KB)")
        for entry in measured[name][0]["diagnostics"][:5]:
            say(f"  diagnostic: {entry['title']} ({entry['value']})")
    details["lighthouse"] = measured
    return results
