"""The dates Primavera P6 itself stored for each activity of an XER or PMXML file.

Read straight from the file, without riskcast's importers, so that the deterministic schedule
riskcast computes can be checked against P6's own: per activity ID (XER ``task_code``, PMXML
``Id``), the (start, finish) dates P6 wrote. A finished activity gives its actual dates; a
started one its actual start and its (remaining) early finish; an unstarted one its early start
and finish. Where P6 left the early dates empty, the remaining-work dates (XER
``restart_date`` / ``reend_date``) and then the planned ones are used. Activities without
dates are left out.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

XER_STARTS = ("act_start_date", "early_start_date", "restart_date", "target_start_date")
XER_FINISHES = ("act_end_date", "early_end_date", "reend_date", "target_end_date")
XML_STARTS = ("ActualStartDate", "EarlyStartDate", "RemainingEarlyStartDate", "StartDate")
XML_FINISHES = ("ActualFinishDate", "EarlyFinishDate", "RemainingEarlyFinishDate", "FinishDate")


def _day(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    return dt.date.fromisoformat(text[:10])


def _first(values: list[str | None]) -> dt.date | None:
    for value in values:
        day = _day(value)
        if day is not None:
            return day
    return None


def _xer_tasks(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    rows: list[dict[str, str]] = []
    table, fields = "", []
    for line in text.splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            table = rest.strip()
        elif kind == "%F":
            fields = rest.split("\t")
        elif kind == "%R" and table == "TASK":
            rows.append(dict(zip(fields, rest.split("\t"), strict=False)))
    return rows


def _xer(path: Path) -> dict[str, tuple[dt.date, dt.date]]:
    out = {}
    for row in _xer_tasks(path):
        start = _first([row.get(k) for k in XER_STARTS])
        finish = _first([row.get(k) for k in XER_FINISHES])
        if start is not None and finish is not None:
            out[row.get("task_code") or row.get("task_id", "")] = (start, finish)
    return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _pmxml(path: Path) -> dict[str, tuple[dt.date, dt.date]]:
    out = {}
    root = ET.parse(path).getroot()
    for project in (el for el in root if _local(el.tag) == "Project"):
        for act in (el for el in project if _local(el.tag) == "Activity"):
            values = {_local(c.tag): c.text for c in act}
            start = _first([values.get(k) for k in XML_STARTS])
            finish = _first([values.get(k) for k in XML_FINISHES])
            if start is not None and finish is not None:
                out[values.get("Id") or values.get("ObjectId") or ""] = (start, finish)
    return out


def stored_dates(path: str | Path) -> dict[str, tuple[dt.date, dt.date]]:
    """Activity ID -> (start, finish) as P6 stored them in the XER or PMXML file ``path``."""
    path = Path(path)
    head = path.read_bytes()[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return _xer(path) if head.startswith(b"ERMHDR") else _pmxml(path)
