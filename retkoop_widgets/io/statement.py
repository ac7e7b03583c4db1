"""Bank statement files, whatever the bank gives: CSV, OFX 1.x (SGML) and 2.x (XML), QIF
and CFONB 120, recognised from their content (never from the file name, which a download
often loses) and read into the same ``domain.statement.Statement``.

Why from content: a teacher picks « relevé.txt » or « export (3).ofx » from a download
folder; the first bytes say what it is (``OFXHEADER:`` or ``<OFX>``, ``!Type:``, 120-character
records starting ``01``), and anything else is read as CSV — whose refusals say what a
statement file should look like.
"""
from __future__ import annotations

import re

from ..domain.errors import Problem, ValidationError
from ..domain.statement import Statement
from .statement_csv import MAX_CHARS, decode_statement, parse_csv  # noqa: F401

CSV, OFX, QIF, CFONB = "CSV", "OFX", "QIF", "CFONB 120"

_OFX_START = re.compile(r"^\s*(?:OFXHEADER\s*:|<\?xml[^>]*>\s*<\?OFX\b|<OFX>)", re.I)
_CFONB_START = re.compile(r"^0[1457]\d{5}")


def detect_format(text: str) -> str:
    """``OFX``, ``QIF``, ``CFONB 120`` or ``CSV`` (the default) for a statement's text."""
    head = text.lstrip("\ufeff")[:2000]
    if _OFX_START.match(head) or ("<OFX>" in head.upper() and "<STMT" in text.upper()):
        return OFX
    first = next((ln.strip() for ln in head.splitlines() if ln.strip()), "")
    if first.upper().startswith(("!TYPE:", "!ACCOUNT", "!OPTION:", "!CLEAR:")):
        return QIF
    raw_first = next((ln.rstrip("\r\n") for ln in head.splitlines() if ln.strip()), "")
    if _CFONB_START.match(raw_first) and (104 <= len(raw_first.rstrip()) <= 120
                                          or (len(raw_first) > 120 and len(raw_first) % 120 == 0)):
        return CFONB
    return CSV


def parse_statement(data: bytes | bytearray | memoryview | str, source: str = "le relevé") -> Statement:
    """Read a statement file of any accepted format (``detect_format``). Every problem of
    the file is raised at once as one ``ValidationError``, each located (``ligne 12``), in
    French; nothing partial is returned."""
    decoded = decode_statement(data)
    if len(decoded.text) > MAX_CHARS:
        raise ValidationError(Problem(f"{source} est trop gros ({len(decoded.text) // 1_000_000} millions de "
                                      "caractères) pour un relevé de coopérative : est-ce le bon fichier ?", "fichier"))
    kind = detect_format(decoded.text)
    if kind == OFX:
        from .statement_ofx import parse_ofx  # ofxtools is imported only for an OFX file
        return parse_ofx(bytes(data) if not isinstance(data, str) else data.encode("utf-8"), source)
    if kind == QIF:
        from .statement_qif import parse_qif
        return parse_qif(decoded, source)
    if kind == CFONB:
        from .statement_cfonb import parse_cfonb
        return parse_cfonb(decoded, source)
    return parse_csv(data, source)
