#!/usr/bin/env bash
# polish — records in stages across shards: plan a dedupe, run stage by stage under GNU parallel
# (4 workers), merge; the deduplicated list and its review set byte-identical to one process with
# the same model; every row exactly once; a shard killed and rerun. (docs/SCALE.md)
. "$(dirname "$0")/lib.sh"
POLISH=$(cd "$(dirname "$POLISH")" && pwd)/$(basename "$POLISH") # the test changes folder
GEN=$(cd "$(dirname "$0")/../../bench/records" && pwd)/gen_leads.py
cd "$T" || exit 1
/usr/bin/python3 "$GEN" 700 leads.csv truth.txt
printf 'domain: records\nsteps: [standardise, dedupe, merge]\n' > dedupe.yml

# run_stages PLAN: every stage the plan lists, four shards each under GNU parallel (in turn when
# parallel is missing), then merge.
run_stages() {
    local n
    n=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["stages"]))' "$1")
    for S in $(seq 1 "$n"); do
        if command -v parallel >/dev/null; then
            parallel -j 4 "$POLISH" run --plan "$1" --stage "$S" --shard {} --quiet ::: 0 1 2 3 ||
                fail "stage $S failed"
        else
            for s in 0 1 2 3; do "$POLISH" run --plan "$1" --stage "$S" --shard $s --quiet || fail "stage $S"; done
        fi
    done
}
# same_files A B: every file of A (the single-process output) is in B, byte for byte
same_files() {
    local f ok=0
    for f in $(cd "$1" && find . -type f ! -name 'report.*' ! -name why.csv | sort); do
        cmp -s "$1/$f" "$2/$f" || { echo "differs: $f" >&2; ok=1; }
    done
    return $ok
}

# The plan: three stages (model, score in one part per shard, join).
run_polish 0 plan dedupe.yml leads.csv -o out/ --shards 4 --quiet
check "plan writes only plan.json" test "$(ls -A out)" = "plan.json"
check "three stages, the score stage one part per shard" /usr/bin/python3 - out/plan.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
st = p["stages"]
assert [s["name"] for s in st] == ["model", "score", "join"], [s["name"] for s in st]
assert [len(s["items"]) for s in st] == [1, 4, 1]
assert sorted(it["shard"] for it in st[1]["items"]) == [0, 1, 2, 3]
outs = [o for s in st for it in s["items"] for o in it["outputs"]]
assert len(set(outs)) == len(outs), outs
assert st[2]["items"][0]["outputs"][0].endswith("/out/leads.csv"), st[2]["items"][0]["outputs"]
PY
run_polish 1 merge out/plan.json
check "merge before the stages ran lists them" test "$(grep -c 'not done\|output missing' "$ERR")" -ge 6
# the join refuses to run before the score stage
run_polish 1 run --plan out/plan.json --stage 3 --shard 0
grep -qi "score stage has not run\|model" "$ERR" "$OUT" || fail "join without pairs says why"
run_stages out/plan.json
run_polish 0 merge out/plan.json --quiet
check "the deduplicated list is at out/leads.csv" test -s out/leads.csv

# One process, same data: the staged model is learned on every row here (700 <= model-sample),
# so it is the one a single process estimates, and every output is the same, byte for byte.
run_polish 0 run dedupe.yml leads.csv -o single/ --quiet
check "stages give the single-process outputs, byte for byte" same_files single out
check "fewer rows than the input: duplicates merged" test "$(wc -l < out/leads.csv)" -lt "$(wc -l < leads.csv)"
# The score shards read only their part's rows, which the model stage dealt once: with the list
# moved away after stage 1, stage 2 still runs, and every part holds fewer rows than the list.
run_polish 0 plan dedupe.yml leads.csv -o outp/ --shards 4 --quiet
"$POLISH" run --plan outp/plan.json --stage 1 --shard 0 --quiet || fail "stage 1"
check "the model stage deals one rows file per score part" test "$(ls outp/.polish-stages/0/1.rows.* | wc -l)" -eq 4
mv leads.csv leads.away
for s in 0 1 2 3; do "$POLISH" run --plan outp/plan.json --stage 2 --shard $s --quiet || fail "score $s without the list"; done
mv leads.away leads.csv
"$POLISH" run --plan outp/plan.json --stage 3 --shard 0 --quiet || fail "join"
run_polish 0 merge outp/plan.json --quiet
check "scored from the parts' rows: the single-process outputs" same_files single outp
check "each score part holds fewer rows than the list" /usr/bin/python3 - outp/report.json <<'PY'
import json, sys
rows = []
def walk(x):
    if isinstance(x, dict):
        m = x.get("measured") or {}
        if isinstance(m, dict) and "part_rows" in m and "pairs_kept" in m:
            rows.append((m["part_rows"], m["records"]))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(json.load(open(sys.argv[1])))
assert len(rows) == 4, rows
assert all(0 < p < n for p, n in rows), rows
PY

# One process with the staged model file: the same again.
model=$(ls out/.polish-stages/0/1.0)
printf 'domain: records\nsteps:\n  - standardise\n  - dedupe: {model: %s}\n  - merge\n' "$T/$model" > withmodel.yml
run_polish 0 run withmodel.yml leads.csv -o single_m/ --quiet
check "one process with the model file: the same outputs" same_files single_m out

# A model learned on a sample (model-sample under the rows): another model, so compare with one
# process given that model; dedupe only, so every row is kept and can be counted. On the way, a
# shard killed mid-stage and a part whose file is lost: run again, the stage finishes, the result
# is the same; a part already in place is not made twice.
/usr/bin/python3 "$GEN" 1000 big.csv truth2.txt
printf 'domain: records\nsteps:\n  - standardise\n  - dedupe: {model-sample: 400, explain: why.csv}\n' > sample.yml
run_polish 0 plan sample.yml big.csv -o outs/ --shards 4 --quiet
"$POLISH" run --plan outs/plan.json --stage 1 --shard 0 --quiet
"$POLISH" run --plan outs/plan.json --stage 2 --shard 1 --quiet -j 1 &
pid=$!
sleep 0.3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
run_stages outs/plan.json
run_polish 0 merge outs/plan.json --quiet
printf 'domain: records\nsteps:\n  - standardise\n  - dedupe: {model: %s, explain: why.csv}\n' "$T/outs/.polish-stages/0/1.0" > sm.yml
run_polish 0 run sm.yml big.csv -o single_s/ --quiet
check "sampled model: stages equal one process with that model" same_files single_s outs
# every merge and near miss explained once, as one process explains them (the plan names its
# inputs by their full path, so the first column differs)
check "each pair once in the join: the explanations of one process" cmp -s <(cut -d, -f2- single_s/why.csv) <(cut -d, -f2- outs/why.csv)
check "the model was learned on a sample" grep -q '"model_sample_rows"' outs/report.json
check "every row exactly once, clusters as one process" /usr/bin/python3 - big.csv outs/big.csv single_s/big.csv <<'PY'
import csv, sys
src = list(csv.reader(open(sys.argv[1])))
out = list(csv.reader(open(sys.argv[2])))
one = list(csv.reader(open(sys.argv[3])))
assert len(out) == len(src), (len(out), len(src))
h = out[0]
ci = h.index("cluster_id")
assert [r[:ci] + r[ci + 2:] for r in out[1:]] == [r[:ci] + r[ci + 2:] for r in one[1:]]
def parts(rows):
    g = {}
    for i, r in enumerate(rows[1:]):
        g.setdefault(r[ci], []).append(i)
    return sorted(tuple(v) for v in g.values())
assert parts(out) == parts(one)
assert len(parts(out)) < len(src) - 1  # some duplicates found
PY
rm outs/.polish-stages/0/2.3 outs/big.csv outs/big.review.csv outs/why.csv
run_polish 1 merge outs/plan.json
contains "$ERR" "2.3"
before=$(stat -c %Y.%i outs/.polish-stages/0/2.0)
"$POLISH" run --plan outs/plan.json --stage 2 --shard 0 --quiet
check "a finished part is not run again" test "$(stat -c %Y.%i outs/.polish-stages/0/2.0)" = "$before"
"$POLISH" run --plan outs/plan.json --stage 2 --shard 3 --quiet
"$POLISH" run --plan outs/plan.json --stage 3 --shard 0 --quiet
run_polish 0 merge outs/plan.json --quiet
check "after a kill and a lost part: the single-process outputs" same_files single_s outs
check "no temporary left" test "$(find outs -name '*.part' | wc -l)" -eq 0

# Bad model files are refused with the file named.
printf 'not a model\n' > bad.txt
printf 'domain: records\nsteps:\n  - dedupe: {model: %s}\n' "$T/bad.txt" > bad.yml
run_polish 1 run bad.yml leads.csv -o bad/
contains "$ERR" "bad.txt"
head -5 "$model" > cut.txt
printf 'domain: records\nsteps:\n  - dedupe: {model: %s}\n' "$T/cut.txt" > cut.yml
run_polish 1 run cut.yml leads.csv -o cut/
contains "$ERR" "lacks some of its levels"

# Real tables that are not contact lists (Debian packages): dedupe declines in the staged run as in
# one process, and the table is delivered byte for byte; with standardise first (which cleans only
# white space on such a table) the staged outputs are the single-process ones.
printf 'domain: records\nsteps: [dedupe, merge]\n' > dm.yml
for src in /usr/share/matplotlib/mpl-data/sample_data/Stocks.csv \
           /usr/share/doc/libeccodes-dev/examples/python/flight_data.csv; do
    [ -r "$src" ] || { echo "skip: $src not installed (scripts/setup installs it)"; continue; }
    b=$(basename "$src" .csv)
    cp "$src" "$b.csv"
    run_polish 0 plan dm.yml "$b.csv" -o "nc_$b/" --shards 4 --quiet
    run_stages "nc_$b/plan.json"
    run_polish 0 merge "nc_$b/plan.json" --quiet
    check "$b: not a contact list, delivered as it was" cmp -s "$b.csv" "nc_$b/$b.csv"
    run_polish 0 plan dedupe.yml "$b.csv" -o "ncs_$b/" --shards 4 --quiet
    run_stages "ncs_$b/plan.json"
    run_polish 0 merge "ncs_$b/plan.json" --quiet
    run_polish 0 run dedupe.yml "$b.csv" -o "ncone_$b/" --quiet
    check "$b: staged standardise+dedupe as one process" same_files "ncone_$b" "ncs_$b"
done

# A recipe without dedupe stays one stage.
printf 'domain: records\nsteps: [standardise]\n' > std.yml
run_polish 0 plan std.yml leads.csv -o outstd/ --shards 4 --quiet
check "no dedupe: one stage" /usr/bin/python3 -c 'import json; assert len(json.load(open("outstd/plan.json"))["stages"]) == 1'
finish
