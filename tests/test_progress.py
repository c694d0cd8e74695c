"""The CLI's progress reporter: a bar over the pipeline's named steps."""

from __future__ import annotations

import io

from borderwatch._progress import StepBar, step_index
from borderwatch.pipeline import STEPS


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_every_named_step_is_recognised():
    for i, (_, start) in enumerate(STEPS):
        assert step_index(start + " and more words") == i
    assert step_index("generating SYNTHETIC demo data (seed 1)") is None


def test_log_lines_name_their_step():
    buf = io.StringIO()
    with StepBar(quiet=False, force=True, stream=buf) as say:
        say("reading units")
        say("joining 1,000 incidents to 62 units")
        say("hotspot regions")
    lines = buf.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("[step 1/10: read]") and "[step 3/10: join]" in lines[1]
    assert "step" not in lines[2].split("]", 1)[1]  # a message inside a step names none


def test_terminal_gets_a_bar_that_fills():
    buf = _Tty()
    with StepBar(quiet=False, stream=buf) as say:
        say("reading units")
        say("density surface")
        assert say.bar is not None and say.bar.n == 6
    text = buf.getvalue()
    assert "density surface" in text and f"{len(STEPS)}/{len(STEPS)} steps" in text


def test_quiet_and_non_terminal_print_nothing():
    buf = io.StringIO()
    with StepBar(quiet=False, stream=buf) as say:  # not a terminal, not forced
        say("reading units")
    with StepBar(quiet=True, force=True, stream=buf) as say:
        say("reading units")
    assert buf.getvalue() == ""


def test_final_line_counts_agree_with_their_nouns():
    from borderwatch.cli import _plural

    assert [_plural(n, "cluster") for n in (0, 1, 2)] == ["0 clusters", "1 cluster", "2 clusters"]
    assert _plural(1, "hotspot region") == "1 hotspot region"
