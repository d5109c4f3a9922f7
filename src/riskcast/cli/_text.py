"""Text for people and spreadsheets: CSV cells, aligned table columns, days and percentages."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any


def csv_text(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    """``rows`` as CSV: floats to 6 significant digits, dates in ISO form, None empty."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def iso(d: Any) -> Any:
    """A date for JSON: ISO text, or None."""
    return None if d is None else d.isoformat()


def aligned(rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """Rows of cells as lines of columns two spaces apart (columns in ``right`` right-aligned)."""
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    return [
        "  ".join(
            c.rjust(w) if k in right else c.ljust(w)
            for k, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def percent(share: float | None) -> str:
    """A share of runs (0..1) as a whole percentage; '-' when there is none."""
    return "-" if share is None else f"{100 * share:.0f}%"


def days(value: float) -> str:
    """Working days, signed, one decimal."""
    return f"{value:+.1f}"
