"""What every text file a user brings has in common: bytes to decode, a header row to find
among preamble rows, CSV rows to read with the line each starts on, problems to sort by line.

Why one module: the cahier CSV (``io.cahier_csv``) and the bank statement CSV
(``io.statement_csv``) used to decode and look for their header each in its own way, so a
fix to one (a UTF-16 file without BOM, a quote left open) did not reach the other. The
policies still differ — the cahier is written by our own export or a spreadsheet and must
be UTF-8; a bank's export is often Windows-1252 — so the *policy* is a parameter and the
*mechanics* are here.

Pure Python: no SQLAlchemy, no ipywidgets.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

from ..domain.chart import fold
from ..domain.errors import Location, Problem, ValidationError, line_of  # noqa: F401 - line_of: io's sort key

T = TypeVar("T")

#: Encodings tried in order by ``decode`` (after a BOM, which always wins).
UTF8 = "utf-8"
CP1252 = "windows-1252"
_CODECS = {UTF8: "utf-8-sig", CP1252: "cp1252"}


@dataclass(frozen=True)
class Decoded:
    """A file's text and the name of the encoding it was read in (``utf-8``,
    ``windows-1252``, ``utf-16``; ``texte`` when it was given as text already)."""

    text: str
    encoding: str


def container_kind(raw: bytes) -> str | None:
    """``classeur`` for an XLSX/ODS (a ZIP), ``pdf`` for a PDF, else ``None``: the two
    files people most often pick instead of the text export."""
    if raw.startswith(b"PK\x03\x04"):
        return "classeur"
    if raw.startswith(b"%PDF"):
        return "pdf"
    return None


def _utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when ``raw`` looks like UTF-16 text without a BOM (one
    NUL byte in every other position, as ASCII text encoded in UTF-16 has), else ``None``.
    Windows' "Unicode text" sometimes comes without its BOM; read as UTF-8 it is a NUL
    between every character and nothing in it is recognisable."""
    sample = raw[:4000]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode(data: bytes | bytearray | memoryview | str, *, encodings: Sequence[str] = (UTF8, CP1252),
           unreadable: str = "le fichier n'est ni en UTF-8 ni en Windows-1252 (caractère illisible)",
           refuse_utf16: str | None = None, refuse_utf16_without_bom: str | None = None) -> Decoded:
    """The text of ``data``: a BOM decides (UTF-8, UTF-16), else UTF-16 recognised by its
    NUL bytes, else each of ``encodings`` in order. A leading BOM is removed from text given
    as ``str`` too. When no encoding fits, one ``ValidationError`` with ``unreadable`` and
    the line of the first byte that is not text (``ligne 3``). ``refuse_utf16``: when given,
    a UTF-16 file (with a BOM or recognised without) is refused with this message instead
    of read; ``refuse_utf16_without_bom``: only one without a BOM is (the cahier's policy:
    it asks for « CSV UTF-8 », reads what announces itself as UTF-16, and refuses to guess)."""
    if isinstance(data, str):
        return Decoded(data[1:] if data.startswith("\ufeff") else data, "texte")
    raw = bytes(data)
    if refuse_utf16 is not None and (raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
                                     or (not raw.startswith(codecs.BOM_UTF8) and _utf16_without_bom(raw))):
        raise ValidationError(Problem(refuse_utf16, "fichier", Location(1)))
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(raw.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            pass
    if not raw.startswith(codecs.BOM_UTF8):
        wide = _utf16_without_bom(raw)
        if wide is not None and refuse_utf16_without_bom is not None:
            raise ValidationError(Problem(refuse_utf16_without_bom, "fichier", Location(1)))
        if wide is not None:
            try:
                return Decoded(raw.decode(wide), "utf-16")
            except UnicodeDecodeError:
                pass
    first_error = None
    for name in encodings:
        try:
            return Decoded(raw.decode(_CODECS.get(name, name)), name)
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    start = first_error.start if first_error is not None else 0
    line = raw[:start].count(b"\n") + 1
    raise ValidationError(Problem(unreadable, "fichier", Location(line)))


def header_key(cell: str) -> str:
    """A header cell as compared: lower case, no accents, letters and digits only
    (``"N° chèque"`` → ``"ncheque"``, ``"\\ufeffDate opération"`` → ``"dateoperation"``)."""
    return re.sub(r"[^a-z0-9]", "", fold(cell.replace("\ufeff", "")))


def csv_rows(text: str, delimiter: str) -> tuple[list[tuple[int, list[str]]], Problem | None]:
    """Every CSV row of ``text`` with the number of the line where it starts (a quoted
    field may span lines), and the first unreadable row as a located ``Problem`` if any
    (rows read before it are kept)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"')
    rows: list[tuple[int, list[str]]] = []
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return rows, None
        except csv.Error as exc:
            return rows, Problem(f"ligne illisible ({exc}) : un guillemet n'est pas fermé ?", "fichier",
                                 Location(start))
        rows.append((start, cells))
        start = reader.line_num + 1


def find_header(rows: Sequence[tuple[int, list[str]]], recognise: Callable[[list[str]], T | None],
                limit: int) -> tuple[int, T] | None:
    """The index of the first of the first ``limit`` rows that ``recognise`` accepts as the
    header (it returns what it read from it, or ``None``), with what it read."""
    for idx, (_lineno, cells) in enumerate(rows[:limit]):
        found = recognise(cells)
        if found is not None:
            return idx, found
    return None



