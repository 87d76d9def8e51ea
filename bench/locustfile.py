"""Locust scenarios of ``make bench`` (run only through the locust CLI by bench/run.py, never imported by pytest).

Environment: BENCH_SLUG, BENCH_CYCLE, BENCH_SESSION (session cookie value), BENCH_TOKEN (API token). The session
cookie is sent as a header because production settings mark it Secure and the bench talks plain HTTP to 127.0.0.1.

``Executive`` is the measured mix; ``Floor`` sends the cheapest request through the same gunicorn, Django and
database (``/healthz``: one query) with the same number of users, so the run shows what this machine can serve at
all — locust shares its cores with the server.
"""

import os

from locust import HttpUser, constant, task

SLUG = os.environ["BENCH_SLUG"]
CYCLE = os.environ["BENCH_CYCLE"]


class Executive(HttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.page_headers = {"Cookie": f"sessionid={os.environ['BENCH_SESSION']}", "Accept-Language": "de"}
        self.api_headers = {"Authorization": f"Token {os.environ['BENCH_TOKEN']}", "Accept": "application/json"}

    @task(2)
    def board(self):
        self.client.get(f"/c/{SLUG}/board/", headers=self.page_headers, name="board page")

    @task(1)
    def cascade(self):
        self.client.get(f"/c/{SLUG}/cascade/?cycle={CYCLE}", headers=self.page_headers, name="cascade page")

    @task(1)
    def kpis(self):
        self.client.get(f"/api/v1/companies/{SLUG}/kpis/", headers=self.api_headers, name="api kpis")


class Floor(HttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/healthz", name="floor /healthz")
