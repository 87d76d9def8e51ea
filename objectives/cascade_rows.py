"""The rows of the cascade tree as HTML, built in one pass instead of nested template includes per row.

With ~2,500 rows (500 objectives with 4 key results each) the former ``_node.html``/``_kr.html``/``_bar.html``
includes made the page spend seconds on template variable lookups. This renderer writes the same markup (the one
static/js/cascade.js and the tests rely on): every value that comes from the database goes through
``conditional_escape``; translated strings used in every row are looked up once per render (``RowTexts``), formatted
values (percentages, bar widths, labels) once per distinct value.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from core.numbers import format_decimal
from objectives.models import KeyResult
from objectives.templatetags.cascade_tags import bar, kr_value, number, pct, person, signed_pct


def esc(value) -> str:
    """``conditional_escape`` without its lazy-string wrapper (the same output: Django escapes with html.escape)."""
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return html.escape(str(value))


class RowTexts:
    """The translated strings of a row, looked up and escaped once per render (and per active language)."""

    def __init__(self) -> None:
        self.drag = esc(_("Drag to move"))
        self.draft = esc(_("Draft"))
        self.also = esc(_("Also contributes to:"))
        self.no_owner = esc(_("no owner"))
        self.details_title = esc(_("Details (D)"))
        self.details = esc(_("Details"))
        self.add_child_title = esc(_("Add child objective (C)"))
        self.add_child = esc(_("Add child objective"))
        self.child = esc(_("Child"))
        self.add_kr_title = esc(_("Add key result (K)"))
        self.add_kr = esc(_("Add key result"))
        self.delete_title = esc(_("Delete (Del)"))
        self.delete_objective = esc(_("Delete objective"))
        self.delete_kr = esc(_("Delete key result"))
        self.stale_title = esc(_("No check-in for more than a week"))
        self.stale = esc(_("stale"))
        self.check_in_title = esc(_("Check in (I)"))
        self.check_in = esc(_("Check in"))
        self.ahead = esc(_("ahead of the expected progress"))
        self.behind = esc(_("behind the expected progress"))
        self.expected_today = _("Expected today: %(value)s")
        self.own_tree = _("Own key results: %(own)s · with child objectives: %(tree)s")
        self.kinds = {value: esc(label) for value, label in KeyResult.Kind.choices}
        self._parents: dict[int, str] = {}
        self._paces: dict[Decimal, str] = {}

    def pace_title(self, expected) -> str:
        """ "Expected today: 40 %" – the same for every row of a cycle, so formatted once."""
        if expected not in self._paces:
            self._paces[expected] = esc(self.expected_today % {"value": pct(expected)})
        return self._paces[expected]

    def more_parents(self, n: int) -> str:
        if n not in self._parents:
            self._parents[n] = ngettext("%(n)s more parent", "%(n)s more parents", n) % {"n": n}
        return self._parents[n]


@lru_cache(maxsize=4096)
def _pct_in(value, language) -> str:
    return esc(pct(value))


def _pct(value) -> str:
    """ "63 %" / "63%": the language is part of the cache key."""
    return _pct_in(value, get_language())


@lru_cache(maxsize=4096)
def _bar_width(value) -> str:
    return bar(value)


@lru_cache(maxsize=4096)
def _signed(value) -> str:
    return esc(signed_pct(value))


def bar_html(texts: RowTexts, progress, status: str, status_label: str, expected, ahead: bool, delta) -> str:
    """The markup of ``_bar.html`` (progress bar, percentage, status word and the pace against the expected)."""
    status = esc(status)
    parts = [
        f'<span class="bar bar-{status}"><svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" '
        'focusable="false"><rect class="bar-track" x="0" y="0" width="100" height="10" rx="5"/>'
        f'<rect class="bar-fill" x="0" y="0" width="{_bar_width(progress)}" height="10" rx="5"/>'
    ]
    if expected is not None:
        parts.append(f'<rect class="bar-expected" x="{_bar_width(expected)}" y="0" width="1.4" height="10"/>')
    parts.append(
        f'</svg></span>\n<span class="pct">{_pct(progress)}</span>\n'
        f'<span class="status status-{status}">{esc(status_label)}</span>\n'
    )
    if expected is not None:
        title = texts.pace_title(expected)
        parts.append(
            f'<span class="pace {"pace-ahead" if ahead else "pace-behind"}" title="{title}">'
            f'<span aria-hidden="true">{"▲" if ahead else "▼"}</span> {_signed(delta)}'
            f'<span class="sr-only"> {texts.ahead if ahead else texts.behind}</span></span>'
        )
    return "".join(parts)


class TreeRenderer:
    def __init__(self, *, editable: bool, checkin_any: bool, checkin_own: bool, user_id, cycle_state: str,
                 currency: str, detail_prefix: str) -> None:  # fmt: skip
        self.texts = RowTexts()
        self.editable = editable
        self.checkin_any = checkin_any
        self.checkin_own = checkin_own
        self.user_id = user_id
        self.cycle_open = cycle_state != "closed"
        self.currency = currency
        self.detail_prefix = esc(detail_prefix)
        t = self.texts
        self.grip = f'<span class="grip" aria-hidden="true" title="{t.drag}">⠿</span>' if editable else ""
        self.objective_edit_actions = (
            (
                f'\n<button type="button" class="icon-btn" data-action="add-child" tabindex="-1" '
                f'title="{t.add_child_title}" aria-label="{t.add_child}">+ {t.child}</button>'
                f'\n<button type="button" class="icon-btn" data-action="add-kr" tabindex="-1" '
                f'title="{t.add_kr_title}" aria-label="{t.add_kr}">+ KR</button>'
                f'\n<button type="button" class="icon-btn icon-danger" data-action="delete" tabindex="-1" '
                f'title="{t.delete_title}" aria-label="{t.delete_objective}">✕</button>'
            )
            if editable
            else ""
        )
        self.kr_delete = (
            f'<button type="button" class="icon-btn icon-danger" data-action="delete" tabindex="-1" '
            f'title="{t.delete_title}" aria-label="{t.delete_kr}">✕</button>'
            if editable
            else ""
        )
        self.check_in_button = (
            f'<button type="button" class="icon-btn icon-checkin" data-action="check-in" tabindex="-1" '
            f'title="{t.check_in_title}">{t.check_in}</button>'
            if self.cycle_open
            else ""
        )
        self._people: dict[int, str] = {}
        self._values: dict[tuple, str] = {}
        self.format_number = number

    def value(self, k, value) -> str:
        """``kr_value`` (localised number with unit, or done / not done), escaped; once per distinct value."""
        key = (k.kind, k.unit, value)
        text = self._values.get(key)
        if text is None:
            text = self._values[key] = esc(kr_value(k, value, self.currency, self.format_number))
        return text

    def number(self, value) -> str:
        key = ("number", value)
        text = self._values.get(key)
        if text is None:
            text = self._values[key] = esc(self.format_number(value))
        return text

    def form_number(self, value) -> str:
        """A value as the edit form takes it back (core.forms.LocalizedDecimalField): the language's separators."""
        if value is None:
            return ""
        key = ("form", value)
        text = self._values.get(key)
        if text is None:
            text = self._values[key] = esc(format_decimal(value, decimals=4))
        return text

    def owner_html(self, user) -> str:
        if user is None:
            return f'<span class="muted">{self.texts.no_owner}</span>'
        if user.pk not in self._people:
            self._people[user.pk] = esc(person(user))
        return self._people[user.pk]

    def render(self, nodes: Iterable) -> SafeString:
        return mark_safe(self.html(nodes))  # noqa: S308 - every interpolated value is escaped

    def html(self, nodes: Iterable) -> str:
        """The rows as a plain string (``mark_safe`` copies a string of ~40 M characters once more)."""
        out: list[str] = []
        for node in nodes:
            self.objective(node, out)
        return "".join(out)

    def objective(self, node, out: list[str]) -> None:
        t = self.texts
        team_kind = esc(node.team_kind or "other")
        team_chip = f'<span class="chip chip-team">{esc(node.team_name)}</span>' if node.team_name else ""
        node_id = node.id
        detail = f"{self.detail_prefix}{node_id}/"
        owner = node.owner
        title = esc(node.title)
        chips = ""
        if node.state == "draft":
            chips += f'<span class="chip chip-draft">{t.draft}</span>'
        if node.contributes_to:
            titles = "; ".join(esc(title) for _id, title in node.contributes_to)
            chips += (
                f'<span class="chip chip-link" title="{t.also} {titles}">↗ '
                f"{esc(t.more_parents(len(node.contributes_to)))}</span>"
            )
        progress_title = esc(t.own_tree % {"own": pct(node.own_progress), "tree": pct(node.subtree_progress)})
        out.append(
            f'<li id="o-{node_id}" class="node node-objective team-{team_kind}" role="treeitem" tabindex="-1"'
            ' aria-expanded="true"'
            f' aria-labelledby="otitle-{node_id}" aria-level="{node.depth + 1}" data-kind="objective"'
            f' data-id="{node_id}" data-version="{node.version}" data-parent="{node.parent_id or ""}"'
            f' data-title="{title}" data-team="{node.team or ""}" data-team-kind="{team_kind}"'
            f' data-owner="{owner.pk if owner else ""}">'
            '<div class="row row-objective">\n'
            '<span class="toggle" data-toggle aria-hidden="true"></span>\n'
            f'<span class="row-main">{self.grip}\n<a class="title" id="otitle-{node_id}" href="{detail}" tabindex="-1"'
            f" data-edit-title>{title}</a>\n{team_chip}{chips}</span>"
            f'\n<span class="owner">{self.owner_html(owner)}</span>'
            f'\n<span class="progress-cell" title="{progress_title}">'
        )
        out.append(
            bar_html(
                t,
                node.progress,
                node.status,
                node.status_label,
                node.expected,
                node.ahead,
                node.delta_vs_expected,
            )
        )
        out.append(
            f'</span>\n<span class="row-actions no-wall"><a class="icon-btn" href="{detail}" tabindex="-1"'
            f' title="{t.details_title}">{t.details}</a>{self.objective_edit_actions}</span></div>'
            '\n<ul class="children" role="group">'
        )
        for kr in node.key_results:
            self.key_result(kr, node, out)
        for child in node.children:
            self.objective(child, out)
        out.append("</ul></li>")

    def key_result(self, kr, node, out: list[str]) -> None:
        t = self.texts
        k = kr.key_result
        may_check_in = self.checkin_any or (self.checkin_own and k.owner_id == self.user_id)
        can_check_in = ' data-can-check-in="1"' if may_check_in else ""
        current = k.current_value if k.current_value is not None else k.start_value
        kind_note = ""
        if k.kind not in ("increase_to", "milestone"):
            kind_note = f' <span class="muted">({t.kinds.get(k.kind) or esc(k.kind)})</span>'
        title = esc(k.title)
        stale = f'<span class="chip chip-stale" title="{t.stale_title}">{t.stale}</span>' if kr.is_stale else ""
        out.append(
            f'<li id="k-{k.pk}" class="node node-kr{" is-stale" if kr.is_stale else ""}" role="treeitem" tabindex="-1"'
            f' aria-labelledby="krtitle-{k.pk}" aria-level="{node.depth + 2}" data-kind="kr" data-id="{k.pk}"'
            f' data-version="{k.version}" data-objective="{node.id}" data-title="{title}"'
            f' data-owner="{k.owner_id or ""}" data-kr-kind="{esc(k.kind)}" data-unit="{esc(k.unit)}"'
            f' data-start="{self.number(k.start_value)}" data-target="{self.form_number(k.target_value)}"'
            f' data-start-raw="{self.form_number(k.start_value)}" data-weight="{self.form_number(k.weight)}"'
            f"{can_check_in}>"
            '<div class="row row-kr">\n<span class="toggle kr-mark" aria-hidden="true">KR</span>'
            f'\n<span class="row-main">{self.grip}\n<span class="title" id="krtitle-{k.pk}" data-edit-title>'
            f'{title}</span>\n<span class="kr-values">{self.value(k, current)}'
            f' <span class="muted">/ {self.value(k, k.target_value)}</span>{kind_note}</span>'
            f'{stale}</span>\n<span class="owner">{self.owner_html(k.owner)}</span>\n<span class="progress-cell">'
        )
        out.append(bar_html(t, kr.progress, kr.status, kr.status_label, kr.expected, kr.ahead, kr.delta_vs_expected))
        out.append(
            f'</span>\n<span class="row-actions no-wall">{self.check_in_button if may_check_in else ""}'
            f"{self.kr_delete}</span></div></li>"
        )


def carry_items_html(nodes: Iterable) -> SafeString:
    """``<label class="carry-item depth-N"><input type="checkbox" …> title <span class="muted">63 %</span></label>``
    for every node of the flattened tree ``nodes``: a template loop over 5,000 objectives took most of a second."""
    out = [
        f'<label class="carry-item depth-{node.depth}"><input type="checkbox" name="objectives" value="{node.id}"'
        f'{" checked" if node.progress < 1 else ""}> {esc(node.title)} <span class="muted">{_pct(node.progress)}</span>'
        "</label>\n"
        for node in nodes
    ]
    return mark_safe("".join(out))  # noqa: S308 - the title is escaped, the rest are numbers


class RowSlots:
    """Keeps the tree's rows out of the template's string building.

    Every enclosing template node (the include, ``{% if %}``, the block, the extended base) joins its children's
    output into a new string: with 5,000 objectives the rows are ~40 million characters, copied twice per level.
    With a ``RowSlots`` in the context, ``{% cascade_rows %}`` puts a marker into the template output instead, and
    :meth:`chunks` splices the rows back in once, as the response is built. User data cannot forge the marker: every
    value in the markup is escaped (no ``<``), and the marker carries a random token.
    """

    def __init__(self) -> None:
        self.token = secrets.token_hex(8)
        self.held: dict[str, str] = {}

    def hold(self, fragment: str) -> SafeString:
        """A marker for ``fragment`` (finished, escaped HTML: it is spliced in as it is)."""
        marker = f"<!--rows-{self.token}-{len(self.held)}-->"
        self.held[marker] = fragment
        return mark_safe(marker)  # noqa: S308 - a constant comment with a hex token

    def chunks(self, rendered: str) -> list[str]:
        """``rendered`` with every held fragment in place of its marker, as a list of strings (not joined)."""
        chunks = [rendered]
        for marker, fragment in self.held.items():
            head, found, tail = chunks[-1].partition(marker)
            if found:
                chunks[-1:] = [head, fragment, tail]
        return chunks
