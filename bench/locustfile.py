"""Locust scenarios of ``make bench`` (run only through the locust CLI by bench/run.py, never imported by pytest).

Environment: BENCH_SLUG, BENCH_CYCLE, BENCH_SESSION (session cookie value), BENCH_TOKEN (API token),
BENCH_EDITOR_TOKEN (a facilitator's API token), BENCH_OBJECTIVE (the objective the facilitator renames),
BENCH_POLL_TALLY (where the poll scenario writes its tally). The session cookie is sent as a header because
production settings mark it Secure and the bench talks plain HTTP to 127.0.0.1. Requests ask for gzip as browsers do.

``Executive`` is the measured mix without think time; ``Floor`` sends the cheapest request through the same gunicorn,
Django and database (``/healthz``: one query) with the same number of users, so the run shows what this machine can
serve at all — locust shares its cores with the server. ``Reader`` is the mix with 5–15 s of reading between
requests (their first request spread over one pause). ``Participant`` polls like an open cascade and priority page
(static/js/okr/poller.js: If-None-Match, every 3 s) while one ``Facilitator`` renames an objective every 2 s.
"""

import json
import os
import random
import time

import gevent
from locust import HttpUser, between, constant, events, task

SLUG = os.environ["BENCH_SLUG"]
CYCLE = os.environ["BENCH_CYCLE"]
PAGE_HEADERS = {"Accept-Language": "de", "Accept-Encoding": "gzip, deflate"}


def _page_headers():
    return {**PAGE_HEADERS, "Cookie": f"sessionid={os.environ['BENCH_SESSION']}"}


class Executive(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.page_headers = _page_headers()
        self.api_headers = {
            "Authorization": f"Token {os.environ['BENCH_TOKEN']}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
        }

    @task(2)
    def board(self):
        self.client.get(f"/c/{SLUG}/board/", headers=self.page_headers, name="board page")

    @task(1)
    def cascade(self):
        self.client.get(f"/c/{SLUG}/cascade/?cycle={CYCLE}", headers=self.page_headers, name="cascade page")

    @task(1)
    def kpis(self):
        self.client.get(f"/api/v1/companies/{SLUG}/kpis/", headers=self.api_headers, name="api kpis")


class Reader(Executive):
    """Reads for 5–15 s between pages. People do not all open their first page in the same second: each reader's
    first request comes at a random moment within one mean pause (0–10 s), so the run measures 200 readers at
    their steady rate (~20 requests/s) rather than locust spawning all of them at 50 a second with a request each."""

    wait_time = between(5, 15)

    def on_start(self):
        super().on_start()
        gevent.sleep(random.uniform(0, 10))


class Floor(HttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/healthz", name="floor /healthz")


TALLY = {"not_modified": 0, "unchanged_but_200": 0, "changed": 0, "edits": 0, "unchanged_ms": []}


class Participant(HttpUser):
    """One open cascade page and one open priority matrix: conditional GETs every 3 s."""

    wait_time = constant(3)

    def on_start(self):
        self.headers = _page_headers()
        self.etags = {}
        # Browsers opened the page at different moments: their 3-s poll timers are not in step.
        gevent.sleep(random.uniform(0, 3))

    def _poll(self, url, name, on_change=None):
        headers = dict(self.headers)
        sent = self.etags.get(url)
        if sent:
            headers["If-None-Match"] = sent
        started = time.perf_counter()
        with self.client.get(url, headers=headers, name=name, catch_response=True) as response:
            elapsed = (time.perf_counter() - started) * 1000
            etag = response.headers.get("ETag")
            if response.status_code == 304:
                TALLY["not_modified"] += 1
                TALLY["unchanged_ms"].append(elapsed)
                response.success()
            elif response.status_code == 200:
                if sent and etag and etag.removeprefix("W/") == sent.removeprefix("W/"):
                    TALLY["unchanged_but_200"] += 1
                    response.failure("unchanged, answered 200")
                else:
                    if sent:
                        TALLY["changed"] += 1
                    self.etags[url] = etag
                    response.success()
                    if on_change and sent:
                        on_change()
            else:
                response.failure(f"HTTP {response.status_code}")

    def _tree(self):
        self.client.get(
            f"/c/{SLUG}/cascade/?cycle={CYCLE}&partial=tree", headers=self.headers, name="poll: tree after a change"
        )

    @task
    def poll(self):
        self._poll(f"/api/v1/companies/{SLUG}/cascade/signature/?cycle={CYCLE}", "poll: cascade signature", self._tree)
        self._poll(f"/c/{SLUG}/priorities/live/", "poll: priority matrix")


class Facilitator(HttpUser):
    """Renames an objective of the cycle every 2 s through the API (the builder's save queue)."""

    wait_time = constant(2)
    fixed_count = 1

    def on_start(self):
        self.headers = {
            "Authorization": f"Token {os.environ['BENCH_EDITOR_TOKEN']}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        }
        self.url = f"/api/v1/companies/{SLUG}/objectives/{os.environ['BENCH_OBJECTIVE']}/"
        self.n = 0

    @task
    def rename(self):
        current = self.client.get(self.url, headers=self.headers, name="edit: read objective").json()
        self.n += 1
        body = {"title": f"Workshop-Ziel {self.n}", "version": current["version"]}
        response = self.client.patch(self.url, data=json.dumps(body), headers=self.headers, name="edit: rename")
        if response.status_code == 200:
            TALLY["edits"] += 1


@events.test_stop.add_listener
def _write_tally(**_kwargs):
    path = os.environ.get("BENCH_POLL_TALLY")
    if path:
        with open(path, "w") as handle:
            json.dump(TALLY, handle)
