"""The attribution models as data (:data:`DEFINITIONS`) and the board's text generated from them
(:func:`model_description`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.numbers import format_percent

from ..kpis import reporting_settings

MODELS = ("first_touch", "last_touch", "linear", "time_decay", "position_based", "u_shaped", "w_shaped")


MODEL_LABELS = {
    "first_touch": _("First touch"),
    "last_touch": _("Last touch"),
    "linear": _("Linear"),
    "time_decay": _("Time decay"),
    "position_based": _("Position-based (40/20/40)"),
    "u_shaped": _("B2B U-shaped (40/40/20)"),
    "w_shaped": _("W-shaped (30/30/30/10)"),
}


# Milestone touches of an opportunity's journey (index into the touches sorted by time, then id).
MILESTONE_LABELS = {
    "first": _("first touch"),
    "last": _("last touch"),
    "lead_creation": _("lead-creation touch (the last touch at or before the lead was created)"),
    "opportunity_creation": _("opportunity-creation touch (the last touch before the opportunity was created)"),
}


@dataclass(frozen=True)
class ModelDefinition:
    """Shares to milestone touches, and the rest spread evenly over the touches ``rest_over``:
    "between:<a>:<b>" = strictly between milestones a and b, "others" = every touch that is no milestone,
    "all" = every touch. A touch that is several milestones gets their shares added; when no touch qualifies for
    the rest, it goes in equal parts to the distinct milestone touches."""

    milestones: tuple[tuple[str, Decimal], ...]
    rest: Decimal
    rest_over: str


DEFINITIONS: dict[str, ModelDefinition] = {
    "first_touch": ModelDefinition((("first", Decimal(1)),), Decimal(0), "others"),
    "last_touch": ModelDefinition((("last", Decimal(1)),), Decimal(0), "others"),
    "linear": ModelDefinition((), Decimal(1), "all"),
    "position_based": ModelDefinition(
        (("first", Decimal("0.4")), ("last", Decimal("0.4"))), Decimal("0.2"), "between:first:last"
    ),
    "u_shaped": ModelDefinition(
        (("first", Decimal("0.4")), ("lead_creation", Decimal("0.4"))), Decimal("0.2"), "between:first:lead_creation"
    ),
    "w_shaped": ModelDefinition(
        (("first", Decimal("0.3")), ("lead_creation", Decimal("0.3")), ("opportunity_creation", Decimal("0.3"))),
        Decimal("0.1"),
        "others",
    ),
}


def _percent(share: Decimal) -> str:
    # "40%" in English, "40 %" in German, like every percentage the board shows (core.numbers).
    return format_percent(share, decimals=1, min_decimals=0)


def model_description(model: str, *, company=None, half_life_days: int | None = None) -> str:
    """The model as the board states it, generated from :data:`DEFINITIONS` (time decay with the half-life)."""
    if model == "time_decay":
        if half_life_days is None:
            half_life_days = reporting_settings(company).attribution_half_life_days
        return gettext(
            "Weight 2^(−days before the opportunity ÷ half-life) per touch, half-life %(days)s days (a setting), "
            "normalised to 100%%; touches after the opportunity's creation do not count. Computed relative to the "
            "latest touch with the exponent capped at 1,000 half-lives, so decades-old touches get ~0 instead of an "
            "error."
        ) % {"days": half_life_days}
    definition = DEFINITIONS[model]
    if model == "linear":
        return gettext("Equal shares for every touch before the opportunity was created.")
    parts = [
        gettext("%(share)s to the %(touch)s") % {"share": _percent(share), "touch": MILESTONE_LABELS[name]}
        for name, share in definition.milestones
    ]
    text = "; ".join(parts)
    if definition.rest:
        if definition.rest_over.startswith("between:"):
            _tag, a, b = definition.rest_over.split(":")
            text += "; " + gettext(
                "%(share)s spread evenly over the touches strictly between the %(a)s and the %(b)s"
            ) % {
                "share": _percent(definition.rest),
                "a": MILESTONE_LABELS[a].split(" (")[0],
                "b": MILESTONE_LABELS[b].split(" (")[0],
            }
        else:
            text += "; " + gettext("%(share)s spread evenly over all other touches") % {
                "share": _percent(definition.rest)
            }
        text += ". " + gettext(
            "A touch that is several of these gets their shares added up; when no touch qualifies for the "
            "%(share)s, it goes in equal parts to those named touches (one touch: 100%%)."
        ) % {"share": _percent(definition.rest)}
        if model == "u_shaped":
            text += " " + gettext(
                "So two touches get 50/50, a first touch that is also the lead-creation touch gets 100%, and "
                "touches after the lead-creation touch get nothing."
            )
    else:
        text += "; " + gettext("nothing to the other touches.")
    return text
