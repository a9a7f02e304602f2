#!/usr/bin/env bash
# polish — the broad image evaluation (bench/RESULTS.md, "image: broad set"): real photos and
# graphics from Debian packages (bench/image/evalset.list, installed by scripts/setup).
#   1. no harm: untouched photos, photos on a clean white/black backdrop and graphics (logos with
#      transparency, icons, illustrations, diagrams, text) through `polish fix`'s steps: mean
#      CIEDE2000 to the input (over visible pixels) and the largest change of alpha;
#   2. lossless: the JPEG photos through `polish fix` as they are: how many were written from their
#      DCT coefficients and the CIEDE2000 of the output to the input;
#   3. recovery: the photos with known casts (brightness-keeping, as an auto-exposing camera
#      records them), exposure errors and both, through polish and through ImageMagick 6's auto
#      chain, against doing nothing (CASTS=darkening: the older darkening casts);
#   4. straighten: how many untouched photos `polish fix` rotates (false rotations).
# Usage: POLISH=build/src/cli/polish bench/image/broad.sh   (SCORE= tests/image/quality_score)
#        PARTS="1 3" runs only those parts (default all four); NOIM=1 leaves ImageMagick out of
#        part 3 (its column is then "-"); CASTS=darkening: part 3 with the casts of sessions 4-6;
#        SETFMT=tif writes the photos as TIFF (fix streams them; with MAXDIM=2600 the larger ones
#        are judged on a reduced preview).
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
IM=convert-im6.q16
command -v $IM >/dev/null || IM=convert
if [ -z "${SCORE:-}" ]; then
    root=$(dirname "$POLISH")
    [ "$(basename "$root")" = cli ] && root=$(dirname "$(dirname "$root")")
    SCORE=$(find "$root" -maxdepth 3 -name quality_score -type f -perm -u+x | head -1)
fi
[ -x "${SCORE:-}" ] || { echo "quality_score not found (build the tests, or set SCORE=)" >&2; exit 1; }
OUT=${OUT:-$PWD/bench/out/image-broad}
MAXDIM=${MAXDIM:-768}
LIST=bench/image/evalset.list
PARTS=${PARTS:-1 2 3 4}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
rm -rf "$OUT"
mkdir -p "$OUT"/set/{photo,graphic,backdrop} "$OUT"/jpeg "$OUT"/deg "$OUT"/{nh,ll,fixdeg,im,st}

# A name unique in the set: the wallpaper's folder for Plasma's contents/images/WxH files.
name_of() {
    case "$1" in
    */contents/images/*) n=$(basename "$(dirname "$(dirname "$(dirname "$1")")")") ;;
    *) n=$(basename "${1%.*}") ;;
    esac
    echo "${n// /_}"
}

# ---- the set ------------------------------------------------------------------------------------
np=0
ng=0
while read -r kind path; do
    case "$kind" in '#'* | '') continue ;; esac
    [ -f "$path" ] || { echo "missing $path (run scripts/setup)" >&2; exit 1; }
    n=$(name_of "$path")
    if [ "$kind" = photo ]; then
        src=$path
        if [ "${path##*.}" = dat ]; then
            # scipy's raccoon face: bz2-compressed raw 1024x768 RGB
            python3 -c "import bz2,sys; sys.stdout.buffer.write(bz2.decompress(open('$path','rb').read()))" >"$OUT/face.rgb"
            $IM -size 1024x768 -depth 8 "rgb:$OUT/face.rgb" "$OUT/face.png"
            src=$OUT/face.png
        fi
        "$SCORE" degrade "$src" "$OUT/set/photo/$n.png" "$MAXDIM" 1 1 1
        case "$path" in *.jpg | *.jpeg) cp "$path" "$OUT/jpeg/$n.jpg" ;; esac
        np=$((np + 1))
    else
        cp "$path" "$OUT/set/graphic/$n.${path##*.}"
        ng=$((ng + 1))
    fi
done <"$LIST"
# A subject on a clean studio backdrop: a photo at half size in the middle of white or black.
for b in coffee:white chelsea:white Dune:black Garden:black; do
    n=${b%%:*}
    c=${b##*:}
    $IM "$OUT/set/photo/$n.png" -resize 50% -background "$c" -gravity center \
        -extent "$(${IM/convert/identify} -format '%wx%h' "$OUT/set/photo/$n.png")" \
        "$OUT/set/backdrop/${n}_on_$c.png"
done
# SETFMT=tif: the photos and backdrop shots as 8-bit TIFF (the same pixels), so `polish fix`
# streams them (its automatic steps judge a preview, strip.c) where PNG loads them whole.
if [ "${SETFMT:-png}" = tif ]; then
    for f in "$OUT"/set/photo/*.png "$OUT"/set/backdrop/*.png; do
        $IM "$f" -depth 8 -compress zip "${f%.png}.tif" && rm "$f"
    done
fi
echo "broad image set: $np photos, $ng graphics, 4 backdrop shots (photos reduced to $MAXDIM px, ${SETFMT:-png})"

# `polish fix`'s automatic recipe without straighten (a rotation cannot be scored pixel by pixel;
# step 4 counts its rotations).
cat >"$OUT/fix.yml" <<'YML'
domain: image
steps:
  - orient: {}
  - colour: {}
  - white-balance: {}
  - exposure: {}
  - tone: {}
  - denoise: {}
  - sharpen: {}
YML

# ---- 1. no harm -------------------------------------------------------------------------------
if part 1; then
for k in photo backdrop graphic; do
    mkdir -p "$OUT/nh/$k"
    "$POLISH" run "$OUT/fix.yml" "$OUT/set/$k" -o "$OUT/nh/$k" --quiet --overwrite \
        --report "$OUT/nh/$k.json" >/dev/null || true
done
printf '\n1. no harm: CIEDE2000 of `polish fix` (without straighten) to its input\n'
printf '  %-10s %-34s %8s %8s\n' kind image dE00 alpha
for k in photo backdrop graphic; do
    for f in "$OUT/set/$k"/*; do
        b=$(basename "$f")
        o="$OUT/nh/$k/$b"
        [ -f "$o" ] || o=$(ls "$OUT/nh/$k/${b%.*}".* 2>/dev/null | head -1)
        read -r de ad < <("$SCORE" visible "$f" "$o")
        printf '  %-10s %-34s %8.2f %8.4f\n' "$k" "$b" "$de" "$ad"
    done
done | tee "$OUT/nh.txt"
awk '{ k=$1; s[k]+=$3; n[k]++; if ($3>w[k]) {w[k]=$3; wn[k]=$2}; if ($4>a[k]) a[k]=$4;
       if ($3 > 1.0) over1[k]++; if ($3 > 3.0) over3[k]++ }
     END { for (k in s) printf "  %-10s mean %.2f, worst %.2f (%s), over 1.0: %d, over 3.0: %d of %d; largest alpha change %.4f\n",
           k, s[k]/n[k], w[k], wn[k], over1[k]+0, over3[k]+0, n[k], a[k] }' "$OUT/nh.txt"
python3 - "$OUT" <<'PY'
import json, sys, collections
out = sys.argv[1]
for k in ("photo", "backdrop", "graphic"):
    r = json.load(open(f"{out}/nh/{k}.json"))
    applied = collections.Counter()
    graphic = 0
    for it in r["items"]:
        g = False
        for s in it.get("steps", []):
            if s.get("status") == "applied" and s.get("op") != "image.export":
                applied[s["op"].split(".")[1]] += 1
            if (s.get("measured") or {}).get("picture_kind") == "graphic":
                g = True
        graphic += g
    print(f"  {k:10s} recognised as graphics: {graphic} of {len(r['items'])}; steps applied: "
          + ", ".join(f"{op} {n}" for op, n in sorted(applied.items())))
PY

fi

# ---- 2. lossless ------------------------------------------------------------------------------
if part 2; then
"$POLISH" fix "$OUT/jpeg" -o "$OUT/ll" --quiet --overwrite --report "$OUT/ll.json" >/dev/null || true
python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(f"{sys.argv[1]}/ll.json"))
n = len(r["items"])
ll = sum(any("DCT coefficients" in d for d in it.get("decisions", [])) for it in r["items"])
print(f"\n2. JPEG photos through `polish fix` at full size: {ll} of {n} written from their DCT coefficients")
PY
python3 - "$OUT" "$SCORE" <<'PY'
import json, subprocess, sys
out, score = sys.argv[1], sys.argv[2]
r = json.load(open(f"{out}/ll.json"))
worst = 0.0
for it in r["items"]:
    if any("DCT coefficients" in d for d in it.get("decisions", [])):
        de = float(subprocess.check_output([score, "score", it["input"], it["outputs"][0]]).split()[0])
        worst = max(worst, de)
print(f"  CIEDE2000 of those outputs to their input: largest {worst:.3f}")
PY

fi

# ---- 3. recovery -------------------------------------------------------------------------------
# Cases NAME:R:G:B:EV. A cast is the colour of a light as an auto-exposing camera records it: the
# gains are scaled so the photo keeps its mean luminance Y (`quality_score cast`); an exposure
# error is its own case (EV, gains 1) and the combined cases carry an explicit one.
# CASTS=darkening runs session 4-6's definition instead: the raw gains (all at most 1, so every
# cast also darkened the photo) and -1/+1 EV as gains of 0.5/2 (`quality_score degrade`).
if part 3; then
if [ "${CASTS:-}" = darkening ]; then
    CASES="warm:0.80:0.62:0.45:d tungsten:1.00:0.78:0.52:d shade:0.70:0.85:1.00:d green:0.90:1.00:0.85:d magenta:1.00:0.88:0.95:d under:0.5:0.5:0.5:d over:2:2:2:d"
else
    CASES="warm:0.80:0.62:0.45:0 tungsten:1.00:0.78:0.52:0 shade:0.70:0.85:1.00:0 green:0.90:1.00:0.85:0 magenta:1.00:0.88:0.95:0 under:1:1:1:-1 over:1:1:1:1 tungsten_under:1.00:0.78:0.52:-1 shade_over:0.70:0.85:1.00:0.5"
fi
for f in "$OUT"/set/photo/*.png; do
    b=$(basename "${f%.png}")
    for c in $CASES; do
        IFS=: read -r cn r g bb ev <<<"$c"
        if [ "$ev" = d ]; then
            "$SCORE" degrade "$f" "$OUT/deg/${b}__$cn.png" "$MAXDIM" "$r" "$g" "$bb"
            echo "$r $g $bb" >"$OUT/deg/${b}__$cn.gains"
        else
            "$SCORE" cast "$f" "$OUT/deg/${b}__$cn.png" "$MAXDIM" "$r" "$g" "$bb" "$ev" >"$OUT/deg/${b}__$cn.gains"
        fi
    done
done
"$POLISH" run "$OUT/fix.yml" "$OUT/deg" -o "$OUT/fixdeg" --quiet --overwrite --report "$OUT/fixdeg.json" >/dev/null || true
[ -n "${NOIM:-}" ] || for f in "$OUT"/deg/*.png; do
    $IM "$f" -channel RGB -auto-level -auto-gamma "$OUT/im/$(basename "$f")"
done
for f in "$OUT"/deg/*.png; do
    b=$(basename "$f")
    o=${b%%__*}
    cn=${b##*__}
    cn=${cn%.png}
    n=$("$SCORE" score "$f" "$OUT/set/photo/$o.png")
    p=$("$SCORE" score "$OUT/fixdeg/$b" "$OUT/set/photo/$o.png")
    m=nan
    [ -n "${NOIM:-}" ] || m=$("$SCORE" score "$OUT/im/$b" "$OUT/set/photo/$o.png")
    # The floors: the exact inverse of the gains applied, and of their colour alone (grey's
    # luminance kept, as white balance does; the brightness left to exposure).
    read -r r g bb <"${f%.png}.gains"
    read -r ox oc < <("$SCORE" oracle "$f" "$OUT/set/photo/$o.png" "$r" "$g" "$bb")
    echo "$cn $o $n $p $m $ox $oc"
done >"$OUT/rec.txt"
printf '\n3. recovery (%s casts): mean CIEDE2000 to the original (%s photos); floor: the exact inverse of the\n' "${CASTS:-brightness-keeping}" "$np"
printf '   gains applied; colour-only: the inverse of their colour, grey'"'"'s luminance kept\n'
printf '  %-28s %8s %8s %8s %8s %8s\n' degradation none polish magick floor colour-only
awk '{ k=$1; n[k]++; a[k]+=$3; b[k]+=$4; c[k]+=$5; d[k]+=$6; e[k]+=$7;
       g = ($1=="under"||$1=="over") ? "exposure" : ($1 ~ /_/) ? "combined" : "casts"; N[g]++; A[g]+=$3; B[g]+=$4; C[g]+=$5; D[g]+=$6; E[g]+=$7;
       N["all"]++; A["all"]+=$3; B["all"]+=$4; C["all"]+=$5; D["all"]+=$6; E["all"]+=$7 }
     END { for (k in n) printf "  %-28s %8.2f %8.2f %8.2f %8.2f %8.2f\n", k, a[k]/n[k], b[k]/n[k], c[k]/n[k], d[k]/n[k], e[k]/n[k];
           for (g in N) printf "  %-28s %8.2f %8.2f %8.2f %8.2f %8.2f\n", g " (" N[g] ")", A[g]/N[g], B[g]/N[g], C[g]/N[g], D[g]/N[g], E[g]/N[g] }' "$OUT/rec.txt" | sort

fi

# ---- 4. straighten on untilted photos -----------------------------------------------------------
if part 4; then
"$POLISH" fix "$OUT/set/photo" -o "$OUT/st" --quiet --overwrite --report "$OUT/st.json" >/dev/null || true
python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(f"{sys.argv[1]}/st.json"))
rot = [it["input"].split("/")[-1] for it in r["items"] for s in it.get("steps", [])
       if s.get("op") == "image.straighten" and s.get("status") == "applied"]
print(f"\n4. straighten on {len(r['items'])} untilted photos: rotated {len(rot)} ({100*len(rot)/max(1,len(r['items'])):.0f}%) {' '.join(rot)}")
PY
fi
