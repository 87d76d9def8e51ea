import pytest

from crm.connectors import retry

from .farend import Server


@pytest.fixture
def farend(tmp_path, settings):
    """The local far end of both CRMs (HTTPS, its own CA), with the connectors pointed at it."""
    with Server(tmp_path) as far:
        settings.CRM_CONNECTOR_CA_BUNDLE = far.ca_path
        settings.HUBSPOT_API_URL = far.url
        settings.CRM_SYNC_ATTEMPTS = 4
        settings.CRM_SYNC_MAX_WAIT = 5
        yield far


@pytest.fixture
def waits(monkeypatch):
    """The pauses the retry policy takes; backoff pauses are recorded, not slept (a Retry-After is slept for real,
    so the far end can check it was honoured)."""
    taken: list[float] = []
    real_sleep = retry.time.sleep

    def sleep(seconds):
        taken.append(seconds)
        if seconds <= 2 and float(seconds).is_integer():
            real_sleep(seconds)

    monkeypatch.setattr(retry, "sleep", sleep)
    return taken
