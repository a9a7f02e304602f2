#!/usr/bin/env bash
# polish — straighten on real photos rotated by known angles (bench/RESULTS.md, "image: straighten").
# The photos of bench/image/evalset.list (Debian packages installed by scripts/setup) reduced to
# MAXDIM px; the ones labelled below as having a level reference (a horizon, a water line, the
# verticals of buildings, furniture or a tripod; labels by eye) are rotated counter-clockwise by
# each of ANGLES degrees (bilinear, cropped to the inscribed rectangle: `quality_score tilt`) and
# straightened by `polish image straighten`:
#   success: the step applied and its tilt is within 0.3 degree of the known angle;
#   false rotation: the step rotated one of the photos as shipped (no rotation added), whatever
#   the angle (the photos are taken as level as their authors published them);
#   wrong rotation: on a rotated photo the step applied an angle more than 0.3 degree off.
# Usage: POLISH=build-rel/src/cli/polish SCORE=build-rel/tests/image/quality_score bench/image/straighten.sh
#        ARGS="--perspective=true" passes options to `polish image straighten`.
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
SCORE=${SCORE:-$(dirname "$(dirname "$(dirname "$POLISH")")")/tests/image/quality_score}
[ -x "$SCORE" ] || { echo "quality_score not found (build the tests, or set SCORE=)" >&2; exit 1; }
OUT=${OUT:-$PWD/bench/out/image-straighten}
MAXDIM=${MAXDIM:-1024}
ANGLES=${ANGLES:--5 -3 -2 -1 1 2 3 4}
# photos without a level reference: fewer angles (only whether a rotation it makes is right)
OTHER_ANGLES=${OTHER_ANGLES:--2 3}
LIST=bench/image/evalset.list
# Photos with a level reference (labels by eye, 2026-12-07).
LINES=" BytheWater ColdRipple DarkestHour EveningGlow Path summer_1am Bridge_by_Sander_Klootwijk
 Wine_by_Jakkub_Mede friends_by_Aitzol_Berasategi sunset_by_Aitzol_Berasategi Dune Storm rocket
 motorcycle_left motorcycle_right camera china "
# KEEP=1 reuses the rotated set of an earlier run (only polish runs again)
[ -n "${KEEP:-}" ] || rm -rf "$OUT"
rm -rf "$OUT"/o1 "$OUT"/o2 "$OUT"/o3
mkdir -p "$OUT"/{lvl,rot,other,o1,o2,o3}
name_of() {
    case "$1" in
    */contents/images/*) n=$(basename "$(dirname "$(dirname "$(dirname "$1")")")") ;;
    *) n=$(basename "${1%.*}") ;;
    esac
    echo "${n// /_}"
}
while read -r kind path; do
    [ "$kind" = photo ] || continue
    case "$path" in *.dat) continue ;; esac
    n=$(name_of "$path")
    [ -f "$OUT/lvl/$n.png" ] || "$SCORE" tilt "$path" "$OUT/lvl/$n.png" "$MAXDIM" 0
    case "$(echo $LINES) " in *" $n "* | "$n "*) d=rot; angles=$ANGLES ;; *) d=other; angles=$OTHER_ANGLES ;; esac
    for a in $angles; do
        [ -f "$OUT/$d/${n}__$a.png" ] && continue
        # from the reduced copy (already under MAXDIM: only rotated)
        "$SCORE" tilt "$OUT/lvl/$n.png" "$OUT/$d/${n}__$a.png" "$MAXDIM" "$a"
    done
done <"$LIST"
for d in lvl rot other; do
    o=o1; [ $d = rot ] && o=o2; [ $d = other ] && o=o3
    "$POLISH" image straighten "$OUT/$d" -o "$OUT/$o" --quiet --overwrite ${ARGS:-} --report "$OUT/$d.json" >/dev/null || true
done
python3 - "$OUT" <<'PY'
import json, sys, re
out = sys.argv[1]
def steps(d):
    r = json.load(open(f"{out}/{d}.json"))
    for it in r["items"]:
        name = it["input"].split("/")[-1][:-4]
        st = [s for s in it.get("steps", []) if s.get("op") == "image.straighten"]
        s = st[0] if st else {}
        m = s.get("measured") or {}
        yield name, s.get("status"), m.get("tilt_deg"), s.get("confidence")
def rate(d, label):
    n = ok = wrong = declined = 0
    rows = []
    for name, status, tilt, conf in steps(d):
        a = float(name.rsplit("__", 1)[1])
        n += 1
        if status == "applied":
            if abs(tilt - a) <= 0.3: ok += 1
            else: wrong += 1; rows.append(f"    wrong: {name} measured {tilt:+.2f} (confidence {conf:.2f})")
        else:
            declined += 1
            t = "-" if tilt is None else f"{tilt:+.2f}"
            c = "-" if conf is None else f"{conf:.2f}"
            rows.append(f"    declined: {name} measured {t} (confidence {c})")
    print(f"  {label}: {n} rotated photos: {ok} within 0.3 deg ({100*ok/max(n,1):.0f}%), "
          f"{wrong} applied a wrong angle ({100*wrong/max(n,1):.0f}%), {declined} declined")
    return rows
print("straighten on photos rotated by known angles")
rows = rate("rot", "with a level reference")
rows2 = rate("other", "without one (any action must be right)")
n = rot = 0
fr = []
for name, status, tilt, conf in steps("lvl"):
    n += 1
    if status == "applied":
        rot += 1; fr.append(f"{name} {tilt:+.2f}")
print(f"  untilted photos as shipped: {n}, rotated {rot} ({100*rot/max(n,1):.0f}%) {' '.join(fr)}")
print("\n".join(rows))
print("\n".join(r for r in rows2 if "wrong" in r))
PY
