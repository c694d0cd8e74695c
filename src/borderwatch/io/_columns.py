"""Candidate column names, their detection, and HXL hashtags.

Column names are compared case-insensitively, after the last ``/`` of
KoboToolbox/ODK group paths, with spaces and dashes read as underscores. HXL
hashtags (``#geo+lat``) are compared with their attributes sorted.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pandas as pd

from .._errors import DataError
from .._schema import ATTENDANCE

__all__ = [
    "ATTENDANCE_NAMES",
    "ATTENDANCE_TOTAL",
    "CATEGORY",
    "COUNTRY",
    "GEOPOINT",
    "ID",
    "LAT",
    "LON",
    "PLACE",
    "SENSITIVE",
    "TEXT_CODES",
    "MONTH",
    "TIME",
    "TIME_WORDS",
    "TOPICS",
    "UNIT_COUNTRY",
    "UNIT_ID",
    "UNIT_NAME",
    "YEAR",
    "find",
    "hxl_key",
    "hxl_rename",
    "norm_col",
    "require_column",
]

# -- points ---------------------------------------------------------------------------------

LON = [
    "lon",
    "lng",
    "long",
    "longitude",
    "longitud",
    "x",
    "_location_longitude",
    "_geolocation_longitude",
    "location_longitude",
    "gps_longitude",
    "_gps_longitude",
    "geo_lon",
    "#geo+lon",
]
LAT = [
    "lat",
    "latitude",
    "latitud",
    "y",
    "_location_latitude",
    "_geolocation_latitude",
    "location_latitude",
    "gps_latitude",
    "_gps_latitude",
    "geo_lat",
    "#geo+lat",
]
GEOPOINT = [
    "_geolocation",
    "geolocation",
    "_location",
    "location",
    "gps",
    "geopoint",
    "#geo+coord",
]
#: Columns holding a date or datetime (English, French, Spanish, Portuguese, Arabic, HXL, Kobo);
#: names are compared without accents (``année`` is ``annee``).
TIME = [
    "date",
    "datetime",
    "timestamp",
    "event_date",
    "incident_date",
    "date_start",
    "date_of_incident",
    "date_occurred",
    "occurred",
    "time",
    "meeting_date",
    "#date",
    "#date+occurred",
    "#date+start",
    "_submission_time",
    "submission_time",
    "submissiondate",
    "date_incident",
    "date_de_l_incident",
    "date_evenement",
    "date_des_faits",
    "date_reunion",
    "fecha",
    "fecha_incidente",
    "fecha_del_incidente",
    "fecha_hecho",
    "fecha_evento",
    "fecha_reunion",
    "data_ocorrencia",
    "data_do_incidente",
    "data_incidente",
    "data_do_evento",
    "data_reuniao",
    "تاريخ",
    "التاريخ",
    "تاريخ_الحادث",
    "تاريخ_الحادثة",
    "data",
]
#: Columns holding a year; with a :data:`MONTH` column they give months.
YEAR = ["year", "#date+year", "annee", "ano", "anio", "سنة", "السنة", "العام", "عام"]
#: Columns holding a month (1-12 or a month name), used with a :data:`YEAR` column.
MONTH = ["month", "#date+month", "mois", "mes", "شهر", "الشهر"]
#: Words that make a column a candidate time column when none was detected.
TIME_WORDS = (
    "date",
    "time",
    "day",
    "when",
    "year",
    "month",
    "jour",
    "quand",
    "heure",
    "mois",
    "annee",
    "fecha",
    "dia",
    "cuando",
    "hora",
    "mes",
    "ano",
    "data",
    "quando",
    "periode",
    "periodo",
    "تاريخ",
    "سنة",
    "شهر",
    "يوم",
)
CATEGORY = [
    "category",
    "incident_category",
    "incident_type",
    "crime_type",
    "crime",
    "offence",
    "offense",
    "type",
    "event_type",
    "#event+type",
    "#crisis+type",
    "#event+category",
    "categorie",
    "type_d_incident",
    "type_incident",
    "nature",
    "infraction",
    "tipo",
    "tipo_incidente",
    "tipo_de_incidente",
    "categoria",
    "delito",
    "tipo_de_ocorrencia",
    "natureza",
    "نوع",
    "النوع",
    "الفئة",
]
ID = [
    "id",
    "incident_id",
    "event_id",
    "report_id",
    "case_id",
    "uuid",
    "_uuid",
    "_id",
    "meeting_id",
    "#event+id",
    "#meta+id",
    "#activity+id",
]
COUNTRY = [
    "country",
    "country_iso3",
    "iso3",
    "country_code",
    "adm0_iso3",
    "adm0",
    "#country+code",
    "#country+name",
    "#country",
    "pays",
    "pais",
    "البلد",
    "الدولة",
]
SENSITIVE = ["sensitive", "is_sensitive", "protected", "#meta+sensitive"]

# -- units ----------------------------------------------------------------------------------

UNIT_ID = [
    "unit_id",
    "adm3_pcode",
    "adm3_code",
    "adm2_pcode",
    "adm2_code",
    "adm1_pcode",
    "adm1_code",
    "hasc",
    "hasc_2",
    "hasc_1",
    "pcode",
    "shapeid",
    "gid_2",
    "gid_1",
    "id",
    "code",
]
UNIT_NAME = [
    "name",
    "unit_name",
    "adm3_name",
    "adm3_en",
    "adm2_name",
    "adm2_en",
    "adm1_name",
    "adm1_en",
    "shapename",
    "name_2",
    "name_1",
    "admin_name",
    "nom",
]
UNIT_COUNTRY = [
    "country",
    "adm0_iso3",
    "iso3",
    "iso_a3",
    "adm0_a3",
    "gid_0",
    "shapegroup",
    "country_code",
    "adm0_pcode",
    "iso_a2",
    "admin",
    "adm0_name",
    "adm0_en",
]

# -- meetings -------------------------------------------------------------------------------

#: Candidate names of each attendance column (``_schema.ATTENDANCE``), its own name first.
ATTENDANCE_NAMES: dict[str, list[str]] = {
    col: [col, *names]
    for col, names in zip(
        ATTENDANCE,
        (
            ["women", "attendance_women", "n_women", "female", "femmes", "mujeres"],
            ["men", "attendance_men", "n_men", "male", "hommes", "hombres"],
            ["youth", "attendance_youth", "n_youth", "jeunes", "jovenes"],
            [
                "migrants",
                "displaced",
                "migrants_displaced",
                "attendance_migrants",
                "idps",
                "refugees",
                "deplaces",
            ],
            ["police", "attendance_police", "n_police", "security"],
            ["leaders", "local_leaders", "attendance_leaders", "chiefs", "notables"],
        ),
        strict=True,
    )
}
#: Candidate names of a meeting's total attendance (the file's own count of people).
ATTENDANCE_TOTAL = [
    "attendance",
    "attendees",
    "participants",
    "total_attendance",
    "participants_total",
]
TOPICS = ["topics", "topic", "themes", "subjects", "agenda", "issues", "#meta+topics"]
PLACE = [
    "place",
    "location_name",
    "village",
    "town",
    "venue",
    "locality",
    "#loc+name",
    "#adm2+name",
]

#: Columns read as text from CSV files (ids and codes keep leading zeros).
TEXT_CODES = {c for c in ID + UNIT_ID if not c.startswith("#")} - {"code"}


# -- detection ------------------------------------------------------------------------------


def hxl_key(tag: str) -> str:
    """Normalise an HXL tag: lower case, attributes sorted.

    >>> hxl_key("#Geo +lat")
    '#geo+lat'
    """
    parts = tag.strip().lower().replace(" ", "").split("+")
    return parts[0] + "".join("+" + p for p in sorted(p for p in parts[1:] if p))


def norm_col(name: Any) -> str:
    """A column name as compared with the candidates: lower case, without accents.

    >>> norm_col("group_abc/Incident Date"), norm_col("#geo +lon"), norm_col("Année")
    ('incident_date', '#geo+lon', 'annee')
    """
    text = unicodedata.normalize("NFKD", str(name).strip()).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    if text.startswith("#"):
        return hxl_key(text)
    return re.sub(r"[\s\-'’]", "_", text.rsplit("/", 1)[-1])


def find(
    frame: pd.DataFrame, candidates: list[str], *, exclude: set[str] | None = None
) -> str | None:
    """The first column of ``frame`` that matches a candidate, in candidate order.

    HXL candidates also match tags with extra attributes (``#geo+lat`` finds
    ``#geo+lat+x_centroid``).

    >>> find(pd.DataFrame(columns=["ID", "Longitude"]), LON)
    'Longitude'
    """
    norm: dict[str, Any] = {}
    for col in frame.columns:
        if exclude and col in exclude:
            continue
        norm.setdefault(norm_col(col), col)
    keys = [norm_col(c) for c in candidates]
    for cand in keys:
        if cand in norm:
            return str(norm[cand])
    for cand in keys:
        if cand.startswith("#"):
            base = cand.split("+")
            for key, col in norm.items():
                parts = key.split("+")
                if (
                    key.startswith("#")
                    and parts[0] == base[0]
                    and all(p in parts for p in base[1:])
                ):
                    return str(col)
    return None


def require_column(frame: pd.DataFrame, source: str, name: str, *, option: str, what: str) -> str:
    """``name`` when ``frame`` has it; otherwise a :class:`DataError` listing the columns
    (``option`` is the setting that named it, e.g. ``lon_col``)."""
    if name in frame.columns:
        return name
    cols = ", ".join(map(str, list(frame.columns)[:30]))
    msg = (
        f"{source}: the {what} column '{name}' given with [[{option}]] does not exist. "
        f"Columns present: {cols}. Hint: check the spelling (column names are case-sensitive)."
    )
    raise DataError(msg)


def hxl_rename(frame: pd.DataFrame) -> dict[str, str] | None:
    """The renaming of columns to hashtags when the first row is an HXL hashtag row, else None.

    >>> hxl_rename(pd.DataFrame({"Lat": ["#geo +lat", 14.2], "Date": ["#date", "2024-01-02"]}))
    {'Lat': '#geo+lat', 'Date': '#date'}
    """
    if len(frame) == 0:
        return None
    first = frame.iloc[0]
    cells = [str(v).strip() for v in first.to_numpy() if isinstance(v, str) and str(v).strip()]
    if not cells or sum(c.startswith("#") for c in cells) < max(1, len(cells) // 2):
        return None
    return {
        col: hxl_key(tag)
        for col, tag in zip(frame.columns, first.to_numpy(), strict=True)
        if isinstance(tag, str) and tag.strip().startswith("#")
    }
