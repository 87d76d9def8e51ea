"""Credentials at rest: a JSON object encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`).

Keys come from ``settings.CRM_CREDENTIALS_KEYS`` (env ``CRM_CREDENTIALS_KEYS``, comma-separated Fernet keys): the
first encrypts, every one decrypts (MultiFernet), so a key is rotated by putting a new one first and running
``manage.py crm_credentials_rotate``; the old key can be dropped afterwards. Without the setting one key is derived
from ``SECRET_KEY`` (HKDF-SHA256), so changing SECRET_KEY then means connecting the CRMs again.
"""

from __future__ import annotations

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import AuthExpired

UNREADABLE = _("The stored credentials cannot be read with the configured keys: connect again.")


def _derived_key() -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"okrplan-crm-credentials", info=b"fernet")
    return base64.urlsafe_b64encode(kdf.derive(settings.SECRET_KEY.encode()))


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.CRM_CREDENTIALS_KEYS if key.strip()] or [_derived_key()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(values: dict) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def decrypt(token: str) -> dict:
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise AuthExpired(UNREADABLE) from exc


def rotate(token: str) -> str:
    """The same credentials encrypted with the first (newest) key."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise AuthExpired(UNREADABLE) from exc
