"""Locate the package data (boundaries, lookup tables, translations)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["boundaries_dir", "data_path"]


def data_path(*parts: str) -> Path:
    """Path to a file under ``borderwatch/data``."""
    base = resources.files("borderwatch") / "data"
    return Path(str(base.joinpath(*parts)))


def boundaries_dir() -> Path:
    """The shipped ``ne10m_adm1_*`` boundary files.

    In a wheel they sit at ``borderwatch/data/boundaries``; in a source
    checkout (editable install) at ``data/boundaries`` in the repository.
    """
    packaged = data_path("boundaries")
    if packaged.is_dir():
        return packaged
    repo = Path(__file__).resolve().parents[2] / "data" / "boundaries"
    if repo.is_dir():
        return repo
    msg = "borderwatch's boundary files are missing from this installation; reinstall the package."
    raise FileNotFoundError(msg)
