# Budget lines, approvals and their audit log, actual spend (issue: KR-bound marketing budgets).
