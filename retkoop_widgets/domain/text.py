"""What a typed text may hold: one table of lengths, one set of forbidden characters.

Why here and not in the database: SQLite stores a 500-character tiers or a NUL byte
without a word, PostgreSQL refuses them with an English ``DataError``. The same input
must get the same answer on both, in French, before anything is stored, so every text
field is checked against ``LIMITS`` (the column lengths of ``storage/orm.py``; a test
keeps the two equal) and against ``forbidden_characters``.

Forbidden: control characters (NUL, tab, line breaks, escape…, Unicode category Cc),
lone surrogates (Cs: not encodable in UTF-8, PostgreSQL refuses them), private-use
characters (Co), the Unicode line/paragraph separators and the bidirectional overrides
(U+202A–U+202E, U+2066–U+2069) that make a text display differently from what it is.
A cahier line is one line: a libellé never spans lines.
"""
from __future__ import annotations

import unicodedata

from .errors import Problem

#: Maximum length (characters) of each typed text, equal to its column in storage/orm.py.
LIMITS: dict[str, int] = {
    "piece": 20,       # entry.piece
    "libelle": 200,    # entry.libelle
    "tiers": 200,      # entry.tiers
    "mode": 12,        # entry.mode
    "cheque": 20,      # entry.cheque
    "action": 100,     # posting.action
    "account": 12,     # posting.account
    "exercice": 9,     # exercice.name (always ``2025-2026``)
    # Not yet checked by their own modules (subsidy.py, services/administration.py): the
    # same table, for ``text_problems(value, "grantor")`` there.
    "ad_code": 16, "ad_name": 200,                       # ad.code, ad.name
    "coop_code": 32, "coop_name": 200,                   # coop.code, coop.name
    "grantor": 200, "grantor_type": 40, "subsidy_object": 300,  # subsidy.grantor, .grantor_type, .object
    "designation": 200, "location": 100,                 # durable_good.designation, .location
}

#: How each field is named in a French refusal.
LABELS: dict[str, str] = {
    "piece": "le numéro de pièce", "libelle": "le libellé", "tiers": "le tiers", "mode": "le mode",
    "cheque": "le numéro de chèque", "action": "l'action", "account": "le compte",
    "exercice": "l'exercice", "ad_code": "le code de l'AD", "ad_name": "le nom de l'AD",
    "coop_code": "le code de la coopérative", "coop_name": "le nom de la coopérative",
    "grantor": "l'organisme", "grantor_type": "le type d'organisme", "subsidy_object": "l'objet",
    "designation": "la désignation", "location": "le lieu",
}

_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
_BAD_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Zl", "Zp"})


def is_forbidden(ch: str) -> bool:
    return ord(ch) in _BIDI or unicodedata.category(ch) in _BAD_CATEGORIES


def forbidden_characters(text: str) -> list[str]:
    """The forbidden characters of ``text`` (each once, in order), empty when clean."""
    if text.isprintable() and not any(ord(c) in _BIDI for c in text):
        return []  # fast path: printable text has no Cc/Cs/Co/Zl/Zp character
    seen: dict[str, None] = {}
    for ch in text:
        if is_forbidden(ch):
            seen.setdefault(ch)
    return list(seen)


def describe(ch: str) -> str:
    """``U+0000 (NUL)``, ``U+000A (saut de ligne)``: a forbidden character, for a message."""
    names = {"\x00": "NUL", "\t": "tabulation", "\n": "saut de ligne", "\r": "retour chariot",
             "\x1b": "échappement"}
    name = names.get(ch) or unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def text_problems(value: str, field: str, *, prefix: str = "") -> list[Problem]:
    """Every problem of one typed text: too long for its column, forbidden characters.

    ``prefix`` locates it inside a form (``ventilation ligne 2 : ``)."""
    problems = []
    label = LABELS[field]
    bad = forbidden_characters(value)
    if bad:
        problems.append(Problem(
            f"{prefix}{label} contient un caractère interdit ({', '.join(describe(c) for c in bad[:3])}) : "
            "retirez-le (un texte tient sur une ligne, sans caractère de contrôle)", field))
    limit = LIMITS[field]
    if len(value) > limit:
        problems.append(Problem(f"{prefix}{label} dépasse {limit} caractères ({len(value)})", field))
    return problems


def printable(text: str) -> str:
    """``text`` safe for a terminal: forbidden characters shown as ``\\x00``, ``\\n``, ``\\u202e``
    (data stored before these rules may hold some)."""
    if not forbidden_characters(text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if is_forbidden(ch) else ch for ch in text)


def plural(n: int, word: str) -> str:
    """``3 lignes``, ``1 ligne``: a count and its French word (plural in ``s``)."""
    return f"{n} {word}{'s' if n > 1 else ''}"
