"""The HTML report (``riskcast.report``, ``riskcast report``): its content read back from the
HTML, and the page as a person sees it in headless Chromium, on a phone and on a laptop.

The browser checks drive Chromium over the DevTools protocol on a pipe: the viewport is set
exactly (a phone is 390 CSS pixels wide), the page's console and uncaught errors are collected,
and the screenshots are kept under tests/artifacts/ to be looked at. They are skipped only when
no Chromium binary is installed (.ci/run installs one).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import re
import select
import shutil
import stat
import struct
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

import riskcast as rc
from riskcast import cli
from riskcast.history import History, default_path
from riskcast.report import build_report, report_ids

ROOT = Path(__file__).parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts"
SATELLITE = ROOT / "models" / "satellite-ground-station.toml"
CHECKOUT = ROOT / "models" / "checkout-redesign.toml"
MOBILE = ROOT / "models" / "mobile-team.toml"
RUNS = 2000
SEED = 11
WHEN = dt.datetime(2027, 5, 3, 9, 30, 15, tzinfo=dt.UTC)
PHONE = (390, 844)
DESKTOP = (1280, 800)

HOSTILE_NAME = "Launch <script>alert('x')</script> & \"Co\""
HOSTILE = """\
[project]
name = "Launch <script>alert('x')</script> & \\"Co\\""
start = 2027-01-04
budget = 60000
currency = "<EUR>"

[[task]]
id = "build"
name = "<img src=x onerror=alert(1)> build"
estimate = { pert = [2, 3, 6] }
cost = { fixed = 1000, rate = 500 }

[[task]]
id = "review"
name = "Test & </td> review"
estimate = { triangular = [1, 2, 5] }
after = ["build"]
cost = { rate = 800 }

[[milestone]]
id = "done"
name = "<b>Done</b>"
after = ["review"]
target = 2027-01-13

[[risk]]
id = "late"
title = "<i>Vendor</i> is late"
owner = "<u>ops</u>"
probability = 0.3
impacts = [{ task = "build", add = { triangular = [1, 2, 4] } }]
"""


# -- reading the HTML back ------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def all(self, tag: str) -> list[Node]:
        return [n for n in self.walk() if n.tag == tag]

    def by_id(self, id: str) -> Node:
        (found,) = [n for n in self.walk() if n.attrs.get("id") == id]
        return found


class Tree(HTMLParser):
    """A strict tree builder: every element but the void ones must be closed, in order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.problems: list[str] = []
        self.feed(text)
        self.close()
        if len(self.stack) > 1:
            self.problems.append(f"never closed: {[n.tag for n in self.stack[1:]]}")

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1].tag}> at {self.getpos()}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(text: str) -> Node:
    tree = Tree(text)
    assert not tree.problems, tree.problems[:5]
    return tree.root


def marked(node: Node) -> str:
    """The text of ``node`` with its ``<code>`` parts in backticks (as explain() marks them)."""
    parts = [
        c if isinstance(c, str) else f"`{c.text()}`" if c.tag == "code" else marked(c)
        for c in node.children
    ]
    return "".join(parts)


def first_cells(doc: Node, table: str) -> list[str]:
    """The first cell's text of each body row of table ``table``."""
    body = doc.by_id(table).all("tbody")[0]
    return [row.all("td")[0].text() for row in body.all("tr")]


# -- the reports ----------------------------------------------------------------------------------
@dataclass
class Built:
    project: rc.Project
    forecast: rc.Forecast
    path: Path
    html: str
    doc: Node


def built(model: Path, **kwargs) -> Built:
    project = rc.load(model)
    forecast = rc.simulate(project, iterations=RUNS, seed=SEED)
    html = build_report(project, forecast, model, generated_at=WHEN, **kwargs)
    return Built(project, forecast, model, html, parse(html))


@pytest.fixture(scope="module")
def satellite() -> Built:
    return built(SATELLITE)


@pytest.fixture(scope="module")
def checkout() -> Built:
    return built(CHECKOUT)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Built:
    model = tmp_path_factory.mktemp("hostile") / "hostile.toml"
    model.write_text(HOSTILE, encoding="utf-8")
    return built(model)


def test_the_report_is_well_formed_html5(satellite, checkout):
    for report in (satellite, checkout):
        assert report.html.startswith('<!DOCTYPE html>\n<html lang="en">')
        (html,) = report.doc.all("html")
        assert [n.tag for n in html.children if isinstance(n, Node)] == ["head", "body"]
        assert report.doc.all("meta")[1].attrs["name"] == "viewport"
        ids = [n.attrs["id"] for n in report.doc.walk() if n.attrs.get("id")]
        assert len(ids) == len(set(ids)), "ids repeat (one chart's ids would serve another)"


def test_the_same_forecast_gives_the_same_page(checkout):
    again = build_report(checkout.project, checkout.forecast, CHECKOUT, generated_at=WHEN)
    assert again == checkout.html


def test_every_user_text_is_escaped(hostile):
    html, doc = hostile.html, hostile.doc
    lowered = html.lower()
    for tag in ("<script", "<img", "<b>", "<i>", "<u>", "</td> review"):
        assert tag not in lowered, tag
    assert doc.all("h1")[0].text() == HOSTILE_NAME
    assert doc.all("title")[0].text().startswith(HOSTILE_NAME)
    assert first_cells(doc, "milestone-table") == ["<b>Done</b>done"]
    tasks = doc.by_id("drivers").text()
    assert "<img src=x onerror=alert(1)> build" in tasks and "Test & </td> review" in tasks
    risks = doc.by_id("drivers").all("table")[1].all("td")
    assert [risks[0].text(), risks[1].text()] == ["<i>Vendor</i> is latelate", "<u>ops</u>"]
    assert "Cost in <EUR>, budget 60,000" in [h.text() for h in doc.all("h3")]


def test_the_report_loads_nothing_from_outside(satellite, checkout):
    for report in (satellite, checkout):
        assert not report.doc.all("script") and not report.doc.all("link")
        for node in report.doc.walk():
            for name, value in node.attrs.items():
                if name in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
                    assert (value or "").startswith("#"), (node.tag, name, value)
                if "http:" in (value or "") or "https:" in (value or ""):
                    assert name.startswith("xmlns"), (node.tag, name, value)  # SVG namespaces
        css = "".join(n.text() for n in report.doc.all("style"))
        assert "@import" not in css and "url(" not in css
        svg_urls = set(re.findall(r"url\(([^)]*)\)", report.html))
        assert all(u.startswith("#") for u in svg_urls), svg_urls


def test_every_milestone_is_in_the_table(satellite, checkout):
    names = [m.name + m.id for m in satellite.project.milestones]
    assert first_cells(satellite.doc, "milestone-table") == names  # finish: same as operations
    assert first_cells(satellite.doc, "cost-table") == names
    heads = [th.text() for th in satellite.doc.by_id("cost-table").all("th")]
    costs = ["Plan cost", "Cost P50", "Cost P80", "Cost P95", "Within budget", "JCL"]
    assert heads == ["Milestone", *costs]
    rows = satellite.doc.by_id("milestone-table").all("tbody")[0].all("tr")
    operations = satellite.forecast.milestone("operations")
    cells = [td.text() for td in rows[-1].all("td")]
    assert cells[1:6] == [
        d.isoformat()
        for d in (operations.target, operations.cpm_date, *map(operations.percentile, (50, 80, 95)))
    ]
    assert cells[7] == f"{round(100 * operations.target_probability)}%"
    expected = [m.name + m.id for m in checkout.project.milestones]
    assert first_cells(checkout.doc, "milestone-table") == expected
    assert 'id="cost-table"' not in checkout.html


def figures(doc: Node) -> dict[str, int]:
    """Each figure's id and the number of <svg> elements in it."""
    return {f.attrs["id"]: len(f.all("svg")) for f in doc.all("figure")}


def test_one_svg_per_chart(satellite, checkout):
    assert figures(satellite.doc) == dict.fromkeys(
        [
            "fig-roadmap",
            "fig-scurve-site-ready",
            "fig-scurve-first-contact",
            "fig-scurve-operations",
            "fig-cost-scurve",
            "fig-jcl",
            "fig-cash-flow",
            "fig-tornado",
        ],
        1,
    )
    expected = ["fig-roadmap", *(f"fig-scurve-{i}" for i in report_ids(checkout.forecast))]
    assert figures(checkout.doc) == dict.fromkeys([*expected, "fig-tornado"], 1)
    for report in (satellite, checkout):
        assert len(report.doc.all("svg")) == len(figures(report.doc))
        for svg in report.doc.all("svg"):  # scaled by CSS: the viewBox is kept
            assert svg.attrs["class"] == "chart" and svg.attrs["viewbox"].startswith("0 0 ")
        assert "<?xml" not in report.html and "<!DOCTYPE svg" not in report.html


def test_a_levelled_plan_shows_its_pools():
    report = built(MOBILE)
    pools = report.forecast.pools.usage
    found = figures(report.doc)
    assert {f"fig-usage-{p}" for p in pools} | {"fig-levelling"} <= set(found)
    assert "parallel scheme" in report.doc.by_id("resources").text()
    assert report.doc.by_id("stamp-levelling").text() == "parallel scheme, lft priority"


def test_the_stamp_says_how_to_reproduce_the_numbers(satellite):
    doc = satellite.doc
    assert doc.by_id("stamp-seed").text() == str(SEED)
    assert doc.by_id("stamp-iterations").text() == f"{RUNS:,}"
    assert doc.by_id("stamp-version").text() == rc.__version__
    assert doc.by_id("stamp-model").text() == SATELLITE.name
    digest = hashlib.sha256(SATELLITE.read_bytes()).hexdigest()
    assert doc.by_id("stamp-sha256").text() == digest
    assert doc.by_id("stamp-status-date").text().startswith("none")
    assert doc.by_id("stamp-generated").text() == "2027-05-03 09:30:15 UTC"
    methods = doc.by_id("methods").text()
    for words in ("Monte Carlo simulation", "Percentiles", "Monte Carlo intervals"):
        assert words in methods


def test_the_explanation_of_each_milestone(satellite):
    blocks = satellite.doc.by_id("explanation").all("details")
    names = [m.name for m in satellite.project.milestones]
    assert [b.all("summary")[0].text() for b in blocks] == names
    assert [("open" in b.attrs) for b in blocks] == [False, False, True]  # the final one open
    # The paragraphs read as explain() wrote them (it wraps them for a terminal).
    for block, mid in zip(blocks, report_ids(satellite.forecast), strict=True):
        texts = [marked(p) for p in block.all("p")]
        expected = rc.explain(satellite.forecast, mid).split("\n\n")
        assert [textwrap.fill(t, 88) for t in texts] == expected
    assert "when every task takes its most-likely time" in texts[0]


def test_the_drivers_list_the_critical_tasks_and_the_risks(satellite):
    drivers = satellite.doc.by_id("drivers")
    tasks, risks = drivers.all("table")
    crit = satellite.forecast.criticality("operations")
    top = max(crit, key=crit.get)
    assert tasks.all("tbody")[0].all("tr")[0].all("td")[0].text().endswith(top)
    titles = [row.all("td")[0].text() for row in risks.all("tbody")[0].all("tr")]
    assert len(titles) == len(satellite.project.risks)
    assert any(t.startswith("Antenna fails its factory acceptance test") for t in titles)


def test_the_trend_shows_only_with_a_history_of_the_model(tmp_path, satellite):
    assert 'id="trend"' not in satellite.html
    with History(tmp_path / "history.sqlite") as history:
        for week in range(3):
            forecast = rc.simulate(satellite.project, iterations=500, seed=week)
            history.record(forecast, SATELLITE, recorded_at=WHEN + dt.timedelta(weeks=week))
        report = build_report(satellite.project, satellite.forecast, SATELLITE, history)
        other = rc.load(CHECKOUT)
        alone = build_report(other, rc.simulate(other, iterations=500, seed=1), CHECKOUT, history)
        last = history.runs(satellite.project.name)[-1].milestone("operations")
    doc = parse(report)
    assert figures(doc.by_id("trend")) == {"fig-trend": 1}
    text = doc.by_id("trend").all("p")[0].text()
    assert text.startswith("3 forecasts of this model recorded")
    assert f"Operational acceptance has its P80 on {last.p80.isoformat()}" in text
    assert 'id="trend"' not in alone  # the history holds another model's forecasts only


# -- in the browser -------------------------------------------------------------------------------
def chromium_binary() -> str | None:
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
    return next((path for path in map(shutil.which, names) if path), None)


class Chromium:
    """Headless Chromium over the DevTools protocol on a pipe (``--remote-debugging-pipe``):
    JSON messages ending in a NUL byte, to the browser on its fd 3, back on its fd 4."""

    TIMEOUT = 60.0

    def __init__(self, binary: str, profile: Path):
        to_read, self._out = os.pipe()
        self._in, from_write = os.pipe()
        flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        flags += ["--hide-scrollbars", "--no-first-run", "--remote-debugging-pipe"]
        # bash puts the pipe ends on fds 3 and 4 (dash cannot name fds above 9).
        self.proc = subprocess.Popen(
            [
                *("bash", "-c", f'exec "$@" 3<&{to_read} 4>&{from_write}', "chromium", binary),
                *flags,
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(to_read, from_write),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_read)
        os.close(from_write)
        self._buffer, self._id, self.events = b"", 0, []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.send("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=self.session)

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, RuntimeError, TimeoutError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            os.close(self._out)
            os.close(self._in)

    def _message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, session: str | None = None, **params) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            reply = self._message(deadline)
            if reply.get("id") != self._id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result", {})

    def view(self, page: Path, size: tuple[int, int], *, mobile: bool) -> View:
        """Open ``page`` in a viewport of ``size`` CSS pixels; what the page shows and logs."""
        width, height = size
        s = self.session
        self.send(
            "Emulation.setDeviceMetricsOverride",
            s,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )
        self.events.clear()
        self.send("Page.navigate", s, url=page.resolve().as_uri())
        deadline = time.monotonic() + self.TIMEOUT
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._message(deadline))
        layout = self.evaluate(
            "JSON.stringify([document.documentElement.scrollWidth, innerWidth,"
            " document.documentElement.outerHTML])"
        )
        scroll_width, inner_width, dom = json.loads(layout)
        shot = self.send("Page.captureScreenshot", s, format="png")["data"]
        return View(base64.b64decode(shot), dom, scroll_width, inner_width, self.problems())

    def full_page(self) -> bytes:
        """A screenshot of the whole page at the current viewport width."""
        result = self.send(
            "Page.captureScreenshot", self.session, format="png", captureBeyondViewport=True
        )
        return base64.b64decode(result["data"])

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", self.session, expression=expression)
        return result["result"]["value"]

    def problems(self) -> list[str]:
        """The uncaught exceptions, console errors and error log entries since the load."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description") or details["text"])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(a.get("value")) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(params["entry"].get("text", ""))
        return found


@dataclass
class View:
    png: bytes
    dom: str
    scroll_width: int
    inner_width: int
    problems: list[str]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    binary = chromium_binary()
    if binary is None:
        pytest.skip("no Chromium binary (chromium, chromium-browser, google-chrome) on PATH")
    chromium = Chromium(binary, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chromium
    finally:
        chromium.close()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_browser_check_sees_script_errors(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><p>x</p><script>console.error('boom'); notDefined();</script>",
        encoding="utf-8",
    )
    problems = browser.view(page, PHONE, mobile=True).problems
    assert "boom" in problems[0] and "notDefined" in " ".join(problems)


@pytest.mark.parametrize("name", ["satellite", "checkout"])
def test_the_report_as_seen_on_a_phone_and_a_laptop(browser, request, name):
    report: Built = request.getfixturevalue(name)
    ARTIFACTS.mkdir(exist_ok=True)
    page = ARTIFACTS / f"report-{name}.html"
    page.write_text(report.html, encoding="utf-8")
    for device, size, mobile in (("phone", PHONE, True), ("desktop", DESKTOP, False)):
        view = browser.view(page, size, mobile=mobile)
        assert not view.problems, view.problems
        # Only the tables scroll sideways, never the page.
        assert view.scroll_width <= view.inner_width == size[0], device
        shot = ARTIFACTS / f"report-{name}-{device}.png"
        shot.write_bytes(view.png)
        assert png_size(view.png) == size
        assert len(set(view.png[100:])) > 64  # not a blank page
        (ARTIFACTS / f"report-{name}-{device}-full.png").write_bytes(browser.full_page())
        dom = parse(view.dom)
        rows = dom.by_id("milestone-table").all("tbody")[0].all("tr")
        assert len(rows) == len(first_cells(report.doc, "milestone-table"))
        assert len(dom.all("svg")) == len(report.doc.all("svg"))


# -- the command ----------------------------------------------------------------------------------
def report_command(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["report", *argv], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_the_report_with_the_history_next_to_the_model(tmp_path, monkeypatch):
    monkeypatch.delenv("RISKCAST_HISTORY", raising=False)
    model = tmp_path / "plan" / CHECKOUT.name
    model.parent.mkdir()
    shutil.copy(CHECKOUT, model)
    project = rc.load(model)
    with History(default_path(model)) as history:
        history.record(rc.simulate(project, iterations=300, seed=2), model)
    output = tmp_path / "out" / "report.html"
    command = [sys.executable, "-m", "riskcast", "report", str(model), "-o", str(output)]
    done = subprocess.run(
        [*command, "-n", "500", "--seed", "5"], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == f"wrote {output}"
    doc = parse(output.read_text(encoding="utf-8"))
    assert doc.by_id("stamp-seed").text() == "5"
    assert figures(doc.by_id("trend")) == {"fig-trend": 1}
    assert not [p for p in output.parent.iterdir() if p != output]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o666 & ~umask  # for others to read too
    code, _, err = report_command(str(model), "-o", str(output), "-n", "300", "--no-history", "-q")
    assert (code, err) == (0, "")
    assert 'id="trend"' not in output.read_text(encoding="utf-8")


def test_a_bad_model_exits_2(tmp_path):
    model = tmp_path / "bad.toml"
    model.write_text('[project]\nname = "x"\nstart = 2027-01-04\n[[task]]\nid = "a"\n')
    code, _, err = report_command(str(model), "-o", str(tmp_path / "r.html"))
    assert code == 2 and err.startswith("riskcast: error:")
    assert not (tmp_path / "r.html").exists()
    code, _, err = report_command(str(CHECKOUT), "--history", str(tmp_path / "none.sqlite"))
    assert code == 2 and "no forecast history there yet" in err


def test_an_unwritable_output_exits_3(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = report_command(str(CHECKOUT), "-n", "200", "-o", str(blocker / "report.html"))
    assert code == 3 and "is a file, not a folder" in err
    code, _, err = report_command(str(CHECKOUT), "-o", str(CHECKOUT))
    assert code == 2 and "that is the input file" in err
