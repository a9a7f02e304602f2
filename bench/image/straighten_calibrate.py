#!/usr/bin/env python3
# polish — calibrates straighten's --min-confidence on the labelled set with a held-out split
# (bench/RESULTS.md, "image: straighten, session 8").
# Run bench/image/straighten.sh with ARGS="--min-confidence=0 --min-angle=0" first (every estimate
# and its confidence is then in the reports), then: bench/image/straighten_calibrate.py OUT
# The photos (not the rotations) are split in two halves by name, alternately; the threshold is fitted
# on one half (most successes minus wrong angles, with at most 5% of that half's untilted photos
# rotated) and scored on the other, both ways round. The default's --min-angle (0.25) is applied.
import json, sys

out = sys.argv[1]
MIN_ANGLE = 0.25
DEFAULT = 0.7  # the op's --min-confidence (src/image/op_straighten.c)


def items(d):
    for it in json.load(open(f"{out}/{d}.json"))["items"]:
        name = it["input"].split("/")[-1].rsplit(".", 1)[0]
        st = [s for s in it.get("steps", []) if s.get("op") == "image.straighten"]
        s = st[0] if st else {}
        m = s.get("measured") or {}
        photo, a = name.rsplit("__", 1) if "__" in name else (name, "0")
        yield dict(photo=photo, a=float(a), tilt=m.get("tilt_deg"), conf=s.get("confidence") or 0)


rows = {d: list(items(d)) for d in ("rot", "lvl", "other")}


def half(photos, k):
    names = sorted(set(photos))
    return set(names[k::2])


def acts(r, thr):
    return r["tilt"] is not None and r["conf"] >= thr and abs(r["tilt"]) >= MIN_ANGLE


def score(thr, keep):
    s = {}
    for d, rs in rows.items():
        rs = [r for r in rs if r["photo"] in keep[d]]
        ok = sum(1 for r in rs if acts(r, thr) and abs(r["tilt"] - r["a"]) <= 0.3)
        act = sum(1 for r in rs if acts(r, thr))
        s[d] = (ok, act - ok, len(rs))
    return s


def fmt(s):
    ok, wr, n = s["rot"]
    fo, fr, fn = s["lvl"]
    oo, ow, on = s["other"]
    return (f"with a level reference {ok}/{n} within 0.3 deg ({100 * ok / max(n, 1):.0f}%), {wr} wrong; "
            f"untilted rotated {fr}/{fn} ({100 * fr / max(fn, 1):.0f}%); others rotated wrongly {ow}/{on}")


grid = [round(0.05 * i, 2) for i in range(0, 21)]
for k in (0, 1):
    fit = {d: half([r["photo"] for r in rs], k) for d, rs in rows.items()}
    held = {d: half([r["photo"] for r in rs], 1 - k) for d, rs in rows.items()}
    best = None
    for thr in grid:
        s = score(thr, fit)
        fo, fr, fn = s["lvl"]
        if fr > 0.05 * fn:
            continue
        val = s["rot"][0] - s["rot"][1] - s["other"][1]
        if best is None or val > best[0]:
            best = (val, thr)
    thr = best[1]
    print(f"fold {k}: fitted on {len(fit['rot'])} labelled + {len(fit['lvl'])} photos: min-confidence {thr}")
    print(f"  fit half:  {fmt(score(thr, fit))}")
    print(f"  held out:  {fmt(score(thr, held))}")
    print(f"  held out at the default {DEFAULT}: {fmt(score(DEFAULT, held))}")
