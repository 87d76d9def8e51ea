from core.navigation import navigation_for

from .permissions import allowed_actions, can
from .tenancy import user_companies


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
        "navigation": navigation_for(request, lambda action: can(membership.role if membership else None, action)),
    }
