"""Spreadsheets: safety of the XLSX exports, and reading a cahier kept in a spreadsheet.

**Exports.** Spreadsheet safety for the XLSX exports (openpyxl).

openpyxl stores any ``str`` value starting with ``=`` as a FORMULA. A libellé typed
``=HYPERLINK("http://…";"Facture")`` in the dashboard would then run in the spreadsheet of
whoever opens the export (the AD's staff). In an XLSX file, only a cell stored as a formula
runs — text cells starting with ``+``, ``-`` or ``@`` stay text — so marking those cells
as text is the whole fix, and the text shows exactly as typed (no apostrophe, unlike the
CSV export, see ``cahier_csv.guard``).

**Import.** A coop's current cahier kept in a spreadsheet (XLSX, ODS or CSV), imported mid-year.

Most coops keep the OCCE's spreadsheet cahier or an AD's variant (``docs/formats.md``,
« Cahier tableur »): one row per operation, but the columns are wherever that workbook put
them, headers often span two rows (« Banque » merged over « Entrée | Sortie »), rows of
totals sit between the entries, and amounts are numbers or French text. So an import
goes in three steps, each a function a command or a widget calls:

1. ``read_grid(data, filename)`` → a ``Grid``: every sheet's cells with their location
   (sheet, row, column), merged header cells known, the type decided by the content;
2. ``guess_mapping(grid, chart)`` → a ``Mapping``: which row(s) are the header and what
   each column is (Pièce, Date, Libellé…, an account by its code or the words of its
   label, a column to ignore, or « ? » with the reason); a person confirms it on
   ``preview(grid, mapping, chart)`` (the first lines with the amounts as parsed), or
   corrects it in its JSON form (``Mapping.to_json`` / ``Mapping.from_json``: a file an
   AD can share with its coops);
3. ``to_drafts(grid, mapping, chart)`` → ``(drafts, problems)``: ``(location, EntryDraft)``
   pairs for the all-or-nothing ``Books.import_drafts``, and every problem of the file at
   once, each located « feuille Cahier, ligne 14, colonne G ».

Pure Python (openpyxl for XLSX, odfpy for ODS): no SQLAlchemy, no ipywidgets.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Sequence

from ..domain.chart import TREASURY, Account, Chart, fold
from ..domain.entry import EntryDraft, VentilationLine, build_entry
from ..domain.dates import format_date
from ..domain.errors import Location, Problem, ValidationError
from ..domain.money import format_plain, parse_amount
from .text_files import csv_rows, decode, header_key


def keep_as_text(cells: Iterable) -> None:
    """Cells holding user text that openpyxl took for a formula become text cells again."""
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


#: The fixed roles a column can have, with their French names (as shown and as saved).
ROLES = {
    "piece": "Pièce", "date": "Date", "libelle": "Libellé", "tiers": "Tiers", "mode": "Mode",
    "cheque": "N° chèque", "banque_entree": "Banque entrée", "banque_sortie": "Banque sortie",
    "caisse_entree": "Caisse entrée", "caisse_sortie": "Caisse sortie", "pointe": "Pointé",
    "action": "Action", "ignorer": "(ignorée)", "?": "?",
}
MOVEMENTS = ("banque_entree", "banque_sortie", "caisse_entree", "caisse_sortie")
_TEXT_ROLES = ("piece", "libelle", "tiers", "mode", "cheque", "pointe", "action")

#: How far down a sheet the header is looked for (information rows above it).
HEADER_SEARCH_ROWS = 30
#: A sheet larger than this is refused (a spreadsheet of a school year has a few hundred rows).
MAX_ROWS = 100_000
MAX_COLUMNS = 500


# -- the grid -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One cell: its value (``str``, ``int``, ``Decimal``, ``date``, ``datetime``, ``bool`` or
    ``None`` when empty) and whether it holds a formula (a total computed by the sheet)."""

    value: Any = None
    formula: bool = False

    @property
    def empty(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


EMPTY = Cell()


def column_letter(col: int) -> str:
    """1 → ``A``, 27 → ``AA``."""
    out = ""
    while col:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out


def column_index(letter: str) -> int:
    """``A`` → 1, ``AA`` → 27; ``ValueError`` for anything else."""
    s = letter.strip().upper()
    if not s or not s.isascii() or not s.isalpha() or len(s) > 3:
        raise ValueError(letter)
    n = 0
    for ch in s:
        n = n * 26 + ord(ch) - 64
    return n


@dataclass
class Sheet:
    """A sheet's cells, ``rows[r - 1][c - 1]`` for row ``r`` and column ``c`` (1-based, as the
    spreadsheet shows them), and its merged ranges ``(row1, col1, row2, col2)``."""

    name: str | None  # None for a CSV file (no sheets)
    rows: list[list[Cell]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def cell(self, row: int, col: int) -> Cell:
        if 1 <= row <= len(self.rows):
            r = self.rows[row - 1]
            if 1 <= col <= len(r):
                return r[col - 1]
        return EMPTY

    def shown(self, row: int, col: int) -> Cell:
        """The cell as a reader sees it: a cell covered by a merged range shows the range's
        first cell (« Banque » merged over two columns heads both)."""
        for r1, c1, r2, c2 in self.merged:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return self.cell(r1, c1)
        return self.cell(row, col)

    def where(self, row: int, col: int | None = None) -> Location:
        """``feuille Cahier, ligne 12, colonne F`` (no sheet for a CSV file), with its parts."""
        return Location(row, column=column_letter(col) if col is not None else "", sheet=self.name or "")


@dataclass
class Grid:
    """A spreadsheet file read: its kind (``xlsx``, ``ods``, ``csv``), its name and sheets."""

    kind: str
    source: str
    sheets: list[Sheet]

    def sheet(self, name: str | None) -> Sheet | None:
        if name is None:
            return self.sheets[0] if self.sheets else None
        for s in self.sheets:
            if s.name == name:
                return s
        return None


def detect_kind(data: bytes) -> str:
    """``xlsx``, ``ods`` or ``csv``, from the content (never from the file name)."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                if "mimetype" in names and z.read("mimetype").strip() == b"application/vnd.oasis.opendocument.spreadsheet":
                    return "ods"
                if "xl/workbook.xml" in names:
                    return "xlsx"
        except (zipfile.BadZipFile, KeyError, OSError):
            pass
        return "zip"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if data.startswith(b"%PDF"):
        return "pdf"
    return "csv"


def read_grid(data: bytes, filename: str = "cahier") -> Grid:
    """Read an XLSX, ODS or CSV file (decided by its content) into a ``Grid``; a French
    ``ValidationError`` for a file that is none of them or cannot be read."""
    kind = detect_kind(bytes(data))
    if kind == "xlsx":
        return Grid(kind, filename, _read_xlsx(data, filename))
    if kind == "ods":
        return Grid(kind, filename, _read_ods(data, filename))
    if kind == "csv":
        return Grid(kind, filename, [_read_csv(data)])
    what = {"xls": "un classeur Excel 97-2003 (.xls)", "pdf": "un PDF",
            "zip": "une archive ZIP qui n'est ni un classeur XLSX ni un classeur ODS"}[kind]
    raise ValidationError(Problem(f"ce fichier est {what} : enregistrez le cahier au format .xlsx, .ods ou "
                                  "« CSV UTF-8 (délimité par des points-virgules) »", "fichier", filename))


def _too_big(filename: str, sheet: str | None) -> ValidationError:
    return ValidationError(Problem(f"la feuille {sheet or ''} a plus de {MAX_ROWS} lignes ou {MAX_COLUMNS} "
                                   "colonnes remplies : est-ce bien un cahier ?", "fichier", filename))


def _read_xlsx(data: bytes, filename: str) -> list[Sheet]:
    import openpyxl
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ValidationError(Problem(f"classeur XLSX illisible ({type(exc).__name__}) : ouvrez-le dans le "
                                      "tableur et enregistrez-le à nouveau", "fichier", filename)) from None
    sheets = []
    for ws in values.worksheets:
        wf = formulas[ws.title]
        if ws.max_row > MAX_ROWS or ws.max_column > MAX_COLUMNS:
            raise _too_big(filename, ws.title)
        rows: list[list[Cell]] = []
        for r, (vrow, frow) in enumerate(zip(ws.iter_rows(), wf.iter_rows()), start=1):
            rows.append([Cell(_xlsx_value(v.value), f.data_type == "f") for v, f in zip(vrow, frow)])
        merged = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        sheets.append(Sheet(ws.title, _trim(rows), merged))
    return sheets


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(repr(v)) if v == v and v not in (float("inf"), float("-inf")) else str(v)
    if isinstance(v, str):
        return v if v.strip() else None
    if isinstance(v, timedelta):
        return str(v)
    return v


def _read_ods(data: bytes, filename: str) -> list[Sheet]:
    from odf import teletype
    from odf.namespaces import OFFICENS, TABLENS
    from odf.opendocument import load
    from odf.table import Table
    try:
        doc = load(io.BytesIO(data))
    except Exception as exc:
        raise ValidationError(Problem(f"classeur ODS illisible ({type(exc).__name__}) : ouvrez-le dans le "
                                      "tableur et enregistrez-le à nouveau", "fichier", filename)) from None

    def attr(el, ns, name):
        return el.attributes.get((ns, name))

    sheets = []
    for table in doc.spreadsheet.getElementsByType(Table):
        name = attr(table, TABLENS, "name")
        rows: list[list[Cell]] = []
        merged: list[tuple[int, int, int, int]] = []
        pending_rows = 0
        for row_el in _ods_rows(table):
            repeat = int(attr(row_el, TABLENS, "number-rows-repeated") or 1)
            cells: list[Cell] = []
            pending_cells = 0
            for cell_el in row_el.childNodes:
                if cell_el.qname[1] not in ("table-cell", "covered-table-cell"):
                    continue
                crepeat = int(attr(cell_el, TABLENS, "number-columns-repeated") or 1)
                cell = _ods_cell(cell_el, attr, teletype, OFFICENS, TABLENS)
                if cell.empty and not cell.formula:
                    pending_cells += crepeat
                    continue
                cells.extend([EMPTY] * pending_cells)
                pending_cells = 0
                if len(cells) + crepeat > MAX_COLUMNS:
                    raise _too_big(filename, name)
                row_no = len(rows) + pending_rows + 1
                for _ in range(crepeat):
                    cells.append(cell)
                    span_c = int(attr(cell_el, TABLENS, "number-columns-spanned") or 1)
                    span_r = int(attr(cell_el, TABLENS, "number-rows-spanned") or 1)
                    if span_c > 1 or span_r > 1:
                        col = len(cells)
                        merged.append((row_no, col, row_no + span_r - 1, col + span_c - 1))
            if not cells:
                pending_rows += repeat
                continue
            if len(rows) + pending_rows + repeat > MAX_ROWS:
                raise _too_big(filename, name)
            rows.extend([[] for _ in range(pending_rows)])
            pending_rows = 0
            rows.extend([list(cells) for _ in range(repeat)])
        sheets.append(Sheet(name, rows, merged))
    return sheets


def _ods_rows(table):
    """The table-row elements of a table, also those inside row groups / header rows."""
    for el in table.childNodes:
        kind = el.qname[1]
        if kind == "table-row":
            yield el
        elif kind in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _ods_rows(el)


def _ods_cell(el, attr, teletype, OFFICENS, TABLENS) -> Cell:
    formula = bool(attr(el, TABLENS, "formula"))
    vtype = attr(el, OFFICENS, "value-type")
    value: Any = None
    if vtype in ("float", "currency", "percentage"):
        try:
            value = Decimal(attr(el, OFFICENS, "value"))
        except (InvalidOperation, TypeError):
            value = None
    elif vtype == "date":
        raw = attr(el, OFFICENS, "date-value") or ""
        try:
            value = datetime.fromisoformat(raw) if "T" in raw else date.fromisoformat(raw)
        except ValueError:
            value = raw
    elif vtype == "boolean":
        value = attr(el, OFFICENS, "boolean-value")
    if value is None:
        text = "\n".join(teletype.extractText(p) for p in el.childNodes if p.qname[1] == "p")
        value = text if text.strip() else None
    return Cell(value, formula)


def _read_csv(data: bytes) -> Sheet:
    text = decode(data).text
    best: list[tuple[int, list[str]]] = []
    for delimiter in (";", "\t", ","):
        rows, problem = csv_rows(text, delimiter)
        if problem is not None:
            raise ValidationError(problem)
        if max((len(c) for _, c in rows), default=0) > max((len(c) for _, c in best), default=1):
            best = rows
        if delimiter == ";" and max((len(c) for _, c in rows), default=0) > 1:
            break  # the cahier's own separator wins when it splits anything
    rows_out: list[list[Cell]] = []
    for lineno, cells in best or csv_rows(text, ";")[0]:
        while len(rows_out) < lineno - 1:
            rows_out.append([])
        rows_out.append([Cell(c) if c.strip() else EMPTY for c in cells])
    if len(rows_out) > MAX_ROWS:
        raise _too_big("", None)
    return Sheet(None, _trim(rows_out))


def _trim(rows: list[list[Cell]]) -> list[list[Cell]]:
    """Drop trailing empty cells and rows (openpyxl reports formatted but empty ones)."""
    out = []
    for r in rows:
        n = len(r)
        while n and r[n - 1].empty and not r[n - 1].formula:
            n -= 1
        out.append(r[:n])
    while out and not out[-1]:
        out.pop()
    return out


# -- reading a header cell --------------------------------------------------------------------
def _text(value: Any) -> str:
    """A cell as text: numbers without a useless ``.0``, dates jj/mm/aaaa."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, bool):
        return "oui" if value else "non"
    return str(value).strip()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


_STOP = {"de", "des", "du", "la", "le", "les", "et", "en", "au", "aux", "a", "pour", "d", "l", "sur", "par",
         "dont", "via", "n", "no", "num", "compte", "comptes", "ventilation", "montant", "montants", "eur"}
_CLASS_WORDS = {"charge": "charge", "charges": "charge", "depense": "charge", "depenses": "charge",
                "produit": "produit", "produits": "produit", "recette": "produit", "recettes": "produit"}
_BANK = {"banque", "bq", "bqe", "ccp"}
_CASH = {"caisse", "especes", "espece", "cs"}
_IN = {"entree", "entrees", "recette", "recettes", "credit", "encaissement", "encaissements", "e"}
_OUT = {"sortie", "sorties", "depense", "depenses", "debit", "decaissement", "decaissements", "s"}
_IGNORE = {"solde", "soldes", "situation", "cumul", "controle", "verification", "verif", "ecart", "total",
           "totaux", "reste"}
_FIELDS = [  # (words, role): the first whose words meet the header's wins
    ({"cheque", "cheques", "chq"}, "cheque"),
    ({"pointe", "pointee", "pointage", "rapprochement", "rapproche"}, "pointe"),
    ({"piece", "pieces", "pj"}, "piece"),
    ({"date"}, "date"),
    ({"libelle", "libelles", "designation", "objet", "intitule", "operation", "operations", "nature"}, "libelle"),
    ({"tiers", "fournisseur", "beneficiaire", "payeur", "emetteur", "destinataire"}, "tiers"),
    ({"mode", "reglement", "moyen", "paiement"}, "mode"),
    ({"action", "actions", "projet", "projets"}, "action"),
]
_KNOWN = ("Pièce, Date, Libellé, Tiers, Mode, N° chèque, Banque entrée/sortie, Caisse entrée/sortie, "
          "Pointé, Action")


def classify(header: str, chart: Chart) -> tuple[str, str]:
    """What a column headed ``header`` holds: ``(role, note)`` where role is a key of
    ``ROLES`` or an account's short code; ``note`` says why a column is « ? »."""
    words = _tokens(header)
    ws = set(words)
    if not ws:
        return "ignorer", ""
    if ws & _IGNORE:
        return "ignorer", ""
    if "regie" in ws or "avance" in ws:
        return "?", (f"« {header} » : une régie d'avance n'a pas de colonne à elle : indiquez « banque_sortie » "
                     "/ « caisse_sortie » ou « ignorer » dans un fichier de colonnes")
    if words in (["n"], ["no"], ["num"], ["numero"]):
        return "piece", ""
    if ws <= _IN | _OUT | _STOP:
        return "?", f"« {header} » : entrée ou sortie de quoi, banque ou caisse ? (la colonne ne le dit pas)"
    place = "banque" if ws & _BANK else "caisse" if ws & _CASH else None
    way = "entree" if ws & _IN and not ws & _OUT else "sortie" if ws & _OUT and not ws & _IN else None
    if place and way and not any(w.isdigit() for w in words):
        return f"{place}_{way}", ""
    if place and not any(w.isdigit() for w in words) and not ws & {"cheque", "cheques", "chq", "date"}:
        return "?", f"« {header} » : entrée ou sortie de {place} ? (la colonne ne le dit pas)"
    if ws & {"npiece", "nopiece"}:
        return "piece", ""
    if words in (["p"],):
        return "pointe", ""
    for keys, role in _FIELDS:
        if ws & keys:
            if role == "date" and ws & {"releve", "pointage", "pointe"}:
                return "pointe", ""
            return role, ""
    if words in (["nom"],):
        return "tiers", ""
    codes = [w for w in words if w.isdigit() and 2 <= len(w) <= 8]
    if codes:
        acc = chart.get(codes[0])
        if acc is None:
            return "?", f"« {header} » : compte {codes[0]} inconnu du plan comptable"
        if acc.code in TREASURY:
            return "?", (f"« {header} » : le compte {acc.code} est un compte de trésorerie : la colonne doit "
                         "dire entrée ou sortie (Banque entrée, Caisse sortie…)")
        return acc.code, ""
    try:
        return resolve_account(chart, header).code, ""
    except ValidationError as err:
        return "?", err.problems[0].message


def resolve_account(chart: Chart, text: str, classe: str | None = None) -> Account:
    """The account a header names: its code (short or OCCE), or words of its label
    (« Fournitures » → 6064, « Charges Photos » → 6011); « Charges » / « Produits » /
    « Dépenses » / « Recettes » in the text restrict the class. A French
    ``ValidationError`` when no account or several fit."""
    words = _tokens(text)
    for w in words:
        if w.isdigit() and chart.get(w) is not None:
            acc = chart.resolve(w, field="en-tête")  # a code, short or OCCE
            if acc.code not in TREASURY:
                return acc
    hints = {_CLASS_WORDS[w] for w in words if w in _CLASS_WORDS}
    if classe is None and len(hints) == 1:
        classe = hints.pop()
    meaningful = [w for w in words if w not in _STOP and not w.isdigit()]
    if any(w not in _CLASS_WORDS for w in meaningful):
        meaningful = [w for w in meaningful if w not in _CLASS_WORDS]
    if not meaningful:
        raise ValidationError(f"« {text} » ne correspond à aucune colonne connue ({_KNOWN}) ni à un compte du "
                              "plan comptable", "en-tête")
    # One way to resolve an account by words: ``Chart.resolve`` (what the entry form uses);
    # a header adds only its plural (« Dons » names « Don… ») and, when several labels
    # hold the words, the one that STARTS with the first (« Sorties » is 6251 « Sorties,
    # voyages… », not 7080's « … sorties »).
    found = []
    for attempt in (meaningful, [w[:-1] if w.endswith("s") and len(w) > 3 else w for w in meaningful]):
        try:
            acc = chart.resolve(" ".join(attempt), classe, field="en-tête")
        except ValidationError:
            found = [(a, _tokens(a.libelle)) for a in chart.candidates(" ".join(attempt), classe)
                     if a.code not in TREASURY]
            if found:
                break
            continue
        if acc.code not in TREASURY:
            return acc
    if len(found) > 1:
        first = [(a, lb) for a, lb in found if lb and lb[0].startswith(meaningful[0].rstrip("s"))]
        if first:
            found = first
    if len(found) == 1:
        return found[0][0]
    if not found:
        raise ValidationError(f"« {text} » ne correspond à aucune colonne connue ({_KNOWN}) ni à un compte du "
                              "plan comptable : titrez-la avec le code du compte (ex. « 6064 "
                              "Fournitures »), ou indiquez « ignorer » dans un fichier de colonnes", "en-tête")
    names = ", ".join(f"{a.code} {a.libelle}" for a, _ in found)
    raise ValidationError(f"« {text} » peut désigner plusieurs comptes ({names}) : titrez la colonne avec le "
                          f"code du compte (ex. « {found[0][0].code} {text} ») ou indiquez-le dans un fichier "
                          "de colonnes", "en-tête")


# -- the mapping ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of the cahier: its letter, its header as read, its role (a key of ``ROLES``
    or an account's short code) and, for a « ? » column, why."""

    letter: str
    header: str
    role: str
    note: str = ""

    @property
    def index(self) -> int:
        return column_index(self.letter)

    @property
    def is_account(self) -> bool:
        return self.role.isdigit()


@dataclass(frozen=True)
class Mapping:
    """Where the cahier is in a workbook and what each column holds; saved as JSON."""

    sheet: str | None
    header_rows: tuple[int, ...]
    columns: tuple[Column, ...]

    def role_of(self, role: str) -> Column | None:
        return next((c for c in self.columns if c.role == role), None)

    def with_role(self, letter: str, role: str) -> "Mapping":
        """The mapping with one column's role changed (a person correcting the guess)."""
        if role not in ROLES and not role.isdigit():
            raise ValidationError(f"rôle « {role} » inconnu pour la colonne {letter}", "colonnes")
        cols = tuple(Column(c.letter, c.header, role, "") if c.letter == letter.upper() else c
                     for c in self.columns)
        return Mapping(self.sheet, self.header_rows, cols)

    def to_json(self) -> str:
        return json.dumps({
            "format": "retkoop-colonnes", "version": 1, "feuille": self.sheet,
            "lignes_entete": list(self.header_rows),
            "colonnes": [{"colonne": c.letter, "entete": c.header, "role": c.role,
                          **({"remarque": c.note} if c.note else {})} for c in self.columns],
        }, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "fichier de colonnes") -> "Mapping":
        """Read a saved mapping; every mistake in it is one French problem."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            where = (f" (ligne {exc.lineno}, colonne {exc.colno})" if isinstance(exc, json.JSONDecodeError)
                     else "")
            raise ValidationError(Problem(f"{source} n'est pas du JSON valide{where}", "colonnes", source)) from None
        if not isinstance(data, dict) or data.get("format") != "retkoop-colonnes":
            raise ValidationError(Problem(f"{source} n'est pas un fichier de colonnes Retkoop (attendu "
                                          "« \"format\": \"retkoop-colonnes\" »)", "colonnes", source))
        problems: list[Problem] = []
        rows = data.get("lignes_entete")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, int) and r >= 1 for r in rows):
            problems.append(Problem("« lignes_entete » : liste des numéros de ligne de l'en-tête attendue "
                                    "(ex. [3, 4])", "colonnes", source))
            rows = [1]
        sheet = data.get("feuille")
        if sheet is not None and not isinstance(sheet, str):
            problems.append(Problem("« feuille » : nom de feuille attendu", "colonnes", source))
        cols, seen = [], set()
        for i, c in enumerate(data.get("colonnes") or [], 1):
            letter = str(c.get("colonne", "")) if isinstance(c, dict) else ""
            role = str(c.get("role", "")) if isinstance(c, dict) else ""
            try:
                column_index(letter)
            except ValueError:
                problems.append(Problem(f"colonne n° {i} : lettre de colonne « {letter} » invalide", "colonnes",
                                        source))
                continue
            if role not in ROLES and not role.isdigit():
                problems.append(Problem(f"colonne {letter.upper()} : rôle « {role} » inconnu (attendu "
                                        f"{', '.join(r for r in ROLES if r != '?')} ou un code de compte)",
                                        "colonnes", source))
                continue
            if letter.upper() in seen:
                problems.append(Problem(f"colonne {letter.upper()} décrite deux fois", "colonnes", source))
                continue
            seen.add(letter.upper())
            note = str(c.get("remarque", "")) if role == "?" else ""  # a corrected role drops the guess's note
            cols.append(Column(letter.upper(), str(c.get("entete", "")), role, note))
        if problems:
            raise ValidationError(problems)
        return cls(sheet, tuple(rows), tuple(sorted(cols, key=lambda c: c.index)))


def _headers(sheet: Sheet, rows: Sequence[int]) -> list[str]:
    """The header text of every column, the header rows joined (« Banque Entrée »); a merged
    cell repeated over its rows is said once. Without merged cells (a CSV saved from the
    workbook), an empty upper cell over a sub-title takes the upper title on its left
    (« Banque ; » over « Entrée ; Sortie »)."""
    def text(r: int, col: int) -> str:
        return " ".join(_text(sheet.shown(r, col).value).split())

    carried: dict[int, str] = {}
    out = []
    for col in range(1, sheet.width + 1):
        last = text(rows[-1], col)
        parts: list[str] = []
        for r in rows:
            t = text(r, col)
            if r != rows[-1]:
                if t:
                    carried[r] = t
                elif last and carried.get(r) and text(rows[-1], col - 1):
                    t = carried[r]
                else:
                    carried.pop(r, None)
            if t and t not in parts:
                parts.append(t)
        out.append(" ".join(parts))
    return out


def _recognised(roles: list[str]) -> int:
    return sum(1 for r in roles if r not in ("?", "ignorer"))


_DATE_TEXT = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\s*$|^\s*\d{4}-\d{2}-\d{2}\s*$")


def _has_date(cells: Sequence[Cell]) -> bool:
    """A row holding a date (a real one or one typed as text) is an entry, never a header."""
    return any(isinstance(c.value, (date, datetime)) or isinstance(c.value, str) and _DATE_TEXT.match(c.value)
               for c in cells)


def guess_mapping(grid: Grid, chart: Chart) -> Mapping:
    """The header row(s) and each column's role, guessed from the header text of the first
    sheet that has a Date and a Libellé column. Columns it cannot read are « ? » with the
    reason (``Column.note``); ``to_drafts`` refuses a mapping that still has one."""
    for sheet in grid.sheets:
        found = _guess_sheet(sheet, chart)
        if found is not None:
            return found
    raise _no_header(grid)


def guess_mappings(grid: Grid, chart: Chart) -> list[Mapping]:
    """One mapping per sheet that holds cahier lines (a Date and a Libellé column): the
    workbooks that keep the bank and the cash, or the receipts and the expenses, on separate
    sheets (Comptacoop: « Produits » and « Charges »; others: « Banque » and « Caisse »).
    On such a sheet a column headed only « Entrée », « Sortie », « Recette », « Dépense »,
    « Montant » or « Total » takes its meaning from the sheet's name (``_sheet_context``):
    on « Caisse », « Sortie » is a cash expense; on « Charges », « Montant » is a bank
    expense (bank unless the sheet names the cash). ``to_drafts_many`` makes one cahier."""
    found = [m for m in (_guess_sheet(sheet, chart) for sheet in grid.sheets) if m is not None]
    if not found:
        raise _no_header(grid)
    if len(found) == 1:
        return found
    return [_in_context(m) for m in found]


def _no_header(grid: Grid) -> ValidationError:
    return ValidationError(Problem(
        f"{grid.source} : aucune ligne d'en-tête trouvée (une ligne nommant au moins les colonnes Date et "
        f"Libellé, dans les {HEADER_SEARCH_ROWS} premières lignes d'une feuille)", "en-tête", grid.source))


def _guess_sheet(sheet: Sheet, chart: Chart) -> Mapping | None:
    for r in range(1, min(sheet.height, HEADER_SEARCH_ROWS) + 1):
        if _has_date(sheet.rows[r - 1]):
            continue
        rows = [r]
        roles = [classify(h, chart)[0] for h in _headers(sheet, rows)]
        if "date" not in roles or "libelle" not in roles:
            continue
        # A header over two rows: « Banque » above « Entrée | Sortie ».
        for extra in ([r - 1, r], [r, r + 1]):
            other = extra[0] if extra[0] != r else extra[1]
            if other < 1 or other > sheet.height or _has_date(sheet.rows[other - 1]):
                continue
            if not any(not c.empty for c in sheet.rows[other - 1]):
                continue
            more = [classify(h, chart)[0] for h in _headers(sheet, sorted(set(rows) | {other}))]
            if "date" in more and "libelle" in more and _recognised(more) > _recognised(roles):
                rows, roles = sorted(set(rows) | {other}), more
        columns = []
        for col, h in enumerate(_headers(sheet, rows), start=1):
            role, note = classify(h, chart)
            if not h and not _column_has_data(sheet, col, max(rows)):
                continue
            if not h:
                role, note = "?", "colonne sans titre mais remplie"
            columns.append(Column(column_letter(col), h, role, note))
        return Mapping(sheet.name, tuple(rows), tuple(columns))
    return None


_AMOUNT_WORDS = {"montant", "montants", "total", "somme", "eur", "euros"}


def _sheet_context(name: str | None) -> tuple[str | None, str | None]:
    """(treasury, direction) a sheet's name gives its bare money columns: « Caisse » → cash,
    « Banque » → bank, « Produits »/« Recettes » → in, « Charges »/« Dépenses » → out."""
    ws = set(_tokens(name or ""))
    place = "caisse" if ws & _CASH else "banque" if ws & _BANK else None
    kind = {_CLASS_WORDS[w] for w in ws if w in _CLASS_WORDS}
    way = ("entree" if kind == {"produit"} else "sortie" if kind == {"charge"} else None)
    return place, way


def _in_context(mapping: Mapping) -> Mapping:
    """A sheet's bare « Entrée » / « Sortie » / « Montant » columns read with its name
    (``guess_mappings``); a column the header already names is left as it is."""
    place, way = _sheet_context(mapping.sheet)
    if place is None and way is None:
        return mapping
    cols = []
    for c in mapping.columns:
        ws = set(_tokens(c.header)) - (_STOP - _AMOUNT_WORDS)
        bare = bool(ws) and ws <= _IN | _OUT | _AMOUNT_WORDS | _BANK | _CASH
        if c.role in ("?", "ignorer") and bare:
            here = "caisse" if ws & _CASH else "banque" if ws & _BANK else place or "banque"
            direction = ("entree" if ws & _IN and not ws & _OUT else "sortie" if ws & _OUT and not ws & _IN
                         else way)
            if direction is not None:
                c = Column(c.letter, c.header, f"{here}_{direction}")
        cols.append(c)
    return Mapping(mapping.sheet, mapping.header_rows, tuple(cols))


def to_drafts_many(grid: Grid, mappings: Sequence[Mapping], chart: Chart
                   ) -> tuple[list[tuple[str, EntryDraft]], list[Problem]]:
    """``to_drafts`` over several sheets, as ONE cahier: every sheet's problems (each located
    by its sheet), or every line in date order (a sheet's own order kept within a day;
    the bank sheet before the cash sheet on the same day, as the workbook lists them)."""
    drafts: list[tuple[int, int, tuple[str, EntryDraft]]] = []
    problems: list[Problem] = []
    empty: list[Problem] = []
    for k, m in enumerate(mappings):
        got, bad = to_drafts(grid, m, chart)
        if bad and all(p.message.startswith("aucune écriture sous l'en-tête") for p in bad):
            empty.extend(bad)  # a sheet with no line yet (the cash unused): fine if another has some
            continue
        problems.extend(bad)
        drafts.extend((k, i, d) for i, d in enumerate(got))
    if problems or not drafts:
        return [], problems or empty
    drafts.sort(key=lambda x: (x[2][1].date, x[0], x[1]))
    return [d for _, _, d in drafts], []


def _column_has_data(sheet: Sheet, col: int, after: int) -> bool:
    return any(not sheet.cell(r, col).empty for r in range(after + 1, sheet.height + 1))


# -- reading the rows -----------------------------------------------------------------------
_SKIP_START = ("total", "sous total", "soustotal", "report", "a reporter", "reporte", "cumul", "a nouveau")
_SKIP_UNDATED = ("solde", "situation")
_MODES = {"cheque": "chèque", "chq": "chèque", "ch": "chèque",
          "especes": "espèces", "espece": "espèces", "esp": "espèces", "liquide": "espèces",
          "virement": "virement", "vir": "virement", "vrt": "virement",
          "carte": "carte", "cb": "carte", "cartebancaire": "carte",
          "prelevement": "prélèvement", "prlv": "prélèvement", "prel": "prélèvement"}
_YES = {"oui", "x", "o", "ok", "pointe", "yes", "y", "true", "vrai"}
_NO = {"non", "n", "no", "false", "faux"}


def cell_amount(cell: Cell, label: str) -> int:
    """Cents in a cell: a number (``174.5``), or French text (``« 1 234,56 »``, ``« 174,50 € »``);
    empty is 0. A French ``ValidationError`` naming ``label`` otherwise."""
    v = cell.value
    if v is None or isinstance(v, str) and not v.strip():
        return 0
    if isinstance(v, bool):
        raise ValidationError(f"{label} : « {_text(v)} » n'est pas un montant", label)
    if isinstance(v, Decimal):
        cents = v * 100
        near = cents.to_integral_value()
        if cents != near and abs(cents - near) < Decimal("0.000001"):  # 0.1 + 0.2 computed by the sheet
            v = near / 100
        return parse_amount(v, label, allow_zero=True)
    if isinstance(v, int):
        return parse_amount(v, label, allow_zero=True)
    if isinstance(v, (date, datetime)):
        raise ValidationError(f"{label} : « {_text(v)} » est une date, pas un montant", label)
    return parse_amount(str(v), label, allow_zero=True, allow_empty=True)


def cell_date(cell: Cell) -> date:
    """A real date, an Excel day number, or text ``jj/mm/aaaa`` (``jj/mm/aa``, ISO…)."""
    from ..domain.dates import parse_date
    v = cell.value
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool) and 20000 <= v <= 80000 and v == int(v):
        return date(1899, 12, 30) + timedelta(days=int(v))
    return parse_date(_text(v))


@dataclass
class _Line:
    row: int
    where: str
    values: dict[str, Any]
    ventilation: list[VentilationLine]
    problems: list[Problem]
    draft: EntryDraft | None = None


def _mapping_problems(sheet: Sheet, mapping: Mapping, chart: Chart) -> list[Problem]:
    problems = []
    top = mapping.header_rows[0]
    headers = _headers(sheet, mapping.header_rows)
    described = {c.letter for c in mapping.columns}
    seen: dict[str, str] = {}
    for c in mapping.columns:
        where = sheet.where(top, c.index)
        actual = headers[c.index - 1] if c.index <= len(headers) else ""
        if c.header and header_key(actual) != header_key(c.header):
            problems.append(Problem(f"l'en-tête de la colonne est « {actual} » dans ce fichier, « {c.header} » "
                                    "dans le fichier de colonnes : les colonnes ont-elles bougé ?", "en-tête", where))
            continue
        if c.role == "?":
            problems.append(Problem(c.note or f"« {c.header} » : rôle de la colonne inconnu", "en-tête", where))
        elif c.is_account:
            acc = chart.get(c.role)
            if acc is None:
                problems.append(Problem(f"« {c.header} » : compte {c.role} inconnu du plan comptable", "en-tête",
                                        where))
            elif acc.code in TREASURY:
                problems.append(Problem(f"« {c.header} » : le compte {acc.code} est un compte de trésorerie",
                                        "en-tête", where))
            elif acc.code in seen:
                problems.append(Problem(f"« {c.header} » : le compte {acc.code} a déjà une colonne "
                                        f"(colonne {seen[acc.code]})", "en-tête", where))
            else:
                seen[acc.code] = c.letter
        elif c.role != "ignorer":
            if c.role in seen:
                problems.append(Problem(f"« {c.header} » : la colonne {ROLES[c.role]} apparaît deux fois (déjà "
                                        f"colonne {seen[c.role]})", "en-tête", where))
            else:
                seen[c.role] = c.letter
    for col, h in enumerate(headers, start=1):
        if column_letter(col) not in described and (h or _column_has_data(sheet, col, max(mapping.header_rows))):
            problems.append(Problem(f"« {h} » : colonne absente du fichier de colonnes (ajoutez-la, au besoin avec "
                                    "le rôle « ignorer »)", "en-tête", sheet.where(top, col)))
    for needed in ("date", "libelle"):
        if mapping.role_of(needed) is None:
            problems.append(Problem(f"aucune colonne {ROLES[needed]} : elle est obligatoire", "en-tête",
                                    sheet.where(top)))
    if not any(mapping.role_of(m) for m in MOVEMENTS):
        problems.append(Problem("aucune colonne de mouvement (Banque entrée, Banque sortie, Caisse entrée, "
                                "Caisse sortie)", "en-tête", sheet.where(top)))
    return problems


def _sheet_of(grid: Grid, mapping: Mapping) -> Sheet:
    sheet = grid.sheet(mapping.sheet)
    if sheet is None:
        names = ", ".join(f"« {s.name} »" for s in grid.sheets)
        raise ValidationError(Problem(f"{grid.source} n'a pas de feuille « {mapping.sheet} » (feuilles : {names})",
                                      "colonnes", grid.source))
    return sheet


def _skip(sheet: Sheet, r: int, mapping: Mapping) -> bool:
    """Empty rows, and rows of totals / carried-forward balances (« Total », « Report »,
    « À reporter », or an undated row whose amounts are all formulas)."""
    used = [c for c in mapping.columns if c.role != "ignorer"]
    cells = [sheet.cell(r, c.index) for c in used]
    if all(c.empty for c in cells):
        return True
    date_col = mapping.role_of("date")
    dated = date_col is not None and not sheet.cell(r, date_col.index).empty
    texts = [header_key(_text(sheet.cell(r, c.index).value)) and fold(_text(sheet.cell(r, c.index).value))
             for c in mapping.columns if c.role in ("piece", "libelle", "date", "tiers", "ignorer")]
    firsts = [t for t in texts if t]
    for t in firsts:
        t = " ".join(re.findall(r"[a-z0-9]+", t))
        if t.startswith(_SKIP_START) or (not dated and t.startswith(_SKIP_UNDATED)):
            return True
    if not dated:
        piece = mapping.role_of("piece")
        lib = mapping.role_of("libelle")
        named = any(c is not None and not sheet.cell(r, c.index).empty for c in (piece, lib))
        money = [sheet.cell(r, c.index) for c in used if c.role in MOVEMENTS or c.is_account]
        filled = [c for c in money if not c.empty or c.formula]
        if not named and filled and all(c.formula for c in filled):
            return True
    return False


def _read_line(sheet: Sheet, r: int, mapping: Mapping) -> _Line:
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def text(role: str) -> str:
        col = mapping.role_of(role)
        return _text(sheet.cell(r, col.index).value) if col else ""

    piece = text("piece")
    where = sheet.where(r) + (f" (pièce {piece})" if piece else "")
    for role in MOVEMENTS:
        col = mapping.role_of(role)
        values[role] = 0
        if col is None:
            continue
        try:
            values[role] = cell_amount(sheet.cell(r, col.index), ROLES[role])
        except ValidationError as err:
            problems.extend(p.located(sheet.where(r, col.index)) for p in err.problems)
    action = text("action")
    ventilation = []
    for col in mapping.columns:
        if not col.is_account:
            continue
        try:
            cents = cell_amount(sheet.cell(r, col.index), f"compte {col.role}")
        except ValidationError as err:
            problems.extend(p.located(sheet.where(r, col.index)) for p in err.problems)
            continue
        if cents:
            ventilation.append(VentilationLine(col.role, cents, action))
    dcol = mapping.role_of("date")
    values["date"] = None
    if dcol is not None:
        c = sheet.cell(r, dcol.index)
        if c.empty:
            problems.append(Problem("la date est vide (attendu jj/mm/aaaa)", "date", sheet.where(r, dcol.index)))
        else:
            try:
                values["date"] = cell_date(c)
            except ValidationError as err:
                problems.extend(p.located(sheet.where(r, dcol.index)) for p in err.problems)
    mode = text("mode")
    values["mode"] = _MODES.get(header_key(mode), mode) if mode else ""
    values["pointed"], values["statement_date"] = False, None
    pcol = mapping.role_of("pointe")
    if pcol is not None and not sheet.cell(r, pcol.index).empty:
        c = sheet.cell(r, pcol.index)
        k = header_key(_text(c.value))
        if k in _YES or c.value is True:
            values["pointed"] = True
        elif k in _NO or c.value is False:
            pass
        else:
            try:
                values["statement_date"], values["pointed"] = cell_date(c), True
            except ValidationError:
                problems.append(Problem(f"Pointé « {_text(c.value)} » : laissez vide, ou indiquez « oui », « x » "
                                        "ou la date du relevé (jj/mm/aaaa)", "pointage", sheet.where(r, pcol.index)))
    values["piece"], values["libelle"] = piece, text("libelle")
    values["tiers"], values["cheque"] = text("tiers"), text("cheque")
    line = _Line(r, where, values, ventilation, problems)
    if not problems:
        line.draft = EntryDraft(
            date=values["date"], libelle=values["libelle"], piece=piece, tiers=values["tiers"],
            mode=values["mode"], cheque=values["cheque"], bank_in=values["banque_entree"],
            bank_out=values["banque_sortie"], cash_in=values["caisse_entree"], cash_out=values["caisse_sortie"],
            ventilation=tuple(ventilation), pointed=values["pointed"], statement_date=values["statement_date"])
    return line


def _lines(sheet: Sheet, mapping: Mapping, limit: int | None = None) -> list[_Line]:
    """The entry rows, without empty rows and rows of totals (``_skip``); an undated row
    with neither pièce nor libellé whose every amount is the sum of its column since the
    start or since the previous total (a total saved without its label or formula, as in a
    CSV) is a total too. Any other row is an entry, checked: money is never dropped silently."""
    money = [c for c in mapping.columns if c.role in MOVEMENTS or c.is_account]
    since_start: dict[str, int] = {c.letter: 0 for c in money}
    since_total = dict(since_start)
    out = []
    for r in range(max(mapping.header_rows) + 1, sheet.height + 1):
        if _skip(sheet, r, mapping):
            if any(not sheet.cell(r, c.index).empty for c in money):
                since_total = dict.fromkeys(since_total, 0)
            continue
        amounts = _amounts(sheet, r, money)
        if amounts and _unnamed(sheet, r, mapping) and (
                all(since_start[k] == v for k, v in amounts.items())
                or all(since_total[k] == v for k, v in amounts.items())):
            since_total = dict.fromkeys(since_total, 0)
            continue
        for k, v in amounts.items():
            since_start[k] += v
            since_total[k] += v
        out.append(_read_line(sheet, r, mapping))
        if limit is not None and len(out) >= limit:
            break
    return out


def _amounts(sheet: Sheet, r: int, money: list[Column]) -> dict[str, int]:
    out = {}
    for c in money:
        cell = sheet.cell(r, c.index)
        if cell.empty:
            continue
        try:
            out[c.letter] = cell_amount(cell, "montant")
        except ValidationError:
            continue
    return out


def _unnamed(sheet: Sheet, r: int, mapping: Mapping) -> bool:
    return all(col is None or sheet.cell(r, col.index).empty
               for col in (mapping.role_of("date"), mapping.role_of("piece"), mapping.role_of("libelle")))


def _accounting(line: _Line, chart: Chart) -> list[Problem]:
    from dataclasses import replace
    if line.draft is None:
        return []
    try:
        build_entry(replace(line.draft, piece=line.draft.piece or "?"), chart)
    except ValidationError as err:
        return [p.located(line.where) for p in err.problems]
    return []


def to_drafts(grid: Grid, mapping: Mapping, chart: Chart
              ) -> tuple[list[tuple[str, EntryDraft]], list[Problem]]:
    """The entries of the cahier as ``(location, EntryDraft)`` pairs for
    ``Books.import_drafts``, and every problem of the file (the mapping's, each cell's, each
    line's accounting), each located. Import only when ``problems`` is empty; the drafts
    are then complete."""
    try:
        sheet = _sheet_of(grid, mapping)
    except ValidationError as err:
        return [], list(err.problems)
    problems = _mapping_problems(sheet, mapping, chart)
    if problems:
        return [], problems
    lines = _lines(sheet, mapping)
    for line in lines:
        problems.extend(line.problems)
        problems.extend(_accounting(line, chart))
    if not lines and not problems:
        problems.append(Problem(f"aucune écriture sous l'en-tête de {grid.source} : rien à importer", "fichier",
                                sheet.where(max(mapping.header_rows) + 1)))
    if problems:
        return [], problems
    return [(line.where, line.draft) for line in lines], []


def preview(grid: Grid, mapping: Mapping, chart: Chart, n: int = 5) -> list[dict[str, Any]]:
    """The first ``n`` lines as they would be imported, for a person to confirm the mapping:
    one dict per line with French keys (« Ligne », « Pièce », « Date », « Libellé », « Tiers »,
    « Mode », « N° chèque », the four movements, « Ventilation », « Pointé », « Problèmes »),
    amounts as parsed (``174,50``)."""
    sheet = _sheet_of(grid, mapping)
    out = []
    for line in _lines(sheet, mapping, n):
        v = line.values
        d = v.get("date")
        row = {"Ligne": line.row, "Pièce": v["piece"], "Date": format_date(d) if d else "",
               "Libellé": v["libelle"], "Tiers": v["tiers"], "Mode": v["mode"], "N° chèque": v["cheque"]}
        for m in MOVEMENTS:
            row[ROLES[m]] = format_plain(v.get(m, 0)) if v.get(m) else ""
        row["Ventilation"] = " ; ".join(f"{vl.account} {format_plain(vl.amount)}" for vl in line.ventilation)
        row["Pointé"] = (format_date(v["statement_date"]) if v["statement_date"]
                         else "oui" if v["pointed"] else "")
        row["Problèmes"] = [str(p) for p in line.problems + _accounting(line, chart)]
        out.append(row)
    return out


def describe(mapping: Mapping, chart: Chart) -> list[str]:
    """The mapping as French lines, one per column (for the command line)."""
    where = f"feuille « {mapping.sheet} », " if mapping.sheet else ""
    rows = mapping.header_rows
    out = [f"{where}en-tête ligne{'s' if len(rows) > 1 else ''} {' et '.join(str(r) for r in rows)}"]
    for c in mapping.columns:
        if c.is_account:
            acc = chart.get(c.role)
            what = f"compte {acc.code} {acc.libelle}" if acc else f"compte {c.role} (inconnu)"
        else:
            what = ROLES[c.role]
        note = f" — {c.note}" if c.note else ""
        out.append(f"  {c.letter:<3} « {c.header} » → {what}{note}")
    return out
