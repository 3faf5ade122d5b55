"""One colour per social worker, the same on every map, sheet and report.

The palette holds 14 light-to-medium colours for sector fills: six of Paul
Tol's colour-blind-safe "light" scheme first, then colours of his "muted"
scheme and ColorBrewer, each the farthest from those before it, so the first
eleven (a team of 11) differ by a CIE76 Delta E of at least 24, all fourteen by
at least 19, and dark symbols (partner markers, outlines, labels) read on
each of them. :func:`sector_colours` gives colour *i* to the *i*-th name in
French alphabetical order (or in the order of the team when it is given).
Callers pass every sector name of the plan, not only those a map shows, so a
worker keeps the same colour on every map, sheet and report of that plan.

Source: P. Tol, *Colour Schemes*, SRON/EPS/TN/09-002, 2021 (https://personal.sron.nl/~pault/).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from geo.collation import french_sorted

__all__ = ["SECTOR_PALETTE", "sector_colours", "lighten", "relative_luminance", "colour_difference"]

#: Fill colours of sectors, in the order they are handed out.
SECTOR_PALETTE = (
    "#77AADD",  # light blue       (Tol light)
    "#EE8866",  # orange           (Tol light)
    "#44BB99",  # mint             (Tol light)
    "#EEDD88",  # light yellow     (Tol light)
    "#FFAABB",  # pink             (Tol light)
    "#BBCC33",  # pear             (Tol light)
    "#E08214",  # amber            (ColorBrewer PuOr)
    "#999933",  # olive            (Tol muted)
    "#C2A5CF",  # lavender         (ColorBrewer PRGn)
    "#DE77AE",  # magenta pink     (ColorBrewer PiYG)
    "#A6DBA0",  # light green      (ColorBrewer PRGn)
    "#CC6677",  # rose             (Tol muted)
    "#99DDFF",  # light cyan       (Tol light)
    "#BF812D",  # ochre            (ColorBrewer BrBG)
)


def sector_colours(names: Iterable[str], team: Sequence[str] | None = None) -> dict[str, str]:
    """A fill colour per sector name, stable across maps and documents.

    Parameters
    ----------
    names : iterable of str
        The sector (worker) names of the plan; order and repeats do not matter.
    team : sequence of str, optional
        Names in the order of the team table: they take the first colours in
        that order, other names follow in French alphabetical order.

    Returns
    -------
    dict name -> "#RRGGBB"; beyond 14 names the palette starts again.
    """
    wanted = {str(n) for n in names}
    ordered = [n for n in dict.fromkeys(str(t) for t in (team or ())) if n in wanted]
    ordered += french_sorted(wanted - set(ordered))
    return {name: SECTOR_PALETTE[i % len(SECTOR_PALETTE)] for i, name in enumerate(ordered)}


def _rgb(colour: str) -> tuple[float, float, float]:
    text = colour.lstrip("#")
    return tuple(int(text[i:i + 2], 16) / 255 for i in (0, 2, 4))


def lighten(colour: str, amount: float) -> str:
    """``colour`` mixed with white (``amount`` 0: unchanged, 1: white)."""
    return "#" + "".join(f"{round(255 * (c + (1 - c) * amount)):02X}" for c in _rgb(colour))


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance (0 black, 1 white)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _lab(colour: str) -> tuple[float, float, float]:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _rgb(colour)]
    x = (0.4124 * linear[0] + 0.3576 * linear[1] + 0.1805 * linear[2]) / 0.95047
    y = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    z = (0.0193 * linear[0] + 0.1192 * linear[1] + 0.9505 * linear[2]) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def colour_difference(a: str, b: str) -> float:
    """CIE76 colour difference (Delta E) between two "#RRGGBB" colours."""
    return sum((p - q) ** 2 for p, q in zip(_lab(a), _lab(b))) ** 0.5
