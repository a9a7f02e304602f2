#!/usr/bin/env python3
# polish — how often each of straighten's cues reads the known angle, whatever the confidence
# (bench/RESULTS.md, "image: straighten, session 10").
# Run bench/image/straighten.sh with ARGS="--min-confidence=0 --min-angle=0" first, then:
#   bench/image/straighten_cues.py OUT
# For every cue in the reports (segments, dense level edges and verticals, the horizon test, the
# verticals' vanishing point, the horizon through the horizontal vanishing points, the decision):
# on how many rotations it gives a reading and on how many that reading is within 0.3 degree of
# the known angle (untilted photos: of 0); then, by photo, which cues are within 0.3, and how many
# rotations any cue reads within 0.3 (what choosing among the cues could reach at best).
import json, sys
from collections import defaultdict

out = sys.argv[1]
CUES = ["segments_tilt_deg", "dense_level_deg", "dense_vertical_deg", "horizon_deg",
        "vp_vertical_deg", "vp_horizon_deg", "tilt_deg"]


def items(d):
    for it in json.load(open(f"{out}/{d}.json"))["items"]:
        name = it["input"].split("/")[-1].rsplit(".", 1)[0]
        st = [s for s in it.get("steps", []) if s.get("op") == "image.straighten"]
        m = dict((st[0].get("measured") or {}) if st else {})
        photo, a = name.rsplit("__", 1) if "__" in name else (name, "0")
        m.update(photo=photo, a=float(a))
        yield m


rows = {d: list(items(d)) for d in ("rot", "lvl", "other")}
near = lambda r, c: c in r and abs(r[c] - r["a"]) <= 0.3
for c in CUES:
    line = [f"{c:20s}"]
    for d, rs in rows.items():
        line.append(f"{d}: {sum(1 for r in rs if c in r)}/{len(rs)} read, {sum(1 for r in rs if near(r, c))} within 0.3")
    print("  ".join(line))
by = defaultdict(lambda: defaultdict(int))
for r in rows["rot"]:
    for c in CUES[:-1]:
        by[r["photo"]][c] += near(r, c)
    by[r["photo"]]["any"] += any(near(r, c) for c in CUES[:-1])
for p, v in sorted(by.items()):
    print(f"  {p}: " + ", ".join(f"{k} {n}" for k, n in v.items() if n))
print(f"rotations that some cue reads within 0.3: {sum(v['any'] for v in by.values())} of {len(rows['rot'])}")
