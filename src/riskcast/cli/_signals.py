"""Stopping a command cleanly: SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job, a stopped
container, ``timeout``) both unwind the command like an exception, so that its ``finally``
blocks remove what it had staged; steps that must not be cut in half (publishing the output,
removing the staging) hold a signal until they are done.

* :func:`handled` installs the handlers for one :func:`~riskcast.cli.main` call and restores the
  previous ones after it; a signal the caller ignores (``nohup``, a background job) stays ignored.
* SIGINT raises ``KeyboardInterrupt`` (exit 130), SIGTERM and SIGHUP raise :class:`Terminated`
  (exit 128 + the signal number: 143, 129).
* :func:`deferred`: a signal arriving inside is raised when the block ends.
* A signal whose exception Python could not propagate (raised inside a ctypes callback, which
  numba's compiler runs) is sent again, so that it is not lost.
* :func:`in_worker`: the set-up of forked chart workers (the parent alone handles the signals;
  a worker dies with it).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

_TERMINATING = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)

_depth = 0  # nesting of deferred() blocks
_pending: list[int] = []  # signals held by deferred()


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM, SIGHUP). A ``BaseException``, like
    ``KeyboardInterrupt``, so that no ``except Exception`` swallows it."""

    def __init__(self, signum: int):
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        super().__init__(f"terminated ({name})")
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _State:
    """The signals of the :func:`handled` block now running."""

    def __init__(self) -> None:
        self.installed: dict[int, Any] = {}  # signal -> the handler to restore
        self.stopping: int | None = None  # the signal being acted on
        self.lost: int | None = None  # a signal whose exception Python dropped
        self.timer = False  # one to send it again is running
        self.lock = threading.Lock()


_state: _State | None = None


def _raise(signum: int) -> None:
    if _state is not None:
        _state.stopping = signum
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _depth:
        _pending.append(signum)
        return
    _raise(signum)


def _on_unraisable(unraisable: Any, previous: Callable[[Any], Any]) -> None:
    """Python prints an exception it cannot propagate (raised in a ctypes callback, which
    numba's compiler runs, or in a ``__del__``) and goes on: a stop raised there would be lost.
    Send the signal again a moment later, when that code has returned. Once stopping, the
    complaints of objects the stop cut short are noise: dropped."""
    state, exc = _state, unraisable.exc_value
    if state is None:
        previous(unraisable)
        return
    if isinstance(exc, KeyboardInterrupt | Terminated):
        signum = signal.SIGINT if isinstance(exc, KeyboardInterrupt) else exc.signum
        with state.lock:
            if signum not in state.installed:
                return
            state.lost = signum
            if not state.timer:
                state.timer = True
                timer = threading.Timer(0.05, _send_again, (state,))
                timer.daemon = True
                timer.start()
        return
    if state.stopping is None:
        previous(unraisable)


def _send_again(state: _State) -> None:
    with state.lock:
        state.timer = False
        signum, state.lost = state.lost, None
        if signum is not None and state is _state:  # still in the handled() block that lost it
            os.kill(os.getpid(), signum)


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP unwind the code inside (see the module docstring); the
    previous handlers are restored at the end. Outside the main thread (where Python cannot set
    handlers), or inside another such block, nothing changes."""
    global _state
    if threading.current_thread() is not threading.main_thread() or _state is not None:
        yield
        return
    state = _State()
    for signum in (signal.SIGINT, *_TERMINATING):
        current = signal.getsignal(signum)
        default = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        if current is default:  # not ignored, not someone else's handler
            state.installed[signum] = current
            signal.signal(signum, _on_signal)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: _on_unraisable(unraisable, previous_hook)
    _state = state
    try:
        yield
    finally:
        if state.stopping is not None:
            gc.collect()  # objects cut short complain now, while that is dropped
        with state.lock:
            _state = None
        sys.unraisablehook = previous_hook
        for signum, handler in state.installed.items():
            signal.signal(signum, handler)
        _pending.clear()


def interrupt_handled() -> None:
    """Call where a ``KeyboardInterrupt`` was caught for good. CPython remembers that one
    escaped an ``eval``/``exec`` of a string (numba's compiler and numpy run some) and, at exit,
    kills the process with SIGINT whatever the exit code it was given; the next ``exec`` of a
    string resets that."""
    exec("")


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block has finished, then raise the first one held
    (it replaces an exception the block may be raising: the user asked to stop)."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if not _depth and _pending:
            signum = _pending[0]
            _pending.clear()
            _raise(signum)


def in_worker(parent: int) -> None:
    """Initialise a forked worker of process ``parent``: it ignores SIGINT (Ctrl-C reaches the
    whole process group; the parent stops the workers), dies of SIGTERM (how the parent stops
    it) and, on Linux, is killed when the parent dies, even of SIGKILL, so that no orphan keeps
    writing into a staging folder or holding a lock."""
    global _depth, _state
    _depth, _state = 0, None
    _pending.clear()
    sys.unraisablehook = sys.__unraisablehook__
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in _TERMINATING:
        signal.signal(signum, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
