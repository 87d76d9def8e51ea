"""The change history page: every change of the models the apps track (history/tracking.py), with filters."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from companies.permissions import Action
from companies.tenancy import company_view
from core.safety import parse_id

from . import selectors
from .display import readable_changes
from .tracking import TRACKED

PAGE_SIZE = 50


def parse_filters(params) -> tuple[str, int | None]:
    kind = params.get("type", "")
    kind = kind if kind in TRACKED else ""
    raw_id = (params.get("object") or "").strip()
    object_id = parse_id(raw_id) if kind else None
    return kind, object_id


@company_view(Action.HISTORY_VIEW)
def history_page(request: HttpRequest) -> HttpResponse:
    kind, object_id = parse_filters(request.GET)
    records = selectors.history_for(company=request.company, kind=kind, object_id=object_id)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    records = list(page.object_list)
    rows = [
        {"record": record, "type": selectors.type_label(record), "changes": changes}
        for record, changes in zip(records, readable_changes(records, request.company), strict=True)
    ]
    query = {"type": kind, **({"object": object_id} if object_id is not None else {})}
    return render(
        request,
        "history/history.html",
        {
            "page": page,
            "rows": rows,
            "types": selectors.type_choices(),
            "kind": kind,
            "object_id": object_id,
            "query": "&".join(f"{k}={v}" for k, v in query.items() if v != ""),
        },
    )
