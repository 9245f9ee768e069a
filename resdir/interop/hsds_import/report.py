"""What an import did: counts per table and every repair, skip or refusal with its place.

Each entry names the file, the row (a line number in a CSV file, a path such as
`contents[2].phones[0]` in a JSON file) and the field, and says why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KINDS = ("repaired", "skipped", "refused", "fatal", "note")


@dataclass(frozen=True)
class Entry:
    kind: str  # one of KINDS
    file: str
    row: int | str | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file + (f", row {self.row}" if self.row not in (None, "") else "")
        return f"{self.kind}: {where}, {self.field or '-'}: {self.reason}"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file": self.file, "row": self.row, "field": self.field,
                "reason": self.reason}


@dataclass
class ImportReport:
    path: str
    form: str = "unknown"
    source: str = ""
    dry_run: bool = False
    organization_id: str | None = None
    applied: bool = False  # committed to the database
    seconds: float = 0.0
    read: Counter = field(default_factory=Counter)  # rows read per table
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    entries: list[Entry] = field(default_factory=list)

    # -- recording ----------------------------------------------------------------------
    def add(self, kind: str, file: str, row, field_: str, reason: str) -> None:
        self.entries.append(Entry(kind, file, row, field_, reason))

    def repaired(self, file: str, row, field_: str, reason: str) -> None:
        self.add("repaired", file, row, field_, reason)

    def skipped(self, file: str, row, field_: str, reason: str) -> None:
        self.add("skipped", file, row, field_, reason)

    def refused(self, file: str, row, field_: str, reason: str) -> None:
        self.add("refused", file, row, field_, reason)

    def fatal(self, file: str, row, field_: str, reason: str) -> None:
        self.add("fatal", file, row, field_, reason)

    def note(self, file: str, row, field_: str, reason: str) -> None:
        self.add("note", file, row, field_, reason)

    # -- reading ------------------------------------------------------------------------
    @property
    def ok(self) -> bool:
        """True when nothing stopped the import (it was applied, or would be in a dry run)."""
        return not any(e.kind in ("fatal", "refused") for e in self.entries)

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]

    def imported(self, table: str) -> int:
        """Records of a table that are in the database after the import (or would be)."""
        return self.created[table] + self.updated[table] + self.unchanged[table]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in KINDS}

    def as_dict(self) -> dict:
        tables = sorted(set(self.created) | set(self.updated) | set(self.unchanged))
        return {
            "path": self.path, "form": self.form, "source": self.source,
            "dry_run": self.dry_run, "applied": self.applied, "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "tables": {t: {"created": self.created[t], "updated": self.updated[t],
                           "unchanged": self.unchanged[t]} for t in tables},
            "counts": self.counts(),
            "read": dict(self.read),
            "entries": [e.as_dict() for e in self.entries],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        """The report as_dict() gave (an import job keeps its report that way)."""
        tables = data.get("tables", {})
        return cls(
            data["path"], form=data.get("form", "unknown"), source=data.get("source", ""),
            dry_run=data.get("dry_run", False), applied=data.get("applied", False),
            seconds=data.get("seconds", 0.0), read=Counter(data.get("read", {})),
            created=Counter({t: c["created"] for t, c in tables.items()}),
            updated=Counter({t: c["updated"] for t, c in tables.items()}),
            unchanged=Counter({t: c["unchanged"] for t, c in tables.items()}),
            entries=[Entry(**e) for e in data.get("entries", [])])

    def lines(self, per_group: int = 3) -> list[str]:
        """A readable summary: totals, then entries grouped by kind, file, field and reason
        (the first few of each group in full, then how many more)."""
        verb = "would import" if self.dry_run or not self.applied else "imported"
        if not self.ok:
            verb = "refused" if self.of_kind("refused") and not self.of_kind("fatal") else "failed"
        out = [f"{self.path}: {self.form}, source {self.source!r}: {verb} "
               f"in {self.seconds:.1f}s"]
        for table in sorted(set(self.created) | set(self.updated) | set(self.unchanged)):
            out.append(f"  {table}: {self.created[table]} created, {self.updated[table]} "
                       f"updated, {self.unchanged[table]} unchanged")
        counts = self.counts()
        out.append("  " + ", ".join(f"{counts[k]} {k}" for k in KINDS))
        groups: dict[tuple, list[Entry]] = {}
        for e in self.entries:
            groups.setdefault((e.kind, e.file, e.field, _shape(e.reason)), []).append(e)
        for kind in ("fatal", "refused", "skipped", "repaired", "note"):
            for key, items in groups.items():
                if key[0] != kind:
                    continue
                out.extend(f"  {e}" for e in items[:per_group])
                if len(items) > per_group:
                    out.append(f"    ... and {len(items) - per_group} more like these")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _shape(reason: str) -> str:
    """The reason with quoted values and numbers blanked, to group similar entries."""
    out, quoted = [], False
    for ch in reason:
        if ch == "'":
            quoted = not quoted
            out.append(ch)
        elif not quoted:
            out.append("#" if ch.isdigit() else ch)
    return "".join(out)
