"""CSV imports of actual spend and of budget lines: streamed with the csv module, all-or-nothing, row-level errors
("row N, column X: reason"). Every row goes through the same services as the pages, so the approval gate and the
permission table hold for imports too.

Accepted: UTF-8 (with or without BOM) or Windows-1252 (German Excel), comma or semicolon as delimiter, dates as
YYYY-MM-DD or DD.MM.YYYY, amounts with a decimal point or a German decimal comma ("1.234,56"), optional "€".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from companies.models import Company, Membership
from companies.permissions import Action, require_actor
from core import numbers, tabular
from core.errors import DomainError
from core.imports import check_upload_size
from core.safety import date_in_range, date_range_message, parse_id
from core.tenancy import for_company
from objectives.models import Cycle, Initiative, KeyResult

from . import services
from .models import BudgetLine, Channel

MAX_ERRORS = 50


class ImportFailed(ValidationError):
    """The import changed nothing; ``rows`` holds every problem as "row N, column X: reason"."""

    def __init__(self, rows: list[str]):
        self.rows = rows
        super().__init__({"file": rows})


def _row_error(row: int, column: str | None, reason) -> str:
    if column:
        return _("row %(row)s, column %(column)s: %(reason)s") % {"row": row, "column": column, "reason": reason}
    return _("row %(row)s: %(reason)s") % {"row": row, "reason": reason}


def parse_amount(raw: str) -> Decimal:
    """'1234.56', '1.234,56', '1234,56', '1,234.56', '4.500', '€ 1 234,56' → Decimal (core.numbers reads file cells);
    ValueError otherwise."""
    try:
        value = numbers.parse_file_decimal(raw or "", max_decimals=2)
    except numbers.NumberError as exc:
        raise ValueError(str(exc)) from None
    if value is None:
        raise ValueError(_("an amount is required"))
    if value.as_tuple().exponent < -2:
        raise ValueError(_("“%(value)s” has more than two decimal places") % {"value": raw})
    if abs(value) >= Decimal("1000000000000"):
        raise ValueError(_("“%(value)s” is too large") % {"value": raw})
    return value.quantize(Decimal("0.01"))


def parse_date(raw: str) -> dt.date:
    try:
        day = numbers.parse_date(raw)
    except numbers.NumberError as exc:
        raise ValueError(str(exc)) from None
    if day is None:
        raise ValueError(_("“%(value)s” is not a date (use YYYY-MM-DD or DD.MM.YYYY)") % {"value": raw})
    if not date_in_range(day):
        raise ValueError(date_range_message())
    return day


def _binary(upload):
    """Django's UploadedFile wraps the real file object; the CSV reader needs the latter."""
    inner = getattr(upload, "file", upload)
    inner.seek(0)
    return inner


def _rows(upload: IO[bytes], *, columns: dict[str, set[str]], required: set[str]) -> Iterator[tuple[int, dict]]:
    """Yield (row number as a spreadsheet shows it, {canonical column: value}); the header is row 1. The file is
    read by core.tabular (UTF-8 or Windows-1252, comma, semicolon or tab, headers compared by header_key)."""
    try:
        check_upload_size(upload)
    except ValidationError as exc:
        raise ImportFailed(exc.message_dict["file"]) from None
    names = {c: {tabular.header_key(c)} | {tabular.header_key(a) for a in aliases} for c, aliases in columns.items()}
    try:
        rows = tabular.iter_csv(_binary(upload))
        _number, header = next(rows, (1, []))
        if not any(cell.strip() for cell in header):
            raise ImportFailed([_("The file is empty.")])
        mapping: dict[int, str] = {}
        unknown = []
        for index, name in enumerate(header):
            key = tabular.header_key(name)
            canonical = next((c for c, keys in names.items() if key in keys), None)
            if canonical:
                mapping[index] = canonical
            elif key:
                unknown.append(name.strip())
        missing = sorted(required - set(mapping.values()))
        if missing or unknown:
            problems = []
            if missing:
                problems.append(_("missing column(s): %(columns)s") % {"columns": ", ".join(missing)})
            if unknown:
                problems.append(_("unknown column(s): %(columns)s") % {"columns": ", ".join(unknown)})
            expected = ", ".join(columns)
            raise ImportFailed(
                [
                    _("row 1 (header): %(problems)s. Expected: %(expected)s.")
                    % {"problems": "; ".join(problems), "expected": expected}
                ]
            )
        for number, raw in rows:
            if len(raw) > len(header):
                yield (
                    number,
                    {
                        "__error__": _("%(found)s cells, the header has %(expected)s")
                        % {"found": len(raw), "expected": len(header)}
                    },
                )
                continue
            yield number, {mapping[i]: value.strip() for i, value in enumerate(raw) if i in mapping}
    except tabular.TabularError as exc:
        raise ImportFailed([exc.message]) from None


def _first_field_error(exc: ValidationError | DomainError, fields: dict[str, str]) -> list[tuple[str | None, str]]:
    if isinstance(exc, DomainError):
        return [(fields.get(exc.field or ""), exc.message)]
    if hasattr(exc, "error_dict"):
        return [(fields.get(f, f), m) for f, messages in exc.message_dict.items() for m in messages]
    return [(None, m) for m in exc.messages]


def _run(upload, *, columns, required, handle_row: Callable[[int, dict], None], field_columns: dict[str, str]) -> int:
    errors: list[str] = []
    count = 0
    with transaction.atomic():
        for number, row in _rows(upload, columns=columns, required=required):
            if "__error__" in row:
                errors.append(_row_error(number, None, row["__error__"]))
                continue
            try:
                with transaction.atomic():
                    handle_row(number, row)
                count += 1
            except _CellError as exc:
                errors.append(_row_error(number, exc.column, exc.reason))
            except (ValidationError, DomainError) as exc:
                errors.extend(_row_error(number, col, msg) for col, msg in _first_field_error(exc, field_columns))
            if len(errors) >= MAX_ERRORS:
                errors.append(_("… stopped after %(count)s errors.") % {"count": MAX_ERRORS})
                break
        if errors:
            # Leaving the atomic block with an exception rolls every row back: all or nothing.
            raise ImportFailed(errors)
        if count == 0:
            raise ImportFailed([_("The file has a header but no rows.")])
    return count


class _CellError(Exception):
    def __init__(self, column: str, reason):
        self.column, self.reason = column, reason


def _cell(row: dict, column: str, parse: Callable):
    try:
        return parse(row.get(column, ""))
    except ValueError as exc:
        raise _CellError(column, exc) from exc


# --- spend ---------------------------------------------------------------------------------------------------------

SPEND_COLUMNS = {
    "line": {"budget line", "budgetzeile", "line_id", "zeile"},
    "date": {"datum", "belegdatum"},
    "amount": {"betrag", "amount_eur", "betrag_eur"},
    "reference": {"referenz", "belegnummer", "beleg"},
    "note": {"notiz", "bemerkung", "note"},
}


def spend_import_csv(*, company: Company, upload: IO[bytes], actor) -> int:
    """Import spend entries (columns line, date, amount, reference, note; German headers accepted). "line" is the
    budget line's id or its exact title. Returns the number of entries booked; raises ImportFailed otherwise."""
    require_actor(actor, company, Action.SPEND_RECORD)
    lines = {}

    def find_line(raw: str) -> BudgetLine:
        raw = raw.strip()
        if not raw:
            raise ValueError(_("a budget line (id or title) is required"))
        if raw in lines:
            return lines[raw]
        qs = BudgetLine.objects.for_company(company)
        matches = list(qs.filter(pk=parse_id(raw))[:1]) if parse_id(raw) else list(qs.filter(title=raw)[:2])
        if not matches:
            raise ValueError(_("no budget line “%(value)s” in this company") % {"value": raw})
        if len(matches) > 1:
            raise ValueError(_("several budget lines are called “%(value)s”; use the id") % {"value": raw})
        lines[raw] = matches[0]
        return matches[0]

    def handle(number: int, row: dict) -> None:
        line = _cell(row, "line", find_line)
        date = _cell(row, "date", parse_date)
        amount = _cell(row, "amount", parse_amount)
        services.spend_entry_create(
            line=line,
            date=date,
            amount=amount,
            reference=row.get("reference", "")[:120],
            note=row.get("note", ""),
            actor=actor,
            company=company,
        )

    return _run(
        upload,
        columns=SPEND_COLUMNS,
        required={"line", "date", "amount"},
        handle_row=handle,
        field_columns={"line": "line", "amount": "amount", "date": "date", "reference": "reference", "note": "note"},
    )


# --- budget lines --------------------------------------------------------------------------------------------------

LINE_COLUMNS = {
    "title": {"titel", "bezeichnung"},
    "channel": {"kanal"},
    "amount": {"planned_amount", "betrag", "planbetrag"},
    "cycle": {"zyklus"},
    "key_result": {"key result", "schlüsselergebnis", "kr"},
    "initiative": {"initiative"},
    "state": {"status"},
    "requester": {"antragsteller", "requested_by"},
}


def budget_lines_import_csv(*, company: Company, upload: IO[bytes], actor, default_cycle: Cycle | None = None) -> int:
    """Import budget lines (title, channel, amount, cycle, key_result, initiative, state, requester).

    Four eyes on money: the importing user requests every imported line (a ``requester`` cell may only name the
    importer; anyone else is a row/column error), and an import never approves: ``state`` is draft (default) or
    submitted, "approved" is refused with its row and column. Approval happens in the queue, by another person."""
    require_actor(actor, company, Action.BUDGET_REQUEST)
    channels = {c.name.lower(): c for c in services.channels_ensure_defaults(company=company)}
    cycles = {c.name.lower(): c for c in for_company(Cycle, company)}

    def by_title_or_id(model, column):
        def find(raw: str):
            raw = raw.strip()
            if not raw:
                return None
            qs = for_company(model, company)
            matches = list(qs.filter(pk=parse_id(raw))[:1]) if parse_id(raw) else list(qs.filter(title=raw)[:2])
            if not matches:
                raise ValueError(_("“%(value)s” not found in this company") % {"value": raw})
            if len(matches) > 1:
                raise ValueError(_("“%(value)s” is ambiguous; use the id") % {"value": raw})
            return matches[0]

        return find

    def find_channel(raw: str) -> Channel:
        channel = channels.get(raw.strip().lower())
        if channel is None:
            raise ValueError(
                _("unknown channel “%(value)s” (known: %(known)s)")
                % {"value": raw, "known": ", ".join(c.name for c in channels.values())}
            )
        return channel

    def find_cycle(raw: str) -> Cycle:
        if not raw.strip():
            if default_cycle is None:
                raise ValueError(_("a cycle is required"))
            return default_cycle
        cycle = cycles.get(raw.strip().lower())
        if cycle is None:
            raise ValueError(_("unknown cycle “%(value)s”") % {"value": raw})
        return cycle

    def parse_state(raw: str) -> str:
        value = (raw or "draft").strip().lower() or "draft"
        aliases = {"entwurf": "draft", "eingereicht": "submitted", "freigegeben": "approved"}
        value = aliases.get(value, value)
        if value == "approved":
            raise ValueError(
                _(
                    "“%(value)s”: an import never approves budget lines. Import the line as draft or submitted; "
                    "another person approves it in the approval queue."
                )
                % {"value": raw}
            )
        if value not in {"draft", "submitted"}:
            raise ValueError(_("“%(value)s” is not one of draft, submitted") % {"value": raw})
        return value

    members = {
        m.user.get_username().lower(): m.user for m in Membership.objects.for_company(company).select_related("user")
    }

    def find_requester(raw: str):
        if not raw.strip():
            return actor
        if actor is not None:
            if raw.strip().lower() == actor.get_username().lower():
                return actor
            raise ValueError(
                _(
                    "“%(value)s”: the lines you import are requested by you; nobody files budget lines in another "
                    "person's name. Leave the column empty."
                )
                % {"value": raw}
            )
        # Only the system itself (an operator's import without a signed-in user) files lines for a named member.
        user = members.get(raw.strip().lower())
        if user is None:
            raise ValueError(_("“%(value)s” is not a member of this company") % {"value": raw})
        return user

    def handle(number: int, row: dict) -> None:
        title = row.get("title", "")
        if not title:
            raise _CellError("title", _("a title is required"))
        channel = _cell(row, "channel", find_channel)
        amount = _cell(row, "amount", parse_amount)
        cycle = _cell(row, "cycle", find_cycle)
        key_result = _cell(row, "key_result", by_title_or_id(KeyResult, "key_result"))
        initiative = _cell(row, "initiative", by_title_or_id(Initiative, "initiative"))
        state = _cell(row, "state", parse_state)
        requester = _cell(row, "requester", find_requester)
        services.budget_line_create(
            company=company,
            cycle=cycle,
            title=title,
            channel=channel,
            planned_amount=amount,
            key_result=key_result,
            initiative=initiative,
            actor=actor,
            requester=requester,
            submit=state == "submitted",
        )

    return _run(
        upload,
        columns=LINE_COLUMNS,
        required={"title", "channel", "amount"},
        handle_row=handle,
        field_columns={
            "title": "title",
            "planned_amount": "amount",
            "channel": "channel",
            "cycle": "cycle",
            "key_result": "key_result",
            "initiative": "initiative",
            "state": "state",
            "approver": "state",
            "requester": "requester",
        },
    )
