"""borderwatch records its warnings per thread, so another thread's ``catch_warnings``
cannot lose them (the summary's ``warnings`` list, and what the caller is told)."""

from __future__ import annotations

import threading
import warnings

import pytest

from borderwatch._errors import BorderwatchWarning
from borderwatch._warnings import collect_warnings, withheld


def _foreign_thread() -> tuple[threading.Thread, threading.Event]:
    """A thread that enters ``catch_warnings`` now and leaves it when released: on leaving
    it restores the process-wide filters and ``showwarning`` it saw on entering."""
    entered, release = threading.Event(), threading.Event()

    def run() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            entered.set()
            release.wait(10)

    t = threading.Thread(target=run)
    t.start()
    entered.wait(10)
    return t, release


def test_a_thread_restoring_the_filters_loses_nothing():
    """The CI failure: the foreign thread's exit threw away the run's recorder (an empty
    ``summary["warnings"]``). With a process-wide recorder this test fails."""
    t, release = _foreign_thread()
    with withheld() as told, collect_warnings() as caught:
        warnings.warn("first", BorderwatchWarning, stacklevel=1)
        release.set()
        t.join(10)
        warnings.warn("second", BorderwatchWarning, stacklevel=1)
    assert caught == ["first", "second"]
    assert [str(s.message) for s in told] == ["first", "second"]


def test_collected_once_each_and_said_again_through_warnings():
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with collect_warnings() as caught:
            for n in (1, 2, 1):
                warnings.warn(f"{n} rows dropped", BorderwatchWarning, stacklevel=1)
            warnings.warn("not ours", RuntimeWarning, stacklevel=1)
    assert caught == ["1 rows dropped", "2 rows dropped"]
    assert [(str(w.message), w.category) for w in shown] == [
        ("not ours", RuntimeWarning),  # shown as usual, when raised
        ("1 rows dropped", BorderwatchWarning),
        ("2 rows dropped", BorderwatchWarning),
    ]
    assert shown[1].filename == __file__  # where it was raised, not where it was said again


def test_options_keep_their_api_words_and_template():
    with withheld() as told, collect_warnings() as caught:
        warnings.warn("Hint: pass [[dayfirst=True]].", BorderwatchWarning, stacklevel=1)
    assert caught == ["Hint: pass dayfirst=True."]
    assert told[0].message.template == "Hint: pass [[dayfirst=True]]."


def test_withheld_warnings_are_not_said():
    """What a step withholds (said elsewhere) reaches neither the summary nor the caller."""
    with withheld() as told, collect_warnings() as caught:
        with withheld():
            warnings.warn("said by the analysis", BorderwatchWarning, stacklevel=1)
    assert caught == [] and told == []


def test_other_threads_warn_as_usual():
    got: list[str] = []

    def other() -> None:
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            warnings.warn("the other thread's", BorderwatchWarning, stacklevel=1)
        got.extend(str(w.message) for w in shown)

    with collect_warnings() as caught:
        t = threading.Thread(target=other)
        t.start()
        t.join(10)
    assert caught == [] and got == ["the other thread's"]


def test_a_user_error_filter_still_raises():
    with warnings.catch_warnings():
        warnings.simplefilter("error", BorderwatchWarning)
        with pytest.raises(BorderwatchWarning, match="bad"):
            with collect_warnings():
                warnings.warn("bad", BorderwatchWarning, stacklevel=1)


def test_the_cli_prints_as_flags_although_a_thread_restores_the_filters(capsys):
    """The CLI's printer is per thread too: a foreign thread's ``catch_warnings`` exit does
    not send the rest to Python's own format (or lose them)."""
    from borderwatch.cli import _console_warnings

    t, release = _foreign_thread()
    with _console_warnings(quiet=False) as seen:
        warnings.warn("first. Hint: pass [[dayfirst=True]].", BorderwatchWarning, stacklevel=1)
        release.set()
        t.join(10)
        with collect_warnings():
            warnings.warn("second", BorderwatchWarning, stacklevel=1)
    err = capsys.readouterr().err
    assert seen == ["first. Hint: pass [[dayfirst=True]].", "second"]
    assert err.splitlines() == [
        "borderwatch: warning: first. Hint: pass --dayfirst.",
        "borderwatch: warning: second",
    ]


def test_heard_passes_other_warnings_on():
    from borderwatch._warnings import heard

    got: list[str] = []
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with heard(lambda said: got.append(str(said.message))):
            warnings.warn("ours", BorderwatchWarning, stacklevel=1)
            warnings.warn("theirs", DeprecationWarning, stacklevel=1)
    assert got == ["ours"] and [str(w.message) for w in shown] == ["theirs"]
