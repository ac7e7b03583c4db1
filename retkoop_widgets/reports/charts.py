"""The CRF's two charts as inline SVG written by hand (bars per rubric, month-end balances).

Why not matplotlib: in the report kernel, importing matplotlib and drawing the two
figures cost ~0.7 s of the CRF's ~2.5 s (2 cores, measured with ``bench/reports.py``),
for two small charts whose geometry is fixed. Here they are ~150 lines of string
building: no import, ~1 ms, and vector output (sharp at any zoom, text selectable).
WeasyPrint draws this SVG as fast as the two PNGs it replaces (measured: within the
noise of a CRF's ~0.5 s layout) because the text stays ``<text>`` elements; matplotlib's
own SVG, with every glyph as a path, had cost ~1.2 s per chart.

Units: the viewBox is ``WIDTH`` wide and the SVG fills its half-page cell (~90 mm ≈ 256 pt),
so one unit is about one point and font sizes read as points. Amounts are integer cents
until the last moment, like everywhere else.
"""
from __future__ import annotations

import math
from typing import Sequence

from .fmt import MONTHS, esc, num

WIDTH = 256
CHARGES_COLOR, PRODUITS_COLOR = "#b5482f", "#2f6f9f"
BANK_COLOR, CASH_COLOR = "#2f6f9f", "#c98a1b"
AXIS, GRID, MUTED = "#333333", "#d5dbe3", "#666666"
FONT = 'font-family="DejaVu Sans, sans-serif"'
_NICE = (1, 2, 2.5, 5)


def nice_ticks(lo: int, hi: int, max_intervals: int = 5) -> list[int]:
    """Round tick values in cents covering ``[min(lo, 0), max(hi, 0)]`` with at most
    ``max_intervals`` intervals: steps of 1, 2, 2.5 or 5 × 10^k euros, never below 1 €."""
    lo, hi = min(lo, 0), max(hi, 0)
    if hi == lo:
        hi = lo + 100_00
    k = math.floor(math.log10(max((hi - lo) / max_intervals, 1)))
    while True:
        for m in _NICE:
            step = max(100, int(round(m * 10 ** k)))
            start, end = math.floor(lo / step) * step, math.ceil(hi / step) * step
            if (end - start) // step <= max_intervals:
                return list(range(start, end + 1, step))
        k += 1


def euro_tick(cents: int) -> str:
    """``250000`` → ``2 500 €`` (ticks are whole euros)."""
    return num(cents).split(",")[0] + " €"


def _text_width(text: str, size: float) -> float:
    """A generous estimate of DejaVu Sans text width (its glyphs average ~0.55 em)."""
    return len(text) * size * 0.58


def _svg(height: float, label: str, body: list[str]) -> str:
    return (f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.1f}" '
            f'width="100%" role="img" aria-label="{esc(label)}" {FONT}>' + "".join(body) + "</svg>")


def _t(x: float, y: float, text: str, size: float, anchor: str = "start", extra: str = "") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
            f'{esc(text)}</text>')


def rubric_chart(sides: Sequence[tuple[str, Sequence[tuple[str, int]], str]]) -> str:
    """Horizontal bars per rubric, one panel per side (charges, produits), one shared scale;
    each bar carries its amount. ``sides``: ``(title, [(rubric, cents), …], color)``."""
    fs, row, bar, title_h = 6.5, 12.0, 8.0, 13.0
    labels = [[r if len(r) <= 30 else r[:29] + "…" for r, _ in items] for _, items, _ in sides]
    amounts = [m for _, items, _ in sides for _, m in items]
    # The scale ends at the longest bar (its amount is printed next to it), not at a round
    # tick: longer bars. Gridlines at the round values inside.
    lo, hi = min([0, *amounts]), max([0, *amounts])
    if hi == lo:
        hi = lo + 100_00
    ticks = [t for t in nice_ticks(lo, hi, 4) if lo <= t <= hi]
    label_w = min(max((_text_width(lb, fs) for side in labels for lb in side), default=30), WIDTH * 0.45)
    value_w = max((_text_width(num(m), fs) for m in amounts), default=20) + 4
    x0, x1 = label_w + 5, WIDTH - value_w

    def x(cents: int) -> float:
        return x0 + (cents - lo) * (x1 - x0) / (hi - lo)

    grid, body, y = [], [], 0.0
    for (title, items, color), side_labels in zip(sides, labels):
        body.append(_t(0, y + 9, title, 7.5, extra=' font-weight="bold"'))
        y += title_h
        top = y
        if not items:
            body.append(_t(x(0) + 3, y + 8, "aucun montant", fs, extra=f' fill="{MUTED}" font-style="italic"'))
            y += row
        for lb, (_, m) in zip(side_labels, items):
            a, b = sorted((x(0), x(m)))
            body.append(_t(x0 - 4, y + 8, lb, fs, "end"))
            body.append(f'<rect x="{a:.1f}" y="{y + (row - bar) / 2:.1f}" width="{max(b - a, 0.6):.1f}" '
                        f'height="{bar}" fill="{color}"/>')
            body.append(_t(b + 2, y + 8, num(m), fs - 0.5, extra=f' fill="{MUTED}"'))
            y += row
        grid += [_vline(x(t), top, y, GRID, 0.5) for t in ticks if t != 0]
        grid.append(_vline(x(0), top, y, AXIS, 0.6))  # each panel's baseline
        y += 4
    bottom = y - 4
    axis = [_hline(x0, x1, bottom, AXIS, 0.6)]
    axis += [_t(x(t), bottom + 9, euro_tick(t), fs - 0.5, "middle") for t in ticks]
    return _svg(bottom + 12, "Charges et produits par rubrique", grid + body + axis)


def treasury_chart(months: Sequence[int], bank: Sequence[int], cash: Sequence[int]) -> str:
    """Bank and cash (cents) at the end of each month; ``months`` are 1–12, in exercice order."""
    fs, height = 6.5, 172.0
    ticks = nice_ticks(min(*bank, *cash, 0), max(*bank, *cash, 0), 7)
    lo, hi = ticks[0], ticks[-1]
    x0 = max(_text_width(euro_tick(t), fs) for t in ticks) + 5
    x1, y0, y1 = WIDTH - 3, 22.0, height - 26
    n = len(months)

    def px(i: int) -> float:
        return x0 + (i + 0.5) * (x1 - x0) / n

    def py(cents: int) -> float:
        return y1 - (cents - lo) * (y1 - y0) / (hi - lo)

    body = [_t(x0, 9, "Soldes en fin de mois", 7.5, extra=' font-weight="bold"')]
    lx = WIDTH - 118  # legend, top right
    for i, (name, color, shape) in enumerate((("Banque", BANK_COLOR, "o"), ("Caisse", CASH_COLOR, "s"))):
        x = lx + i * 60
        body.append(f'<line x1="{x}" x2="{x + 14}" y1="6.5" y2="6.5" stroke="{color}" stroke-width="1.3"/>')
        body.append(_marker(x + 7, 6.5, color, shape))
        body.append(_t(x + 18, 9, name, fs))
    for t in ticks:
        zero = t == 0 and lo < 0  # the zero line drawn like an axis when balances go negative
        body.append(_hline(x0, x1, py(t), AXIS if zero else GRID, 0.6 if zero else 0.5))
        body.append(_t(x0 - 3, py(t) + 2.3, euro_tick(t), fs - 0.5, "end"))
    body.append(_vline(x0, y0 - 4, y1, AXIS, 0.6))
    body.append(_hline(x0, x1, y1, AXIS, 0.6))
    for i, m in enumerate(months):
        body.append(f'<line x1="{px(i):.1f}" x2="{px(i):.1f}" y1="{y1:.1f}" y2="{y1 + 2:.1f}" stroke="{AXIS}" '
                    f'stroke-width="0.6"/>')
        body.append(f'<text transform="translate({px(i) + 2:.1f} {y1 + 5:.1f}) rotate(-50)" font-size="{fs - 0.5}" '
                    f'text-anchor="end">{esc(MONTHS[m - 1])}</text>')
    for values, color, shape in ((cash, CASH_COLOR, "s"), (bank, BANK_COLOR, "o")):
        pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="1.3" '
                    f'stroke-linejoin="round"/>')
        body += [_marker(px(i), py(v), color, shape) for i, v in enumerate(values)]
    return _svg(height, "Soldes de la banque et de la caisse en fin de mois", body)


def _vline(x: float, y1: float, y2: float, color: str, width: float) -> str:
    return f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" stroke="{color}" stroke-width="{width}"/>'


def _hline(x1: float, x2: float, y: float, color: str, width: float) -> str:
    return f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{color}" stroke-width="{width}"/>'


def _marker(x: float, y: float, color: str, shape: str) -> str:
    if shape == "s":
        return f'<rect x="{x - 1.7:.1f}" y="{y - 1.7:.1f}" width="3.4" height="3.4" fill="{color}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.9" fill="{color}"/>'
