"""Exit codes and :class:`CliError`, the one failure a command reports to the user."""

from __future__ import annotations

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_INPUT = 2
EXIT_OUTPUT = 3
EXIT_INTERRUPTED = 130

EXIT_CODES = """\
exit codes:
  0    success
  1    validate --strict: schedule-quality warnings found
  2    bad input: invalid model (every problem is listed), unknown milestone or risk
       id, a model without the risks/mitigations the command needs, bad option
  3    the output could not be written (nothing partial is left behind)
  130  interrupted
"""


class CliError(Exception):
    """A user-facing failure: printed as one message, mapped to ``code``."""

    def __init__(self, message: str, code: int = EXIT_INPUT):
        super().__init__(message)
        self.code = code
