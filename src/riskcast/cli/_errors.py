"""Exit codes and :class:`CliError`, the one failure a command reports to the user."""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_INPUT = 2
EXIT_OUTPUT = 3
EXIT_INTERNAL = 70  # EX_SOFTWARE (sysexits.h): a bug in riskcast, not in the input
EXIT_BUSY = 75  # EX_TEMPFAIL (sysexits.h): another run is writing to the same --out; retry later
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_TERMINATED = 143  # 128 + SIGTERM (a hang-up, SIGHUP, gives 128 + 1 = 129)

EXIT_CODES = """\
exit codes:
  0    success
  1    validate --strict: schedule-quality warnings found;
       run --fail-below: a milestone's probability of meeting its target is below
       the threshold (the forecast is still printed and written)
  2    bad input: invalid model (every problem is listed), unknown milestone or risk
       id, a model without the risks/mitigations/costs the command needs, bad option
  3    the output could not be written (nothing partial is left behind)
  70   internal error: a bug in riskcast (rerun with --debug for the traceback)
  75   the --out folder is in use by another riskcast run (retry when it is done)
  130  interrupted (Ctrl-C, SIGINT)
  143  terminated (SIGTERM; 129 for SIGHUP)
"""


class CliError(Exception):
    """A user-facing failure: printed as one message, mapped to ``code``."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code
