"""One step run in a forked child process while this process goes on (:class:`Beside`).

:func:`borderwatch.write_outputs` draws the printed map (matplotlib: one core, a
few seconds) while it writes the other files, and :func:`borderwatch.analyze`
computes the density surface and the evaluation while the scan and the point
clusters run. The child is a ``fork`` of this process, so it shares its inputs
without pickling them; it runs only the given function, then sends back its
return value (pickled), the borderwatch warnings it raised (said again here, in
order, by :meth:`Beside.wait`) or its exception, through a pipe.

The function must not call a parallel numba kernel once this process has used one
(:func:`numba_threads_started`): numba's OpenMP threading layer is not fork-safe.

Forking is used only where it is safe (:func:`can_fork`: on Linux, with at
least two usable cores, not inside a daemonic process such as a
``multiprocessing`` pool worker, which may not have children) and pays
(:func:`should_fork`: the one-minute load average is below the usable cores;
on a machine whose cores are all busy, a second process only adds work). Elsewhere
:meth:`Beside.wait` runs the function in this process, so the result is the same
either way.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import sys
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ._warnings import resay, withheld

__all__ = ["Beside", "can_fork", "numba_threads_started", "should_fork"]


def can_fork() -> bool:
    """Whether :class:`Beside` runs its function in a forked child here."""
    if sys.platform != "linux" or "fork" not in mp.get_all_start_methods():
        return False
    if mp.current_process().daemon:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except (AttributeError, OSError):
        return False


def numba_threads_started() -> bool:
    """Whether numba's parallel threads have started in this process: then a forked
    child must not run a parallel kernel (numba's OpenMP pool does not survive a fork,
    and the child could wait for its threads forever)."""
    par = sys.modules.get("numba.np.ufunc.parallel")
    return par is not None and bool(getattr(par, "_is_initialized", True))


T = TypeVar("T")


def _free_core() -> bool:
    """Whether the one-minute load average is below the usable cores (this process, which
    counts in it, included: a second process can still get some core's time)."""
    try:
        return os.getloadavg()[0] < len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return False


def should_fork() -> bool:
    """Whether :class:`Beside` forks by default: :func:`can_fork` and a core is free."""
    return can_fork() and _free_core()


class Beside(Generic[T]):
    """Run ``fn()`` beside this process: started now, finished by :meth:`wait`.

    ``fn`` must have no effect that this process needs but its files and its
    return value (which must pickle). An exception in ``fn`` is raised again by
    :meth:`wait` (with the child's traceback as a note); a child that dies without
    a word raises ``RuntimeError``. Call :meth:`cancel` if this process gives up
    first. ``fork=False`` runs ``fn`` in :meth:`wait`, here (default: :func:`should_fork`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> job = Beside(lambda: path.write_text("done"), what="writing x.txt")  # 4 characters
    >>> job.wait()
    4
    >>> path.read_text()
    'done'
    """

    def __init__(self, fn: Callable[[], T], *, what: str, fork: bool | None = None) -> None:
        self._fn = fn
        self._what = what
        self._proc: Any = None
        self._conn: Any = None
        forked = should_fork() if fork is None else (bool(fork) and can_fork())
        if forked:
            ctx = mp.get_context("fork")
            recv, send = ctx.Pipe(duplex=False)
            for stream in (sys.stdout, sys.stderr):  # no buffered text written twice
                stream.flush()
            self._proc = ctx.Process(target=_child, args=(fn, send), daemon=True)
            self._proc.start()
            send.close()
            self._conn = recv

    @property
    def forked(self) -> bool:
        """Whether ``fn`` runs in a child process."""
        return self._proc is not None

    def wait(self) -> T:
        """Wait for ``fn`` (or run it here, when not forked): its value, or its exception."""
        if self._proc is None:
            return self._fn()
        try:
            payload = self._conn.recv_bytes()
        except EOFError:
            payload = None
        finally:
            self._conn.close()
        self._proc.join()
        code, self._proc = self._proc.exitcode, None
        if payload is None or (code != 0 and payload[:1] != b"E"):
            msg = f"{self._what} stopped without finishing (child process exit code {code})."
            raise RuntimeError(msg)
        try:
            got = pickle.loads(payload[1:])
        except Exception:  # an exception (or value) that pickles but does not unpickle
            msg = f"{self._what} failed in a child process."
            raise RuntimeError(msg) from None
        if payload[:1] == b"E":
            exc, text = got
            exc.add_note(f"(raised while {self._what}, in a child process)\n{text}")
            raise exc
        value, said = got
        for one in said:  # the child's warnings, where this process collects them
            resay(one)
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child, if any, and wait for it to end."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            self._conn.close()
            self._proc = None


def _child(fn: Callable[[], object], conn: Any) -> None:
    try:
        with withheld() as said:
            value = fn()
        payload = b"V" + pickle.dumps((value, list(said)), protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException as exc:  # reported to the parent, which raises it
        text = "".join(traceback.format_exception(exc))
        try:
            payload = b"E" + pickle.dumps((exc, text))
        except Exception:  # an exception that does not pickle: its text
            payload = b"E" + pickle.dumps((RuntimeError(str(exc)), text))
        conn.send_bytes(payload)
        conn.close()
        os._exit(1)
    conn.send_bytes(payload)
    conn.close()
