"""Read Primavera P6 XER exports into a riskcast Project.

An XER file is tab-separated text: ``ERMHDR`` header, then per table ``%T name``, ``%F`` field
names and ``%R`` rows, ending with ``%E``. Units: durations and lags are hours
(``target_drtn_hr_cnt``, ``lag_hr_cnt``); a calendar's ``day_hr_cnt`` gives its hours per working
day; resource rates (``RSRCRATE.cost_per_qty``) are per hour; dates are ``YYYY-MM-DD HH:MM``.

Calendars (``clndr_data``) are nested ``(0||name(attributes)(children))`` nodes: ``DaysOfWeek``
with days 1 = Sunday .. 7 = Saturday, each holding work periods ``(s|08:00|f|12:00)``, and
``Exceptions`` dated ``(d|43650)`` in days since 1899-12-30, non-working when they hold no periods
(else working those periods).

What is read: the project (or the one named; stub projects, ``export_flag`` N, are not offered),
every calendar an activity uses with its work periods, exceptions and hours per day, WBS paths,
activities on their own calendars, their relationships and lags (on the calendar the project's
"calendar for relationship lag" option names), primary and secondary constraints, progress
(``status_code``, actual dates, remaining duration, percent complete, the data date
``last_recalc_date``), resources with rates, assignments, project expenses (``PROJCOST``, costed
as their activities' fixed costs) and user-defined fields for three-point estimates. The text is UTF-8 or UTF-16 when it is, else the Windows code page P6 wrote it in
(named in the ERMHDR line, else judged from the base currency and the text; Windows-1252 when
nothing says otherwise).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ModelError
from ..model import Assignment, Resource
from . import limits
from ._p6 import (
    CalendarData,
    P6Reader,
    capacity_steps,
    checked_hours_per_day,
    pick_project,
    pick_rate,
    work_period,
)
from .limits import show
from .schedules import (
    ImportResult,
    RawTask,
    naming,
    outline_paths,
    parse_number,
    three_point_roles,
)

LINK_TYPES = {"PR_FS": "FS", "PR_SS": "SS", "PR_FF": "FF", "PR_SF": "SF"}
MILESTONE_TYPES = ("TT_Mile", "TT_FinMile")
# Activity types P6 stretches over their links, as the warnings name them.
STRETCHED = {"TT_LOE": "level-of-effort", "TT_WBS": "WBS summary"}
# "Calendar for scheduling relationship lag" (SCHEDOPTIONS.sched_calendar_on_relationship_lag).
LAG_CALENDARS = {
    "rcal_Predecessor": "predecessor",
    "rcal_Successor": "successor",
    "rcal_ProjDefault": "project",
    "rcal_24Hour": "24hour",
}
# Constraint codes (cstr_type, cstr_type2) as P6 names them (see _p6.CONSTRAINT_FIELDS).
CONSTRAINTS = {
    "CS_MSO": "start on",
    "CS_MSOA": "start on or after",
    "CS_MSOB": "start on or before",
    "CS_MEO": "finish on",
    "CS_MEOA": "finish on or after",
    "CS_MEOB": "finish on or before",
    "CS_ALAP": "as late as possible",
    "CS_ASAP": "as soon as possible",
    "CS_MANDSTART": "mandatory start",
    "CS_MANDFIN": "mandatory finish",
}
STATUS = {"TK_Complete": "complete", "TK_Active": "active", "TK_NotStart": "not started"}


# --------------------------------------------------------------------------------------------
# Calendars (clndr_data).

EXCEL_EPOCH = dt.date(1899, 12, 30)  # clndr_data exception dates count days from here
P6_DAYS = {"1": "sun", "2": "mon", "3": "tue", "4": "wed", "5": "thu", "6": "fri", "7": "sat"}


def _calendar_nodes(text: str, place: str, source: str) -> tuple[list, int]:
    """Parse clndr_data ``(0||name(attrs)(children))`` into nested [name, attrs, children],
    and the number of characters left after the first top node closes (0 in P6's files).

    One left-to-right pass with an explicit stack: any nesting depth, linear time."""
    s = "".join(ch for ch in text if ch not in " \t\r\n\x7f")
    pos = 0

    def fail(what: str) -> ModelError:
        return ModelError(
            f"{place}: calendar data damaged at character {pos} ({what}); its work week and "
            "holidays cannot be read. Export the file again from P6",
            source,
        )

    def opening() -> list:
        """The node starting at ``pos`` up to its children list, which is left open."""
        nonlocal pos
        if s[pos : pos + 1] != "(":
            raise fail("expected '('")
        end = s.find("(", pos + 1)
        if end < 0:
            raise fail("unfinished node")
        header = s[pos + 1 : end]
        name = header.split("||", 1)[-1]
        close = s.find(")", end)
        if close < 0:
            raise fail("unfinished attributes")
        attrs = s[end + 1 : close].split("|")
        pos = close + 1
        if s[pos : pos + 1] != "(":
            raise fail("expected the children list")
        pos += 1
        return [name, dict(zip(attrs[::2], attrs[1::2], strict=False)), []]

    if not s:
        return [], 0
    root = opening()
    open_nodes = [root]
    while open_nodes:
        if s[pos : pos + 1] == "(":
            child = opening()
            open_nodes[-1][2].append(child)
            open_nodes.append(child)
        elif s[pos : pos + 2] == "))":
            pos += 2
            open_nodes.pop()
        else:
            raise fail("expected '))'")
    return [root], len(s) - pos


_SERIAL = re.compile(r"[0-9]{1,7}")


def _periods(nodes: list, place: str, warnings: list[str] | None) -> list[tuple[float, float]]:
    """The work periods ``(s|08:00|f|12:00)`` of a weekday or exception node, as minutes; an
    unreadable one is reported (and left out)."""
    out = []
    for _, attrs, _ in nodes:
        period = work_period(attrs.get("s", ""), attrs.get("f", ""))
        if period is None:
            if warnings is not None:
                warnings.append(
                    f"{place}: work period {show(attrs.get('s', ''))}-"
                    f"{show(attrs.get('f', ''))} is not a time span within a day; left out"
                )
            continue
        out.append(period)
    return sorted(out)


_LAST_SERIAL = (dt.date.max - EXCEL_EPOCH).days


def parse_calendar_data(
    text: str,
    place: str,
    source: str,
    warnings: list[str] | None = None,
) -> CalendarData:
    """Weekdays and exceptions of an XER ``clndr_data`` value.

    What cannot be read is reported in ``warnings``, naming ``place`` (table, line, calendar):
    data without a ``DaysOfWeek`` or ``Exceptions`` node (the work week or the holidays could
    not be read), exceptions without a date, and content after the calendar data's end."""
    cal = CalendarData()
    stack, left = _calendar_nodes(text, place, source)
    found: set[str] = set()
    undated = 0
    if stack and stack[0][0] != "CalendarData":
        found.add("?")  # a top node P6 does not write
    top = stack[0][0] if stack else ""
    while stack:
        node, _, children = stack.pop()
        if node == "DaysOfWeek":
            found.add(node)
            for day, _, periods in children:
                if day in P6_DAYS:
                    cal.set_day(P6_DAYS[day], _periods(periods, place, warnings))
        elif node == "Exceptions":
            found.add(node)
            for _, attrs, periods in children:
                serial = attrs.get("d", "")
                if not serial:
                    undated += 1
                    continue
                if not _SERIAL.fullmatch(serial) or int(serial) > _LAST_SERIAL:
                    raise ModelError(
                        f"{place}: calendar exception date {show(serial)} is not a day number "
                        "(days since 1899-12-30) up to the year 9999; the calendar data is "
                        "damaged. Export the file again from P6",
                        source,
                    )
                cal.set_exception(
                    EXCEL_EPOCH + dt.timedelta(int(serial)), _periods(periods, place, warnings)
                )
        else:
            stack.extend(children)
    if warnings is not None and text.strip():
        if "Exceptions" not in found:  # P6 writes one, empty when there are no holidays
            lost = ["the holidays (no Exceptions node; none are imported)"]
            if "DaysOfWeek" not in found:
                lost.append("the work week (no DaysOfWeek node; its base's or Mon-Fri is used)")
            shape = f" (its top node is {show(top)}, not CalendarData)" if "?" in found else ""
            warnings.append(
                f"{place}: the calendar data is not laid out as P6 writes it{shape}, so "
                f"{' and '.join(lost)} could not be read. Check the calendar in P6 and export "
                "the file again"
            )
        if undated:
            warnings.append(
                f"{place}: {undated} calendar exception{'s' if undated > 1 else ''} without a "
                "date (no d attribute) could not be read; their holidays are not imported"
            )
        if left:
            warnings.append(
                f"{place}: {left:,} characters after the end of the calendar data could not be "
                "read; any holidays in them are not imported"
            )
    return cal


# --------------------------------------------------------------------------------------------
# The XER table layout.


@dataclass
class Table:
    """One XER table: its field names, rows (dicts) and the line number of each row."""

    name: str
    fields: list[str]
    line: int
    rows: list[dict[str, str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    field_line: int = 0  # the line of the %F field list
    lengths: list[int] = field(default_factory=list)  # values in each row


@dataclass(frozen=True)
class Columns:
    """What the reader needs of a table: ``required`` columns must be in its %F field list,
    ``filled`` ones must also hold a value in every row (P6 always writes them), so that a row
    cut short before one of them is an error, not a row of empty values. Rows may end early
    otherwise: P6 leaves out trailing empty values."""

    required: tuple[str, ...]
    filled: tuple[str, ...] = ()


# Every table the reader uses; text in these columns is limited to limits.MAX_TEXT characters,
# except the calendar data (clndr_data), which is long and parsed on its own.
COLUMNS = {
    "PROJECT": Columns(("proj_id", "proj_short_name", "clndr_id", "plan_start_date"), ("proj_id",)),
    "CALENDAR": Columns(
        ("clndr_id", "clndr_name", "base_clndr_id", "day_hr_cnt", "clndr_data"), ("clndr_id",)
    ),
    "PROJWBS": Columns(
        ("wbs_id", "proj_id", "parent_wbs_id", "proj_node_flag", "wbs_name", "wbs_short_name"),
        ("wbs_id", "proj_id"),
    ),
    "TASK": Columns(
        (
            "task_id",
            "proj_id",
            "wbs_id",
            "clndr_id",
            "complete_pct_type",
            "task_type",
            "status_code",
            "task_code",
            "task_name",
            "remain_drtn_hr_cnt",
            "target_drtn_hr_cnt",
            "cstr_date",
            "act_start_date",
            "act_end_date",
            "cstr_type",
        ),
        ("task_id", "proj_id", "task_type", "status_code", "task_code", "target_drtn_hr_cnt"),
    ),
    "TASKPRED": Columns(
        ("task_id", "pred_task_id", "pred_type", "lag_hr_cnt"),
        ("task_id", "pred_task_id", "pred_type"),
    ),
    "SCHEDOPTIONS": Columns(("proj_id",), ("proj_id",)),
    "RSRC": Columns(("rsrc_id", "rsrc_name", "rsrc_short_name"), ("rsrc_id",)),
    "RSRCRATE": Columns(("rsrc_id", "cost_per_qty", "start_date"), ("rsrc_id",)),
    "TASKRSRC": Columns(("task_id", "rsrc_id", "target_qty_per_hr"), ("task_id",)),
    "UDFTYPE": Columns(("udf_type_id", "table_name", "udf_type_label"), ("udf_type_id",)),
    "UDFVALUE": Columns(("udf_type_id", "fk_id"), ("udf_type_id", "fk_id")),
    "PROJCOST": Columns(("task_id", "target_cost"), ("task_id",)),
}
LONG_COLUMNS = {"clndr_data"}
# Every column the reader reads (its text is length-checked).
COLUMNS_READ = {c for spec in COLUMNS.values() for c in spec.required} | {
    "export_flag",
    "default_flag",
    "phys_complete_pct",
    "act_work_qty",
    "act_equip_qty",
    "remain_work_qty",
    "remain_equip_qty",
    "cstr_type2",
    "cstr_date2",
    "sched_calendar_on_relationship_lag",
    "pred_proj_id",
    "cost_qty_type",
    "cost_per_qty_source_type",
    "rate_type",
    "udf_number",
    "udf_text",
    "udf_type_name",
    "act_cost",
    "remain_cost",
    "cost_name",
}
DAMAGED = "the file is damaged or was not exported by P6; export it again from P6"


# Code pages P6 writes XER files in (the Windows code page of the exporting machine), by the
# name or number a header may give and by the base currency ERMHDR names last.
CODE_PAGES = {
    "874": "cp874",
    "932": "cp932",
    "936": "gbk",
    "949": "cp949",
    "950": "cp950",
    **{str(n): f"cp{n}" for n in range(1250, 1259)},
}
CODE_PAGE_NAMES = {
    "cp874": "Windows-874 (Thai)",
    "cp932": "Windows-932 (Japanese)",
    "gbk": "Windows-936 (Simplified Chinese)",
    "cp949": "Windows-949 (Korean)",
    "cp950": "Windows-950 (Traditional Chinese)",
    "cp1250": "Windows-1250 (Central European)",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1252": "Windows-1252 (Western European)",
    "cp1253": "Windows-1253 (Greek)",
    "cp1254": "Windows-1254 (Turkish)",
    "cp1255": "Windows-1255 (Hebrew)",
    "cp1256": "Windows-1256 (Arabic)",
    "cp1257": "Windows-1257 (Baltic)",
    "cp1258": "Windows-1258 (Vietnamese)",
}
CURRENCY_CODE_PAGES = {
    **dict.fromkeys(("RUB", "RUR", "UAH", "BYN", "BYR", "KZT", "BGN", "RSD", "MKD"), "cp1251"),
    **dict.fromkeys(("PLN", "CZK", "HUF", "RON", "HRK", "ALL", "BAM"), "cp1250"),
    "TRY": "cp1254",
    "ILS": "cp1255",
    **dict.fromkeys(("SAR", "AED", "EGP", "QAR", "KWD", "IRR", "IQD", "OMR", "BHD"), "cp1256"),
    "THB": "cp874",
    "JPY": "cp932",
    "CNY": "gbk",
    "KRW": "cp949",
    "TWD": "cp950",
    "VND": "cp1258",
}
_CODE_PAGE_FIELD = re.compile(r"(?i)(?:cp|windows-?|code ?page ?)?(874|9[345][0260]|125[0-8])")
_HIGH_RUN = re.compile(rb"[\xc0-\xff]{3,}")


def _code_page(data: bytes) -> tuple[str, str]:
    """(codec, why) for XER bytes that are not UTF-8: a code page the ERMHDR line names, else
    the one of its base currency, else Windows-1251 when the text's letters come in runs of
    Cyrillic letters (bytes C0-FF: whole words, where Western text only has single accented
    letters), else Windows-1252, P6's default."""
    header = data.split(b"\n", 1)[0].decode("ascii", "replace").rstrip("\r").split("\t")
    for value in header[1:]:
        m = _CODE_PAGE_FIELD.fullmatch(value.strip())
        if m and m.group(1) in CODE_PAGES:
            return CODE_PAGES[m.group(1)], f"the code page its ERMHDR line names ({value.strip()})"
    currency = header[-1].strip().upper() if len(header) > 1 else ""
    if currency in CURRENCY_CODE_PAGES:
        return CURRENCY_CODE_PAGES[currency], f"judged from its base currency {currency}"
    high = sum(1 for b in data if b >= 0x80)
    in_runs = sum(len(m) for m in _HIGH_RUN.findall(data))
    if high and in_runs >= 0.6 * high:
        return "cp1251", "judged from its text (runs of Cyrillic letters)"
    return "cp1252", ""


def _decode(data: bytes, source: str, warnings: list[str] | None = None) -> str:
    """XER text: UTF-16 or UTF-8 when it has the byte-order mark, UTF-8 when it is valid
    UTF-8, else the Windows code page P6 wrote it in (see :func:`_code_page`). Bytes the code
    page does not define are replaced, with a warning; so is a code page that is not
    Windows-1252 (P6's default), so that a wrong guess is seen."""
    if limits.is_utf16(data[:64]):
        return limits.decode_utf16(data, "XER file", source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:  # P6 writes the Windows code page
        pass
    codec, why = _code_page(data)
    name = CODE_PAGE_NAMES.get(codec, codec)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        if codec != "cp1252":  # the guess does not fit the bytes: P6's default instead
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                text = None
            if text is not None:
                if warnings is not None:
                    warnings.append(
                        f"the file is not UTF-8 and its bytes are not {name} ({why}); its "
                        "text was read as Windows-1252 (Western European). If names look "
                        "wrong, export the XER again from P6 with a Unicode (UTF-8) encoding"
                    )
                return text
        if warnings is not None:
            warnings.append(
                f"the file is not UTF-8 and holds bytes {name} does not define; they were "
                "replaced by U+FFFD. If names look wrong, export the XER again from P6 with a "
                "Unicode (UTF-8) encoding"
            )
        return data.decode(codec, errors="replace")
    if codec != "cp1252" and warnings is not None:
        warnings.append(
            f"the file is not UTF-8; its text was read as {name}, {why}. If names look "
            "wrong, export the XER again from P6 with a Unicode (UTF-8) encoding"
        )
    return text


def read_tables(path: Path, warnings: list[str] | None = None) -> dict[str, Table]:
    """Parse the table layout; a malformed or truncated file raises ModelError naming the table
    and line. How the text was decoded, where not plain, is reported in ``warnings``."""
    source = str(path)
    data = limits.read_bytes(path, limits.MAX_SCHEDULE_BYTES, "schedule files", source)
    lines = _decode(data, source, warnings).lstrip("\ufeff").split("\n")
    if not lines[0].startswith("ERMHDR"):
        raise ModelError("line 1: an XER file starts with ERMHDR; this one does not", source)
    tables: dict[str, Table] = {}
    table: Table | None = None
    ended = False
    for number, raw in enumerate(lines[1:], start=2):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if ended:
            where = f"after the end marker %E (table {table.name})" if table else "after %E"
            raise ModelError(f"line {number}: unexpected content {where}", source)
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            name = rest.strip()
            if not name:
                raise ModelError(f"line {number}: %T without a table name", source)
            if name in tables:
                raise ModelError(
                    f"line {number}: table {show(name)} appears a second time (first at line "
                    f"{tables[name].line}); {DAMAGED}",
                    source,
                )
            table = Table(name, [], number)
            tables[name] = table
        elif kind == "%F":
            if table is None:
                raise ModelError(f"line {number}: %F field list before any %T table", source)
            if table.fields:
                raise ModelError(
                    f"table {table.name}, line {number}: a second %F field list (the first "
                    f"is at line {table.field_line}); {DAMAGED}",
                    source,
                )
            fields = rest.split("\t")
            if len(set(fields)) != len(fields):
                twice = next(f for f in fields if fields.count(f) > 1)
                raise ModelError(
                    f"table {table.name}, line {number}: field {show(twice)} is listed twice "
                    f"in the %F field list; {DAMAGED}",
                    source,
                )
            table.fields, table.field_line = fields, number
        elif kind == "%R":
            if table is None or not table.fields:
                where = f"table {table.name}" if table else "no table"
                raise ModelError(
                    f"line {number} ({where}): %R row before the %F field list", source
                )
            values = rest.split("\t")
            if len(values) > len(table.fields):
                raise ModelError(
                    f"table {table.name}, line {number}: row has {len(values)} "
                    f"values for {len(table.fields)} fields; the file is damaged",
                    source,
                )
            # P6 drops trailing empty values, so a short row is normal; the reader checks that
            # the row reaches every column it needs (Columns.filled).
            table.rows.append(dict(zip(table.fields, values, strict=False)))
            table.lines.append(number)
            table.lengths.append(len(values))
        elif kind == "%E":
            ended = True
        else:
            where = f"table {table.name}" if table else "before any table"
            raise ModelError(
                f"{where}, line {number}: expected %T, %F, %R or %E, got "
                f"{show(line[:30])}; the file is damaged",
                source,
            )
    if not ended:
        last = table.name if table else "ERMHDR"
        at = (table.lines[-1] if table and table.lines else table.line) if table else 1
        raise ModelError(
            f"table {last}, line {at}: the file ends without the %E end marker; it "
            "looks truncated. Export it again from P6",
            source,
        )
    return tables


def check_table(table: Table, columns: Columns, source: str) -> None:
    """Every required column in the field list, every filled one in every row, every text
    within :data:`~riskcast.io.limits.MAX_TEXT`; a ModelError naming the table and line."""
    missing = [c for c in columns.required if c not in table.fields]
    if missing:
        raise ModelError(
            f"table {table.name}, line {table.field_line or table.line}: the %F field list has "
            f"no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}, which riskcast "
            f"needs; {DAMAGED}",
            source,
        )
    position = {name: k for k, name in enumerate(table.fields)}
    filled = sorted(columns.filled, key=position.__getitem__)
    needed = position[filled[-1]] + 1 if filled else 0
    checked = [c for c in table.fields if c in COLUMNS_READ and c not in LONG_COLUMNS]
    for line, row, length in zip(table.lines, table.rows, table.lengths, strict=True):
        if length < needed:
            lost = next(c for c in filled if position[c] >= length)
            raise ModelError(
                f"table {table.name}, line {line}: the row ends after {length} of "
                f"{len(table.fields)} values, before {lost} (field {position[lost] + 1}); "
                f"the row is cut short: {DAMAGED}",
                source,
            )
        for c in filled:
            if not row[c].strip():
                raise ModelError(
                    f"table {table.name}, line {line} > {c}: empty, but P6 always writes it; "
                    f"{DAMAGED}",
                    source,
                )
        for c in checked:
            value = row.get(c, "")
            if len(value) > limits.MAX_TEXT:
                raise ModelError(
                    f"table {table.name}, line {line} > {c}: {limits.too_long(value)}", source
                )


def _datetime(value: str, place: str, source: str) -> dt.datetime | None:
    """A date-time ``YYYY-MM-DD HH:MM`` (a date alone: midnight); None when empty."""
    day = _date(value, place, source)
    if day is None:
        return None
    try:
        return dt.datetime.strptime(value.strip()[:16], "%Y-%m-%d %H:%M")
    except ValueError:
        return dt.datetime.combine(day, dt.time())


def _date(value: str, place: str, source: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.datetime.strptime(value.strip()[:16], "%Y-%m-%d %H:%M").date()
    except ValueError:
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ModelError(
                f"{place}: expected a date like 2027-01-04 08:00, got {value!r}", source
            ) from None


class _Reader(P6Reader):
    format = "xer"

    def rows(self, name: str) -> list[tuple[int, dict[str, str]]]:
        """(line, row) of table ``name``, checked (see :func:`check_table`) on first use."""
        table = self.tables.get(name)
        if table is None:
            return []
        if name not in self.checked:
            check_table(table, COLUMNS[name], self.source)
            self.checked.add(name)
        return list(zip(table.lines, table.rows, strict=True))

    def need(self, table: str, column: str, why: str) -> None:
        """A ModelError when ``table`` lacks ``column``, needed only because of ``why``."""
        t = self.tables[table]
        if column not in t.fields:
            raise ModelError(
                f"table {table}, line {t.field_line}: the %F field list has no {column} "
                f"column, which riskcast needs as {why}; {DAMAGED}",
                self.source,
            )

    def place(self, table: str, line: int, key: str = "") -> str:
        return f"table {table}, line {line}" + (f" > {key}" if key else "")

    def read(self) -> ImportResult:
        self.tables = read_tables(self.path, self.warnings)
        self.checked: set[str] = set()
        proj_line, proj = self.pick_project()
        self.proj_id = proj.get("proj_id", "")
        self.calendars = self.read_calendars()
        self.use_project_calendar(
            proj.get("clndr_id", ""),
            f"{self.place('PROJECT', proj_line, 'clndr_id')}: the file has "
            "no CALENDAR table; export it again with calendars",
        )
        start = _date(
            proj.get("plan_start_date", ""),
            self.place("PROJECT", proj_line, "plan_start_date"),
            self.source,
        )
        if start is None:
            raise ModelError(
                f"{self.place('PROJECT', proj_line, 'plan_start_date')}: missing "
                "project start date",
                self.source,
            )
        wbs_paths = self.read_wbs()
        resources = self.read_resources(start)
        raw = self.read_tasks(wbs_paths)
        self.read_links(raw)
        self.read_assignments(raw, resources)
        self.read_expenses(raw)
        name = self.project_name or proj.get("proj_short_name") or self.path.stem
        status = self.status_date(  # P6's data date
            _datetime(
                proj.get("last_recalc_date", ""),
                self.place("PROJECT", proj_line, "last_recalc_date"),
                self.source,
            )
        )
        self.unused_damaged()
        return self.result(name, start, self.calendar, raw, resources, status, self.named)

    def pick_project(self) -> tuple[int, dict[str, str]]:
        """(line, row) of the PROJECT to read. Rows with export_flag N are stubs of other
        projects (the ends of links to them), not offered unless all rows are."""
        projects = [
            (ln, r) for ln, r in self.rows("PROJECT") if r.get("export_flag", "Y") != "N"
        ] or self.rows("PROJECT")
        return pick_project(
            projects,
            [r.get("proj_short_name", "?") for _, r in projects],
            [(r.get("proj_short_name"), r.get("proj_id")) for _, r in projects],
            self.want,
            empty="the file has no PROJECT table (or it is empty); export a project from P6",
            hint="SHORT_NAME",
            source=self.source,
        )

    # -- calendars ----------------------------------------------------------------------------
    def read_calendars(self) -> dict[str, CalendarData]:
        out: dict[str, CalendarData] = {}
        for line, row in self.rows("CALENDAR"):
            name = row.get("clndr_name", "") or row.get("clndr_id", "")
            place = self.place("CALENDAR", line, "clndr_data")
            where = f"{place} (calendar {limits.quote(name)})" if name else place
            notes: list[str] = []
            try:  # a calendar that cannot be read fails the import only if it is used
                cal = parse_calendar_data(row.get("clndr_data", ""), where, self.source, notes)
                place = self.place("CALENDAR", line, "day_hr_cnt")
                given = row.get("day_hr_cnt", "")
                cal.hours_given = bool(given)
                cal.hours_per_day = checked_hours_per_day(
                    parse_number(given, place, self.source),
                    bool(given),
                    place,
                    row.get("clndr_name", ""),
                    notes,
                )
            except ModelError as exc:
                cal = CalendarData(error=ModelError(exc.problems, self.source))
            self.warnings.extend(notes)
            cal.id = row.get("clndr_id", "")
            cal.name = row.get("clndr_name", "")
            cal.default = row.get("default_flag") == "Y"
            cal.base = row.get("base_clndr_id", "")
            cal.place = where
            if cal.id in out:
                self.warnings.append(
                    f"{where}: calendar id {show(cal.id)} appears a second time; the later "
                    "row is used"
                )
            out[cal.id] = cal
        return out  # base calendars are inherited from when a calendar is converted

    # -- WBS ------------------------------------------------------------------------------------
    def read_wbs(self) -> dict[str, tuple[str, str]]:
        """(path of names, dotted code) of every WBS node, the project node left out."""
        nodes = {
            r.get("wbs_id", ""): r
            for _, r in self.rows("PROJWBS")
            if r.get("proj_id") == self.proj_id
        }
        self.project_name = ""
        for r in nodes.values():
            if r.get("proj_node_flag") == "Y":
                self.project_name = r.get("wbs_name", "")
        return outline_paths(
            {
                k: (r.get("wbs_name", ""), r.get("wbs_short_name", ""), r.get("parent_wbs_id", ""))
                for k, r in nodes.items()
            },
            self.warnings,
            skip=[k for k, r in nodes.items() if r.get("proj_node_flag") == "Y"],
        )

    # -- user-defined fields ---------------------------------------------------------------
    def read_udfs(self) -> dict[str, dict[str, float]]:
        """task_id -> {"low"/"mode"/"high": working days} from the named TASK user fields."""
        if not self.three_point:
            return {}
        types = {
            r.get("udf_type_id"): r
            for _, r in self.rows("UDFTYPE")
            if r.get("table_name", "TASK") == "TASK"
        }
        roles = three_point_roles(
            self.three_point,
            {
                tid: (r.get("udf_type_label", "").lower(), r.get("udf_type_name", "").lower())
                for tid, r in types.items()
            },
            self.source,
            what="a TASK user-defined field",
            known=sorted(r.get("udf_type_label", "") for r in types.values()),
        )
        out: dict[str, dict[str, float]] = {}
        values = self.tables.get("UDFVALUE")
        if roles and values is not None and not {"udf_number", "udf_text"} & set(values.fields):
            self.need("UDFVALUE", "udf_number", "the three-point fields' values")
        for line, r in self.rows("UDFVALUE"):
            role = roles.get(r.get("udf_type_id"))
            if role is None:
                continue
            value = r.get("udf_number") or r.get("udf_text") or ""
            days = parse_number(
                value, self.place("UDFVALUE", line, "udf_number"), self.source, default=float("nan")
            )
            if days == days:  # not NaN
                out.setdefault(r.get("fk_id", ""), {})[role] = days
        return out

    # -- activities -----------------------------------------------------------------------------
    def read_tasks(self, wbs: dict[str, tuple[str, str]]) -> dict[str, RawTask]:
        udfs = self.read_udfs()
        raw: dict[str, RawTask] = {}
        used: dict[str, int] = {}  # activity ID -> line of the row holding it
        lines: dict[str, int] = {}
        for line, r in self.rows("TASK"):
            if r.get("proj_id") != self.proj_id:
                continue
            key = r.get("task_id", "")
            if key in lines:
                raise ModelError(
                    f"{self.place('TASK', line, 'task_id')}: activity {show(key)} appears a "
                    f"second time (first at line {lines[key]}); {DAMAGED}",
                    self.source,
                )
            lines[key] = line
            code = r.get("task_code") or key
            if code in used:
                self.warnings.append(
                    f'task "{code}": activity ID used twice (table TASK, lines {used[code]} and '
                    f'{line}); the second one is imported as "{code}#{key}"'
                )
                code = f"{code}#{key}"
            used[code] = line
            item = RawTask(key=key, id=code, name=r.get("task_name", ""))
            item.tags["source_id"], item.tags["source_uid"] = r.get("task_code") or key, key
            place = lambda k, ln=line: self.place("TASK", ln, k)  # noqa: E731
            path, wbs_code = wbs.get(r.get("wbs_id", ""), ("", ""))
            if path:
                item.tags["wbs"] = path
            if wbs_code:
                item.tags["wbs_code"] = wbs_code
            clndr = r.get("clndr_id", "")
            hours = parse_number(
                r.get("target_drtn_hr_cnt", ""), place("target_drtn_hr_cnt"), self.source
            )
            # Durations are working days of the activity's own calendar.
            per_day = self.own_calendar(item, clndr, clndr).hours_per_day or 8.0
            item.days = hours / per_day
            kind = r.get("task_type", "TT_Task")
            self.activity_type(item, kind in MILESTONE_TYPES, STRETCHED.get(kind))
            item.percent_complete = self.percent(r, place)
            code_status = r.get("status_code", "")
            remain = r.get("remain_drtn_hr_cnt", "")
            self.progress(
                item,
                STATUS.get(code_status, ""),
                _date(r.get("act_start_date", ""), place("act_start_date"), self.source),
                _date(r.get("act_end_date", ""), place("act_end_date"), self.source),
                parse_number(remain, place("remain_drtn_hr_cnt"), self.source) if remain else None,
                per_day,
                f"(status_code {code_status})" if code_status else "",
            )
            for suffix in ("", "2"):
                ctype = r.get(f"cstr_type{suffix}", "")
                cdate = _date(
                    r.get(f"cstr_date{suffix}", ""), place(f"cstr_date{suffix}"), self.source
                )
                self.constraint(item, CONSTRAINTS.get(ctype, ctype.lower()), cdate, ctype)
            if key in udfs:
                u = udfs[key]
                item.three_point = (u.get("low"), u.get("mode"), u.get("high"))
            raw[key] = item
        if not raw:
            raise ModelError("the project has no activities (TASK rows)", self.source)
        return raw

    def percent(self, r: dict[str, str], place) -> float:
        """Percent complete (0-100) by the activity's percent-complete type."""
        if r.get("status_code") == "TK_Complete":
            return 100.0
        kind = r.get("complete_pct_type", "CP_Drtn")
        if kind == "CP_Phys":
            self.need("TASK", "phys_complete_pct", "an activity's percent complete type is CP_Phys")
            return parse_number(
                r.get("phys_complete_pct", ""), place("phys_complete_pct"), self.source
            )
        if kind == "CP_Units":
            for k in ("act_work_qty", "act_equip_qty", "remain_work_qty", "remain_equip_qty"):
                self.need("TASK", k, "an activity's percent complete type is CP_Units")
            done = sum(
                parse_number(r.get(k, ""), place(k), self.source)
                for k in ("act_work_qty", "act_equip_qty")
            )
            left = sum(
                parse_number(r.get(k, ""), place(k), self.source)
                for k in ("remain_work_qty", "remain_equip_qty")
            )
            return 100.0 * done / (done + left) if done + left > 0 else 0.0
        # CP_Drtn: share of the planned duration no longer remaining.
        planned = parse_number(
            r.get("target_drtn_hr_cnt", ""), place("target_drtn_hr_cnt"), self.source
        )
        remain = parse_number(
            r.get("remain_drtn_hr_cnt", ""),
            place("remain_drtn_hr_cnt"),
            self.source,
            default=planned,
        )
        if planned <= 0 or r.get("status_code") == "TK_NotStart":
            return 0.0
        return max(0.0, 100.0 * (planned - remain) / planned)

    # -- relationships -------------------------------------------------------------------------
    def lag_setting(self) -> str:
        for _, r in self.rows("SCHEDOPTIONS"):
            if r.get("proj_id") == self.proj_id:
                value = r.get("sched_calendar_on_relationship_lag", "")
                if value and value not in LAG_CALENDARS:
                    self.warnings.append(
                        f"SCHEDOPTIONS > sched_calendar_on_relationship_lag: {show(value)} is "
                        "not a lag calendar P6 writes; lags use the predecessor's calendar"
                    )
                return LAG_CALENDARS.get(value, "predecessor")
        return "predecessor"  # P6's default

    def read_links(self, raw: dict[str, RawTask]) -> None:
        setting = self.lag_setting()
        task_cal = {r.get("task_id"): r.get("clndr_id", "") for _, r in self.rows("TASK")}
        other = {r.get("task_id") for _, r in self.rows("TASK") if r.get("proj_id") != self.proj_id}
        for line, r in self.rows("TASKPRED"):
            succ, pred = r.get("task_id", ""), r.get("pred_task_id", "")
            if succ not in raw:
                continue
            item = raw[succ]
            kind = LINK_TYPES.get(r.get("pred_type", ""))
            if kind is None:
                raise ModelError(
                    f"{self.place('TASKPRED', line, 'pred_type')}: "
                    f"{r.get('pred_type')!r} is not PR_FS, PR_SS, PR_FF or PR_SF",
                    self.source,
                )
            hours = parse_number(
                r.get("lag_hr_cnt", ""), self.place("TASKPRED", line, "lag_hr_cnt"), self.source
            )
            if pred not in raw and (
                r.get("pred_proj_id", self.proj_id) != self.proj_id or pred in other
            ):
                self.warnings.append(
                    f"{item.label}: dropped the {kind} link from activity {pred} of another project"
                )
                continue
            item.links.append(
                self.lag_link(
                    pred, kind, hours, setting, task_cal.get(pred, ""), task_cal.get(succ, "")
                )
            )

    # -- resources ------------------------------------------------------------------------------
    def read_resources(self, start: dt.date) -> dict[str, Resource]:
        """Resources by rsrc_id, rate per working day = hourly rate in effect at the project start
        x the project calendar's hours per day."""
        rates: dict[str, list[tuple[dt.date | None, float]]] = {}
        limits_of: dict[str, list[tuple[dt.date | None, float]]] = {}
        for line, r in self.rows("RSRCRATE"):
            when = _date(
                r.get("start_date", ""), self.place("RSRCRATE", line, "start_date"), self.source
            )
            cost = parse_number(
                r.get("cost_per_qty", ""), self.place("RSRCRATE", line, "cost_per_qty"), self.source
            )
            rates.setdefault(r.get("rsrc_id", ""), []).append((when, cost))
            most = parse_number(
                r.get("max_qty_per_hr", ""),
                self.place("RSRCRATE", line, "max_qty_per_hr"),
                self.source,
                0.0,
            )
            limits_of.setdefault(r.get("rsrc_id", ""), []).append((when, most))
        out: dict[str, Resource] = {}
        for _, r in self.rows("RSRC"):
            key = r.get("rsrc_id", "")
            rid = r.get("rsrc_short_name") or key
            name = r.get("rsrc_name", "")
            label = f'resource "{rid}" ({name})'
            hourly = pick_rate(rates.get(key, []), start, label, self.warnings)
            qty = r.get("cost_qty_type", "QT_Hour") or "QT_Hour"
            if qty != "QT_Hour":
                self.warnings.append(f"{label}: price unit {qty} read as per hour")
            capacity, changes = capacity_steps(limits_of.get(key, []), start)
            out[key] = Resource(rid, name, hourly * self.calendar.hours_per_day, capacity, changes)
        return out

    def read_assignments(self, raw: dict[str, RawTask], resources: dict[str, Resource]) -> None:
        for line, r in self.rows("TASKRSRC"):
            item = raw.get(r.get("task_id", ""))
            if item is None:
                continue
            res = resources.get(r.get("rsrc_id", ""))
            if res is None:
                self.warnings.append(
                    f"{item.label}: assignment without a resource (role only) not imported"
                )
                continue
            units = parse_number(
                r.get("target_qty_per_hr", ""),
                self.place("TASKRSRC", line, "target_qty_per_hr"),
                self.source,
                1.0,
            )
            item.assignments.append(Assignment(res.id, units))
            hourly = parse_number(
                r.get("cost_per_qty", ""),
                self.place("TASKRSRC", line, "cost_per_qty"),
                self.source,
                float("nan"),
            )
            per_day = hourly * self.calendar.hours_per_day
            if hourly == hourly and abs(per_day - res.rate) > 1e-9 * max(1.0, abs(res.rate)):
                source = r.get("cost_per_qty_source_type", "") or r.get("rate_type", "")
                self.warnings.append(
                    f'{item.label}: assignment of "{res.id}" is priced at '
                    f"{hourly:g} per hour ({source}); riskcast costs it at the "
                    f"resource rate {res.rate:g} per working day"
                )

    def read_expenses(self, raw: dict[str, RawTask]) -> None:
        """Project expenses (PROJCOST, amounts in the project currency) summed into their
        activities' fixed costs; rows of this project's activities that are not in the file
        are reported."""
        for line, r in self.rows("PROJCOST"):
            key = r.get("task_id", "")
            item = raw.get(key)
            if item is None:
                if r.get("proj_id", self.proj_id) == self.proj_id:
                    self.warnings.append(
                        f"{self.place('PROJCOST', line)}: expense "
                        f"{limits.quote(r.get('cost_name', ''))} of activity task_id "
                        f"{limits.quote(key)}, which is not in the file; not imported"
                    )
                continue
            where = lambda k, ln=line: self.place("PROJCOST", ln, k)  # noqa: E731
            actual, remaining = (
                parse_number(r[k], where(k), self.source) if r.get(k, "").strip() else None
                for k in ("act_cost", "remain_cost")
            )
            planned = parse_number(r.get("target_cost", ""), where("target_cost"), self.source)
            self.add_expense(item, planned, actual, remaining)


def read_xer(
    path: str | os.PathLike[str],
    project: str | None = None,
    three_point: Sequence[str | None] | None = None,
) -> ImportResult:
    """Read a P6 XER file. ``project`` picks one (short name or proj_id) from a multi-project
    export; ``three_point`` names TASK user-defined fields (udf_type_label) holding low, most
    likely and high durations in working days."""
    with naming(str(path)):
        return _Reader(Path(path), project, three_point).read()
