"""The bench's Lighthouse scenario reads the figures it reports from Lighthouse 12's JSON report (pure functions)."""

from __future__ import annotations

from bench import lighthouse


def report(score: float, lcp: float, byte_weight: float) -> dict:
    """The parts of a Lighthouse 12 JSON report the bench reads, shaped as Lighthouse writes them."""
    return {
        "lighthouseVersion": "12.8.2",
        "environment": {"hostUserAgent": "HeadlessChrome/143"},
        "categories": {
            "performance": {
                "score": score,
                "auditRefs": [
                    {"id": "largest-contentful-paint"},
                    {"id": "render-blocking-resources"},
                    {"id": "bootup-time"},
                    {"id": "font-display"},
                ],
            }
        },
        "audits": {
            "largest-contentful-paint": {"numericValue": lcp, "score": 0.8, "scoreDisplayMode": "numeric"},
            "first-contentful-paint": {"numericValue": 400.0},
            "total-blocking-time": {"numericValue": 12.0},
            "cumulative-layout-shift": {"numericValue": 0.01},
            "total-byte-weight": {"numericValue": byte_weight},
            "largest-contentful-paint-element": {
                "details": {
                    "type": "list",
                    "items": [{"type": "table", "items": [{"node": {"nodeLabel": "Marketing-Beitrag zur Pipeline"}}]}],
                }
            },
            "render-blocking-resources": {
                "title": "Eliminate render-blocking resources",
                "details": {"type": "opportunity", "overallSavingsMs": 230, "overallSavingsBytes": 0},
            },
            "unused-javascript": {
                "title": "Reduce unused JavaScript",
                "details": {"type": "opportunity", "overallSavingsMs": 0, "overallSavingsBytes": 0},
            },
            "bootup-time": {
                "title": "Reduce JavaScript execution time",
                "score": 0.5,
                "scoreDisplayMode": "numeric",
                "displayValue": "1.2 s",
                "details": {"type": "table"},
            },
            "font-display": {"title": "Fonts", "score": 1, "scoreDisplayMode": "binary", "details": {"type": "table"}},
        },
    }


def test_a_report_gives_score_lcp_bytes_and_what_to_act_on():
    found = lighthouse.summary(report(0.87, 1234.5, 400_000))
    assert found["score"] == 87 and found["lcp_ms"] == 1234.5 and found["bytes"] == 400_000
    assert found["lcp_element"] == "Marketing-Beitrag zur Pipeline"
    # only opportunities with a saving, and failing diagnostics of the performance category
    assert [o["id"] for o in found["opportunities"]] == ["render-blocking-resources"]
    assert [d["id"] for d in found["diagnostics"]] == ["largest-contentful-paint", "bootup-time"]


def test_the_row_is_the_median_run_and_meets_the_goal_only_with_both_figures():
    runs = [lighthouse.summary(report(s, lcp, 300_000)) for s, lcp in [(0.95, 900), (0.99, 700), (0.91, 1600)]]
    row = lighthouse.row("board", runs)
    assert row["measured"] == 95 and row["lcp_ms"] == 900 and row["ok"]
    assert "performance 95 (runs [95, 99, 91])" in row["case"] and "293 KB" in row["case"]
    slow = lighthouse.row("cascade", [lighthouse.summary(report(0.93, 1600, 300_000))])
    assert slow["measured"] == 93 and not slow["ok"]  # score met, LCP not
