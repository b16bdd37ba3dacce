"""The import report: what a file would create, update and reject, in the contract's shape."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # rows identical to the stored record: neither created nor updated
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"line", "field", "message"}
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False  # True once a real import committed

    def reject(self, line: int, field_name: str | None, message: str) -> None:
        self.rejected.append({"line": line, "field": field_name, "message": message})

    def as_dict(self) -> dict[str, Any]:
        """Return the report as the API answers it."""
        return {
            "created": self.created,
            "updated": self.updated,
            "rejected": self.rejected,
            "ignored_columns": self.ignored_columns,
        }
