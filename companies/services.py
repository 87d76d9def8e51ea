"""User preferences that outlive a browser session."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Profile


def profile_language_set(*, user, language: str) -> Profile:
    """Remember ``user``'s interface language (used for e-mails and at the next sign-in)."""
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Unknown language.")})
    profile, _created = Profile.objects.update_or_create(user=user, defaults={"language": language})
    return profile
