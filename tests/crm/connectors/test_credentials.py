import pytest
from cryptography.fernet import Fernet

from crm.connectors import ConnectorError, credentials

SECRET = {"token": "pat-eu1-abcdef"}


def test_round_trip_and_the_secret_is_not_in_the_stored_text(settings):
    settings.CRM_CREDENTIALS_KEYS = []
    stored = credentials.encrypt(SECRET)
    assert "pat-eu1" not in stored
    assert credentials.decrypt(stored) == SECRET


def test_rotation_new_key_first_old_key_still_reads(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CRM_CREDENTIALS_KEYS = [old]
    stored = credentials.encrypt(SECRET)
    settings.CRM_CREDENTIALS_KEYS = [new, old]
    assert credentials.decrypt(stored) == SECRET
    rotated = credentials.rotate(stored)
    settings.CRM_CREDENTIALS_KEYS = [new]
    assert credentials.decrypt(rotated) == SECRET
    with pytest.raises(ConnectorError, match="connect again"):
        credentials.decrypt(stored)


def test_derived_key_follows_secret_key(settings):
    settings.CRM_CREDENTIALS_KEYS = []
    stored = credentials.encrypt(SECRET)
    settings.SECRET_KEY = "another-secret-key-for-this-test-0123456789"
    with pytest.raises(ConnectorError):
        credentials.decrypt(stored)
