"""The cell-key method: perturbation that stays the same across releases.

Every incident gets a fixed random *record key* (an integer in ``[0, 2**32)``):
the HMAC-SHA256 of its id (or, without an id, of its content) under a secret
salt, the *release key*, that the user keeps in a key file. The *cell key* of a
published count is the sum of its records' keys modulo ``2**32``; the published
value is ``count + ptable[count, cell key]``. The same records always give the
same published value, in every table and every release; adding one incident
changes a count's published value unpredictably, not by +1 (ABS TableBuilder,
Fraser & Wooton 2005; Thompson, Broadfoot & Elazar 2013; ONS 2021 census).

Examples
--------
>>> import pandas as pd
>>> inc = pd.DataFrame({"id": [f"INC-{i}" for i in range(12)]})
>>> keys = record_keys(inc, DEMO_KEY)
>>> groups = np.array([0] * 7 + [1] * 5)
>>> ck = cell_keys(keys, groups, 2)
>>> pt = PTable(k=5)
>>> pub = pt.publish(np.array([7, 5]), ck)
>>> bool(abs(pub[0] - 7) <= 2 and pub[1] >= 5)
True
>>> pt.publish(np.array([3, 0]), ck).tolist()  # below k: not published as such
[nan, nan]
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._errors import BorderwatchWarning, DataError

__all__ = [
    "DEMO_KEY",
    "KEY_BITS",
    "PTable",
    "cell_keys",
    "content_keys",
    "load_key",
    "record_keys",
]

#: Bits of a record key and of a cell key.
KEY_BITS = 32
_MOD = np.uint64(1 << KEY_BITS)
#: The release key of the demo data (public: use your own key file for real data).
DEMO_KEY = b"borderwatch-demo-release-key-not-secret"
_HEADER = "# borderwatch release key: keep this file private and keep it for every release\n"


def load_key(path: str | os.PathLike[str], *, create: bool = True) -> bytes:
    """The release key stored in ``path``; a new random key is written there on first use.

    Parameters
    ----------
    path : path
        The key file (a text file with one line of 64 hexadecimal digits). Keep
        it private and outside the output folder, and use the same file for
        every release of a data set: with another key, every published count
        changes and two releases can be differenced again.
    create : bool, default True
        Create the file (mode 0600, with a :class:`BorderwatchWarning`) when it
        does not exist; otherwise raise :class:`DataError`.

    Examples
    --------
    >>> import tempfile, warnings
    >>> p = Path(tempfile.mkdtemp()) / "release.key"
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     k1 = load_key(p)
    >>> load_key(p) == k1, len(k1)
    (True, 32)
    """
    p = Path(path).expanduser()
    if not p.exists():
        if not create:
            msg = f"{p}: no such key file. Hint: give the key file of earlier releases."
            raise DataError(msg)
        p.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(32)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(_HEADER + key.hex() + "\n")
        msg = (
            f"created a new release key in {p}. Keep this file private and use it for every "
            "public release of this data set: if it is lost, new releases are perturbed "
            "differently and can be compared with old ones."
        )
        warnings.warn(msg, BorderwatchWarning, stacklevel=2)
        return key
    lines = [ln.strip() for ln in p.read_text(encoding="ascii", errors="replace").splitlines()]
    body = [ln for ln in lines if ln and not ln.startswith("#")]
    try:
        key = bytes.fromhex(body[0]) if body else b""
    except ValueError:
        key = b""
    if len(key) < 16:
        msg = (
            f"{p}: not a borderwatch key file (expected one line of hexadecimal digits). "
            "Hint: give the key file that borderwatch created for this data set."
        )
        raise DataError(msg)
    return key


def _digest32(key: bytes, text: str) -> int:
    return int.from_bytes(hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()[:4], "big")


def record_keys(incidents: pd.DataFrame, key: bytes, *, id_column: str = "id") -> np.ndarray:
    """The record key of each incident: HMAC-SHA256 of its id (else its content) under ``key``.

    Parameters
    ----------
    incidents : DataFrame
        The incidents; ``id_column`` when present, else their content
        (coordinates to the metre, date, category) identifies them.
    key : bytes
        The release key (:func:`load_key`, or :data:`DEMO_KEY`).

    Returns
    -------
    ndarray of uint64
        Values in ``[0, 2**32)``, in the order of ``incidents``.
    """
    if not isinstance(key, bytes | bytearray) or not key:
        msg = "record_keys: key must be the bytes of a release key. Hint: use load_key(path)."
        raise DataError(msg)
    if id_column in incidents.columns and incidents[id_column].notna().all():
        texts = ("id:" + incidents[id_column].astype(str)).tolist()
    else:
        texts = _content_texts(incidents)
    return np.fromiter((_digest32(key, t) for t in texts), dtype=np.uint64, count=len(texts))


def _content_texts(incidents: pd.DataFrame) -> list[str]:
    """What identifies an incident without an id: place (6 decimals), date and category."""
    n = len(incidents)
    parts = [pd.Series(np.arange(n).astype(str), index=incidents.index)] if n == 0 else []
    geom = getattr(incidents, "geometry", None)
    if geom is not None:
        g = geom.to_crs(4326) if geom.crs is not None else geom
        parts.append(g.x.round(6).astype(str) + "," + g.y.round(6).astype(str))
    for c in ("date", "category"):
        if c in incidents.columns:
            parts.append(incidents[c].astype(str))
    if not parts:
        return [f"row:{i}" for i in range(n)]
    text = parts[0]
    for s in parts[1:]:
        text = text + "|" + s
    # identical incidents get distinct keys: the n-th copy of the same content
    dup = text.groupby(text).cumcount().astype(str)
    return ("c:" + text + "#" + dup).tolist()


def content_keys(labels: list[str], key: bytes) -> np.ndarray:
    """Cell keys for counts whose records are unknown (e.g. dropped rows): from a label.

    The label should name the count and its true value (``"dropped_invalid:7"``),
    so that the same value always gets the same perturbation.
    """
    return np.fromiter((_digest32(key, "cell:" + s) for s in labels), dtype=np.uint64)


def cell_keys(keys: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Cell key of each group: the sum of its records' keys modulo ``2**32``.

    ``groups`` gives each record's group (0..n_groups-1, or -1 for none).
    """
    g = np.asarray(groups, dtype=np.int64)
    ok = g >= 0
    out = np.zeros(n_groups, dtype=np.uint64)
    np.add.at(out, g[ok], np.asarray(keys, dtype=np.uint64)[ok])
    return out % _MOD


@dataclass(frozen=True)
class PTable:
    """A perturbation table: how much a count of ``n`` moves, given its cell key.

    Counts below ``k`` are not published as such (:meth:`publish` gives NaN:
    the reader sees "0–4"). A count ``n >= k`` moves by ``d`` in ``[-D, D]``
    with the probabilities ``weights`` (for ``d = -D .. D``), restricted to
    ``n + d >= k`` and renormalised, so a published value is never below ``k``.
    The deviation is the inverse of that distribution at ``cell_key / 2**32``.

    Attributes
    ----------
    k : int
        The threshold (published values are ``>= k``).
    D : int
        The largest deviation.
    weights : tuple of float
        ``2 * D + 1`` probabilities; the default (D = 2) has mean 0 and
        variance V = 0.8 away from the threshold.
    """

    k: int = 5
    D: int = 2
    weights: tuple[float, ...] = (0.05, 0.2, 0.5, 0.2, 0.05)

    def __post_init__(self) -> None:
        if len(self.weights) != 2 * self.D + 1 or min(self.weights) < 0:
            msg = f"PTable: weights must be {2 * self.D + 1} probabilities, one per deviation."
            raise DataError(msg)

    @property
    def variance(self) -> float:
        """The variance V of the deviation away from the threshold."""
        d = np.arange(-self.D, self.D + 1)
        w = np.asarray(self.weights) / sum(self.weights)
        return float((w * d * d).sum() - (w * d).sum() ** 2)

    def deviation(self, counts: np.ndarray, ckeys: np.ndarray) -> np.ndarray:
        """The deviation of each count (0 below ``k``)."""
        n = np.asarray(counts, dtype=np.int64)
        u = np.asarray(ckeys, dtype=np.uint64).astype(np.float64) / float(1 << KEY_BITS)
        d = np.arange(-self.D, self.D + 1)
        w = np.broadcast_to(np.asarray(self.weights, dtype=float), (len(n), len(d))).copy()
        w[(n[:, None] + d[None, :]) < self.k] = 0.0
        tot = w.sum(axis=1)
        tot[tot == 0] = 1.0
        cdf = np.cumsum(w / tot[:, None], axis=1)
        idx = (u[:, None] >= cdf).sum(axis=1).clip(0, len(d) - 1)
        out = d[idx]
        return np.where(n >= self.k, out, 0).astype(np.int64)

    def publish(self, counts: np.ndarray, ckeys: np.ndarray) -> np.ndarray:
        """Published values (float): ``count + deviation``, NaN for counts below ``k``."""
        n = np.asarray(counts, dtype=np.int64)
        out = (n + self.deviation(n, ckeys)).astype(float)
        out[n < self.k] = np.nan
        return out
