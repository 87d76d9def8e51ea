from companies.permissions import allowed_actions
from companies.tenancy import user_companies

from .navigation import navigation_for


def tenancy(request):
    """Company, role, permission flags (``can``), the user's companies and the navigation for every page."""
    membership = getattr(request, "membership", None)
    company = getattr(request, "company", None)
    user = getattr(request, "user", None)
    return {
        "company": company,
        "membership": membership,
        "can": allowed_actions(membership.role if membership else None),
        "user_companies": user_companies(user) if user is not None else [],
        "navigation": navigation_for(request),
    }
