"""The dates MS Project stored in an MSPDI file, read straight from the XML.

Independent of riskcast's importer, so that the engine's deterministic schedule of an imported
file can be checked against what MS Project computed for it.
"""

from __future__ import annotations

import datetime as dt
import os

import defusedxml.ElementTree as ET

NS = {"p": "http://schemas.microsoft.com/project"}


def stored_dates(path: str | os.PathLike[str]) -> dict[str, tuple[dt.date, dt.date]]:
    """Task id (the task's UID, as riskcast names imported MSPDI tasks) -> the (Start, Finish)
    dates MS Project stored (the date part of each date-time).

    Summaries, the project summary task (outline level 0), empty rows (IsNull) and inactive
    tasks are skipped, as riskcast does not import them as activities.
    """
    root = ET.parse(str(path)).getroot()
    out: dict[str, tuple[dt.date, dt.date]] = {}
    for task in root.findall("p:Tasks/p:Task", NS):

        def text(name: str, task=task) -> str:
            el = task.find(f"p:{name}", NS)
            return (el.text or "").strip() if el is not None else ""

        if text("IsNull") == "1" or text("Summary") == "1" or text("Active") == "0":
            continue
        if text("OutlineLevel") == "0" or not text("UID"):
            continue
        start, finish = text("Start"), text("Finish")
        if not start or not finish or start.startswith("NA") or finish.startswith("NA"):
            continue
        out[text("UID")] = (
            dt.datetime.fromisoformat(start).date(),
            dt.datetime.fromisoformat(finish).date(),
        )
    return out
