"""Which lead sources count as marketing's: a lead's source (its channel, or an opportunity's lead source) is
sales-sourced, "other" or marketing-sourced. The import decides it per row when the file does not say.

The lists a company uses are its reporting settings, which live above crm in the layers (reporting reads crm, never
the other way round): reporting registers where they come from in its ``AppConfig.ready()``
(:func:`register_company_sources`); without it, the defaults below apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

# Source classification (issue 15): a lead's source (its channel, or an opportunity's lead source) is sales-sourced,
# "other" (origin unknown: neither marketing's nor sales' credit) or — anything else — marketing-sourced. Compared
# case-insensitively. The defaults hold the standard values of HubSpot ("Original source": display names and
# internal values) and Salesforce (the Lead Source picklist) plus common German names; a company replaces either list
# in its reporting settings.
DEFAULT_SALES_SOURCES = [
    # HubSpot: records created by hand, by import or by the sales tools
    "Offline Sources",
    "OFFLINE",
    # Salesforce standard Lead Source values brought in by people, not campaigns
    "Partner Referral",
    "Employee Referral",
    "External Referral",
    "Partner",
    # common names in our imports
    "Direkt",
    "Direct",
    "Sales",
    "Vertrieb",
    "Outbound",
]
DEFAULT_OTHER_SOURCES = [
    # HubSpot: a visit without referrer or campaign — the origin is unknown
    "Direct Traffic",
    "DIRECT_TRAFFIC",
    # Salesforce standard values without a known origin
    "Other",
    "Phone Inquiry",
    "Word of mouth",
    "Sonstige",
]
# Everything else, e.g. HubSpot's Organic Search, Paid Search, Email Marketing, Organic Social, Paid Social,
# Referrals, Other Campaigns, AI Referrals and Salesforce's Web, Purchased List, Advertisement, Trade Show, Seminar -
# Internal/Partner, Public Relations, counts as marketing-sourced.
HUBSPOT_MARKETING_EXAMPLES = ["Organic Search", "Paid Search", "Email Marketing", "Organic Social", "Paid Social",
                              "Referrals", "Other Campaigns", "AI Referrals"]  # fmt: skip


class SourceLists:
    """A company's sales and "other" source lists, compared case-insensitively (sets built once: the import asks per
    row)."""

    def __init__(self, sales: Iterable[str] = DEFAULT_SALES_SOURCES, other: Iterable[str] = DEFAULT_OTHER_SOURCES):
        self.sales = {s.strip().casefold() for s in sales}
        self.other = {s.strip().casefold() for s in other}

    def source_class(self, source: str) -> str:
        """ "sales", "other" or "marketing" for a lead source."""
        folded = (source or "").strip().casefold()
        if folded in self.sales:
            return "sales"
        if folded in self.other:
            return "other"
        return "marketing"

    def is_sales_source(self, source: str) -> bool:
        return self.source_class(source) == "sales"

    def is_marketing_source(self, source: str) -> bool:
        return self.source_class(source) == "marketing"

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the classification depends on (an import that saw the same key classifies every source the same)."""
        return tuple(sorted(self.sales)), tuple(sorted(self.other))


# The lists of a company: (sales sources, sources of unknown origin).
SourceListsProvider = Callable[[object], tuple[Iterable[str], Iterable[str]]]
_provider: SourceListsProvider | None = None


def register_company_sources(provider: SourceListsProvider) -> None:
    """Where a company's source lists come from (reporting: its reporting settings). One provider; set again, the
    last one wins."""
    global _provider
    _provider = provider


_settings_page: tuple[str, object] | None = None


def register_settings_page(url_name: str, label) -> None:
    """The page where a company sets these lists and what its CRM data means (reporting: its reporting settings);
    the import page links to it. Registered by the app that owns it, so crm names no higher app's URL."""
    global _settings_page
    _settings_page = (url_name, label)


def settings_page() -> tuple[str, object] | None:
    """``(url name, label)`` of the registered settings page, None without one."""
    return _settings_page


def company_sources(company) -> SourceLists:
    """The source classification the imports use for ``company`` (the defaults without a provider)."""
    return SourceLists(*_provider(company)) if _provider is not None else SourceLists()
