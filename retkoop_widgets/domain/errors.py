"""Refusals that carry a French message meant for the person who typed the data.

Every refusal names *what* is wrong and *where* (a field, a line of a file, a pièce),
so the dashboard can show it beside the field and the importer can list every problem
of a file at once.
"""
from __future__ import annotations

from dataclasses import dataclass


class Location(str):
    """Where a problem is in a file: reads as the French phrase a person sees (``ligne 12
    (pièce D014)``, ``feuille Cahier, ligne 14, colonne G``, ``ligne 1 (en-tête)``) and
    carries its parts, so code sorts and groups problems by ``.line`` and another process
    rebuilds them (``as_dict``) instead of parsing the phrase back."""

    line: int
    column: str
    sheet: str
    piece: str
    note: str

    def __new__(cls, line: int = 0, *, piece: str = "", column: str = "", sheet: str = "",
                note: str = "") -> "Location":
        parts = [f"feuille {sheet}"] if sheet else []
        if line:
            parts.append(f"ligne {line}")
        if column:
            parts.append(f"colonne {column}")
        text = ", ".join(parts)
        if piece:
            text = f"{text} (pièce {piece})" if text else f"pièce {piece}"
        if note:
            text = f"{text} ({note})" if text else note
        obj = super().__new__(cls, text)
        obj.line, obj.column, obj.sheet, obj.piece, obj.note = line, column, sheet, piece, note
        return obj

    def __reduce__(self):  # picklable across processes (report workers)
        return (_location, (self.line, self.piece, self.column, self.sheet, self.note))

    def as_dict(self) -> dict:
        """Its parts, for a JSON result another process reads (``refusal_record``)."""
        return {"line": self.line, "piece": self.piece, "column": self.column, "sheet": self.sheet,
                "note": self.note}


def _location(line: int, piece: str, column: str, sheet: str, note: str = "") -> "Location":
    return Location(line, piece=piece, column=column, sheet=sheet, note=note)


def line_of(where: str) -> int:
    """The file line of a location, 0 when it has none (a ``Location``'s ``.line``; a plain
    text location names no line): the sort key of every file's problems."""
    return where.line if isinstance(where, Location) else 0


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a user's input.

    ``field`` names the form field or column ("montant", "ventilation", "date"…);
    ``where`` locates it in a file when there is one: a ``Location`` (« ligne 12 (pièce
    D014) », its parts kept); plain text only for places that are not in a file.
    """

    message: str
    field: str = ""
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where} : {self.message}" if self.where else self.message

    def located(self, where: str) -> "Problem":
        return Problem(self.message, self.field, where)


class RetkoopError(Exception):
    """Base of every refusal; ``str()`` is a French sentence for the user."""


def refusal_record(error: "RetkoopError") -> dict:
    """A refusal as JSON-able data: its kind (``NotFound``, ``ValidationError``…), its French
    message and its problems, each with its field and its location *in parts*. What a child
    process (``retkoop --result FILE …``) hands its parent, which rebuilds the problems with
    ``problems_of`` instead of reading the child's stderr back."""
    problems = getattr(error, "problems", None) or []
    return {"error": type(error).__name__, "message": str(error),
            "problems": [{"message": p.message, "field": p.field,
                          "where": p.where.as_dict() if isinstance(p.where, Location) else {"text": p.where}}
                         for p in problems]}


def problems_of(record: dict) -> list[Problem]:
    """The ``Problem``s of a ``refusal_record``, locations rebuilt from their parts."""
    out = []
    for p in record.get("problems") or ():
        w = p.get("where") or {}
        where = w.get("text", "") if "text" in w else Location(
            w.get("line", 0), piece=w.get("piece", ""), column=w.get("column", ""), sheet=w.get("sheet", ""),
            note=w.get("note", ""))
        out.append(Problem(p.get("message", ""), p.get("field", ""), where))
    return out


class ValidationError(RetkoopError):
    """One or more problems with user input; nothing was saved."""

    def __init__(self, problems: list[Problem] | Problem | str, field: str = ""):
        if isinstance(problems, str):
            problems = [Problem(problems, field)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def fields(self) -> dict[str, str]:
        """First message per field, for showing errors beside form fields."""
        out: dict[str, str] = {}
        for p in self.problems:
            out.setdefault(p.field, p.message)
        return out


class NotFound(RetkoopError):
    """A cooperative, exercice, entry… that does not exist."""


class Conflict(RetkoopError):
    """The data changed under the user (stale edit) or a unique value is taken."""


class Forbidden(RetkoopError):
    """The acting user may not do this."""


class LockedExercice(RetkoopError):
    """The exercice is submitted or closed: its books are read-only."""


class InvariantBreach(AssertionError):
    """An accounting invariant does not hold: this is a bug, never a user error."""
