"""The printed map's two files written side by side (:func:`save_pages` with ``split``).

The PNG is written here and the PDF by a forked copy; the files are those written one
after the other, and a copy that fails or warns leaves its file to this process.
"""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from _pdf_text import page_text
from borderwatch import BorderwatchWarning
from borderwatch.maps import _static_files
from borderwatch.maps._static_files import save_pages
from borderwatch.maps.static import print_rc

needs_fork = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _static_files._cores_for_two(),
    reason="the split forks on Linux with two cores",
)


def _page() -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
    ax.plot([0, 1, 2], [2, 0, 1])
    fig.text(0.1, 0.9, "Niamey · نيامي · confidence")
    return fig


def _write(tmp: Path, name: str, *, split: bool) -> list[tuple[Path, str]]:
    targets = [(tmp / f"{name}.png", "png"), (tmp / f"{name}.pdf", "pdf")]
    with print_rc():
        save_pages(_page(), targets, dpi=40, title="T", split=split)
    return targets


def _pdf_text(path: Path) -> str:
    return page_text(path.read_bytes())


@needs_fork
def test_split_files_are_the_files_written_in_turn(tmp_path: Path) -> None:
    one = _write(tmp_path, "one", split=False)
    two = _write(tmp_path, "two", split=True)
    assert one[0][0].read_bytes() == two[0][0].read_bytes()  # the PNG, byte for byte
    assert one[1][0].stat().st_size == two[1][0].stat().st_size  # the PDF (dates aside)
    assert _pdf_text(one[1][0]) == _pdf_text(two[1][0])


@needs_fork
def test_the_copy_writes_the_last_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = os.getpid()
    writers: list[int] = []
    real = _static_files.save_page

    def noted(fig, path, **kw):  # type: ignore[no-untyped-def]
        writers.append(os.getpid())
        return real(fig, path, **kw)

    monkeypatch.setattr(_static_files, "save_page", noted)
    targets = _write(tmp_path, "m", split=True)
    assert writers == [here]  # only the PNG here; the copy's note stays in the copy
    assert all(path.stat().st_size > 0 for path, _ in targets)


@needs_fork
@pytest.mark.parametrize("how", ["fails", "warns", "dies"])
def test_a_failed_copy_leaves_its_file_to_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    here = os.getpid()
    real = _static_files.save_page
    writers: list[int] = []

    def flaky(fig, path, **kw):  # type: ignore[no-untyped-def]
        if os.getpid() != here:  # in the forked copy only
            if how == "fails":
                raise OSError("disk full")
            if how == "warns":
                warnings.warn("a glyph is missing", BorderwatchWarning, stacklevel=1)
            else:
                os._exit(9)
        writers.append(os.getpid())
        return real(fig, path, **kw)

    monkeypatch.setattr(_static_files, "save_page", flaky)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        targets = _write(tmp_path, "m", split=True)
    assert writers == [here, here]  # the PNG, then the PDF again here
    assert _pdf_text(targets[1][0])


def test_without_split_or_cores_no_copy_is_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_fork() -> int:
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", no_fork)
    _write(tmp_path, "a", split=False)
    monkeypatch.setattr(_static_files, "_cores_for_two", lambda: False)
    targets = _write(tmp_path, "b", split=True)
    assert all(path.stat().st_size > 0 for path, _ in targets)


def test_an_error_here_is_raised(tmp_path: Path) -> None:
    with pytest.raises(OSError), print_rc():
        save_pages(
            _page(),
            [(tmp_path / "no" / "dir.png", "png"), (tmp_path / "x.pdf", "pdf")],
            dpi=40,
            title="T",
            split=True,
        )
