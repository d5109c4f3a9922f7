"""Costs in imported schedules: what riskcast can cost is imported as the task's fixed cost, what
it cannot is a warning naming the task, and a file without costs gains neither.

* P6 expenses (XER ``PROJCOST``, PMXML ``ActivityExpense``) are in the project currency: summed
  per activity at completion (planned cost before the activity starts, actual + remaining
  after).
* MSPDI costs are in hundredths of the currency unit: a work resource's ``CostPerUse`` (x units)
  and a cost resource's assignment ``Cost`` are imported; a ``FixedCost`` only where the task's
  ``Cost`` confirms that unit.

Inputs are the small real files in tests/data/mpxj with synthetic rows added, or small synthetic
MSPDI files.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import riskcast as rc
from riskcast.distributions import Fixed
from riskcast.io.mspdi import read_mspdi
from riskcast.io.pmxml import read_pmxml
from riskcast.io.schedules import read_schedule
from riskcast.io.xer import read_xer
from tests.test_import_mspdi_schedules import WEEK
from tests.test_import_p6_schedules import with_task, write, xer_text
from tests.test_import_pmxml import augmented
from tests.test_import_xer import add_rows, row_of

DATA = Path(__file__).parent / "data" / "mpxj"
COST_WORDS = ("cost", "expense", "FixedCost")
ITEM_IDS = itertools.count(9001)


def fixed_costs(project) -> dict[str, Fixed]:
    return {t.id: t.cost.fixed for t in project.tasks if t.cost is not None}


def base_cost(project) -> float:
    return rc.simulate(project, iterations=1024, seed=1).cost().base


def cost_warnings(warnings: list[str]) -> list[str]:
    return [w for w in warnings if any(word in w for word in COST_WORDS)]


# --- P6 XER: PROJCOST ----------------------------------------------------------------------------


def expense(task_id: str, target: str, actual: str = "", remaining: str = "", **more) -> dict:
    """A PROJCOST row as P6 writes it (amounts in the project currency)."""
    return {
        "cost_item_id": str(next(ITEM_IDS)),
        "proj_id": row_of(xer_text(), "PROJECT")["proj_id"],
        "task_id": task_id,
        "cost_load_type": "CL_Uniform",
        "cost_name": "Crane hire",
        "target_cost": target,
        "act_cost": actual,
        "remain_cost": remaining,
        "target_qty": "1",
        **more,
    }


def xer_with_expenses(tmp_path: Path, rows: list[dict]) -> Path:
    """The real file (A1000, task_id 1338401, complete) plus B1 (task_id 2, not started) and
    B2 (task_id 3, started), and ``rows`` in a PROJCOST table."""
    a1000 = row_of(xer_text(), "TASK")
    text = with_task(xer_text())
    text = with_task(
        text,
        task_id="3",
        task_code="B2",
        status_code="TK_Active",
        act_start_date=a1000["act_start_date"],
        remain_drtn_hr_cnt="16",
    )
    return write(tmp_path, add_rows(text, "PROJCOST", rows))


def test_xer_expenses_are_summed_into_fixed_costs_at_completion(tmp_path):
    path = xer_with_expenses(
        tmp_path,
        [
            expense("1338401", "1000", actual="900", remaining="0"),  # complete: actual
            expense("2", "1000.5", actual="0", remaining="1000.5"),  # not started: planned
            expense("2", "250.25", actual="0", remaining="250.25"),
            expense("3", "400", actual="300", remaining="200"),  # started: actual + remaining
        ],
    )
    result = read_xer(path)
    assert fixed_costs(result.project) == {
        "A1000": Fixed(900.0),
        "B1": Fixed(1250.75),
        "B2": Fixed(500.0),
    }
    assert cost_warnings(result.warnings) == []
    # No resources: the plan's cost is the expenses.
    assert base_cost(result.project) == 900.0 + 1250.75 + 500.0


def test_xer_expense_without_actual_and_remaining_costs_its_planned_amount(tmp_path):
    result = read_xer(xer_with_expenses(tmp_path, [expense("3", "400")]))
    assert fixed_costs(result.project) == {"B2": Fixed(400.0)}


def test_xer_expense_credit_and_unknown_activity_are_reported(tmp_path):
    path = xer_with_expenses(
        tmp_path,
        [expense("2", "-100", remaining="-100"), expense("77", "50", cost_name="Permit")],
    )
    result = read_xer(path)
    assert fixed_costs(result.project) == {}
    unknown, credit = cost_warnings(result.warnings)
    assert unknown.startswith("table PROJCOST, line ")
    assert unknown.endswith(
        ': expense "Permit" of activity task_id "77", which is not in the file; not imported'
    )
    assert credit.startswith('task "B1"') and "total -100.00; not imported" in credit


def test_xer_expenses_of_another_project_are_not_reported(tmp_path):
    path = xer_with_expenses(tmp_path, [expense("77", "50", proj_id="999")])
    result = read_xer(path)
    assert (fixed_costs(result.project), cost_warnings(result.warnings)) == ({}, [])


# --- P6 PMXML: ActivityExpense -------------------------------------------------------------------

PMXML_EXPENSES = """
    <ActivityExpense><ActivityObjectId>1</ActivityObjectId><ActualCost>0</ActualCost>
      <ExpenseItem>Crane</ExpenseItem><ObjectId>501</ObjectId><PlannedCost>1000</PlannedCost>
      <RemainingCost>1000</RemainingCost></ActivityExpense>
    <ActivityExpense><ActivityObjectId>1</ActivityObjectId><ExpenseItem>Permit</ExpenseItem>
      <ObjectId>502</ObjectId><PlannedCost>250,5</PlannedCost></ActivityExpense>
    <ActivityExpense><ActivityObjectId>140001</ActivityObjectId><ActualCost>750.25</ActualCost>
      <ExpenseItem>Audit</ExpenseItem><ObjectId>503</ObjectId><PlannedCost>800</PlannedCost>
      <RemainingCost>0</RemainingCost></ActivityExpense>
    <ActivityExpense><ActivityObjectId>3</ActivityObjectId><ExpenseItem>Fee</ExpenseItem>
      <ObjectId>504</ObjectId><PlannedCost>5000</PlannedCost></ActivityExpense>
"""


def pmxml_with(tmp_path: Path, expenses: str) -> Path:
    """The real file (A1000, ObjectId 140001, completed) plus P1 (ObjectId 1), S1 (2) and the
    finish milestone M1 (3) after S1 (see tests/test_import_pmxml.py), and ``expenses``."""
    path = augmented(tmp_path, "PredecessorCalendar.xml")
    text = path.read_text(encoding="utf-8")
    at = text.rindex("  </Project>")
    path.write_text(text[:at] + expenses + text[at:], encoding="utf-8")
    return path


def test_pmxml_expenses_are_summed_into_fixed_costs_at_completion(tmp_path):
    result = read_pmxml(pmxml_with(tmp_path, PMXML_EXPENSES))
    project = result.project
    assert fixed_costs(project) == {
        "P1": Fixed(1250.5),  # not started: planned costs (a decimal comma read as a point)
        "A1000": Fixed(750.25),  # completed: actual + remaining
        "M1": Fixed(5000.0),
    }
    # A riskcast milestone holds no cost: M1 is imported as a zero-duration task, and says so.
    assert [m.id for m in project.milestones] == []
    assert project.task("M1").estimate == Fixed(0.0)
    (milestone,) = cost_warnings(result.warnings)
    assert milestone.startswith('task "M1" (Done): milestone with a cost')
    assert base_cost(project) == 1250.5 + 750.25 + 5000.0


def test_pmxml_expense_of_an_unknown_activity_is_reported(tmp_path):
    lost = (
        "<ActivityExpense><ActivityObjectId>404</ActivityObjectId><ExpenseItem>Lost"
        "</ExpenseItem><ObjectId>505</ObjectId><PlannedCost>10</PlannedCost></ActivityExpense>"
    )
    result = read_pmxml(pmxml_with(tmp_path, lost))
    assert fixed_costs(result.project) == {}
    assert result.warnings == [
        'ActivityExpense "505": expense "Lost" of activity ObjectId "404", which is not in the '
        "file; not imported"
    ]


# --- MSPDI -------------------------------------------------------------------------------------


def mspdi(tmp_path: Path, tasks: str, resources: str = "", assignments: str = "") -> Path:
    """A small MSPDI file on the Standard calendar (8 h a day)."""
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Name>t</Name><StartDate>2027-01-04T08:00:00</StartDate><MinutesPerDay>480</MinutesPerDay>
  <CalendarUID>1</CalendarUID>
  <Calendars><Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar>
    <BaseCalendarUID>-1</BaseCalendarUID><WeekDays>{WEEK}</WeekDays></Calendar></Calendars>
  <Tasks>{tasks}</Tasks>
  <Resources>{resources}</Resources>
  <Assignments>{assignments}</Assignments>
</Project>
"""
    path = tmp_path / "plan.xml"
    path.write_text(text, encoding="utf-8")
    return path


def task(uid: int, extra: str = "", hours: int = 8, level: int = 1) -> str:
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>T{uid}</Name><OutlineLevel>{level}"
        f"</OutlineLevel><Duration>PT{hours}H0M0S</Duration>{extra}</Task>"
    )


def resource(uid: int, kind: int, rate: float = 0, per_use: float = 0) -> str:
    return (
        f"<Resource><UID>{uid}</UID><Name>R{uid}</Name><Type>{kind}</Type>"
        f"<StandardRate>{rate:g}</StandardRate><CostPerUse>{per_use:g}</CostPerUse></Resource>"
    )


def assignment(task_uid: int, res_uid: int, cost: int, units: float = 1) -> str:
    return (
        f"<Assignment><UID>{task_uid}{res_uid}</UID><TaskUID>{task_uid}</TaskUID>"
        f"<ResourceUID>{res_uid}</ResourceUID><Units>{units:g}</Units><Cost>{cost}</Cost>"
        "</Assignment>"
    )


# R1: a work resource at 10 per hour (80 per working day) and 25.00 per use (2500 hundredths);
# R2: a cost resource, whose amount each assignment holds.
RESOURCES = resource(1, 1, rate=10, per_use=2500) + resource(2, 2)


def test_mspdi_fixed_cost_per_use_and_cost_resource_are_imported(tmp_path):
    # T1: 1 day of R1 at 2 units = 2 x 80 + 2 x 25.00 per use = 210.00 (21000); its FixedCost
    # 500.00 (50000) is confirmed by its Cost 71000 = 50000 + 21000.
    # T2: 2 days, R2 costs 1234.56 (123456) and R1 1 unit = 160 + 25 = 185.00 (18500).
    path = mspdi(
        tmp_path,
        task(1, "<FixedCost>50000</FixedCost><Cost>71000</Cost>")
        + task(2, "<FixedCost>0</FixedCost><Cost>141956</Cost>", hours=16),
        RESOURCES,
        assignment(1, 1, 21000, units=2) + assignment(2, 2, 123456) + assignment(2, 1, 18500),
    )
    result = read_mspdi(path)
    project = result.project
    assert fixed_costs(project) == {"1": Fixed(500.0 + 50.0), "2": Fixed(1234.56 + 25.0)}
    assert cost_warnings(result.warnings) == []
    rates = 80 * 2 * 1 + 80 * 1 * 2  # R1's rate x units x days on T1 and T2
    assert base_cost(project) == pytest.approx(550.0 + 1259.56 + rates, abs=1e-9)


def test_mspdi_fixed_cost_without_a_confirming_cost_is_reported(tmp_path):
    path = mspdi(
        tmp_path,
        task(1, "<FixedCost>700</FixedCost><Cost>70000</Cost>")  # 700 x 100: not hundredths
        + task(2, "<FixedCost>300</FixedCost>"),  # no Cost: unit not certain
    )
    result = read_mspdi(path)
    assert fixed_costs(result.project) == {}
    first, second = cost_warnings(result.warnings)
    assert first.startswith('task "1" (T1): its fixed cost (FixedCost 700) is not imported')
    assert "Cost (70000) does not confirm its unit" in first
    assert second.startswith('task "2" (T2): its fixed cost (FixedCost 300) is not imported')
    assert "Cost (missing)" in second


def test_mspdi_assignment_cost_not_from_the_rate_is_reported(tmp_path):
    # 1 day of R1: riskcast costs 80 + 25.00 per use = 105.00; the file says 145.00 (overtime).
    path = mspdi(tmp_path, task(1, "<Cost>14500</Cost>"), RESOURCES, assignment(1, 1, 14500))
    result = read_mspdi(path)
    assert fixed_costs(result.project) == {"1": Fixed(25.0)}
    (warning,) = cost_warnings(result.warnings)
    assert warning.startswith(
        'task "1" (T1): resource "1" (R1) costs 145.00 here in the file, 105.00 in riskcast'
    )


def test_mspdi_summary_fixed_cost_is_reported(tmp_path):
    path = mspdi(
        tmp_path,
        task(10, "<Summary>1</Summary><FixedCost>90000</FixedCost><Cost>90000</Cost>")
        + task(11, level=2),
    )
    result = read_mspdi(path)
    assert fixed_costs(result.project) == {}
    (warning,) = cost_warnings(result.warnings)
    assert warning.startswith('task "10" (T10): summary task with a fixed cost (FixedCost 90000')


def test_mspdi_real_file_cost_per_use():
    # sample1.xml (MS Project 2010): First Resource 30.00 per use (3000), Second 15.00 (1500).
    # Task 2: 0.5 and 0.75 units of them; tasks 23 and 24: 1 unit of one each.
    result = read_mspdi(DATA / "mspdi" / "sample1.xml")
    assert fixed_costs(result.project) == {
        "2": Fixed(0.5 * 30.0 + 0.75 * 15.0),
        "23": Fixed(30.0),
        "24": Fixed(15.0),
    }
    # Task 2 runs 800 h with 200 h of work per resource in the file (the resources' own
    # calendars): riskcast's rate x units x duration is not MS Project's cost, and it says so.
    warnings = cost_warnings(result.warnings)
    assert [w[: w.index(" costs")] for w in warnings] == [
        'task "2" (Second Task): resource "1" (First Resource)',
        'task "2" (Second Task): resource "2" (Second Resource)',
    ]
    assert "costs 2,015.00 here in the file, 4,015.00 in riskcast" in warnings[0]


# --- files without costs -----------------------------------------------------------------------

# Every real file but sample1.xml (costs per use, tested above). resource-rates-test.xer prices
# its assignments otherwise than its resource's rate, which was reported before.
WITHOUT_COSTS = [
    p
    for p in sorted(DATA.glob("*/*.x*"))
    if p.suffix in (".xml", ".xer") and p.name != "sample1.xml"
]


@pytest.mark.parametrize("path", WITHOUT_COSTS, ids=lambda p: p.name)
def test_files_without_cost_items_gain_no_cost_or_warning(path):
    result = read_schedule(path)
    assert fixed_costs(result.project) == {}
    assert not [w for w in result.warnings if "expense" in w or "fixed cost" in w]
    assert not [w for w in result.warnings if "here in the file" in w]


def test_empty_expense_table_adds_nothing(tmp_path):
    result = read_xer(xer_with_expenses(tmp_path, [expense("2", "0", "0", "0")]))
    assert (fixed_costs(result.project), cost_warnings(result.warnings)) == ({}, [])


def test_the_currency_of_an_mspdi_file_is_the_projects(data_dir):
    """MS Project writes the project's currency as <CurrencyCode>: costs are read in it."""
    project = rc.load(data_dir / "mpxj" / "mspdi" / "mspdiduration.xml")
    assert project.currency == "GBP"
