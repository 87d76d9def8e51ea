"""Turning the free-text teams of before (membership and invitation text, the objective's "company", "marketing",
"sales" or any name) into Team rows: shared by companies 0006 and objectives 0010, frozen with them (migrations must
not follow later changes of the app's code). Not a migration itself: the loader skips modules starting with "_"."""

from __future__ import annotations

from django.utils import timezone

# The objective's three standard values and the names they went by on screen, in English and German.
STANDARD = {
    "company": ("company", "Company", "Unternehmen"),
    "marketing": ("marketing", "Marketing"),
    "sales": ("sales", "Sales", "Vertrieb"),
}
# The name a standard value gets as a team, by the installation's language.
STANDARD_NAMES = {
    "de": {"company": "Unternehmen", "marketing": "Marketing", "sales": "Vertrieb"},
    "en": {"company": "Company", "marketing": "Marketing", "sales": "Sales"},
}


def clean(text: str | None) -> str:
    """Inner whitespace collapsed, ends trimmed, at most 60 characters: "Vertrieb " and " Vertrieb" are one."""
    return " ".join((text or "").split())[:60]


def kind_of(name: str) -> str:
    folded = name.casefold()
    for kind, names in STANDARD.items():
        if folded in {n.casefold() for n in names}:
            return kind
    return "other"


class Teams:
    """The teams of one company, found case-insensitively by name (or by the kind a standard value stands for)
    and created when missing."""

    def __init__(self, team_model, company_id: int, language: str, *, raw: bool = False):
        self.model = team_model
        # raw: saved as a restore saves (companies/backup.py): not a change anyone made, so no History entry
        self.raw = raw
        self.company_id = company_id
        self.names = STANDARD_NAMES.get((language or "de")[:2], STANDARD_NAMES["en"])
        self.by_name = {t.name.casefold(): t for t in team_model.objects.filter(company_id=company_id)}

    def get(self, text: str | None, *, objective_value: bool = False):
        name = clean(text)
        if not name:
            return None
        kind = kind_of(name)
        if kind != "other":
            # "sales", "Sales" and "Vertrieb" are one team: an existing one of that kind or named like it
            for candidate in STANDARD[kind]:
                team = self.by_name.get(candidate.casefold())
                if team is not None:
                    if team.kind == "other":
                        team.kind = kind
                        self._save(team)
                    return team
            if objective_value or name.islower():
                name = self.names[kind]
        team = self.by_name.get(name.casefold())
        if team is None:
            team = self.model(company_id=self.company_id, name=name, kind=kind, created_at=timezone.now())
            self._save(team)
            self.by_name[name.casefold()] = team
        return team

    def _save(self, team) -> None:
        if self.raw:
            team.save_base(raw=True)
        else:
            team.save()


def constraints_now(schema_editor) -> None:
    """Check the deferred foreign keys of the rows just written now: PostgreSQL refuses to alter a table with
    pending trigger events, and the same migration drops the text column next."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
