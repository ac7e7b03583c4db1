"""French dates: users type and read jj/mm/aaaa."""
from __future__ import annotations

import re
from datetime import date

from .errors import ValidationError

_DMY = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")


def parse_date(text: str, field: str = "date") -> date:
    """``03/10/2025`` (also ``3/10/2025``, ``03.10.2025``, ISO ``2025-10-03``) → date."""
    s = (text or "").strip()
    m = _DMY.match(s)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        m = _ISO.match(s)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValidationError(f"la date « {s} » n'existe pas", field) from None
    if not s:
        raise ValidationError("la date est vide", field)
    raise ValidationError(f"date « {s} » illisible : attendu jj/mm/aaaa (ex. 03/10/2025)", field)


def format_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""
