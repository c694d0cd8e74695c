"""A first analysis with borderwatch, on the shipped boundaries and the synthetic demo incidents.

Run: python examples/quickstart.py [OUTDIR]
"""

import sys

import borderwatch as bw
from borderwatch.datasets import demo_incidents, demo_meetings

out = sys.argv[1] if len(sys.argv) > 1 else "quickstart-output"

units = bw.read_units(bw.datasets.boundary_path("liptako_gourma"))
incidents = bw.read_incidents(demo_incidents(), units=units)  # a plain table, as a police export
meetings = bw.read_meetings(demo_meetings(), units=units)

joined = bw.join_units(incidents, units)
print(joined["join"].value_counts().to_dict())
print(bw.border_lines(units)[["countries", "length_km"]])

result = bw.analyze(units, incidents, meetings, view="public", synthetic=True)
print(result.hotspots[["hotspot_id", "n_incidents", "countries", "cross_border"]])
bw.write_outputs(result, out)
print(f"open {out}/map.html")
