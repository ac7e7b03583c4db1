"""Scanned receipts: PDF, JPEG or PNG, recognised by their bytes, never by their name."""
from __future__ import annotations

import hashlib

from .errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"\x89PNG\r\n\x1a\n", "image/png"))


def clean_filename(name: str) -> str:
    """The name to store and show: the last part of whatever path a browser or a crafted
    message sent (no ``../../``, no folders), without control characters, at most 120
    characters keeping the extension; ``fichier`` when nothing is left."""
    import unicodedata
    base = str(name or "").replace("\\", "/").split("/")[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    base = base.strip().lstrip(".").strip()
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:110] + dot + ext[:9]) if dot and len(ext) <= 9 else base[:120]
    return base or "fichier"


def sniff(content: bytes) -> str | None:
    for magic, mime in _MAGIC:
        if content.startswith(magic):
            return mime
    return None


def check(filename: str, content: bytes) -> tuple[str, str]:
    """Return (mime type, sha256 hex) or refuse in French saying why."""
    if not content:
        raise ValidationError(f"« {filename} » est vide", "fichier")
    if len(content) > MAX_BYTES:
        size = f"{len(content) / 1024 / 1024:.1f}".replace(".", ",")
        raise ValidationError(
            f"« {filename} » pèse {size} Mo : la limite est de {MAX_BYTES // 1024 // 1024} Mo "
            "(numérisez en 150 ou 200 dpi, ou photographiez en qualité moyenne)", "fichier")
    mime = sniff(content)
    if mime is None:
        raise ValidationError(
            f"« {filename} » n'est ni un PDF, ni une image JPEG ou PNG (contenu vérifié, "
            "pas seulement le nom)", "fichier")
    return mime, hashlib.sha256(content).hexdigest()
