"""The chart of accounts (plan comptable) as data.

ADs use variants of the OCCE nomenclature, so the chart is a CSV file an AD can replace
(``retkoop chart import``), never code. An account is known by its short PCG code
(``6281``) and by the OCCE 8-digit code (``62810008``: short code padded with zeros to
seven digits, then ``8``); either is accepted wherever a user types an account.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

from .errors import Problem, ValidationError

BANK = "512"
CASH = "530"
TREASURY = (BANK, CASH)
#: Public subsidies (« Subventions d'exploitation »): the CRF's subsidy table is checked against it.
SUBSIDY_ACCOUNT = "7410"
CLASSES = ("charge", "produit", "tresorerie")


@dataclass(frozen=True)
class Account:
    code: str
    code_occe: str
    libelle: str
    classe: str  # charge | produit | tresorerie
    rubrique: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.libelle}"


def occe_code(code: str) -> str:
    """``6281`` → ``62810008``; ``61681`` → ``61681008``; ``68`` → ``68000008``."""
    return code.ljust(7, "0")[:7] + "8"


class Chart:
    """An immutable set of accounts, looked up by short or OCCE code."""

    def __init__(self, accounts: Iterable[Account]):
        self.accounts: tuple[Account, ...] = tuple(sorted(accounts, key=lambda a: a.code))
        self._by: dict[str, Account] = {}
        for a in self.accounts:
            self._by[a.code] = a
            if a.code_occe:
                self._by[a.code_occe] = a

    def __iter__(self):
        return iter(self.accounts)

    def __len__(self) -> int:
        return len(self.accounts)

    def get(self, code: str) -> Account | None:
        return self._by.get(str(code).strip())

    def lookup(self, code: str, field: str = "compte") -> Account:
        """The account for a short or OCCE code, or a French refusal."""
        acc = self.get(code)
        if acc is None:
            raise ValidationError(
                f"compte « {str(code).strip()} » inconnu du plan comptable", field)
        return acc

    def of_class(self, classe: str) -> list[Account]:
        return [a for a in self.accounts if a.classe == classe]

    def resolve(self, text: str, classe: str | None = None, field: str = "compte") -> Account:
        """What a person typed in an account field → the account. A code (short or OCCE),
        the picker's « 6281 — Cotisation OCCE », or words of its label (« cotisation »,
        « assurance », « photos »): accents and case ignored, every word must appear. Several
        matches or none are refused in French, naming the candidates or the closest labels."""
        typed = (text or "").strip()
        shown = typed if len(typed) <= 60 else typed[:60] + "…"  # echoed back: never a whole page
        head = typed.split(" ", 1)[0]
        if head.isdigit():
            acc = self.get(head)
            if acc is None or classe is not None and acc.classe != classe:
                raise ValidationError(f"compte « {head[:20]} » inconnu du plan comptable"
                                      + ("" if acc is None else f" des {_CLASS_PLURAL[classe]}"), field)
            return acc
        words = [w for w in fold(typed).replace("—", " ").split() if len(w) > 1]
        if not words:
            raise ValidationError("choisissez un compte (code ou mot de son libellé)", field)
        pool = [a for a in self.accounts if classe is None or a.classe == classe]
        found = self.candidates(typed, classe)
        if len(found) == 1:
            return found[0]
        if found:
            names = " ; ".join(f"{a.code} {a.libelle}" for a in found[:5])
            more = f" (et {len(found) - 5} autres)" if len(found) > 5 else ""
            raise ValidationError(f"plusieurs comptes correspondent à « {shown} » : {names}{more} : "
                                  "choisissez-en un dans la liste", field)
        import difflib
        labels = {fold(a.libelle): a for a in pool}
        close = difflib.get_close_matches(fold(typed[:200]), list(labels), n=3, cutoff=0.4)
        if not close:  # a word close to a word of a label
            vocab = {w: a for a in pool for w in fold(a.libelle).split() if len(w) > 3}
            close = [fold(vocab[w].libelle) for w in difflib.get_close_matches(words[0], list(vocab), n=3, cutoff=0.6)]
        hint = (" ; le plus proche : " + " ; ".join(f"{labels[c].code} {labels[c].libelle}" for c in dict.fromkeys(close))
                if close else "")
        raise ValidationError(f"aucun compte ne correspond à « {shown} »{hint}", field)

    def candidates(self, text: str, classe: str | None = None) -> list[Account]:
        """The accounts whose label holds every word of ``text`` (accents and case ignored,
        one-letter words skipped): what ``resolve`` matches words against, and what a
        caller that breaks ties its own way (a spreadsheet header) lists."""
        words = [w for w in fold(text or "").replace("—", " ").split() if len(w) > 1]
        if not words:
            return []
        return [a for a in self.accounts if (classe is None or a.classe == classe)
                and all(w in fold(a.libelle) for w in words)]

    def search(self, text: str, classe: str | None = None) -> list[Account]:
        """Accounts whose code or label contains ``text`` (case and accents ignored)."""
        needle = fold(text)
        return [a for a in self.accounts
                if (classe is None or a.classe == classe)
                and (needle in fold(a.label) or needle in a.code_occe)]


_CLASS_PLURAL = {"charge": "charges (dépenses)", "produit": "produits (recettes)", "tresorerie": "comptes de trésorerie"}


def fold(text: str) -> str:
    """Lower case without accents, for searching and matching headers: the one accent
    folding of the code."""
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", text.lower())
                   if unicodedata.category(c) != "Mn")


def fold_text(text: str | None) -> str:
    """``fold`` with spaces collapsed: how libellés, names and patterns compare."""
    return " ".join(fold(text or "").split())


def parse_chart_csv(text: str, source: str = "plan comptable") -> Chart:
    """Read a chart in the shared file's format (``;``-separated, header
    ``code;code_occe;libelle;classe;rubrique[;source]``). Every bad line is reported."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    needed = {"code", "libelle", "classe", "rubrique"}
    header = {fold(h or "").strip() for h in (reader.fieldnames or [])}
    missing = needed - header
    if missing:
        raise ValidationError(
            f"{source} : colonnes manquantes : {', '.join(sorted(missing))} "
            "(attendu : code;code_occe;libelle;classe;rubrique)")
    problems: list[Problem] = []
    accounts: list[Account] = []
    seen: dict[str, int] = {}
    for lineno, row in enumerate(reader, start=2):
        row = {fold(k or "").strip(): (v or "").strip() for k, v in row.items()}
        code = row.get("code", "")
        where = f"{source}, ligne {lineno}"
        if not code.isdigit():
            problems.append(Problem(f"code « {code} » : un code de compte ne contient que des chiffres", "code", where))
            continue
        classe = fold(row.get("classe", ""))
        if classe not in CLASSES:
            problems.append(Problem(f"classe « {row.get('classe')} » inconnue (charge, produit ou tresorerie)", "classe", where))
            continue
        if classe == "charge" and not code.startswith("6") or classe == "produit" and not code.startswith("7"):
            problems.append(Problem(f"le compte {code} ne peut pas être de classe {classe} "
                                    "(les charges commencent par 6, les produits par 7)", "classe", where))
            continue
        occe = row.get("code_occe", "") or (occe_code(code) if classe != "tresorerie" else "")
        if occe and (not occe.isdigit() or len(occe) != 8):
            problems.append(Problem(f"code OCCE « {occe} » : 8 chiffres attendus", "code_occe", where))
            continue
        if code in seen:
            problems.append(Problem(f"compte {code} déjà défini ligne {seen[code]}", "code", where))
            continue
        seen[code] = lineno
        accounts.append(Account(code, occe, row.get("libelle", ""), classe, row.get("rubrique", "")))
    if problems:
        raise ValidationError(problems)
    codes = {a.code for a in accounts}
    for t in TREASURY:
        if t not in codes:
            raise ValidationError(f"{source} : le compte de trésorerie {t} est obligatoire")
    return Chart(accounts)


def chart_to_csv(chart: Chart) -> str:
    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\n")
    w.writerow(["code", "code_occe", "libelle", "classe", "rubrique"])
    for a in chart:
        w.writerow([a.code, a.code_occe, a.libelle, a.classe, a.rubrique])
    return out.getvalue()


_DEFAULT: Chart | None = None


def default_chart() -> Chart:
    """The OCCE chart shipped with the package (``data/plan-comptable-occe.csv``)."""
    global _DEFAULT
    if _DEFAULT is None:
        text = resources.files("retkoop_widgets.data").joinpath("plan-comptable-occe.csv").read_text("utf-8")
        _DEFAULT = parse_chart_csv(text, "plan comptable OCCE")
    return _DEFAULT
