"""Columns of a million rows with a few distinct values, made without a pass per row.

pandas infers the dtype of an object array given to a frame (texts become its ``str``
dtype) by visiting every row; a column whose rows take a few dozen distinct values is
built here from those values and one code per row, with the dtype pandas infers from the
values used: the same column, inferred once per distinct value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["taken", "text_column"]


def taken(values: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values[codes]`` as the column pandas makes of the object array.

    Parameters
    ----------
    values : (k,) object array
        The distinct values.
    codes : (n,) int array
        The position in ``values`` of each row (0 .. k-1).
    index : Index
        The rows' index.

    Examples
    --------
    >>> s = taken(np.array([None, "a", "b"], dtype=object), np.array([1, 1, 0]), pd.RangeIndex(3))
    >>> s.tolist(), s.dtype == pd.Series(np.array(["a", "a", None], dtype=object)).dtype
    (['a', 'a', nan], True)
    """
    values = np.asarray(values, dtype=object)
    codes = np.asarray(codes, dtype=np.int64)
    used = np.flatnonzero(np.bincount(codes, minlength=len(values)))
    small = pd.Series(values[used])  # the dtype pandas infers from the values used
    at = np.zeros(len(values), dtype=np.int64)
    at[used] = np.arange(len(used))
    return pd.Series(small.array.take(at[codes]), index=index, dtype=small.dtype)


def text_column(values: np.ndarray, index: pd.Index) -> pd.Series | np.ndarray:
    """The column of an object array of texts and ``None``: :func:`taken` of its distinct
    values; any other array (numbers, ``NaN``, no text at all) is returned as it is.

    Examples
    --------
    >>> text_column(np.array(["x", None, "x"], dtype=object), pd.RangeIndex(3)).tolist()
    ['x', nan, 'x']
    >>> text_column(np.array([1, 2], dtype=object), pd.RangeIndex(2)).tolist()
    [1, 2]
    """
    values = np.asarray(values, dtype=object)
    codes, uniques = pd.factorize(values)  # missing values: -1
    missing = codes < 0
    if not len(uniques) or not all(isinstance(u, str) for u in uniques.tolist()):
        return values
    if missing.any() and not all(v is None for v in values[missing].tolist()):
        return values  # NaN or pd.NA among the texts: as it is
    small = np.append(np.asarray(uniques, dtype=object), np.array([None], dtype=object))
    return taken(small, np.where(missing, len(uniques), codes), index)
