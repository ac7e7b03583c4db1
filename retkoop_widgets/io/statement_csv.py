"""Bank statements (relevés) exported as CSV by online banking, read into
``domain.statement`` records.

Why liberal in form and strict in amounts: every French bank exports a slightly
different CSV (separator, encoding, preamble lines with the account number and the
period, ``Montant`` or ``Débit``/``Crédit``, newest line first or last), and none of
that is the teacher's fault, so every such form is read. An amount, though, is never
guessed: a cell that is not exactly a French amount is a refusal with its line number.

Decoding, CSV rows with their line numbers and the header search are shared with the
cahier CSV (``io.text_files``); the statement's policy (UTF-8 else Windows-1252, any of
three separators, up to 60 preamble rows) is here. The other bank formats (OFX, QIF,
CFONB 120) and the detection of which one a file is: ``io.statement``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..domain.chart import fold
from ..domain.dates import parse_date
from ..domain.errors import Location, Problem, ValidationError
from ..domain.money import parse_amount
from ..domain.statement import Balance, Statement, StatementLine
from .text_files import Decoded, container_kind, csv_rows, decode, find_header, header_key, line_of

#: A coop's statement is a few hundred lines; beyond this the file is not a statement.
MAX_CHARS = 5_000_000
#: Preamble rows looked through for the header (account number, period, balances…).
MAX_PREAMBLE = 60
#: What the file must be, said in refusals of a workbook or a PDF.
EXPORT_HINT = ("l'export du relevé (banque en ligne, « télécharger les opérations » au format CSV, OFX, QIF "
               "ou CFONB)")

_DELIMITERS = (";", "\t", ",")
_DELIMITER_NAMES = {";": "point-virgule", "\t": "tabulation", ",": "virgule"}
_LIBELLE_KEYS = {"detail", "details", "description", "intitule", "operation", "operations",
                 "natureoperation", "naturedeloperation", "nature", "designation", "typeoperation",
                 "informationscomplementaires", "infos", "reference", "referenceoperation"}
_VALUE_DATE_KEYS = {"valeur", "datevaleur", "datedevaleur"}
_SKIP_ROW = ("solde", "total", "ancien solde", "nouveau solde", "sous total", "report")


def _role(header: str) -> str | None:
    """What a header cell names: ``date``, ``value_date``, ``libelle``, ``amount``,
    ``debit``, ``credit`` or nothing we read (Solde, Catégorie, Référence…)."""
    k = header_key(header)
    if not k:
        return None
    if k in _VALUE_DATE_KEYS or (k.startswith("date") and "valeur" in k):
        return "value_date"
    if k.startswith("date") and len(k) <= 32:
        return "date"
    if k.startswith("montant"):
        if "franc" in k:
            return None  # the old francs column of some exports: never read
        if "debit" in k:
            return "debit"
        if "credit" in k:
            return "credit"
        return "amount"
    if k.startswith("debit"):
        return "debit"
    if k.startswith("credit"):
        return "credit"
    if k.startswith("libelle") or k in _LIBELLE_KEYS or k.startswith("detail"):
        return "libelle"
    return None


@dataclass
class _Columns:
    date: int | None = None
    value_date: int | None = None
    libelle: tuple[int, ...] = ()
    amount: int | None = None
    debit: int | None = None
    credit: int | None = None
    width: int = 0

    @property
    def day(self) -> int | None:
        """The operation date when there is one: the cahier is kept by operation date."""
        return self.date if self.date is not None else self.value_date


def _columns(cells: list[str]) -> tuple[_Columns, list[str]] | None:
    """The header's columns if ``cells`` is a header row (a date column plus a libellé or
    an amount column), with the complaints about it; ``None`` when it is not a header."""
    cols = _Columns(width=len(cells))
    labels: list[int] = []
    dup: list[str] = []
    for i, raw in enumerate(cells):
        role = _role(raw)
        if role is None:
            continue
        if role == "libelle":
            labels.append(i)
        elif getattr(cols, role) is None:
            setattr(cols, role, i)
        elif role == "amount":
            dup.append(f"deux colonnes Montant (colonnes {cols.amount + 1} et {i + 1}) : laquelle lire ?")
        elif role in ("debit", "credit"):
            dup.append(f"deux colonnes {'Débit' if role == 'debit' else 'Crédit'} "
                       f"(colonnes {getattr(cols, role) + 1} et {i + 1}) : laquelle lire ?")
        # a second date column of the same kind is ignored: the first one is read
    cols.libelle = tuple(labels)
    if cols.day is None or not (labels or cols.amount is not None or cols.debit is not None
                                or cols.credit is not None):
        return None
    problems = list(dup)
    if not labels:
        problems.append("pas de colonne Libellé (attendu « Libellé », « Libellé opération », « Détail »…)")
    if cols.amount is None:
        if cols.debit is None and cols.credit is None:
            problems.append("pas de colonne de montant : attendu « Montant », ou « Débit » et « Crédit »")
        elif cols.debit is None:
            problems.append("une colonne Crédit mais pas de colonne Débit")
        elif cols.credit is None:
            problems.append("une colonne Débit mais pas de colonne Crédit")
    return cols, problems


def _score(cols: _Columns) -> int:
    return sum(x is not None for x in (cols.date, cols.value_date, cols.amount, cols.debit, cols.credit)) \
        + len(cols.libelle)


def bank_date(text: str) -> date | None:
    """A date as banks write it (``08/07/2026``, ``8/7/26``, ``08.07.2026``, ISO
    ``2026-07-08`` with or without a time after it), or ``None``: ``domain.dates.parse_date``
    without the digits-only forms, which are numbers in a bank's file."""
    try:
        return parse_date(text, compact=False, time=True)
    except ValidationError:
        return None


def parse_csv(data: bytes | bytearray | memoryview | str, source: str = "le relevé") -> Statement:
    """Read a bank statement CSV into ``StatementLine`` records.

    Accepted: ``;``, tab or ``,`` separator (the one under which a header row is found);
    UTF-8 with or without BOM, else Windows-1252 (UTF-16 with a BOM, or without one when
    its NUL bytes show it, too); any number of preamble rows (account number, period,
    balances) before the header row, which is the first row naming a date column and a
    libellé or amount column; columns found by name, accents and case optional, in any
    order, others ignored (Solde, Catégorie…):

    * date: ``Date``, ``Date opération``…; ``Date de valeur`` is read only when there is
      no operation date (the cahier is kept by the date of the operation);
    * libellé: ``Libellé``, ``Libellé opération``, ``Détail``, ``Description``… — several
      such columns are joined with `` — `` (a cheque number may sit in any of them);
    * amount: ``Montant`` (signed), or ``Débit`` and ``Crédit`` (a debit written with or
      without its minus sign; an empty or zero cell is "nothing in this column").

    Rows whose first cell starts with Solde / Total / Report (balance and total lines), the
    header row repeated, and blank rows are skipped; a row with a libellé only (no date, no amount) continues the
    libellé of the operation above it. Every other problem — a date or an amount that is
    not one, a zero amount, a row with more cells than the header — is collected, located
    (``ligne 12``), and raised at once as one ``ValidationError``; nothing partial returns.

    Balances printed in the file (``Solde (EUROS);1 852,69`` in the preamble, ``Solde au
    31/08/2026;…;1 234,56``, ``Ancien solde…``) become ``Statement.opening``/``closing``
    (see ``_balances``); one that cannot be read is simply not checked.
    """
    decoded = decode_statement(data)
    text, encoding = decoded.text, decoded.encoding
    if len(text) > MAX_CHARS:
        raise ValidationError(Problem(f"{source} est trop gros ({len(text) // 1_000_000} millions de caractères) "
                                      "pour un relevé de coopérative : est-ce le bon fichier ?", "fichier"))
    if not text.strip():
        raise ValidationError(Problem(f"{source} est vide", "fichier"))
    best = None
    for delim in _DELIMITERS:
        rows, err = csv_rows(text, delim)
        found = find_header(rows, _columns, MAX_PREAMBLE)
        if found is None:
            continue
        idx, (cols, header_problems) = found
        candidate = (_score(cols), -_DELIMITERS.index(delim))
        if best is None or candidate > best[0]:
            best = (candidate, delim, rows, err, idx, cols, header_problems)
    if best is None:
        raise ValidationError(Problem(
            f"aucune ligne d'en-tête trouvée dans {source} : il faut une ligne de titres avec une colonne "
            "Date, une colonne Libellé et une colonne Montant (ou Débit et Crédit), par exemple "
            "« Date;Libellé;Montant »", "en-tête"))
    _, delim, rows, err, idx, cols, header_problems = best
    header_line = rows[idx][0]
    where = Location(header_line, note="en-tête")
    problems = [Problem(p, "en-tête", where) for p in header_problems]
    if problems:
        raise ValidationError(problems)
    lines: list[list] = []  # [line_no, date, libellé, cents], made immutable at the end
    last_ok = False  # whether the row above was an operation read without problem
    for lineno, cells in rows[idx + 1:]:
        if any(c.strip() for c in cells):
            last_ok = _read_row(lineno, cells, cols, delim, lines, problems, last_ok)
    if err is not None:
        problems.append(err)
    if not lines and not problems:
        problems.append(Problem(f"aucune opération après la ligne d'en-tête (ligne {header_line})", "fichier"))
    if problems:
        problems.sort(key=lambda p: line_of(p.where))
        raise ValidationError(problems)
    out = tuple(StatementLine(n, d, lib, c) for n, d, lib, c in lines)
    opening, closing = _balances(rows, idx, cols, out)
    return Statement(out, encoding, delim, header_line, opening=opening, closing=closing, format="CSV")


def decode_statement(data: bytes | bytearray | memoryview | str) -> Decoded:
    """The text of a statement file: UTF-8 (with or without BOM), else Windows-1252, which
    most banks still export; UTF-16 with a BOM or recognised by its NUL bytes. A workbook or
    a PDF is refused with a sentence saying which export to take."""
    if not isinstance(data, str):
        kind = container_kind(bytes(data[:8]))
        if kind == "classeur":
            raise ValidationError(Problem(f"ce fichier est un classeur (Excel, LibreOffice) : il faut {EXPORT_HINT}",
                                          "fichier"))
        if kind == "pdf":
            raise ValidationError(Problem(f"ce fichier est un PDF : il faut {EXPORT_HINT}", "fichier"))
    return decode(data, unreadable="le fichier n'est ni en UTF-8 ni en Windows-1252 (caractère illisible) : "
                                   "est-ce bien l'export du relevé ?")


_BALANCE_DATE = re.compile(r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})")
_OPENING_WORDS = ("ancien", "initial", "precedent", "debut", "depart", "report")
_NOT_A_BALANCE = ("disponible", "previsionnel", "autorise", "moyen", "minimum", "maximum")


def _balances(rows: list[tuple[int, list[str]]], idx: int, cols: "_Columns",
              lines: tuple[StatementLine, ...]) -> tuple[Balance | None, Balance | None]:
    """The opening and closing balances the file prints, when it does.

    A balance row is a row before the header, or a skipped row after it, whose first cell
    starts with « Solde » (« Ancien solde », « Nouveau solde », « Solde au 31/08/2026 »,
    « Solde (EUROS) »; not « Solde disponible / prévisionnel ») and that holds exactly one
    amount. Opening when it says « ancien », « initial », « précédent », « début »…, else
    closing. Its date: one written in the row, else (preamble rows) the preamble's
    « Date » row or the end (start, for an opening balance) of its « Période du … au … »,
    else the statement's last date for a closing balance. Several closing balances: the
    latest; several opening ones: the earliest."""
    preamble_date = period_start = period_end = None
    for _n, cells in rows[:idx]:
        first = cells[0] if cells else ""
        key = header_key(first)
        found = [bank_date(m) for c in cells for m in _BALANCE_DATE.findall(c)]
        found = [d for d in found if d is not None]
        if key == "date" and found:
            preamble_date = found[0]
        elif key.startswith("periode") and len(found) >= 2:
            period_start, period_end = found[0], found[-1]
    candidates: list[Balance] = []
    for pos, (lineno, cells) in enumerate(rows):
        if pos == idx or not cells:
            continue
        first = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(cells[0])).split())
        if not first.startswith(("solde", "ancien solde", "nouveau solde")) or any(w in first for w in _NOT_A_BALANCE):
            continue
        if pos > idx and _is_date(cells[cols.day].strip() if cols.day is not None and cols.day < len(cells)
                                          else ""):
            continue  # an operation, not a balance row
        amounts = []
        for c in cells[1:]:
            if c.strip() and not _BALANCE_DATE.fullmatch(c.strip()):
                try:
                    amounts.append(parse_amount(c, "solde", allow_zero=True, allow_negative=True))
                except ValidationError:
                    pass
        if len(amounts) != 1:
            continue
        opening = any(w in first for w in _OPENING_WORDS)
        dates = [d for d in (bank_date(m) for c in cells for m in _BALANCE_DATE.findall(c)) if d is not None]
        day = dates[0] if dates else None
        if day is None and pos < idx:
            day = period_start if opening else (preamble_date or period_end)
        if day is None and not opening and lines:
            day = max(ln.date for ln in lines)
        if day is not None:
            candidates.append(Balance(day, amounts[0], "opening" if opening else "closing", lineno))
    openings = sorted((b for b in candidates if b.kind == "opening"), key=lambda b: (b.day, b.line_no))
    closings = sorted((b for b in candidates if b.kind == "closing"), key=lambda b: (b.day, b.line_no))
    return (openings[0] if openings else None), (closings[-1] if closings else None)


def _read_row(lineno: int, cells: list[str], cols: _Columns, delim: str, lines: list[list],
              problems: list[Problem], last_ok: bool) -> bool:
    """Read one non-blank row; True when it added an operation (or continued one)."""
    def cell(i: int | None) -> str:
        return cells[i].strip() if i is not None and i < len(cells) else ""

    where = Location(lineno)
    raw_day = cell(cols.day)
    texts: list[str] = []
    for i in cols.libelle:
        t = " ".join(cell(i).split())
        if t and t not in texts:
            texts.append(t)
    libelle = " — ".join(texts)
    money = [cell(i) for i in (cols.amount, cols.debit, cols.credit) if i is not None]
    first = next((c.strip() for c in cells if c.strip()), "")
    if not raw_day and not any(money):
        # Text only: the libellé of the operation above, continued (or a title row, or the
        # tail of a row already refused — nothing to read in it either way).
        if libelle and last_ok:
            lines[-1][2] = f"{lines[-1][2]} {libelle}".strip()
        return last_ok
    if not _is_date(raw_day) and (_is_skip(first) or _columns(cells) is not None):
        return False  # a balance or total row, or the header repeated (one per page in some exports)
    local: list[Problem] = []
    if len(cells) > cols.width and any(c.strip() for c in cells[cols.width:]):
        hint = (" : une virgule décimale dans un fichier séparé par des virgules ? (mettez les montants "
                "entre guillemets)" if delim == "," else " : un séparateur de trop dans un libellé ?")
        local.append(Problem(f"{len(cells)} cellules pour {cols.width} colonnes d'en-tête{hint}", "fichier", where))
    day = None
    if not raw_day:
        local.append(Problem("la date est vide (attendu jj/mm/aaaa)", "date", where))
    else:
        day = bank_date(raw_day)
        if day is None:
            local.append(Problem(f"date « {raw_day} » illisible ou inexistante (attendu jj/mm/aaaa, "
                                 "ex. 08/07/2026)", "date", where))
    cents = _amount(cols, cell, where, local)
    problems.extend(local)
    if not local and day is not None and cents is not None:
        lines.append([lineno, day, libelle, cents])
        return True
    return False


def _is_skip(first_cell: str) -> bool:
    f = " ".join(re.sub(r"[^a-z0-9 ]", " ", fold(first_cell)).split())
    return any(f.startswith(w) for w in _SKIP_ROW)


def _is_date(text: str) -> bool:
    return bank_date(text) is not None


def _amount(cols: _Columns, cell, where: str, local: list[Problem]) -> int | None:
    def read(raw: str, label: str) -> int | None:
        try:
            return parse_amount(raw, label, allow_empty=True, allow_zero=True, allow_negative=True)
        except ValidationError as err:
            local.extend(p.located(where) for p in err.problems)
            return None

    if cols.amount is not None:
        raw = cell(cols.amount)
        if not raw:
            local.append(Problem("le montant est vide", "montant", where))
            return None
        cents = read(raw, "montant")
        if cents == 0:
            local.append(Problem(f"montant « {raw} » nul : une opération du relevé a un montant", "montant", where))
            return None
        return cents
    raw_d, raw_c = cell(cols.debit), cell(cols.credit)
    debit = read(raw_d, "débit") if raw_d else 0
    credit = read(raw_c, "crédit") if raw_c else 0
    if debit is None or credit is None:
        return None
    if credit < 0:
        local.append(Problem(f"Crédit « {raw_c} » négatif : une sortie d'argent va dans la colonne Débit",
                             "montant", where))
        return None
    if debit and credit:
        local.append(Problem(f"débit ({raw_d}) et crédit ({raw_c}) remplis sur la même ligne : "
                             "une opération est l'un ou l'autre", "montant", where))
        return None
    if not debit and not credit:
        local.append(Problem("ni débit ni crédit sur cette ligne", "montant", where))
        return None
    return credit if credit else -abs(debit)


