#!/usr/bin/env bash
# polish — image quality benchmark: the same degraded photos through `polish fix` and through
# ImageMagick 6's best automatic chain, each scored against the original with mean CIEDE2000.
# Usage: POLISH=build/polish bench/image/quality.sh   (SCORE= path of tests/image/quality_score)
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/polish}
IM=convert-im6.q16
command -v $IM >/dev/null || IM=convert
if [ -z "${SCORE:-}" ]; then
    root=$(dirname "$POLISH")
    [ "$(basename "$root")" = cli ] && root=$(dirname "$(dirname "$root")")
    SCORE=$(find "$root" -maxdepth 3 -name quality_score -type f -perm -u+x | head -1)
fi
[ -x "${SCORE:-}" ] || { echo "quality_score not found (build the tests, or set SCORE=)" >&2; exit 1; }
OUT=$PWD/bench/out/image-quality
MAXDIM=${MAXDIM:-1024}
rm -rf "$OUT"
mkdir -p "$OUT/in" "$OUT/fix" "$OUT/im"

SK=/usr/lib/python3/dist-packages/skimage/data
MATE=/usr/share/backgrounds/mate/nature
# The photos of tests/image/test_quality.c (neutrally balanced, some neutral content), then three
# hard ones reported apart: a brown cat, a blue water drop, a night launch pad.
MAIN="$SK/astronaut.png $SK/coffee.png $SK/motorcycle_left.png $MATE/LadyBird.jpg $MATE/TwoWings.jpg"
HARD="$SK/chelsea.png $MATE/Aqua.jpg $SK/rocket.jpg"
# name r g b (linear-light gains): the issue's cast, tungsten, shade, fluorescent, magenta, -1 EV
CASTS="warm:0.80:0.62:0.45 tungsten:1.00:0.78:0.52 shade:0.70:0.85:1.00 green:0.90:1.00:0.85 magenta:1.00:0.88:0.95 under:0.5:0.5:0.5 over:2:2:2"

echo "image quality: mean CIEDE2000 to the original (lower is better), photos reduced to $MAXDIM px"
echo "  polish: $POLISH run (the fix recipe without straighten)   ImageMagick: $IM -channel RGB -auto-level -auto-gamma"
for p in $MAIN $HARD; do
    b=$(basename "${p%.*}")
    "$SCORE" degrade "$p" "$OUT/in/${b}_orig.png" "$MAXDIM" 1 1 1
    for c in $CASTS; do
        IFS=: read -r name r g bb <<<"$c"
        "$SCORE" degrade "$p" "$OUT/in/${b}_$name.png" "$MAXDIM" "$r" "$g" "$bb"
    done
done
# `polish fix`'s automatic recipe without its last step, straighten: a rotation changes the
# geometry and cannot be scored pixel by pixel (its accuracy is measured in test_straighten).
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
"$POLISH" run "$OUT/fix.yml" "$OUT/in" -o "$OUT/fix" --quiet --overwrite >/dev/null
for f in "$OUT"/in/*.png; do
    $IM "$f" -channel RGB -auto-level -auto-gamma "$OUT/im/$(basename "$f")"
done

printf '\n  %-18s %-9s %8s %8s %8s\n' photo degradation none polish magick
declare -A sum_n sum_p sum_m cnt
for p in $MAIN $HARD; do
    b=$(basename "${p%.*}")
    set_=main
    case " $HARD " in *" $p "*) set_=hard ;; esac
    for c in orig $CASTS; do
        name=${c%%:*}
        f=${b}_$name.png
        n=$("$SCORE" score "$OUT/in/$f" "$OUT/in/${b}_orig.png")
        s=$("$SCORE" score "$OUT/fix/$f" "$OUT/in/${b}_orig.png")
        m=$("$SCORE" score "$OUT/im/$f" "$OUT/in/${b}_orig.png")
        printf '  %-18s %-9s %8.2f %8.2f %8.2f\n' "$b" "$name" "$n" "$s" "$m"
        k="$set_/$name"
        k2=
        [ "$name" = orig ] || [ "$name" = under ] || [ "$name" = over ] || k2="$set_/casts"
        for key in "$k" ${k2:-}; do
            sum_n[$key]=$(awk -v a="${sum_n[$key]:-0}" -v b="$n" 'BEGIN{print a+b}')
            sum_p[$key]=$(awk -v a="${sum_p[$key]:-0}" -v b="$s" 'BEGIN{print a+b}')
            sum_m[$key]=$(awk -v a="${sum_m[$key]:-0}" -v b="$m" 'BEGIN{print a+b}')
            cnt[$key]=$(( ${cnt[$key]:-0} + 1 ))
        done
        k2=
    done
done
printf '\n  %-28s %8s %8s %8s\n' "mean over" none polish magick
for key in main/casts main/warm main/under main/over main/orig hard/casts hard/warm hard/orig; do
    [ -n "${cnt[$key]:-}" ] || continue
    awk -v k="$key" -v n="${sum_n[$key]}" -v p="${sum_p[$key]}" -v m="${sum_m[$key]}" -v c="${cnt[$key]}" \
        'BEGIN{ printf "  %-28s %8.2f %8.2f %8.2f   (%d images; magick/polish %.2f)\n", k, n/c, p/c, m/c, c, (m/c)/(p/c > 0 ? p/c : 0.01) }'
done
