"""The web map's colours and density PNG without matplotlib, identical to matplotlib's."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_hex
from matplotlib.image import imsave
from PIL import Image

from borderwatch._colormaps import colormap_hex, colormap_rgba, shipped_colormaps
from borderwatch.maps._page import _png_data_uri
from borderwatch.maps._style import DENSITY_CMAP, UNITS_CMAP


def test_shipped_tables_are_matplotlibs() -> None:
    assert {DENSITY_CMAP, UNITS_CMAP} <= set(shipped_colormaps())
    for name in shipped_colormaps():
        cm = colormaps[name]
        cm._init()
        table = colormap_rgba(name, np.linspace(0, 1, cm.N))
        assert np.array_equal(table, cm(np.linspace(0, 1, cm.N)))
        assert np.array_equal(colormap_rgba(name, np.array([-0.1, 1.5, np.nan])), cm._lut[-3:])


@pytest.mark.parametrize("name", ["Purples", "YlOrRd"])
def test_colormap_rgba_is_matplotlib_bit_for_bit(name: str) -> None:
    rng = np.random.default_rng(4)
    edge = [0.0, 1.0, 0.5, 1 / 256, 255 / 256, 1 - 1e-16, 1e-300, -1e-300, -0.5, 1.0 + 1e-12]
    x = np.concatenate([edge, [2.0, np.nan, np.inf, -np.inf], rng.random(20_000)])
    with np.errstate(invalid="ignore"):
        assert np.array_equal(colormap_rgba(name, x), colormaps[name](x))
        grid = rng.random((37, 53))
        grid[3, 4] = np.nan
        assert np.array_equal(colormap_rgba(name, grid), colormaps[name](grid))
    for v in [*edge, *rng.random(50).tolist()]:
        assert colormap_rgba(name, v) == colormaps[name](v)
        assert colormap_hex(name, v) == to_hex(colormaps[name](v))


def test_other_colormaps_go_to_matplotlib() -> None:
    x = np.linspace(0, 1, 11)
    assert np.array_equal(colormap_rgba("viridis", x), colormaps["viridis"](x))
    assert np.array_equal(
        colormap_rgba("Purples", np.arange(3)), colormaps["Purples"](np.arange(3))
    )


def test_density_png_has_matplotlibs_pixels() -> None:
    """The map's density PNG: the pixels matplotlib's imsave wrote (only its metadata is gone)."""
    rng = np.random.default_rng(5)
    rgba = (rng.random((41, 67, 4)) * 255).round().astype(np.uint8)
    rgba[..., 3] = np.where(rng.random((41, 67)) < 0.3, 0, 191)
    ours = base64.b64decode(_png_data_uri(rgba).split(",", 1)[1])
    buf = io.BytesIO()
    imsave(buf, rgba, format="png")
    a, b = Image.open(io.BytesIO(ours)), Image.open(io.BytesIO(buf.getvalue()))
    assert a.format == b.format == "PNG" and a.mode == b.mode == "RGBA" and a.size == b.size
    assert np.array_equal(np.asarray(a), np.asarray(b))
    assert np.array_equal(np.asarray(a), rgba)
    assert "Software" not in a.info and "Software" in b.info
