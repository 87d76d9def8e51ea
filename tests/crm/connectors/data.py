"""CRM data at the far end, as the integration tests need it."""

import datetime as dt

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HUBSPOT_TOKEN = "pat-eu1-11111111-2222-3333-4444-555555555555"
SF_REFRESH = "5Aep861-refresh"
SF_LEAD_FIELDS = {
    "Id",
    "CreatedDate",
    "LeadSource",
    "Status",
    "IsConverted",
    "ConvertedDate",
    "ConvertedOpportunityId",
    "Industry",
    "OwnerId",
    "MQL_Date__c",
    "SystemModstamp",
}


def hubspot_contact(farend, n: int, modified: dt.datetime | None = None, **changes) -> None:
    values = {
        "createdate": f"2026-02-{n:02d}T08:00:00.000Z",
        "lifecyclestage": "marketingqualifiedlead",
        "hs_analytics_source": "PAID_SEARCH",
        "hs_analytics_source_data_1": "Spring",
        "industry": "Manufacturing",
        "hs_lifecyclestage_marketingqualifiedlead_date": f"2026-02-{n:02d}T10:00:00.000Z",
        "hs_analytics_first_timestamp": f"2026-02-{n:02d}T07:59:00.000Z",
    }
    farend.hubspot_put("contacts", str(100 + n), modified or T0 + dt.timedelta(minutes=n), **(values | changes))


def hubspot_portal(farend, contacts: int = 5, deals: int = 2) -> None:
    farend.hubspot_tokens.add(HUBSPOT_TOKEN)
    for n in range(1, contacts + 1):
        hubspot_contact(farend, n)
    for n in range(1, deals + 1):
        farend.hubspot_put(
            "deals",
            str(9000 + n),
            T0 + dt.timedelta(minutes=n),
            createdate=f"2026-02-1{n}T08:00:00Z",
            amount=f"{n}000.50",
            dealstage="closedwon" if n == 1 else "appointmentscheduled",
            closedate="2026-02-20T00:00:00Z",
            hs_is_closed_won="true" if n == 1 else "false",
        )
        farend.deal_contacts[str(9000 + n)] = [str(100 + n)]


def salesforce_org(farend, leads: int = 3) -> None:
    farend.sf_refresh_tokens.add(SF_REFRESH)
    farend.sf_fields = {
        "Lead": SF_LEAD_FIELDS,
        "Opportunity": {"Id", "CreatedDate", "Amount", "CloseDate", "StageName", "IsClosed", "IsWon", "LeadSource"},
        "CampaignMember": {"Id", "LeadId", "CreatedDate"},
    }
    for n in range(1, leads + 1):
        farend.salesforce_put(
            "Lead",
            f"00Q{n:012d}",
            T0 + dt.timedelta(minutes=n),
            CreatedDate=f"2026-02-0{n}T08:00:00.000+0000",
            LeadSource="Web",
            Status="Working",
            IsConverted=n == 1,
            ConvertedOpportunityId="006000000000001" if n == 1 else None,
            ConvertedDate="2026-02-15" if n == 1 else None,
            Industry="Energy",
            OwnerId="005X",
            MQL_Date__c=f"2026-02-0{n}",
        )
    farend.salesforce_put(
        "Opportunity",
        "006000000000001",
        T0,
        CreatedDate="2026-02-15T09:00:00.000+0000",
        Amount=25000.0,
        CloseDate="2026-02-28",
        StageName="Closed Won",
        IsClosed=True,
        IsWon=True,
        LeadSource="Web",
    )
    farend.salesforce_put(
        "CampaignMember",
        "00v000000000001",
        T0,
        LeadId="00Q000000000001",
        CreatedDate="2026-02-01T07:00:00.000+0000",
        Campaign={"Name": "Webinar Q1", "Type": "Webinar"},
    )


def salesforce_credentials(farend) -> dict:
    return {"login_url": farend.url, "consumer_key": "3MVG9", "consumer_secret": "s3cr3t", "refresh_token": SF_REFRESH}
