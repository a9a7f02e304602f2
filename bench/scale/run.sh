#!/usr/bin/env bash
# polish — shards on one machine: N photos (default 10,000) through one recipe, as one process
# with -j 4 and as a plan of 4 shards run by GNU parallel (4 workers, -j 1 each). Prints wall time,
# the slowest worker's time and peak memory per worker, and checks the outputs are identical.
# Usage: POLISH=build/src/cli/polish bench/scale/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
N=${1:-10000}
W=$PWD/bench/out/scale
rm -rf "$W"
mkdir -p "$W/photos" "$W/base"
# 24 distinct 640x480 photos (crops of six scikit-image photographs), copied to N names in
# 100 folders: the work per item is real, the files differ only in name.
k=0
for f in coffee.png astronaut.png chelsea.png rocket.jpg camera.png coins.png; do
    for g in NorthWest NorthEast SouthWest SouthEast; do
        convert-im6.q16 "/usr/lib/python3/dist-packages/skimage/data/$f" -resize 900x900^ \
            -gravity "$g" -crop 640x480+0+0 +repage -quality 90 "$W/base/b$k.jpg"
        k=$((k + 1))
    done
done
for i in $(seq 0 $((N - 1))); do
    d=$W/photos/d$((i / 100))
    [ -d "$d" ] || mkdir -p "$d"
    cp "$W/base/b$((i % 24)).jpg" "$d/p$i.jpg"
done
printf 'domain: image\nsteps:\n  - white-balance\n  - sharpen: {amount: 0.3}\n  - resize: {width: 320}\n' > "$W/r.yml"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $N photos 640x480"

t0=$(date +%s.%N)
/usr/bin/time -f "%e s %M KB" -o "$W/one.time" "$POLISH" run "$W/r.yml" "$W/photos" -o "$W/one" -j 4 --quiet
t1=$(date +%s.%N)
echo "one process, -j 4:        $(echo "$t1 - $t0" | bc) s wall, peak $(cut -d' ' -f3 "$W/one.time") KB"

t0=$(date +%s.%N)
"$POLISH" plan "$W/r.yml" "$W/photos" -o "$W/sh" --shards 4 --quiet
t1=$(date +%s.%N)
printf '#!/bin/sh\nexec /usr/bin/time -f "%%e s %%M KB" -o "%s/w$1.time" "%s" run --plan "%s/sh/plan.json" --shard "$1" -j 1 --quiet\n' "$W" "$POLISH" "$W" > "$W/worker.sh"
parallel -j 4 sh "$W/worker.sh" {} ::: 0 1 2 3
t2=$(date +%s.%N)
"$POLISH" merge "$W/sh/plan.json" --quiet
t3=$(date +%s.%N)
echo "plan:                     $(echo "$t1 - $t0" | bc) s"
for s in 0 1 2 3; do echo "  worker $s:               $(cat "$W/w$s.time")"; done
echo "4 shards under parallel:  $(echo "$t2 - $t1" | bc) s wall; merge $(echo "$t3 - $t2" | bc) s"
echo "shards / one process:     $(echo "scale=2; ($t3 - $t0) / ($(cat "$W/one.time" | cut -d' ' -f1))" | bc) (plan + shards + merge over one run)"
diff -r -q -x plan.json -x 'report.*' -x .polish-shards "$W/one" "$W/sh" && echo "outputs identical"
