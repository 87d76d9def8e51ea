"""Finding 9 of issue 12: every download's file name is built one way (core.safety.attachment_header), so a
cycle name cannot smuggle a second ``filename*`` parameter into Content-Disposition, and CR/LF cannot break the
header (a 500 before)."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from companies.permissions import Role
from core.safety import attachment_header
from tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db

EVIL = "x\";filename*=UTF-8''evil.html;x=\""
CRLF = "Plan\r\nSet-Cookie: a=b"


def saved_as(header: str) -> str:
    """The name a browser saves the file as (filename* wins over filename, RFC 6266), parsed strictly: exactly
    one ``filename`` and at most one ``filename*`` parameter after ``attachment``."""
    match = re.fullmatch(r'attachment; filename="([^"\\]*)"(?:; filename\*=UTF-8\'\'([A-Za-z0-9%._~-]+))?', header)
    assert match, header
    return unquote(match[2]) if match[2] else match[1]


@pytest.mark.parametrize("name", [EVIL, CRLF, "Q1 2026", "Geschäftsjahr 2026/27", "../../etc/passwd", ""])
def test_attachment_header_keeps_one_name_with_its_extension(name):
    header = attachment_header(f"budget-acme-{name}.csv")
    assert "\r" not in header and "\n" not in header
    assert header.count("filename=") == 1 and header.count("filename*=") <= 1
    assert saved_as(header).endswith(".csv")
    assert "/" not in saved_as(header) and '"' not in saved_as(header)


def test_attachment_header_keeps_plain_names_and_umlauts():
    assert attachment_header("cascade-fy-2026.xlsx") == 'attachment; filename="cascade-fy-2026.xlsx"'
    header = attachment_header("Geschäftsjahr 2026.csv")
    assert 'filename="Geschaftsjahr-2026.csv"' in header
    assert saved_as(header) == "Geschäftsjahr 2026.csv"


@pytest.fixture
def hostile_cycles(company):
    cycles = {}
    for label, name in (("evil", EVIL), ("crlf", CRLF)):
        cycle = CycleFactory(company=company, name=name)
        KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))
        cycles[label] = cycle
    return cycles


@pytest.mark.parametrize("label", ["evil", "crlf"])
def test_every_export_names_its_file_safely(company, client_for, api_client_for, hostile_cycles, label):
    cycle = hostile_cycles[label]
    client = client_for(company, Role.FACILITATOR)
    api = api_client_for(company, Role.FACILITATOR)
    responses = {
        "budgets csv": client.get(f"/c/acme/budgets/export/?cycle={cycle.pk}"),
        "budgets xlsx": client.get(f"/c/acme/budgets/export/?cycle={cycle.pk}&format=xlsx"),
        "cascade page xlsx": client.get(f"/c/acme/cascade/export.xlsx?cycle={cycle.pk}"),
        "cascade page csv": client.get(f"/c/acme/cascade/export.csv?cycle={cycle.pk}"),
        "cascade api xlsx": api.get(f"/api/v1/companies/acme/cascade/export.xlsx?cycle={cycle.pk}"),
        "cascade api csv": api.get(f"/api/v1/companies/acme/cascade/export.csv?cycle={cycle.pk}"),
        "board csv": client.get("/c/acme/board/export.csv"),
        "board xlsx": client.get("/c/acme/board/export.xlsx"),
    }
    for what, response in responses.items():
        assert response.status_code == 200, what
        header = response["Content-Disposition"]
        extension = "." + what.rsplit(" ", 1)[-1]
        assert header.startswith('attachment; filename="'), what
        assert saved_as(header).endswith(extension), (what, header)
        assert not saved_as(header).endswith(".html"), what
