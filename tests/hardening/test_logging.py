"""Structured logs: one JSON object per line with time, level, logger, message, request id and exception."""

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.logging import JsonFormatter, RequestIdFilter, logging_config
from tests.test_settings import _settings_in_subprocess

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_log():
    """Collects what the root logger writes through okrplan's JSON handler during the test, as parsed lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []

    def read() -> list[dict]:
        lines[:] = [json.loads(line) for line in stream.getvalue().splitlines()]
        return lines

    yield read
    root.removeHandler(handler)


@pytest.mark.django_db
def test_every_response_has_a_request_id_and_a_valid_incoming_one_is_kept(company, client_for):
    client = client_for(company)
    generated = client.get(f"/c/{company.slug}/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get(f"/c/{company.slug}/")["X-Request-ID"] != generated
    assert client.get("/login/", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")["X-Request-ID"] == "lb-7f3a9c21-0001"
    forged = client.get("/login/", HTTP_X_REQUEST_ID='x"\n{"level": "ERROR"}')["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged), "a malformed id is replaced, never echoed into logs"


@pytest.mark.django_db
def test_log_lines_of_a_request_are_json_with_its_request_id(company, client_for, json_log):
    client = client_for(company)
    response = client.get("/c/no-such-company/", HTTP_X_REQUEST_ID="req-404-abcdef")
    assert response.status_code == 404
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert len(lines) == 1
    line = lines[0]
    assert line["level"] == "WARNING"
    assert line["message"] == "Not Found: /c/no-such-company/"
    assert line["request_id"] == "req-404-abcdef"
    assert line["status_code"] == 404
    assert line["path"] == "/c/no-such-company/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_exceptions_are_one_json_line_with_the_traceback(json_log):
    logger = logging.getLogger("okrplan.test")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("refresh failed for %s", "acme")
    (line,) = [entry for entry in json_log() if entry["logger"] == "okrplan.test"]
    assert line["level"] == "ERROR"
    assert line["message"] == "refresh failed for acme"
    assert line["request_id"] is None
    assert "Traceback" in line["exception"] and "ValueError: boom" in line["exception"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DEBUG": "false", "SECRET_KEY": "x" * 60}, "json core.logging.JsonFormatter"),
        ({"DEBUG": "true"}, "text None"),
        ({"DEBUG": "true", "LOG_FORMAT": "json"}, "json core.logging.JsonFormatter"),
        ({"DEBUG": "false", "SECRET_KEY": "x" * 60, "LOG_FORMAT": "text"}, "text None"),
    ],
)
def test_log_format_is_json_unless_debug_or_overridden(env, expected):
    result = _settings_in_subprocess(
        {"LOG_FORMAT": "", **env}, "settings.LOG_FORMAT, settings.LOGGING['formatters']['default'].get('()')"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_text_format_carries_the_request_id_too():
    config = logging_config("text")
    assert "%(request_id)s" in config["formatters"]["default"]["format"]
    assert config["handlers"]["console"]["filters"] == ["request_id"]


def test_gunicorn_writes_json_access_lines_with_the_request_id(tmp_path):
    """The `make serve` / docker-compose web process: gunicorn's own and its access lines are JSON too."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "LOG_FORMAT", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="s" * 60,
        ALLOWED_HOSTS="okr.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND="127.0.0.1:0",
        WEB_CONCURRENCY="1",
    )
    gunicorn = Path(sys.executable).parent / "gunicorn"
    stderr_path = tmp_path / "gunicorn.log"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(gunicorn), "-c", "python:okrplan.gunicorn_conf", "okrplan.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 30
        address = None
        while address is None and time.monotonic() < deadline:
            match = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", stderr_path.read_text())
            address = match.group(1) if match else None
            time.sleep(0.1)
        assert address, stderr_path.read_text()
        request = urllib.request.Request(f"{address}/healthz", headers={"X-Request-ID": "probe-000000001"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            assert json.loads(response.read())["status"] == "ok"
        access = None
        while access is None and time.monotonic() < deadline:
            lines = [json.loads(line) for line in stderr_path.read_text().splitlines() if line.strip()]
            access = next((line for line in lines if line["logger"] == "gunicorn.access"), None)
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert access is not None, stderr_path.read_text()
    assert access["method"] == "GET"
    assert access["path"] == "/healthz"
    assert access["status"] == 200
    assert access["request_id"] == "probe-000000001"
    assert isinstance(access["duration_ms"], int)
    assert any(line["logger"] == "gunicorn.error" and "Booting worker" in line["message"] for line in lines)
