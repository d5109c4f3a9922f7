"""Time units and the one tolerance at time boundaries.

Inside riskcast, time is float64 *working days* from the project start. Sums of fractional
durations carry binary round-off (ten tasks of 0.9 days end at 9.000000000000002, and an imported
3-hour task on a 7.5-hour day is 0.4 of a day), so every comparison of a time against a boundary
allows :data:`TIME_TOLERANCE`:

* the kernel counts a link as driving its successor when it is within the tolerance of the
  successor's start (criticality), and a task as finishing last when it is within the tolerance
  of the project finish;
* a finish within the tolerance past a day boundary is delivered on the day before it, and a start
  within the tolerance before a boundary starts on the day after it (see :mod:`riskcast.calendar`);
* "finished by date D" allows the tolerance past the end of D.

1e-9 working days is about 30 microseconds of an 8-hour day: far below any duration a plan states,
far above the round-off of sums of up to millions of tasks (about 1e-16 relative per addition).
"""

TIME_TOLERANCE = 1e-9  # working days
