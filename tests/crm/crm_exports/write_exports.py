"""Writes the CRM export fixtures of tests/crm/test_crm_exports.py the way each tool writes its files
(encoding, BOM, delimiter, line ends, quoting, date and number forms). Run it from this folder to rewrite them:
``../../../.venv/bin/python write_exports.py``. The files are committed; the tests read the files, not this script.
"""

import csv
import datetime as dt
import io

from openpyxl import Workbook


def write(name, rows, *, encoding="utf-8", bom=False, newline="\r\n", quoting=csv.QUOTE_MINIMAL, tail=""):
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=quoting, lineterminator=newline)
    for row in rows:
        writer.writerow(row)
    data = (buffer.getvalue() + tail).encode(encoding)
    with open(name, "wb") as out:
        out.write((b"\xef\xbb\xbf" if bom else b"") + data)


# 1. HubSpot contacts export, German UI: UTF-8 with BOM, comma, CRLF, quoted where needed, German labels and dates.
write("hubspot_contacts_de.csv", [
    ["Datensatz-ID", "Vorname", "Nachname", "E-Mail", "Erstellungsdatum", "Lebenszyklusphase",
     "Ursprüngliche Traffic-Quelle", "Ursprüngliche Traffic-Quelle Drill-Down 1", "Branche",
     "Datum der Konversion zum Marketing-qualifizierten Lead"],
    ["51", "Jörg", "Größmann", "j.groessmann@stadtwerke-nord.de", "12.01.2026 09:14", "Marketing-qualifizierter Lead",
     "Organische Suche", "google", "Stadtwerke", "14.01.2026 10:00"],
    ["52", "Anna", "Weiß", "anna.weiss@example.de", "13.01.2026 16:40", "Lead", "Bezahlte soziale Netzwerke",
     "LinkedIn Kampagne „Wärmewende“", "Industrie", ""],
    ["53", "Eva", "Müller, Dr.", "eva@example.de", "02.02.2026 08:05", "Kunde", "Offline Sources", "IMPORT",
     "Wohnungswirtschaft", "03.02.2026 11:30"],
], bom=True)  # fmt: skip

# 2. HubSpot contacts export with the labels before the 2023 rename ("Original Source"), English, UTF-8, LF.
write("hubspot_contacts_old_labels.csv", [
    ["Contact ID", "First Name", "Last Name", "Create Date", "Lifecycle Stage", "Original Source",
     "Original Source Drill-Down 1", "Original Source Drill-Down 2", "Industry"],
    ["701", "Mark", "Baker", "2025-11-03 10:22", "lead", "Organic Search", "google", "", "Utilities"],
    ["702", "Lisa", "Stone", "2025-11-04 08:00", "marketingqualifiedlead", "Paid Search", "Brand campaign",
     "heat pumps", "Manufacturing"],
    ["703", "Tom", "Reed", "2025-11-05 17:45", "opportunity", "Direct Traffic", "", "", ""],
], newline="\n")  # fmt: skip

# 3. A HubSpot export opened and saved by US Excel ("CSV (Comma delimited)"): Windows-1252, no BOM, CRLF, dates
#    rewritten as m/d/yyyy h:mm. One date (1/13) shows the order.
write("hubspot_contacts_us_excel.csv", [
    ["Record ID", "First Name", "Create Date", "Lifecycle Stage", "Original Traffic Source",
     "Original Traffic Source Drill-Down 1", "Became a Marketing Qualified Lead Date", "Industry"],
    ["9001", "Jörg", "1/12/2026 9:14", "marketingqualifiedlead", "ORGANIC_SEARCH", "google", "1/13/2026 8:00",
     "Utilities"],
    ["9002", "Zoë", "2/3/2026 14:05", "lead", "PAID_SOCIAL", "LinkedIn", "", "Energy"],
    ["9003", "Sam", "3/1/2026 0:00", "lead", "OFFLINE", "CRM_UI", "", ""],
], encoding="cp1252")  # fmt: skip

# 3b. The same re-save where no date tells the order (every part 12 or less): the wizard must ask.
write("hubspot_contacts_us_excel_ambiguous.csv", [
    ["Record ID", "First Name", "Create Date", "Lifecycle Stage", "Original Traffic Source", "Industry"],
    ["9101", "Jörg", "1/12/2026 9:14", "lead", "ORGANIC_SEARCH", "Utilities"],
    ["9102", "Zoë", "2/3/2026 14:05", "lead", "PAID_SOCIAL", "Energy"],
], encoding="cp1252")  # fmt: skip

# 4. Salesforce (Lightning) lead report, "Details Only" CSV, English labels, en_US dates: UTF-8, every value
#    quoted, LF.
write("salesforce_leads_report_en.csv", [
    ["Lead ID", "First Name", "Last Name", "Company / Account", "Create Date", "Lead Source", "Lead Status",
     "Converted", "Converted Date", "Converted Opportunity ID", "Industry"],
    ["00Q5g00000AbCdE", "Carla", "Meier", "Stadtwerke Nord", "1/20/2026", "Web", "Closed - Converted", "1",
     "2/3/2026", "0065g00000XyZ01", "Energy"],
    ["00Q5g00000AbCdF", "Ben", "Fox", "Fox Industrial", "1/22/2026", "Partner Referral", "Closed - Converted", "1",
     "2/13/2026", "0065g00000XyZ02", "Manufacturing"],
    ["00Q5g00000AbCdG", "Ida", "Lang", "Lang GmbH", "2/1/2026", "Trade Show", "Working - Contacted", "0", "", "",
     "Utilities"],
], quoting=csv.QUOTE_ALL, newline="\n")  # fmt: skip

# 5. Salesforce opportunity report, English labels, en_US dates ("2/3/2026"; created with time and AM/PM).
write("salesforce_opportunities_report_en.csv", [
    ["Opportunity Name", "Opportunity ID", "Account Name", "Stage", "Amount", "Probability (%)", "Close Date",
     "Created Date", "Won", "Closed", "Lead Source", "Fiscal Period"],
    ["Stadtwerke Nord - Wärmepumpen", "0065g00000XyZ01", "Stadtwerke Nord", "Closed Won", "80000.00", "100",
     "2/28/2026", "2/3/2026 9:14 AM", "1", "1", "Web", "Q1-2026"],
    ["Fox Industrial - Retrofit", "0065g00000XyZ02", "Fox Industrial", "Closed Lost", "30000.00", "0", "3/2/2026",
     "2/13/2026 4:30 PM", "0", "1", "Partner Referral", "Q1-2026"],
    ["Lang GmbH - Pilot", "0065g00000XyZ03", "Lang GmbH", "Prospecting", "12500.50", "10", "6/30/2026",
     "2/20/2026 11:00 AM", "0", "0", "Trade Show", "Q2-2026"],
], quoting=csv.QUOTE_ALL, newline="\n")  # fmt: skip

# 6. Salesforce opportunity report of a user with the German UI: German labels, dates and amounts, ISO-8859-1
#    (Salesforce's default export encoding), every value quoted, LF.
write("salesforce_opportunities_report_de.csv", [
    ["Opportunity-Name", "Opportunity-ID", "Accountname", "Phase", "Betrag", "Wahrscheinlichkeit (%)",
     "Schlusstermin", "Erstelldatum", "Gewonnen", "Geschlossen", "Lead-Quelle"],
    ["Stadtwerke Süd - Speicher", "0065g00000DeU01", "Stadtwerke Süd", "Closed Won", "45.000,00", "100",
     "27.02.2026", "03.02.2026 09:14", "1", "1", "Web"],
    ["Bäckerei Kühn - PV", "0065g00000DeU02", "Bäckerei Kühn", "Qualification", "8.250,50", "20", "30.06.2026",
     "10.02.2026 15:45", "0", "0", "Trade Show"],
], encoding="latin-1", quoting=csv.QUOTE_ALL, newline="\n")  # fmt: skip

# 7. Salesforce Classic opportunity report with its footer: all quoted, LF, then a blank line, the grand totals,
#    the organisation, the confidentiality and copyright lines.
write("salesforce_classic_report_footer.csv", [
    ["Opportunity Name", "Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Won", "Closed",
     "Lead Source"],
    ["Nord - Wartung", "0065g00000ClA01", "Closed Won", "15000.00", "1/30/2026", "1/15/2026", "1", "1", "Web"],
    ["Süd - Erweiterung", "0065g00000ClA02", "Negotiation/Review", "22000.00", "4/15/2026", "1/28/2026", "0", "0",
     "Email"],
], quoting=csv.QUOTE_ALL, newline="\n",
    tail='\n"Grand Totals (2 records)","","","37000.00","","","","",""\n\n"Acme Energie GmbH"\n'
         '"Confidential Information - Do Not Distribute"\n'
         '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n')  # fmt: skip

# 8. HubSpot deals export as .xlsx (HubSpot's default export format), German UI: typed dates and numbers.
workbook = Workbook()
sheet = workbook.active
sheet.title = "Deals"
sheet.append(["Datensatz-ID", "Deal-Name", "Deal-Phase", "Betrag", "Erstellungsdatum", "Abschlussdatum",
              "Zugeordnete Kontakt-IDs", "Ursprüngliche Traffic-Quelle"])  # fmt: skip
sheet.append([7001, "Stadtwerke Nord – Wärmepumpen", "Abgeschlossen und gewonnen", 120000.5,
              dt.datetime(2026, 1, 20, 9, 14), dt.datetime(2026, 2, 27), "51;52", "Organische Suche"])  # fmt: skip
sheet.append([7002, "Industrie Süd", "Termin vereinbart", 45000, dt.datetime(2026, 2, 2, 11, 0),
              dt.datetime(2026, 6, 30), "", "Direkter Traffic"])  # fmt: skip
sheet.append([7003, "Verloren", "Abgeschlossen und verloren", 1500, dt.datetime(2026, 2, 5, 8, 0),
              dt.datetime(2026, 2, 20), "53", "Offline Sources"])  # fmt: skip
workbook.save("hubspot_deals_de.xlsx")

# 9. Salesforce Lightning report, "Formatted Report" export (.xlsx): the report's name and its filters above the
# table, a blank row, the header, the data (typed dates and amounts), then the grand total, the confidentiality line
# and the copyright. The table starts in column B, as in Salesforce's formatted exports.
workbook = Workbook()
sheet = workbook.active
sheet.title = "Opportunities Q1"
sheet.append(["Opportunities Q1 2026"])
sheet.append(["Filtered By:"])
sheet.append(["    Close Date equals THIS FISCAL QUARTER"])
sheet.append(["    Show Me: All opportunities"])
sheet.append([])
sheet.append([None, "Opportunity Name", "Opportunity ID", "Account Name", "Stage", "Amount", "Close Date",
              "Created Date", "Lead Source"])  # fmt: skip
sheet.append([None, "Stadtwerke West – Speicher", "0065g00000FoR01", "Stadtwerke West", "Closed Won", 64000.0,
              dt.datetime(2026, 3, 12), dt.datetime(2026, 1, 19, 10, 5), "Web"])  # fmt: skip
sheet.append([None, "Brandt AG – Retrofit", "0065g00000FoR02", "Brandt AG", "Closed Lost", 18500.5,
              dt.datetime(2026, 2, 26), dt.datetime(2026, 1, 8, 14, 30), "Partner Referral"])  # fmt: skip
sheet.append([None, "Kraft KG – Pilot", "0065g00000FoR03", "Kraft KG", "Proposal/Price Quote", 9900.0,
              dt.datetime(2026, 6, 30), dt.datetime(2026, 2, 2, 9, 0), "Trade Show"])  # fmt: skip
sheet.append([])
sheet.append([None, "Grand Totals (3 records)", None, None, None, 92400.5])
sheet.append([])
sheet.append(["Confidential Information - Do Not Distribute"])
sheet.append(["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."])
for row in sheet.iter_rows(min_row=7, max_row=11, min_col=6, max_col=6):
    row[0].number_format = '"EUR" #,##0.00'
workbook.save("salesforce_opportunities_formatted.xlsx")
