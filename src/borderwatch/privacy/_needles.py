"""Fast lookups of incident ids, free text and coordinates in text.

:class:`Needles` is what the public view redacts from strings and what the leak
scanner looks for in every output file.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

import numpy as np

from ._info import IncidentInfo

__all__ = ["Needles", "is_gazetteer_place", "text_variants"]

_DEC_RE = re.compile(r"(?<![\w.])-?\d+\.\d+(?![\d.])")
_NUM_RE = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\d.])")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_ID_TOKEN_RE = re.compile(r"[\w\-.:/#]+")
_JS_ESC_RE = re.compile(r"\\u([0-9a-fA-F]{4})|\\([/\"'\\])")
_SPACE_RE = re.compile(r"\s")

#: A hit: (token position, incidents whose first coordinate it is, ... whose second it is).
_Hit = tuple[int, list[int], list[int]]
#: Found coordinate pairs: {incident index: (kind, token, token)}.
_Found = dict[int, tuple[str, str, str]]
_Lookup = tuple[dict[str, list[int]], dict[str, list[int]]]


_PLACES: set[tuple[float, float]] | None = None


def is_gazetteer_place(a: str, b: str) -> bool:
    """Whether the pair of numbers ``a``, ``b`` (either order) is exactly a town of the
    shipped gazetteer (:func:`borderwatch.places.towns`): public knowledge that the map's
    towns layer prints, even when an incident was geocoded to that town's centre.

    Examples
    --------
    >>> is_gazetteer_place("-117.0037", "32.5027"), is_gazetteer_place("32.5027", "-117.0037")
    (True, True)
    >>> is_gazetteer_place("-117.00371", "32.5027")
    False
    """
    global _PLACES
    if _PLACES is None:
        from ..places import towns

        every = towns(min_population=0)
        _PLACES = set(zip(every["lon"].astype(float), every["lat"].astype(float), strict=True))
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    return (x, y) in _PLACES or (y, x) in _PLACES


def _inner_words(folded: str) -> frozenset[str]:
    """The words of ``folded`` with a non-word character on both sides within it.

    Wherever ``folded`` occurs in a text, these words occur there as whole words
    (the characters around them are the same), so a text whose words (``_WORD_RE``)
    lack one of them cannot contain ``folded``: a quick exact test before the
    substring search. The first and last words may be parts of longer words there.

    >>> sorted(_inner_words("synthetic report 583: theft near x"))
    ['583', 'near', 'report', 'theft']
    """
    return frozenset(
        m.group() for m in _WORD_RE.finditer(folded) if m.start() > 0 and m.end() < len(folded)
    )


def _js_unescape(text: str) -> str:
    return _JS_ESC_RE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), text)


def text_variants(text: str) -> str:
    """``text`` followed by its HTML- and JavaScript-unescaped variants (those that differ).

    >>> text_variants("a &amp; b")
    'a &amp; b\\na & b'
    """
    variants = [text]
    for v in (html.unescape(text), _js_unescape(text), html.unescape(_js_unescape(text))):
        if v not in variants:
            variants.append(v)
    return "\n".join(variants)


class Needles:
    """What must not appear in a public output, with fast lookups.

    Parameters
    ----------
    lonlat : array, shape (n, 2)
        Longitude and latitude of the incidents.
    xy : array, shape (n, 2), optional
        The incidents in a metric CRS (looked for rounded to the metre).
    ids, texts : iterable of str
        Incident ids and free-text values.
    labels : sequence of str, optional
        How findings name each incident (default: its position).
    allow : iterable of str
        Values that are public even though an incident holds them.
    min_id_len : int, default 3
        Shorter ids, and all-digit ids shorter than 5 digits, are not looked for.
    window : int, default 2
        Longitude and latitude at most this many numbers apart make a pair.

    Examples
    --------
    >>> nd = Needles(lonlat=[[1.234567, 14.765432]], xy=None, ids=["INC-001"], texts=[])
    >>> nd.coordinate_pairs("at [1.23457, 14.76543]")
    {0: ('lon/lat', '1.23457', '14.76543')}
    >>> nd.find_ids("see INC-001.")
    {'INC-001'}
    """

    def __init__(
        self,
        *,
        lonlat: np.ndarray | Sequence[Sequence[float]],
        xy: np.ndarray | None,
        ids: Iterable[str],
        texts: Iterable[str],
        labels: Sequence[str] | None = None,
        allow: Iterable[str] = (),
        min_id_len: int = 3,
        window: int = 2,
    ) -> None:
        self.lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
        self.xy = None if xy is None else np.asarray(xy, dtype=float).reshape(-1, 2)
        self.labels = (
            list(labels) if labels is not None else [str(i) for i in range(len(self.lonlat))]
        )
        allowed = {str(a).casefold().strip() for a in allow if isinstance(a, str)}
        self.ids = {
            i
            for i in ids
            if len(i) >= min_id_len
            and not (i.isdigit() and len(i) < 5)
            and i.casefold() not in allowed
        }
        #: the ids with a space, found as substrings (the others as whole tokens)
        self._spaced = [i for i in self.ids if _SPACE_RE.search(i)]
        self.texts = {t for t in texts if t.casefold().strip() not in allowed}
        self._text_first: dict[str, list[str]] = {}
        #: the words each text's match must hold whole (see :func:`_inner_words`)
        self._text_inner: dict[str, frozenset[str]] = {}
        for t in self.texts:
            words = _WORD_RE.findall(t.casefold())
            if words:
                self._text_first.setdefault(words[0], []).append(t)
                self._text_inner[t] = _inner_words(t.casefold())
        self.window = window
        self._maps: dict[int, _Lookup] = {}
        self._mmaps: _Lookup | None = None

    @classmethod
    def from_info(cls, info: IncidentInfo) -> Needles:
        """The needles of what the public view knows about the incidents."""
        return cls(lonlat=info.lonlat, xy=info.xy, ids=info.ids, texts=info.texts)

    # -- coordinates
    def _map(self, d: int) -> _Lookup:
        if d not in self._maps:
            lon: dict[str, list[int]] = {}
            lat: dict[str, list[int]] = {}
            for i, (x, y) in enumerate(self.lonlat):
                lon.setdefault(f"{x:.{d}f}", []).append(i)
                lat.setdefault(f"{y:.{d}f}", []).append(i)
            self._maps[d] = (lon, lat)
        return self._maps[d]

    def _metric_map(self) -> _Lookup:
        if self._mmaps is None:
            xs: dict[str, list[int]] = {}
            ys: dict[str, list[int]] = {}
            if self.xy is not None:
                for i, (x, y) in enumerate(self.xy):
                    xs.setdefault(str(round(x)), []).append(i)
                    ys.setdefault(str(round(y)), []).append(i)
            self._mmaps = (xs, ys)
        return self._mmaps

    @staticmethod
    def _key(tok: str) -> tuple[int, str]:
        d = len(tok) - tok.index(".") - 1
        if d > 8:
            return 8, f"{float(tok):.8f}"
        return d, tok

    def coordinate_pairs(self, text: str, *, min_decimals: int = 1) -> _Found:
        """Incidents whose lon and lat (or metric x and y) sit next to each other in ``text``.

        Returns ``{incident index: (kind, token, token)}``.
        """
        found: _Found = {}
        if len(self.lonlat):
            self._lonlat_pairs(text, found, min_decimals=min_decimals)
        if self.xy is not None and len(self.xy):
            self._metric_pairs(text, found)
        return found

    def _lonlat_pairs(self, text: str, found: _Found, *, min_decimals: int) -> None:
        toks = _DEC_RE.findall(text)
        hits: list[_Hit] = []
        # parallel arrays: only values written with 4+ decimals, or exactly the coordinate
        precise: list[_Hit] = []
        seen: dict[str, tuple[_Hit, _Hit] | None] = {}  # a token's hits, looked up once
        for pos, tok in enumerate(toks):
            if tok in seen:
                got = seen[tok]
            else:
                got = seen[tok] = self._lonlat_hit(tok, min_decimals=min_decimals)
            if got is not None:
                (_, a, b), (_, pa, pb) = got
                hits.append((pos, a, b))
                if pa or pb:
                    precise.append((pos, pa, pb))
        self._pairs(toks, hits, found, "lon/lat")
        self._columns(toks, precise, found, "lon/lat", places=self.lonlat)

    def _lonlat_hit(self, tok: str, *, min_decimals: int) -> tuple[_Hit, _Hit] | None:
        """The incidents whose lon / lat ``tok`` is, and those of them it is exactly (or all,
        from 4 decimals on), as hits at position 0; None if it is no incident's coordinate."""
        d, key = self._key(tok)
        if d < min_decimals:
            return None
        lon, lat = self._map(d)
        a, b = lon.get(key) or [], lat.get(key) or []
        if not a and not b:
            return None
        if d >= 4:
            return (0, a, b), (0, a, b)
        v = float(tok)
        pa = [i for i in a if self.lonlat[i, 0] == v]
        pb = [i for i in b if self.lonlat[i, 1] == v]
        return (0, a, b), (0, pa, pb)

    def _metric_pairs(self, text: str, found: _Found) -> None:
        toks = _NUM_RE.findall(text)
        xs, ys = self._metric_map()
        hits: list[_Hit] = []
        seen: dict[str, tuple[list[int], list[int]] | None] = {}  # a token's hits, looked up once
        for pos, tok in enumerate(toks):
            if tok in seen:
                got = seen[tok]
            else:
                v = float(tok)
                got = None
                if abs(v) >= 100:
                    key = str(round(v))
                    a, b = xs.get(key), ys.get(key)
                    got = (a or [], b or []) if a or b else None
                seen[tok] = got
            if got is not None:
                hits.append((pos, *got))
        self._pairs(toks, hits, found, "projected x/y")
        self._columns(
            toks,
            hits,
            found,
            "projected x/y",
            places=self.xy if self.xy is not None else np.empty((0, 2)),
        )

    @staticmethod
    def _columns(
        toks: list[str],
        hits: list[_Hit],
        found: _Found,
        what: str,
        *,
        places: np.ndarray,
        min_incidents: int = 3,
    ) -> None:
        """Coordinates stored as parallel arrays (``"lon": [...], "lat": [...]``).

        The longitude and latitude of each incident then sit a constant number
        of tokens apart; an offset shared by incidents at ``min_incidents`` or
        more distinct places (``places``: their coordinates) is reported.
        """
        first: dict[int, list[int]] = {}
        second: dict[int, list[int]] = {}
        for pos, a, b in hits:
            for inc in a:
                first.setdefault(inc, []).append(pos)
            for inc in b:
                second.setdefault(inc, []).append(pos)
        by_offset: dict[int, list[tuple[int, int, int]]] = {}
        for inc in first.keys() & second.keys():
            for p in first[inc][:8]:
                for q in second[inc][:8]:
                    by_offset.setdefault(q - p, []).append((inc, p, q))
        for offset, items in by_offset.items():
            # distinct places, not incidents: a stack of incidents at one spot whose two
            # numbers happen to occur in the text (e.g. in boundary vertices) is not an array
            if offset == 0 or len({tuple(places[i]) for i, _, _ in items}) < min_incidents:
                continue
            for inc, p, q in items:
                found.setdefault(inc, (f"{what} in parallel arrays", toks[p], toks[q]))

    def _pairs(self, toks: list[str], hits: list[_Hit], found: _Found, what: str) -> None:
        """Pairs (first coordinate, second coordinate) of one incident within ``window`` tokens."""
        for h, (pos, xs, _) in enumerate(hits):
            if not xs:
                continue
            xset = set(xs)
            # neighbours are the hits whose position is within the window, on either side
            lo = h
            while lo > 0 and pos - hits[lo - 1][0] <= self.window:
                lo -= 1
            hi = h
            while hi + 1 < len(hits) and hits[hi + 1][0] - pos <= self.window:
                hi += 1
            for o in range(lo, hi + 1):
                opos, _, ys = hits[o]
                if o == h or not ys:
                    continue
                for inc in xset.intersection(ys):
                    found.setdefault(inc, (what, toks[pos], toks[opos]))

    def coordinate_tokens(self, text: str) -> set[str]:
        """Tokens of ``text`` that are part of an incident coordinate pair."""
        out: set[str] = set()
        for _, a, b in self.coordinate_pairs(text).values():
            out.update((a, b))
        return out

    # -- ids and text
    def find_ids(self, text: str) -> set[str]:
        """Incident ids in ``text`` (whole tokens, or ids with spaces as substrings)."""
        if not self.ids:
            return set()
        tokens = set(_ID_TOKEN_RE.findall(text))
        tokens |= {t.strip(".:/#") for t in tokens}
        hits = self.ids & tokens
        for i in self._spaced:
            if i not in hits and i in text:
                hits.add(i)
        return hits

    def find_texts(self, text: str) -> set[str]:
        """Incident free-text values in ``text`` (case-insensitive; short ones as whole words)."""
        if not self.texts:
            return set()
        folded = text.casefold()
        words = set(_WORD_RE.findall(folded))
        hits = set()
        for w in words & self._text_first.keys():
            for t in self._text_first[w]:
                if not self._text_inner[t] <= words:
                    continue  # a word it holds whole is nowhere whole in the text: no match
                tf = t.casefold()
                if len(tf) < 8:
                    if re.search(rf"(?<!\w){re.escape(tf)}(?!\w)", folded):
                        hits.add(t)
                elif tf in folded:
                    hits.add(t)
        return hits
