"""Scanned receipts: PDF, JPEG or PNG, recognised by their bytes, never by their name."""
from __future__ import annotations

import hashlib

from .errors import ValidationError

MAX_BYTES = 10 * 1024 * 1024
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"\x89PNG\r\n\x1a\n", "image/png"))


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
        raise ValidationError(
            f"« {filename} » pèse {len(content) / 1024 / 1024:.1f} Mo : la limite est de 10 Mo "
            "(numérisez en 150 ou 200 dpi)".replace(".", ",", 1), "fichier")
    mime = sniff(content)
    if mime is None:
        raise ValidationError(
            f"« {filename} » n'est ni un PDF, ni une image JPEG ou PNG (contenu vérifié, "
            "pas seulement le nom)", "fichier")
    return mime, hashlib.sha256(content).hexdigest()
