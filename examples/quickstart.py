"""A first analysis with borderwatch, on the shipped boundaries and the synthetic demo incidents.

Run: python examples/quickstart.py [OUTDIR] [--quick]

--quick runs 99 permutations and 99 scan replicates instead of the default 999 each, and 19
cluster replicates instead of 99 (a first look in a few seconds; the p-values are coarser, the
hotspots the same or nearly so).
"""

import sys

import borderwatch as bw
from borderwatch.datasets import demo_incidents, demo_meetings

args = [a for a in sys.argv[1:] if a != "--quick"]
quick = (
    {"permutations": 99, "scan_replicates": 99, "cluster_replicates": 19}
    if "--quick" in sys.argv[1:]
    else {}
)
out = args[0] if args else "quickstart-output"

units = bw.read_units(bw.datasets.boundary_path("liptako_gourma"))
incidents = bw.read_incidents(demo_incidents(), units=units)  # a plain table, as a police export
meetings = bw.read_meetings(demo_meetings(), units=units)

joined = bw.join_units(incidents, units)
print(joined["join"].value_counts().to_dict())
print(bw.border_lines(units)[["countries", "length_km"]])

result = bw.analyze(units, incidents, meetings, view="public", synthetic=True, **quick)
print(result.hotspots[["hotspot_id", "n_incidents", "countries", "cross_border"]])
bw.write_outputs(result, out)
print(f"open {out}/map.html")
