"""The cahier de comptabilité as a CSV file: what mandataires keep in a spreadsheet.

Format (see ``docs/formats.md``): ``;`` separator, UTF-8 with or without BOM, decimal
comma, thousands separated by a space, NBSP or narrow NBSP, dates jj/mm/aaaa, CRLF or LF,
quoted fields. Columns are found by their header, accents and case optional::

    Pièce;Date;Libellé;Tiers;Mode;N° chèque;Banque entrée;Banque sortie;Caisse entrée;
    Caisse sortie;Pointé[;Action];<one column per account>

An account column is headed by its code, short (``7560``) or OCCE (``75600008``),
optionally followed by a space and a label (``7560 Participation volontaire des
familles``). Ventilation amounts are positive whatever the direction: the movement
columns say whether money came in or went out.

Why this module is strict: an import is all or nothing, and a mandataire fixing a file
wants *every* problem at once, each with its line and pièce — not one error per attempt.
So ``parse_cahier`` collects every structural problem (header, amounts, dates, accounts,
pointage) and, for the lines that parsed, every accounting problem ``build_entry`` finds;
the service (``Books.import_drafts``) then re-checks against the exercice (dates, pièces
already used) inside the transaction.

Continuation rows: an entry whose ventilation lines carry *different* actions cannot be
written on one row (the ``Action`` column applies to every line of its row). The export
then writes the extra lines on following rows that hold only the pièce, the ``Action``
and account amounts; the parser folds such a row into the entry above it. This keeps the
export → import round trip exact.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from typing import Sequence

from ..domain.chart import TREASURY, Chart
from ..domain.entry import Entry, EntryDraft, VentilationLine, build_entry
from ..domain import dates
from ..domain.errors import Location, Problem, ValidationError, line_of
from ..domain.ledger import cahier_order
from ..domain.money import format_plain, parse_amount
from .text_files import UTF8, decode, header_key

#: Header of the fixed columns, as written on export.
FIXED_HEADERS = ("Pièce", "Date", "Libellé", "Tiers", "Mode", "N° chèque", "Banque entrée",
                 "Banque sortie", "Caisse entrée", "Caisse sortie", "Pointé")
ACTION_HEADER = "Action"

# folded header (lower case, no accents, letters and digits only) -> field name
_HEADER_KEYS = {
    "piece": "piece", "npiece": "piece", "nopiece": "piece", "numerodepiece": "piece",
    "date": "date",
    "libelle": "libelle",
    "tiers": "tiers",
    "mode": "mode", "modedepaiement": "mode", "modedereglement": "mode",
    "ncheque": "cheque", "nocheque": "cheque", "numerocheque": "cheque", "numerodecheque": "cheque",
    "cheque": "cheque", "numcheque": "cheque",
    "banqueentree": "bank_in", "banquesortie": "bank_out",
    "caisseentree": "cash_in", "caissesortie": "cash_out",
    "pointe": "pointe", "pointage": "pointe",
    "action": "action", "projet": "action",
}
_FIELD_LABELS = {"piece": "Pièce", "date": "Date", "libelle": "Libellé", "tiers": "Tiers",
                 "mode": "Mode", "cheque": "N° chèque", "bank_in": "Banque entrée",
                 "bank_out": "Banque sortie", "cash_in": "Caisse entrée",
                 "cash_out": "Caisse sortie", "pointe": "Pointé", "action": "Action"}
_MOVEMENTS = ("bank_in", "bank_out", "cash_in", "cash_out")
_MODES = {"cheque": "chèque", "chq": "chèque", "ch": "chèque",
          "especes": "espèces", "espece": "espèces", "esp": "espèces", "liquide": "espèces",
          "virement": "virement", "vir": "virement", "vrt": "virement",
          "carte": "carte", "cb": "carte", "cartebancaire": "carte",
          "prelevement": "prélèvement", "prlv": "prélèvement", "prel": "prélèvement"}
_YES = {"oui", "x", "o", "ok", "pointe", "yes", "y"}
_NO = {"non", "n", "no"}
_ACCOUNT_HEADER = re.compile(r"^(\d+)(?:\s+(.*))?$", re.S)


@dataclass
class _Row:
    """One entry being read: its location and what its row(s) said."""
    lineno: int
    piece: str
    values: dict
    ventilation: list[VentilationLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def where(self) -> str:
        return location(self.lineno, self.piece)


def location(lineno: int, piece: str = "") -> Location:
    """``ligne 12 (pièce D014)``: how every problem of a file is located."""
    return Location(lineno, piece=piece)


#: What every refusal of the cahier's encoding asks for.
_SAVE_AS = "dans le tableur, enregistrez-le en « CSV UTF-8 (délimité par des points-virgules) »"


def _decode(text: str | bytes) -> str:
    """The cahier's policy over the shared decoding (``io.text_files.decode``): UTF-8 (BOM or
    not), UTF-16 when its BOM says so; UTF-16 without a BOM and anything else refused."""
    return decode(text, encodings=(UTF8,),
                  unreadable=f"le fichier n'est pas en UTF-8 (caractère illisible) : {_SAVE_AS}",
                  refuse_utf16_without_bom="le fichier semble en UTF-16 sans marque d'ordre des octets (un "
                                           f"octet nul sur deux) : {_SAVE_AS}").text


# A physical line ends with CRLF, LF or CR (what the csv module also takes as line ends).
_EOL = re.compile(r"\r\n|\n|\r")


def _split_line(line: str) -> tuple[list[str], int | None]:
    """The cells of one physical line, and the (0-based) column where a quote opened and
    was not closed on this line (None when every quote is closed).

    A cell never spans lines in a cahier: a quote left open would otherwise swallow the
    following lines into one field (silently losing them, or giving a misleading « montant
    nul » further down), so the file is read line by line and such a line is refused."""
    if '"' not in line:
        return line.split(";"), None
    quoted, opened = _scan(line, False)
    cells = next(csv.reader((line,), delimiter=";", quotechar='"'))
    return cells, (opened if quoted else None)


def _scan(line: str, quoted: bool) -> tuple[bool, int]:
    """Quote state at the end of ``line`` (starting inside a quoted cell if ``quoted``),
    and the column of the last quote opened (csv rules: a quote opens only at the start of
    a cell; ``""`` inside quotes is a quote)."""
    column, at_start, opened, i, n = 0, not quoted, 0, 0, len(line)
    while i < n:
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 1
                else:
                    quoted = False
        elif ch == ";":
            column, at_start = column + 1, True
            i += 1
            continue
        elif ch == '"' and at_start:
            quoted, opened = True, column
        at_start = False
        i += 1
    return quoted, opened


#: How far a text spanning lines is followed to report where it ends (a spreadsheet cell
#: with a few line breaks); past that, the quote is reported as never closed.
_SPAN_LOOKAHEAD = 10


def _span_end(lines: list[str], i: int, width: int) -> int | None:
    """Index of the line where the quote left open on ``lines[i]`` closes, when lines
    i..end together make one record of ``width`` cells (a cell typed over several lines in
    a spreadsheet); None otherwise (the quote is a slip and the next lines are records)."""
    for j in range(i + 1, min(i + 1 + _SPAN_LOOKAHEAD, len(lines))):
        alone, opened = _split_line(lines[j])
        if opened is None and len(alone) == width:
            return None  # a record of its own: the quote above is a slip, not a long cell
        quoted, _ = _scan(lines[j], True)
        if not quoted:
            cells = next(csv.reader(("\n".join(lines[i:j + 1]),), delimiter=";", quotechar='"'))
            return j if len(cells) == width else None
    return None


def parse_cahier(text: str | bytes, chart: Chart, source: str = "cahier.csv"
                 ) -> list[tuple[str, EntryDraft]]:
    """Read a cahier CSV into ``(location, EntryDraft)`` pairs for ``Books.import_drafts``.

    Raises one ``ValidationError`` listing every problem of the file, each located
    (``ligne 12 (pièce D014)``); returns nothing partial. An empty Pièce stays empty: the
    service allocates the next number. A file without any entry is refused (« aucune
    écriture dans le fichier »): an import always brings something.
    """
    text = _decode(text)
    lines = _EOL.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # the line end of the last line
    problems: list[Problem] = []
    if not lines or not lines[0].strip():
        raise ValidationError(Problem(f"{source} est vide : il faut au moins la ligne d'en-tête",
                                      "fichier", Location(1)))
    header, opened = _split_line(lines[0])
    if opened is not None:
        raise ValidationError(Problem(
            f"ligne d'en-tête illisible : le guillemet ouvert dans la colonne {opened + 1} n'est pas fermé",
            "fichier", Location(1)))
    columns, accounts = _read_header(header, chart, source, problems)
    rows: list[_Row] = []
    skip_to = 0
    for lineno, line in enumerate(lines[1:], start=2):
        if lineno <= skip_to:
            continue
        cells, opened = _split_line(line)
        if opened is not None:
            end = _span_end(lines, lineno - 1, len(header))
            problems.append(_unclosed_quote(lineno, cells, opened, header, columns,
                                            None if end is None else end + 1))
            skip_to = 0 if end is None else end + 1
            continue
        if not any(c.strip() for c in cells):
            continue
        _read_row(lineno, cells, header, columns, accounts, rows, problems)
    if not rows and not problems:
        raise ValidationError(Problem(f"aucune écriture dans le fichier {source} : il ne contient que la "
                                      "ligne d'en-tête (rien n'a été importé)", "fichier", Location(2)))
    if problems:
        # Report the accounting problems of the lines that did parse, too: all at once.
        for row in rows:
            if not row.problems:
                problems.extend(_accounting_problems(row, chart))
        problems.sort(key=lambda p: line_of(p.where))
        raise ValidationError(problems)
    return [(row.where, _draft(row)) for row in rows]


def _unclosed_quote(lineno: int, cells: list[str], opened: int, header: list[str],
                    columns: dict[str, int], end: int | None) -> Problem:
    i = columns.get("piece")
    piece = cells[i].strip() if i is not None and i < opened and i < len(cells) else ""
    title = header[opened].replace("\ufeff", "").strip() if opened < len(header) else ""
    where = f"colonne {opened + 1}" + (f" « {title} »" if title else "")
    if end is not None:
        return Problem(f"{where} : le texte entre guillemets (\") ouvert sur cette ligne continue jusqu'à la "
                       f"ligne {end} ; une écriture tient sur une seule ligne : retirez les retours à la "
                       "ligne de cette cellule", "fichier", location(lineno, piece))
    return Problem(f"{where} : un guillemet (\") est ouvert et jamais fermé sur cette ligne ; un texte ne "
                   "peut pas continuer sur la ligne suivante : fermez le guillemet (ou retirez-le) et "
                   "gardez chaque écriture sur une seule ligne", "fichier", location(lineno, piece))


def _read_header(header: list[str], chart: Chart, source: str, problems: list[Problem]
                 ) -> tuple[dict[str, int], dict[int, str]]:
    """Map field names and account codes to column indexes; every bad column is a problem."""
    columns: dict[str, int] = {}
    accounts: dict[int, str] = {}  # column index -> short account code
    seen_accounts: dict[str, int] = {}
    where = Location(1, note="en-tête")
    for i, raw in enumerate(header):
        h = raw.replace("\ufeff", "").strip()
        n = i + 1
        if not h:
            problems.append(Problem(f"la colonne {n} n'a pas de titre", "en-tête", where))
            continue
        m = _ACCOUNT_HEADER.match(h)
        if m:
            acc = chart.get(m.group(1))
            if acc is None:
                problems.append(Problem(f"colonne {n} « {h} » : compte {m.group(1)} inconnu du plan "
                                        "comptable", "en-tête", where))
            elif acc.code in TREASURY:
                problems.append(Problem(f"colonne {n} « {h} » : le compte {acc.code} est un compte de "
                                        "trésorerie ; utilisez les colonnes Banque / Caisse entrée et "
                                        "sortie", "en-tête", where))
            elif acc.code in seen_accounts:
                problems.append(Problem(f"colonne {n} « {h} » : le compte {acc.code} a déjà une colonne "
                                        f"(colonne {seen_accounts[acc.code]})", "en-tête", where))
            else:
                seen_accounts[acc.code] = n
                accounts[i] = acc.code
            continue
        key = _HEADER_KEYS.get(header_key(h))
        if key is None:
            problems.append(Problem(
                f"colonne {n} « {h} » inconnue : attendu {';'.join(FIXED_HEADERS)};{ACTION_HEADER} "
                "ou un code de compte (ex. « 7560 Participation volontaire des familles »)",
                "en-tête", where))
        elif key in columns:
            problems.append(Problem(f"colonne {n} « {h} » : la colonne {_FIELD_LABELS[key]} apparaît "
                                    f"deux fois (déjà colonne {columns[key] + 1})", "en-tête", where))
        else:
            columns[key] = i
    for needed in ("date", "libelle"):
        if needed not in columns:
            problems.append(Problem(f"{source} : la colonne {_FIELD_LABELS[needed]} est obligatoire",
                                    "en-tête", where))
    if not any(k in columns for k in _MOVEMENTS):
        problems.append(Problem(f"{source} : aucune colonne de mouvement (Banque entrée, Banque sortie, "
                                "Caisse entrée, Caisse sortie)", "en-tête", where))
    return columns, accounts


def _read_row(lineno: int, cells: list[str], header: list[str], columns: dict[str, int],
              accounts: dict[int, str], rows: list[_Row], problems: list[Problem]) -> None:
    def cell(key: str) -> str:
        i = columns.get(key)
        text = cells[i].strip() if i is not None and i < len(cells) else ""
        return unguard(text) if key in _TEXT_KEYS else text

    piece = cell("piece")
    row = _Row(lineno, piece, {})
    local: list[Problem] = []

    def refuse(message: str, fld: str) -> None:
        local.append(Problem(message, fld, row.where))

    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        refuse(f"{len(cells)} cellules pour {len(header)} colonnes d'en-tête : un « ; » de trop "
               "dans un libellé ? (mettez le texte entre guillemets)", "fichier")
    values: dict = {}
    for key in _MOVEMENTS:
        raw = cell(key)
        try:
            values[key] = parse_amount(raw, _FIELD_LABELS[key], allow_empty=True, allow_zero=True)
        except ValidationError as err:
            local.extend(p.located(row.where) for p in err.problems)
            values[key] = 0
    action = cell("action")
    ventilation: list[VentilationLine] = []
    for i, code in accounts.items():
        raw = cells[i].strip() if i < len(cells) else ""
        if not raw:
            continue
        try:
            cents = parse_amount(raw, f"compte {code}", allow_zero=True)
        except ValidationError as err:
            local.extend(p.located(row.where) for p in err.problems)
            continue
        if cents:
            ventilation.append(VentilationLine(code, cents, action))
    raw_date, libelle = cell("date"), cell("libelle")
    plain = [cell(k) for k in ("tiers", "mode", "cheque", "pointe")]
    if (not raw_date and not libelle and not any(plain) and not any(values.values())
            and ventilation and rows and piece in ("", rows[-1].piece)):
        # A continuation row: more ventilation lines (another action) for the entry above.
        rows[-1].ventilation.extend(ventilation)
        rows[-1].problems.extend(local)
        problems.extend(local)
        return
    if not raw_date:
        refuse("la date est vide (attendu jj/mm/aaaa)", "date")
    else:
        try:
            values["date"] = dates.parse_date(raw_date)
        except ValidationError:
            refuse(f"date « {raw_date} » invalide (attendu jj/mm/aaaa, ex. 03/10/2025)", "date")
    mode = cell("mode")
    values["mode"] = _MODES.get(header_key(mode), mode) if mode else ""
    pointe = cell("pointe")
    values["pointed"], values["statement_date"] = False, None
    if pointe:
        folded = header_key(pointe)
        if folded in _YES:
            values["pointed"] = True
        elif folded in _NO:
            pass
        else:
            try:
                values["statement_date"] = dates.parse_date(pointe)
                values["pointed"] = True
            except ValidationError:
                refuse(f"Pointé « {pointe} » : laissez vide, ou indiquez « oui », « x » ou la date "
                       "du relevé (jj/mm/aaaa)", "pointage")
    values["libelle"], values["tiers"], values["cheque"] = libelle, cell("tiers"), cell("cheque")
    row.values, row.ventilation, row.problems = values, ventilation, local
    rows.append(row)
    problems.extend(local)


def _draft(row: _Row) -> EntryDraft:
    v = row.values
    return EntryDraft(date=v.get("date"), libelle=v["libelle"], piece=row.piece, tiers=v["tiers"],
                      mode=v["mode"], cheque=v["cheque"], bank_in=v["bank_in"], bank_out=v["bank_out"],
                      cash_in=v["cash_in"], cash_out=v["cash_out"], ventilation=tuple(row.ventilation),
                      pointed=v["pointed"], statement_date=v["statement_date"])


def _accounting_problems(row: _Row, chart: Chart) -> list[Problem]:
    draft = _draft(row)
    try:
        build_entry(replace(draft, piece=draft.piece or "?"), chart)
    except ValidationError as err:
        return [p.located(row.where) for p in err.problems]
    return []


# -- spreadsheet formulas ----------------------------------------------------------------
# A cahier CSV is opened in a spreadsheet. A libellé typed as ``=HYPERLINK(…)`` or ``+1+2``
# would run there as a formula (CSV injection), so text cells starting with ``= + - @`` are
# written with a leading apostrophe, the spreadsheets' own "this is text" mark. To keep the
# export → import round trip exact, text already starting with apostrophes before such a
# character gets one more, and the parser removes exactly one.
_FORMULA_START = re.compile(r"^'*[=+\-@\t\r]")
_TEXT_KEYS = frozenset({"piece", "libelle", "tiers", "cheque", "action"})


def guard(text: str) -> str:
    """``=SOMME(A1)`` → ``'=SOMME(A1)``; plain text unchanged."""
    return "'" + text if text and _FORMULA_START.match(text) else text


def unguard(text: str) -> str:
    """The inverse of ``guard`` (``'abc`` stays as typed: no formula character follows)."""
    return text[1:] if text.startswith("'") and _FORMULA_START.match(text) else text


# -- export ------------------------------------------------------------------------------
def _groups(entry: Entry) -> list[tuple[str, dict[str, int]]]:
    """Ventilation grouped by action (first-seen order), summed per account within a group."""
    groups: dict[str, dict[str, int]] = {}
    for account, cents, action in entry.ventilation_for_display():
        g = groups.setdefault(action, {})
        g[account] = g.get(account, 0) + cents
    return [(a, {k: c for k, c in g.items() if c}) for a, g in groups.items()] or [("", {})]


def export_cahier(entries: Sequence[Entry], chart: Chart) -> str:
    """The cahier as CSV text (BOM, ``;``, CRLF), in cahier order, one column per account used.

    ``parse_cahier`` reads it back to the same entries (two lines on one account with the
    same action are summed, which changes no total)."""
    ordered = cahier_order(entries)
    used: set[str] = set()
    with_action = False
    for e in ordered:
        for p in e.ventilation:
            used.add(p.account)
            with_action = with_action or bool(p.action)
    codes = sorted(used, key=lambda c: (c[0], c))
    out = io.StringIO(newline="")
    w = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    header = list(FIXED_HEADERS) + ([ACTION_HEADER] if with_action else [])
    for code in codes:
        acc = chart.get(code)
        header.append(f"{code} {acc.libelle}" if acc and acc.libelle else code)
    w.writerow(header)
    first_account = len(header) - len(codes)
    for e in ordered:
        pointe = ""
        if e.pointed:
            pointe = dates.format_date(e.statement_date) if e.statement_date else "oui"
        money = [format_plain(c) if c else "" for c in (e.bank_in, e.bank_out, e.cash_in, e.cash_out)]
        for n, (action, amounts) in enumerate(_groups(e)):
            if n == 0:
                row = [guard(e.piece), dates.format_date(e.date), guard(e.libelle), guard(e.tiers), e.mode,
                       guard(e.cheque), *money, pointe]
            else:  # continuation row: pièce, action and amounts only
                row = [guard(e.piece)] + [""] * (len(FIXED_HEADERS) - 1)
            if with_action:
                row.append(guard(action))
            row.extend(format_plain(amounts[c]) if c in amounts else "" for c in codes)
            assert len(row) == len(header) and len(row) - len(codes) == first_account
            w.writerow(row)
    return "\ufeff" + out.getvalue()
