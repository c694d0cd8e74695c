"""The command line's progress reporter: a bar over the pipeline's named steps.

The library is quiet: :func:`borderwatch.analyze` only calls the ``progress``
callback it is given. The CLI gives it a :class:`StepBar`, which writes each
message as a time-stamped line and, under them, a tqdm bar that advances when a
message opens one of :data:`borderwatch.pipeline.STEPS`.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO, Any

from .pipeline import STEPS

__all__ = ["StepBar", "step_index"]


def step_index(message: str) -> int | None:
    """The position in :data:`~borderwatch.pipeline.STEPS` of the step ``message`` opens.

    Examples
    --------
    >>> step_index("joining 1,000 incidents to 62 units"), step_index("reading meetings")
    (2, None)
    """
    for i, (_, start) in enumerate(STEPS):
        if message.startswith(start):
            return i
    return None


class StepBar:
    """A progress callback for the CLI: messages as lines, and a bar over the named steps.

    Shown when ``stream`` is a terminal or ``force`` is true; never when ``quiet``. On a
    terminal a tqdm bar runs under the lines; elsewhere (a log) each line names its step.
    Use it as a context manager so that the bar is closed before anything else is
    printed (a one-paragraph error on bad input, the final line).

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> with StepBar(quiet=False, force=True, stream=buf) as say:
    ...     say("reading units")
    ...     say("density surface")
    >>> "reading units" in buf.getvalue() and "density" in buf.getvalue()
    True
    """

    def __init__(self, *, quiet: bool, force: bool = False, stream: IO[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet or not (force or self.stream.isatty())
        self.t0 = time.perf_counter()
        self.bar: Any = None

    def __enter__(self) -> StepBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(done=kind is None)

    def __call__(self, message: str) -> None:
        if self.quiet:
            return
        line = f"[{time.perf_counter() - self.t0:6.1f}s] {message}"
        i = step_index(message)
        if not self.stream.isatty():  # a log: lines only, each with its step
            if i is not None:
                line += f"  [step {i + 1}/{len(STEPS)}: {STEPS[i][0]}]"
            print(line, file=self.stream, flush=True)
            return
        from tqdm import tqdm

        if self.bar is None:
            self.bar = tqdm(
                total=len(STEPS),
                file=self.stream,
                unit="step",
                bar_format="{desc} |{bar}| {n_fmt}/{total_fmt} steps [{elapsed}]",
                dynamic_ncols=True,
            )
        self.bar.write(line, file=self.stream)
        if i is not None and i > self.bar.n:
            self.bar.update(i - self.bar.n)
        if i is not None:
            self.bar.set_description_str(STEPS[i][0])

    def close(self, *, done: bool = True) -> None:
        """Fill the bar (when the run finished) and close it."""
        if self.bar is None:
            return
        if done:
            self.bar.set_description_str("done")
            self.bar.update(len(STEPS) - self.bar.n)
        self.bar.close()
        self.bar = None
