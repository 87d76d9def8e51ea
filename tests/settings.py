"""Settings of the test suite: the product's settings (okrplan/settings.py, which knows nothing about tests) plus
what only a test run needs. pytest uses this module (pyproject.toml: DJANGO_SETTINGS_MODULE)."""

import os
import time

# A test run signs nothing real: a fixed key unless the environment brings one (okrplan.settings requires one
# whenever DEBUG is off).
os.environ.setdefault("SECRET_KEY", "django-insecure-okrplan-tests-only")
# Each run keeps its own cache keys on a shared Redis (rate-limit counters of an earlier run on the same machine
# would otherwise refuse this run's requests); set in the environment so the workers the tests start share it.
os.environ.setdefault("CACHE_KEY_PREFIX", f"okrplan-test-{os.getpid()}-{time.time_ns()}")

from okrplan.settings import *  # noqa: F403
from okrplan.settings import DEBUG, STORAGES

# The live server of the browser tests and Django's test client.
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

# Hashing is the slowest part of creating hundreds of users; its strength is not under test.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Test runs share the machine's Redis (CI, parallel runs): each run counts its own failed sign-ins.
LOGIN_RATE_LIMIT_KEY_PREFIX = f"login-failures-test-{os.getpid()}-{time.time_ns()}"

# Static files straight from the source folders (no collectstatic before a test run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

if not DEBUG:
    # The test client and the live server speak plain HTTP; the rest of the production hardening stays on.
    SECURE_SSL_REDIRECT = False
    SESSION_COOKIE_SECURE = False
    CSRF_COOKIE_SECURE = False
    LANGUAGE_COOKIE_SECURE = False
