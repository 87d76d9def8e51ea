"""The budgets REST API: ``lines`` (budget lines, their decisions, spend, audit; budget settings) and ``partners``
(the partner area and the CMO's partner scorecard)."""
