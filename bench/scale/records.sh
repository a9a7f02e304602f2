#!/usr/bin/env bash
# polish — records in stages across 4 local workers (docs/SCALE.md): a generated lead list of ROWS
# rows (default 10,000,000) deduplicated by `polish plan` + `polish run --plan --stage S --shard I`
# under GNU parallel + `polish merge`, with time and peak memory of every worker of every stage;
# and on the first SUB rows (default 1,000,000) the same staged run against one process, which must
# give the same clusters (the same output, byte for byte: the staged model is learned on all SUB
# rows there, as one process learns it).
# Usage: POLISH=build-rel/src/cli/polish bench/scale/records.sh [ROWS [SUB]]
#   PAR=N   workers running at once (default 4; the model and join stages are one worker each,
#           the score workers hold only their part's rows; PAR=2 runs 4 shards 2 at a time)
#   SKIP_BIG=1  only the subset comparison; SKIP_SUB=1  only the ROWS run (the generator's
#           stream is sequential, so the first SUB rows of ROWS are the SUB-row list: a SUB-row
#           run of `records.sh SUB SUB` is that subset's comparison)
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build-rel/src/cli/polish}
ROWS=${1:-10000000}
SUB=${2:-1000000}
PAR=${PAR:-4}
W=$PWD/bench/out/scale-records
mkdir -p "$W"
BIG=$W/leads-$ROWS.csv
# the list: gen_leads.py's kind of list, written by its C twin (seconds, not minutes, for 10M)
GEN=$W/gen_leads
[ "$GEN" -nt bench/scale/gen_leads.c ] || cc -O2 -o "$GEN" bench/scale/gen_leads.c
[ -s "$BIG" ] || /usr/bin/time -f "  generated $ROWS rows: %e s wall, %U s CPU" "$GEN" "$ROWS" "$BIG" "$W/leads-$ROWS.truth"
head -n $((SUB + 1)) "$BIG" > "$W/sub.csv"
printf 'domain: records\nsteps: [dedupe]\n' > "$W/dedupe.yml"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg)"

# staged NAME CSV: plan, every stage under parallel (one worker per shard, -j 1 each), merge;
# prints per worker: wall s, CPU s (user+sys), peak RSS.
staged() {
    local name=$1 csv=$2 out=$W/$1
    rm -rf "$out"
    "$POLISH" plan "$W/dedupe.yml" "$csv" -o "$out" --shards 4 --quiet
    local n t0 t1
    n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stages"]))' "$out/plan.json")
    printf '#!/bin/sh\nexec /usr/bin/time -f "%%e %%U %%S %%M" -o "%s/t.$1.$2" "%s" run --plan "%s/plan.json" --stage "$1" --shard "$2" -j 1 --quiet\n' \
        "$out" "$POLISH" "$out" > "$out/worker.sh"
    for S in $(seq 1 "$n"); do
        t0=$(date +%s.%N)
        parallel -j "$PAR" --joblog "$out/joblog.$S" sh "$out/worker.sh" "$S" {} ::: 0 1 2 3
        t1=$(date +%s.%N)
        printf '  %s stage %s: %6.1f s wall\n' "$name" "$S" "$(echo "$t1 - $t0" | bc)"
        for s in 0 1 2 3; do
            read -r e u sy m < "$out/t.$S.$s"
            printf '    shard %s: %7.1f s wall %7.1f s CPU %7.0f MB peak\n' "$s" "$e" "$(echo "$u + $sy" | bc)" "$(echo "$m / 1024" | bc)"
        done
    done
    "$POLISH" merge "$out/plan.json" --quiet
    echo "  $name: files written: $(find "$out" -type f | wc -l), $(du -sm "$out" | cut -f1) MB (stage files $(du -sm "$out/.polish-stages" | cut -f1) MB)"
}

if [ "${SKIP_SUB:-0}" != 1 ]; then
echo "== $SUB rows: 4 shards against one process"
staged sub "$W/sub.csv"
/usr/bin/time -f "%e %U %S %M" -o "$W/one.time" "$POLISH" run "$W/dedupe.yml" "$W/sub.csv" -o "$W/one" --overwrite --quiet
read -r e u sy m < "$W/one.time"
printf '  one process (all cores): %.1f s wall, %.1f s CPU, %.0f MB peak\n' "$e" "$(echo "$u + $sy" | bc)" "$(echo "$m / 1024" | bc)"
cmp "$W/one/sub.csv" "$W/sub/sub.csv" && echo "  same output as one process, byte for byte"
/usr/bin/python3 - "$W/one/sub.csv" "$W/sub/sub.csv" <<'PY'
import csv, sys
def parts(p):
    rows = csv.reader(open(p, newline=""))
    h = next(rows); ci = h.index("cluster_id"); g = {}
    for i, r in enumerate(rows): g.setdefault(r[ci], []).append(i)
    return sorted(tuple(v) for v in g.values())
a, b = parts(sys.argv[1]), parts(sys.argv[2])
print(f"  clusters: one process {len(a)}, shards {len(b)}, identical: {a == b}")
PY
fi
[ "${SKIP_BIG:-0}" = 1 ] && exit 0
echo "== $ROWS rows: 4 shards, $PAR at a time"
staged big "$BIG"
echo "  accuracy against the truth: $(/usr/bin/python3 bench/records/f1.py "$W/big/leads-$ROWS.csv" "$W/leads-$ROWS.truth")"
