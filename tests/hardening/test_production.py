"""Production settings: `check --deploy` is clean, the Content Security Policy is sent everywhere, API docs are
CSP-safe and members-only."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from companies.permissions import Role

ROOT = Path(__file__).resolve().parents[2]

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _directives(header: str) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    # As a deployment would run it (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for this process only).
    # The product's settings, not the suite's (pytest sets DJANGO_SETTINGS_MODULE=tests.settings).
    skip = {"DEBUG", "SECRET_KEY", "REDIS_URL", "LOG_FORMAT", "DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="okr.example.com",
        DATABASE_URL=os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/8",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookies_and_headers(tmp_path):
    from tests.test_settings import _settings_in_subprocess

    result = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "okr.example.com"},
        "settings.SESSION_COOKIE_HTTPONLY, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "settings.SECURE_CONTENT_TYPE_NOSNIFF, settings.X_FRAME_OPTIONS, settings.CSRF_COOKIE_SECURE",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "DENY", "True"]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_csp_header_on_pages_api_and_admin(company, client_for, settings, debug):
    settings.DEBUG = debug
    client = client_for(company, Role.FACILITATOR)
    for url in ["/login/", f"/c/{company.slug}/", f"/api/v1/companies/{company.slug}/", "/admin/login/", "/nope/"]:
        response = client.get(url)
        assert response.status_code in {200, 302, 404}, url
        directives = _directives(response["Content-Security-Policy"])
        for name, value in EXPECTED_CSP.items():
            assert directives[name] == value, (url, name)
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]
        assert "'unsafe-inline'" not in directives["script-src"]


def _inline_scripts(html: str) -> list[str]:
    """<script> elements without src that the browser would execute (JSON data blocks are not executed)."""
    found = []
    for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
        if "src=" in attrs or re.search(r'type="application/(ld\+)?json"', attrs):
            continue
        found.append(body.strip()[:80])
    return found


@pytest.mark.django_db
def test_api_docs_load_their_init_script_from_a_url_not_inline(company, client_for):
    client = client_for(company)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert _inline_scripts(html) == []
    assert re.search(r'\son[a-z]+="', html) is None, "no inline event handlers"
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_api_schema_and_docs_require_sign_in(db):
    anonymous = Client()
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/login/?next=/api/docs/")
    assert anonymous.get("/api/schema/").status_code in {401, 403}
    assert anonymous.get("/api/docs/?script=").status_code == 302


@pytest.mark.django_db
def test_pages_have_no_inline_scripts(company, client_for):
    client = client_for(company, Role.FACILITATOR)
    for url in ["/login/", f"/c/{company.slug}/"]:
        html = client.get(url).content.decode()
        assert _inline_scripts(html) == [], url
        assert re.search(r'\son[a-z]+="', html) is None, url


def test_procfile_runs_web_worker_and_beat():
    from honcho.environ import parse_procfile

    processes = parse_procfile((ROOT / "Procfile").read_text()).processes
    assert set(processes) == {"web", "worker", "beat"}
    assert processes["web"].startswith("gunicorn -c python:okrplan.gunicorn_conf okrplan.wsgi:application")
    assert processes["worker"].startswith("celery -A okrplan worker")
    assert processes["beat"].startswith("celery -A okrplan beat")


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_make_serve_refuses_without_database_url_or_redis_url(missing, tmp_path):
    skip = {"DATABASE_URL", "REDIS_URL", "MAKEFLAGS", "MFLAGS", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(DATABASE_URL="postgres://x@127.0.0.1/x", REDIS_URL="redis://127.0.0.1:6379/8")
    del env[missing]
    if (ROOT / ".env").exists():
        pytest.skip("a local .env file configures the installation")
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert f"make serve: set {missing}" in result.stderr
    assert "migrate" not in result.stdout, "nothing runs before the check"
