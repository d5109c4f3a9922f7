"""The HTML building blocks of the report: its style sheet and the small, escaped pieces.

Every helper returns text safe to put in HTML content; the callers escape nothing twice.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from typing import Any

CSS = """
:root{color-scheme:light;--ink:#1d2329;--muted:#5b6670;--line:#d9dee3;--head:#f3f5f7;
--accent:#1f4e79;--good:#e3f4e6;--good-ink:#1d6b34;--fair:#fdf1d8;--fair-ink:#8a5a00;
--poor:#fbe3e1;--poor-ink:#a52a1f}*{box-sizing:border-box}html{-webkit-text-size-adjust:100%;
text-size-adjust:100%}body{margin:0;color:var(--ink);background:#fff;font:16px/1.5 system-ui,
-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:12px 16px 48px}h1{font-size:1.6rem;line-height:1.25;
margin:16px 0 4px;overflow-wrap:anywhere}h2{font-size:1.25rem;margin:32px 0 8px;padding-top:8px;
border-top:1px solid var(--line)}h3{font-size:1.05rem;margin:20px 0 6px;overflow-wrap:anywhere}p{
margin:6px 0 10px;overflow-wrap:anywhere}.meta{color:var(--muted);font-size:.9rem;
margin:0 0 10px}.lead{font-size:1.05rem}nav{font-size:.9rem;margin:8px 0 4px}nav a{
display:inline-block;margin:0 12px 6px 0;color:var(--accent)}.scroll{overflow-x:auto;width:fit-content;max-width:100%;
margin:8px 0;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.9rem;font-variant-numeric:tabular-nums}th,
td{padding:6px 10px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}th{
background:var(--head);font-weight:600;white-space:nowrap}tbody tr:last-child td{border-bottom:0}
td.num,th.num{text-align:right;white-space:nowrap}td.date{white-space:nowrap}th:first-child,
td:first-child{position:sticky;left:0;background:#fff;min-width:9rem;max-width:16rem;
box-shadow:1px 0 0 var(--line)}th:first-child{background:var(--head)}.id{display:block;
color:var(--muted);font-size:.8rem;overflow-wrap:anywhere}.odds{display:inline-block;
min-width:3.2em;padding:0 6px;border-radius:10px;text-align:center;font-weight:600}.good{
background:var(--good);color:var(--good-ink)}.fair{background:var(--fair);color:var(--fair-ink)}
.poor{background:var(--poor);color:var(--poor-ink)}.note{color:var(--muted);font-size:.85rem}
.hint{display:none}.charts{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,
minmax(min(100%,460px),1fr))}figure{margin:8px 0;min-width:0}figure.wide{grid-column:1/-1}
figcaption{color:var(--muted);font-size:.85rem;margin-top:2px}svg.chart{display:block;
max-width:100%;height:auto}svg.chart *{stroke-linejoin:round;stroke-linecap:butt}.nw{
white-space:nowrap}details{margin:8px 0;border-bottom:1px solid var(--line)}summary{
cursor:pointer;font-weight:600;padding:6px 0}code{font-size:.9em;background:var(--head);
padding:0 3px;border-radius:3px}dl{display:grid;grid-template-columns:max-content 1fr;
gap:4px 16px;margin:8px 0;font-size:.9rem}dt{color:var(--muted)}dd{margin:0;
overflow-wrap:anywhere;font-variant-numeric:tabular-nums}@media (max-width:560px){body{
font-size:15px}h1{font-size:1.35rem}dl{grid-template-columns:1fr}dd{margin-bottom:6px}.hint{
display:block}th,td{padding:6px 8px}}@media print{figure,table{break-inside:avoid}nav{display:none}}
"""


# -- building blocks --------------------------------------------------------------------------------
def esc(text: Any) -> str:
    """Any value as text safe in HTML content and in quoted attributes."""
    return html.escape(str(text), quote=True)


def percent(p: float | None) -> str:
    if p is None:
        return "–"
    if 0 < p < 0.01:
        return "<1%"
    if 0.99 < p < 1:
        return ">99%"
    return f"{round(100 * p)}%"


def odds_chip(p: float | None) -> str:
    """A share of runs as a coloured chip: the colour repeats what the number says."""
    if p is None:
        return "–"
    grade = "good" if p >= 0.8 else "fair" if p >= 0.5 else "poor"
    return f'<span class="odds {grade}">{esc(percent(p))}</span>'


def date_text(d: dt.date | None) -> str:
    return "–" if d is None else d.isoformat()


def money_text(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def unbroken(text: str) -> str:
    """``text`` with its ISO dates kept on one line (a browser breaks lines at hyphens)."""
    return re.sub(r"\d{4}-\d\d-\d\d", r'<span class="nw">\g<0></span>', text)


def html_key(mid: str) -> str:
    """A milestone id as part of an HTML id: letters, digits, '-' and '_' only."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in mid) or "_"


def table(
    head: Sequence[tuple[str, str]], rows: Sequence[Sequence[tuple[str, str]]], id: str = ""
) -> str:
    """A table that scrolls sideways on a narrow screen; ``head`` and each row are
    ``(class, HTML)`` cells (escaped already by the caller)."""

    def cells(tag: str, row: Sequence[tuple[str, str]]) -> str:
        return "".join(
            f'<{tag} class="{c}">{body}</{tag}>' if c else f"<{tag}>{body}</{tag}>"
            for c, body in row
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    ident = f' id="{id}"' if id else ""
    return (
        f'<div class="scroll"><table{ident}><thead><tr>{cells("th", head)}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )
