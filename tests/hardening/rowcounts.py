"""Row counts of every table of the project's apps in one query: "nothing was written" for the generated tests."""

from __future__ import annotations

from django.apps import apps
from django.db import connection

APP_LABELS = ("companies", "history", "objectives", "initiatives", "budgets", "reporting")


def app_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.app_label in APP_LABELS and model._meta.managed and not model._meta.proxy
    )


def row_counts(tables: list[str]) -> tuple[int, ...]:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(t)})" for t in tables))
        return tuple(cursor.fetchone())
