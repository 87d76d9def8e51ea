"""A hand-computed handover fixture (company calendar: Germany, Europe/Berlin, 9-17; rules: MQL answered within
24 working hours, SAL contacted within 48). Measured at AT = Wed 10 June 2026 12:00 Berlin.

MQL rule, May 2026 (cohort by MQL date):
- M1 MQL Fri 22 May 16:00, SAL Tue 26 May 10:30: 1 + 1.5 = 2.5 h (Whit Monday off)         -> met
- M2 MQL Mon 4 May 9:00, rejected Thu 7 May 10:00: 8 + 8 + 8 + 1 = 25 h                     -> breached
- M3 MQL Tue 12 May 12:00, SAL 15:00 the same day: 3 h                                      -> met
- M4 MQL Wed 27 May 9:00, no answer; due Fri 29 May 17:00; by AT: Jun 1-5 40 h, Jun 8-9 16 h,
  Jun 10 3 h = 59 h overdue                                                                 -> breached (open)
  => May: 2 met of 4 = 50 %; median answer time of M1, M2, M3 = 3 h.
- M5 MQL Tue 9 June 10:00, no answer: due Fri 12 June 10:00                                 -> pending (June)
SAL rule, May 2026:
- M1 SAL Tue 26 May 10:30, no contact: 48 h -> due Wed 3 June 10:30; by AT: 6.5 + 8 + 8 + 8 + 8 + 3 = 41.5 h
  overdue                                                                                   -> breached (open)
- M3 SAL Tue 12 May 15:00, first contact Wed 13 May 9:30: 2.5 h                             -> met
Lead volume (focus segments Stadtwerke, Industrie; 2 a month): May Stadtwerke 3 (M1-M3), Industrie 1 (M4) -> 50 %.
Feedback (rejections): M2 "Kein Budget"; R1 rejected 20 May "Kein Budget", recycled 22 May; R2 recycled 21 May
without a reason -> "Kein Budget" 2 of 3 leads.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories_crm import LeadFactory
from tests.factories_reporting import ReportingSettingsFactory

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


AT = berlin(2026, 6, 10, 12, 0)


def handover_leads(company) -> dict:
    ReportingSettingsFactory(company=company, focus_segments=["Stadtwerke", "Industrie"])
    lead = LeadFactory
    return {
        "M1": lead(company=company, external_id="M1", owner="Anna Vertrieb", segment="Stadtwerke",
                   created=berlin(2026, 5, 20, 9), mql_at=berlin(2026, 5, 22, 16), sal_at=berlin(2026, 5, 26, 10, 30)),
        "M2": lead(company=company, external_id="M2", owner="Ben Vertrieb", segment="Stadtwerke",
                   created=berlin(2026, 5, 1, 9), mql_at=berlin(2026, 5, 4, 9), rejected_at=berlin(2026, 5, 7, 10),
                   rejection_reason="Kein Budget"),
        "M3": lead(company=company, external_id="M3", owner="Anna Vertrieb", segment="Stadtwerke",
                   created=berlin(2026, 5, 11, 9), mql_at=berlin(2026, 5, 12, 12), sal_at=berlin(2026, 5, 12, 15),
                   first_contact_at=berlin(2026, 5, 13, 9, 30)),
        "M4": lead(company=company, external_id="M4", owner="Ben Vertrieb", segment="Industrie",
                   created=berlin(2026, 5, 26, 9), mql_at=berlin(2026, 5, 27, 9)),
        "M5": lead(company=company, external_id="M5", owner="Ben Vertrieb", segment="Industrie",
                   created=berlin(2026, 6, 8, 9), mql_at=berlin(2026, 6, 9, 10)),
        "R1": lead(company=company, external_id="R1", owner="Ben Vertrieb", segment="Netzbetreiber",
                   created=berlin(2026, 5, 18, 9), rejected_at=berlin(2026, 5, 20, 11),
                   rejection_reason="Kein Budget", recycled_at=berlin(2026, 5, 22, 9)),
        "R2": lead(company=company, external_id="R2", owner="Anna Vertrieb", segment="Netzbetreiber",
                   created=berlin(2026, 5, 18, 9), recycled_at=berlin(2026, 5, 21, 9)),
    }  # fmt: skip
