import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings_in_subprocess(env: dict[str, str], expr: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "okrplan.settings"
    code = f"import django; django.setup(); from django.conf import settings; print({expr})"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60)


def test_secret_key_is_required_when_debug_is_off():
    result = _settings_in_subprocess({"DEBUG": "false"}, "settings.SECRET_KEY")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_production_settings_are_hardened():
    result = _settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "okr.example.com"},
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS, "
        "settings.ALLOWED_HOSTS",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True 31536000 ['okr.example.com']"


def test_database_url_and_redis_url_are_read_from_the_environment():
    result = _settings_in_subprocess(
        {
            "DEBUG": "true",
            "DATABASE_URL": "postgres://okr:secret@db.internal:5433/okrplan",
            "REDIS_URL": "redis://cache.internal:6379/3",
        },
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['HOST'], "
        "settings.CELERY_BROKER_URL, settings.CELERY_TASK_ALWAYS_EAGER",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.internal",
        "redis://cache.internal:6379/3",
        "False",
    ]


def test_without_database_url_and_redis_url_sqlite_and_in_process_tasks():
    result = _settings_in_subprocess(
        {"DEBUG": "true"},
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'].endswith("
        "'var/okrplan.sqlite3'), settings.CELERY_TASK_ALWAYS_EAGER",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]


def test_code_only_commands_need_no_secret_key_but_serving_does():
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    clean["DEBUG"] = "false"
    clean["DJANGO_SETTINGS_MODULE"] = "okrplan.settings"  # the product's, not the suite's (tests/settings.py)
    manage = [sys.executable, "manage.py"]
    check = subprocess.run(
        [*manage, "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    assert "No changes detected" in check.stdout
    serve = subprocess.run([*manage, "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)
    assert serve.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in serve.stderr


def test_product_settings_do_not_change_under_a_test_runner():
    """okrplan/settings.py knows nothing about tests: with pytest imported, DEBUG off still means secure cookies,
    an SSL redirect, a required SECRET_KEY and strong password hashing (tests/settings.py relaxes what tests need)."""
    code = (
        "import pytest, django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.PASSWORD_HASHERS[0])"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"}}
    env = {**clean, "DJANGO_SETTINGS_MODULE": "okrplan.settings", "DEBUG": "false", "SECRET_KEY": "x" * 60}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    no_key = {**env, "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=no_key, capture_output=True, text=True, timeout=60
    )
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_single_sign_on_is_off_unless_configured_and_its_provider_may_receive_the_sign_in_form():
    result = _settings_in_subprocess(
        {"DEBUG": "true"}, "settings.OIDC_ISSUER == '', settings.CONTENT_SECURITY_POLICY['form-action']"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True [\"'self'\"]"
    result = _settings_in_subprocess(
        {
            "DEBUG": "true",
            "OIDC_ISSUER": "https://login.voltaria.example/realms/staff/",
            "OIDC_CLIENT_ID": "okrplan",
            "OIDC_CLIENT_SECRET": "s3cret",
        },
        "settings.OIDC_ISSUER, settings.OIDC_RP_CLIENT_ID, settings.CONTENT_SECURITY_POLICY['form-action']",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "https://login.voltaria.example/realms/staff okrplan [\"'self'\", 'https://login.voltaria.example']"
    )
