"""Fixtures of the CRM tests: uploads go to the test's own folder; a CMO of the company."""

from __future__ import annotations

import pytest

from companies.permissions import Role


@pytest.fixture(autouse=True)
def _upload_root(settings, tmp_path):
    settings.CRM_IMPORT_ROOT = tmp_path / "uploads"


@pytest.fixture
def cmo(company, make_member):
    return make_member(company, Role.CMO)
