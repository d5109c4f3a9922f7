"""Hand-worked schedules for the reference scheduler (tests/reference_scheduler.py), and its
links kept on random networks.

Every date below is worked out by hand in the comments. The project starts on Monday 2027-01-04;
January 2027: Mon 4, Fri 8, Sat 9, Sun 10, Mon 11, Wed 13, Fri 15, Mon 18.
"""

from __future__ import annotations

import datetime as dt
import random
from fractions import Fraction

import pytest

import riskcast as rc

from .reference_scheduler import WorkingTime, exact, reference_schedule

START = dt.date(2027, 1, 4)  # a Monday
STANDARD = rc.Calendar(hours=("08:00-12:00", "13:00-17:00"))  # Mon-Fri, 8 h
ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
H24 = rc.Calendar(workdays=ALL_WEEK, hours=("00:00-24:00",))  # 7 days, 24 h
SEVEN_DAY = rc.Calendar(workdays=ALL_WEEK, hours=("08:00-12:00", "13:00-17:00"))
FOUR_DAY = rc.Calendar(  # Mon-Thu, 10 h
    workdays=("mon", "tue", "wed", "thu"), hours=("07:00-12:00", "12:30-17:30")
)


def at(day: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    """January ``day`` 2027 at hh:mm."""
    return dt.datetime(2027, 1, day, hh, mm)


def jan(day: int) -> dt.date:
    return dt.date(2027, 1, day)


def plan(*activities, calendar=STANDARD, **kw) -> rc.Project:
    tasks = [a for a in activities if isinstance(a, rc.Task)]
    milestones = [a for a in activities if isinstance(a, rc.Milestone)]
    calendars = {"24h": H24, "7d": SEVEN_DAY, "4d": FOUR_DAY}
    return rc.Project(
        name="p",
        start=START,
        tasks=tasks,
        milestones=milestones,
        calendar=calendar,
        calendars=calendars,
        **kw,
    )


def check(result, start, finish, start_date=None, finish_date=None):
    assert (result.start_time, result.finish_time) == (start, finish)
    assert result.start_date == (start_date or start.date())
    assert result.finish_date == (finish_date or finish.date())
    # the exact minutes agree with the datetimes
    origin = dt.datetime.combine(START, dt.time())
    assert result.start == Fraction(int((start - origin).total_seconds()), 60)
    assert result.finish == Fraction(int((finish - origin).total_seconds()), 60)


def test_standard_calendar_chain_and_zero_duration():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(3)),  # Mon 4 08:00 .. Wed 6 17:00
            rc.Task("b", rc.Fixed(2), after=["a"]),  # Thu 7 08:00 .. Fri 8 17:00
            rc.Task("half", rc.Fixed(0.5), after=["a"]),  # Thu 7 08:00 .. 12:00
            rc.Task("five_hours", rc.Fixed(0.625), after=["a"]),  # Thu 08:00 .. 14:00
            rc.Task("z", rc.Fixed(0), after=["b"]),  # not rolled: Fri 8 17:00
            rc.Milestone("done", after=["b"]),  # Fri 8 17:00, on Friday
            rc.Milestone("kickoff", after=[rc.Link("b", "SS")]),  # Thu 7 08:00, on Thursday
        )
    )
    check(r["a"], at(4, 8), at(6, 17))
    check(r["b"], at(7, 8), at(8, 17))
    check(r["half"], at(7, 8), at(7, 12))
    check(r["five_hours"], at(7, 8), at(7, 14))
    check(r["z"], at(8, 17), at(8, 17))
    check(r["done"], at(8, 17), at(8, 17))
    check(r["kickoff"], at(7, 8), at(7, 8))


def test_durations_override_the_most_likely():
    r = reference_schedule(plan(rc.Task("a", rc.Fixed(3))), {"a": 1.25})
    check(r["a"], at(4, 8), at(5, 10))  # 8 h Monday, 2 h Tuesday


def test_seven_day_successor_starts_on_saturday():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(5)),  # Mon 4 08:00 .. Fri 8 17:00
            # 7-day 8 h calendar: Fri 17:00 is after Friday's work, so Sat 9 08:00 .. 17:00
            rc.Task("w", rc.Fixed(1), after=["a"], calendar="7d"),
            # 24 h calendar: Fri 17:00 is working time; one day is 24 h: .. Sat 9 17:00
            rc.Task("c", rc.Fixed(1), after=["a"], calendar="24h"),
            # 24 h calendar, 7 h: Fri 17:00 .. Sat 00:00, delivered on Friday
            rc.Task("e", rc.Fixed(1), after=["a"], calendar="24h"),
        ),
        {"e": Fraction(7, 24)},  # exact durations are taken as given
    )
    check(r["w"], at(9, 8), at(9, 17))
    check(r["c"], at(8, 17), at(9, 17))
    check(r["e"], at(8, 17), at(9, 0), finish_date=jan(8))


def test_four_day_calendar():
    r = reference_schedule(
        plan(
            # 3 days of 10 h from the plan opening, Mon 4 08:00 (the project calendar), .. Thu 7 08:00
            rc.Task("z", rc.Fixed(3), calendar="4d"),
            rc.Task("x", rc.Fixed(4)),  # standard: Mon 4 08:00 .. Thu 7 17:00
            # Thu 17:00 is inside 12:30-17:30: 30 min Thursday, Mon 11 600 min, Tue 12
            # 07:00-12:00 300 min, 12:30 + 270 min = 17:00 (1200 min = 2 days)
            rc.Task("y", rc.Fixed(2), after=["x"], calendar="4d"),
            rc.Task("x1", rc.Fixed(1)),  # Mon 4 08:00 .. 17:00
            # the lag is on the successor's calendar (10 h): Mon 17:00-17:30, Tue 07:00-12:00,
            # 12:30-17:00 -> Tue 5 17:00; then 600 min: Tue 17:00-17:30, Wed 07:00-12:00,
            # 12:30-17:00 -> Wed 6 17:00
            rc.Task("lagged", rc.Fixed(1), after=[rc.Link("x1", "FS", 1)], calendar="4d"),
        )
    )
    check(r["z"], at(4, 8), at(7, 8))
    check(r["y"], at(7, 17), at(12, 17))
    check(r["lagged"], at(5, 17), at(6, 17))


def test_holiday_and_working_saturday():
    holiday = rc.Calendar(hours=("08:00-12:00", "13:00-17:00"), holidays=(jan(6),))
    r = reference_schedule(plan(rc.Task("a", rc.Fixed(3)), calendar=holiday))
    check(r["a"], at(4, 8), at(7, 17))  # Mon, Tue, (Wed off), Thu
    saturday = rc.Calendar(
        hours=("08:00-12:00", "13:00-17:00"), exceptions={jan(9): ("08:00-12:00",)}
    )
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(5.5)),  # Mon-Fri, then Sat 9 08:00-12:00
            rc.Task("b", rc.Fixed(1), after=["a"]),  # Sat 12:00 -> Mon 11 08:00 .. 17:00
            calendar=saturday,
        )
    )
    check(r["a"], at(4, 8), at(9, 12))
    check(r["b"], at(11, 8), at(11, 17))


def test_day_longer_than_the_working_times():
    # 7.5 h of working times, a day is 8 h: Mon 08:00-12:00, 13:00-16:30, then Tue 08:00-08:30
    short = rc.Calendar(hours=("08:00-12:00", "13:00-16:30"), hours_per_day=8)
    r = reference_schedule(plan(rc.Task("a", rc.Fixed(1)), calendar=short))
    check(r["a"], at(4, 8), at(5, 8, 30))


def test_link_types_lags_and_leads():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(2)),  # Mon 4 08:00 .. Tue 5 17:00
            # FS + 1 day: Tue 17:00 + 8 h = Wed 17:00 -> Thu 7 08:00 .. 17:00
            rc.Task("fs", rc.Fixed(1), after=[rc.Link("a", "FS", 1)]),
            # SS + 0.5: Mon 08:00 + 4 h = 12:00 (lunch) -> 13:00; 4 h Mon, 4 h Tue -> Tue 12:00
            rc.Task("ss", rc.Fixed(1), after=[rc.Link("a", "SS", 0.5)]),
            # FF + 1: finish >= Wed 6 17:00, so start Wed 08:00
            rc.Task("ff", rc.Fixed(1), after=[rc.Link("a", "FF", 1)]),
            # SF + 2.5: Mon 08:00 + 20 h = Wed 12:00; start 8 h before: Tue 13:00
            rc.Task("sf", rc.Fixed(1), after=[rc.Link("a", "SF", 2.5)]),
            # FS - 1 (a lead): Tue 17:00 - 8 h = Tue 08:00 .. Tue 17:00
            rc.Task("lead", rc.Fixed(1), after=[rc.Link("a", "FS", -1)]),
            # FS - 0.5: Tue 17:00 - 4 h = Tue 13:00; 4 h Tue, 4 h Wed -> Wed 12:00
            rc.Task("half_lead", rc.Fixed(1), after=[rc.Link("a", "FS", -0.5)]),
            # FF - 1 on a 2-day task: finish >= Tue 08:00 is met by the early dates
            rc.Task("ff_lead", rc.Fixed(2), after=[rc.Link("a", "FF", -1)]),
        )
    )
    check(r["fs"], at(7, 8), at(7, 17))
    check(r["ss"], at(4, 13), at(5, 12))
    check(r["ff"], at(6, 8), at(6, 17))
    check(r["sf"], at(5, 13), at(6, 12))
    check(r["lead"], at(5, 8), at(5, 17))
    check(r["half_lead"], at(5, 13), at(6, 12))
    check(r["ff_lead"], at(4, 8), at(5, 17))


def test_lag_on_a_24_hour_link_calendar():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(5)),  # Mon 4 08:00 .. Fri 8 17:00
            # 1 day on 24 h: Sat 9 17:00 -> Mon 11 08:00
            rc.Task("cure", rc.Fixed(1), after=[rc.Link("a", "FS", 1, "24h")]),
            # 1 working day on the successor's calendar: Mon 11 17:00 -> Tue 12 08:00
            rc.Task("work", rc.Fixed(1), after=[rc.Link("a", "FS", 1)]),
            # a milestone is not rolled: Fri 17:00 + 12 h = Sat 9 05:00
            rc.Milestone("dry", after=[rc.Link("a", "FS", 0.5, "24h")]),
        )
    )
    check(r["cure"], at(11, 8), at(11, 17))
    check(r["work"], at(12, 8), at(12, 17))
    check(r["dry"], at(9, 5), at(9, 5))


def test_not_before_on_a_weekend():
    r = reference_schedule(
        plan(
            # Sat 9 00:00, rolled to Mon 11 08:00
            rc.Task("a", rc.Fixed(1), not_before=jan(9)),
            # zero duration: not rolled, at Sat 9 00:00; at exactly midnight it is on one date,
            # the day that ends (Friday): never a start after its finish
            rc.Task("z", rc.Fixed(0), not_before=jan(9)),
            # a weekday bound earlier than the logic does not move it: Mon 4 08:00
            rc.Task("b", rc.Fixed(1), not_before=START),
        )
    )
    check(r["a"], at(11, 8), at(11, 17))
    check(r["z"], at(9), at(9), start_date=jan(8), finish_date=jan(8))
    check(r["b"], at(4, 8), at(4, 17))


def test_finish_not_before():
    r = reference_schedule(
        plan(
            # finish >= Wed 6 17:00 (the end of that date's work): Wed 08:00 .. 17:00
            rc.Task("a", rc.Fixed(1), finish_not_before=jan(6)),
            # a Saturday has no work: the end of the date (Sun 00:00) is the working moment of
            # Fri 8 17:00, so Fri 08:00 .. 17:00
            rc.Task("b", rc.Fixed(1), finish_not_before=jan(9)),
            # already later: no change (Mon 4 .. Wed 6 17:00)
            rc.Task("c", rc.Fixed(3), finish_not_before=jan(4)),
        )
    )
    check(r["a"], at(6, 8), at(6, 17))
    check(r["b"], at(8, 8), at(8, 17))
    check(r["c"], at(4, 8), at(6, 17))


def test_status_date_progress():
    r = reference_schedule(
        plan(
            # finished: from the start of Tue 5's work to the end of Thu 7's
            rc.Task("done", rc.Fixed(9), actual_start=jan(5), actual_finish=jan(7)),
            # started Fri 8, 5 days 40 % complete: 3 days from Wed 13 08:00 .. Fri 15 17:00
            rc.Task("doing", rc.Fixed(5), actual_start=jan(8), percent_complete=40),
            # 1.5 days remaining: Wed 13 08:00 + 12 h = Thu 14 12:00
            rc.Task("rem", rc.Fixed(4), actual_start=jan(11), remaining=1.5),
            # unstarted: no earlier than the status date, Wed 13 08:00 .. 17:00
            rc.Task("todo", rc.Fixed(1)),
            # after a finished task (Thu 7 17:00): the status date wins
            rc.Task("next", rc.Fixed(1), after=["done"]),
            rc.Milestone("m", after=["doing"]),  # Fri 15 17:00
            status_date=jan(13),
        )
    )
    check(r["done"], at(5, 8), at(7, 17))
    check(r["doing"], at(8, 8), at(15, 17))
    check(r["rem"], at(11, 8), at(14, 12))
    check(r["todo"], at(13, 8), at(13, 17))
    check(r["next"], at(13, 8), at(13, 17))
    check(r["m"], at(15, 17), at(15, 17))
    # a run's remaining duration scales with its sampled duration: 8 / 4 * 1.5 = 3 days
    r = reference_schedule(
        plan(rc.Task("rem", rc.Fixed(4), actual_start=jan(11), remaining=1.5), status_date=jan(13)),
        {"rem": 8},
    )
    check(r["rem"], at(11, 8), at(15, 17))


def out_of_sequence(logic: str):
    return reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(2)),  # unstarted: Wed 13 08:00 .. Thu 14 17:00
            # started before its FS predecessor finished; 4 days 50 %: 2 days remaining
            rc.Task("b", rc.Fixed(4), after=["a"], actual_start=jan(11), percent_complete=50),
            # FF + 1 predecessor: under retained logic finish >= Fri 15 17:00
            rc.Task(
                "c",
                rc.Fixed(1),
                after=[rc.Link("a", "FF", 1)],
                actual_start=jan(12),
                percent_complete=50,
            ),
            status_date=jan(13),
            progress_logic=logic,
        )
    )


def test_out_of_sequence_retained_logic():
    r = out_of_sequence("retained-logic")
    check(r["a"], at(13, 8), at(14, 17))
    # remaining work waits for a: Fri 15 08:00, 2 days: Fri, Mon 18 17:00
    check(r["b"], at(11, 8), at(18, 17))
    # 4 h from Wed 13 08:00 would end at 12:00; held to Fri 15 17:00
    check(r["c"], at(12, 8), at(15, 17))


def test_out_of_sequence_progress_override():
    r = out_of_sequence("progress-override")
    check(r["b"], at(11, 8), at(14, 17))  # Wed 13 08:00 + 2 days
    check(r["c"], at(12, 8), at(13, 12))  # Wed 13 08:00 + 4 h


def test_alap():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(2), alap=True),  # early Mon-Tue; late: Thu 7 .. Fri 8 17:00
            rc.Task("b", rc.Fixed(5)),  # Mon 4 .. Fri 8 17:00
            rc.Task("c", rc.Fixed(1), after=["a", "b"]),  # Mon 11 08:00 .. 17:00
            # no successors: finishes at the project finish (Mon 11 17:00)
            rc.Task("d", rc.Fixed(1), alap=True),
            # an SS successor: start <= c's start, Mon 11 08:00 -> a day: Mon 11 08:00-17:00
            rc.Task("e", rc.Fixed(1), alap=True),
            rc.Task("f", rc.Fixed(0), after=[rc.Link("e", "SS")]),
            # an alap chain: h (no successors) at the project finish, Mon 11 08:00 .. 17:00;
            # g before it: finish <= Mon 11 08:00, the working moment of Fri 8 17:00
            rc.Task("g", rc.Fixed(1), alap=True),
            rc.Task("h", rc.Fixed(1), after=["g"], alap=True),
            # an FS + 1 successor: finish <= Mon 11 08:00 - 8 h = Fri 8 08:00, the working moment
            # of Thu 7 17:00: Thu 7 08:00 .. 17:00
            rc.Task("k", rc.Fixed(1), alap=True),
            rc.Task("l", rc.Fixed(1), after=[rc.Link("k", "FS", 1), "b"]),
        )
    )
    check(r["a"], at(7, 8), at(8, 17))
    check(r["c"], at(11, 8), at(11, 17))
    check(r["d"], at(11, 8), at(11, 17))
    # f (zero duration, at e's early start Mon 4 08:00) does not move: e stays at Mon 4
    check(r["f"], at(4, 8), at(4, 8))
    check(r["e"], at(4, 8), at(4, 17))
    check(r["h"], at(11, 8), at(11, 17))
    check(r["g"], at(8, 8), at(8, 17))
    check(r["l"], at(11, 8), at(11, 17))
    check(r["k"], at(7, 8), at(7, 17))


def test_late_constraints_are_flags():
    r = reference_schedule(
        plan(
            rc.Task("a", rc.Fixed(3), deadline=jan(5)),  # finishes Wed 6: missed
            rc.Task("b", rc.Fixed(3), deadline=jan(6), finish_not_after=jan(7)),  # met
            rc.Task("c", rc.Fixed(3), finish_not_after=jan(5), deadline=jan(9)),  # missed
            rc.Task("s", rc.Fixed(1), after=["a"], not_after=jan(6)),  # starts Thu 7: missed
            # must start on Tue 5, but the logic puts it on Thu 7: kept, counted
            rc.Task("m", rc.Fixed(1), after=["a"], not_before=jan(5), not_after=jan(5)),
            rc.Task("ok", rc.Fixed(1), after=["a"], not_after=jan(7)),
        )
    )
    assert r["a"].late_finish_missed and not r["a"].late_start_missed
    assert not r["b"].late_finish_missed
    assert r["c"].late_finish_missed
    assert r["s"].late_start_missed and not r["s"].late_finish_missed
    check(r["s"], at(7, 8), at(7, 17))
    assert r["m"].late_start_missed
    check(r["m"], at(7, 8), at(7, 17))
    assert not r["ok"].late_start_missed


def random_plan(seed: int) -> rc.Project:
    """A random network over the test calendars, with constraints, alap tasks and progress."""
    rand = random.Random(seed)
    status = START + dt.timedelta(days=rand.randint(0, 20)) if rand.random() < 0.5 else None
    tasks = []
    for i in range(rand.randint(2, 12)):
        after = [
            rc.Link(
                f"t{j}",
                rand.choice(("FS", "SS", "FF", "SF")),
                rand.choice((0, 0, 1, -1, 0.5, -0.5, 2.25)),
                rand.choice((None, None, "24h", "std")),
            )
            for j in range(i)
            if rand.random() < 0.3
        ]
        kw: dict = {}
        for name in ("not_before", "finish_not_before", "deadline"):
            if rand.random() < 0.2:
                kw[name] = START + dt.timedelta(days=rand.randint(0, 15))
        kw["alap"] = rand.random() < 0.15
        if status and rand.random() < 0.3:
            kw["actual_start"] = START + dt.timedelta(days=rand.randint(0, (status - START).days))
            if rand.random() < 0.5:
                done = rand.randint(0, (status - kw["actual_start"]).days)
                kw["actual_finish"] = kw["actual_start"] + dt.timedelta(days=done)
            else:
                kw["percent_complete"] = rand.choice((0, 30, 50, 100))
        calendar = rand.choice((None, "24h", "7d", "4d", "std"))
        estimate = rc.Fixed(rand.choice((0, 1, 2, 0.5, 3.25)))
        tasks.append(rc.Task(f"t{i}", estimate, after=after, calendar=calendar, **kw))
    return rc.Project(
        name="random",
        start=START,
        tasks=tasks,
        milestones=[rc.Milestone("end", after=[tasks[-1].id])],
        calendars={"24h": H24, "7d": SEVEN_DAY, "4d": FOUR_DAY, "std": STANDARD},
        status_date=status,
        progress_logic=rand.choice(("retained-logic", "progress-override")),
    )


@pytest.mark.parametrize("seed", range(40))
def test_random_networks_keep_their_links(seed):
    """Every link of an unstarted activity holds: a start bound to the minute, a finish bound in
    working time of the successor's calendar (the exception: an alap predecessor's lead into
    non-working time, met in working time of the lag's calendar only)."""
    project = random_plan(seed)
    rc.validate(project)
    r = reference_schedule(project)
    acts = {a.id: a for a in project.activities}
    for a in project.activities:
        assert r[a.id].start <= r[a.id].finish
        if isinstance(a, rc.Task) and a.actual_start is not None:
            continue
        name = getattr(a, "calendar", None)
        own = WorkingTime(project.calendars[name] if name else project.calendar, START)
        zero = r[a.id].start == r[a.id].finish
        for link in a.after:
            if link.lag < 0 and getattr(acts[link.predecessor], "alap", False):
                continue
            lag_cal = project.calendars[link.calendar] if link.calendar else own.calendar
            source = r[link.predecessor]
            t = source.finish if link.type in ("FS", "FF") else source.start
            bound = WorkingTime(lag_cal, START).shift(t, exact(link.lag))
            if link.type in ("FS", "SS"):
                assert r[a.id].start >= bound, (a.id, link)
            else:
                assert r[a.id].finish >= (bound if zero else own.finish_of(bound)), (a.id, link)
