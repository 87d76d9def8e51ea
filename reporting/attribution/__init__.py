"""Attribution of pipeline and won revenue to channels and campaigns.

For each opportunity created in the period, the touchpoints of its lead up to the opportunity's creation (touches
after it are not counted) share the opportunity's amount (pipeline) and, when it is won, its won revenue. Every
model's shares sum to exactly 100 % per opportunity; an opportunity without touchpoints goes 100 % to its lead's
channel (else its own lead source, else "(none)"). Touches are ordered by time, ties by their id.

The models are DATA (:data:`DEFINITIONS`): the board's text (:func:`model_description`), the Python reference
(:func:`model_shares`) and the SQL statement all read the same definition.

- ``first_touch``: 100 % to the first touch.
- ``last_touch``: 100 % to the last touch before the opportunity was created.
- ``linear``: equal shares for every touch.
- ``time_decay``: weight 2^(−Δt ÷ half-life) per touch, Δt = days from the touch to the opportunity's creation
  (counted back from the conversion; half-life a company setting, default 7 days), normalised to 100 %. The
  weights are taken relative to the most recent touch (2^(−(Δt − Δt_min) ÷ half-life): the same shares, as the
  common factor cancels) and the exponent is clamped at 1,000 half-lives (a weight of ~10^−301, i.e. nothing),
  so touches decades old never underflow.
- ``position_based`` (web analytics, e.g. Google Analytics): 40 % first touch, 40 % last touch, 20 % spread
  evenly over the touches strictly between them.
- ``u_shaped`` (B2B U-shaped, e.g. Marketo Measure/Bizible): 40 % first touch, 40 % lead-creation touch, 20 %
  spread evenly over the touches strictly between them; touches after the lead-creation touch get nothing.
- ``w_shaped``: 30 % first touch, 30 % lead-creation touch, 30 % opportunity-creation touch, 10 % spread evenly
  over all other touches.

Milestones: the *lead-creation touch* is the last touch at or before the lead's creation (the first touch when
every touch came later); the *opportunity-creation touch* is the last touch at or before the opportunity's
creation. Rules for coinciding milestones, stated with each model: a touch that is several milestones gets their
shares added up; when no touch qualifies for the spread share, it goes in equal parts to the distinct milestone
touches. So one touch always gets 100 %; in U-shaped two touches (first, lead creation) get 50/50, and a first
touch that is also the lead-creation touch gets 100 % (there is nothing strictly between).

How it runs: ONE SQL statement for every model and every period (:func:`attribute_periods`). Window functions
rank each opportunity's touches (order, count, the lead-creation touch, the time-decay weight and its sum), the
shares of all models are columns of the same rows, and the sums per period, channel and campaign are a GROUP BY —
the rows never travel to Python. :func:`model_shares` is the same rule for one opportunity in Python: the reference
the statement is tested against (on SQLite and PostgreSQL). The KPI refresh stores each period's rows per model
(AttributionSnapshot) and the board reads those.

Modules: ``definitions`` (the models as data, the board's text), ``reference`` (the Python rule),
``statement`` (the SQL), ``rows`` (running it and reading stored rows).
"""

from .definitions import DEFINITIONS, MILESTONE_LABELS, MODEL_LABELS, MODELS, ModelDefinition, model_description
from .reference import DECAY_HALF_LIVES_MAX, milestone_indices, model_shares
from .rows import attribute, attribute_by_channel, attribute_models, attribute_periods, rows_from_json
from .statement import NO_CHANNEL, attribution_statement

__all__ = [
    "DECAY_HALF_LIVES_MAX",
    "DEFINITIONS",
    "MILESTONE_LABELS",
    "MODELS",
    "MODEL_LABELS",
    "NO_CHANNEL",
    "ModelDefinition",
    "attribute",
    "attribute_by_channel",
    "attribute_models",
    "attribute_periods",
    "attribution_statement",
    "milestone_indices",
    "model_description",
    "model_shares",
    "rows_from_json",
]
