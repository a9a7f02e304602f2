#!/usr/bin/env bash
# polish — shards: plan, run each shard (GNU parallel, scheduler variables), merge; a killed
# shard run again; outputs byte-identical to a single-process run, every item exactly once.
. "$(dirname "$0")/lib.sh"
POLISH=$(cd "$(dirname "$POLISH")" && pwd)/$(basename "$POLISH") # the test changes folder
mkdir -p "$T/photos/sub"
i=0
for f in coffee.png astronaut.png chelsea.png rocket.jpg camera.png coins.png; do
    i=$((i + 1))
    make_photo "$T/photos/p$i.jpg" 160x "$f"
done
make_photo "$T/photos/sub/p1.jpg" 96x
make_photo "$T/photos/big.png" 600x
printf 'domain: image\nsteps:\n  - sharpen: {amount: 0.3}\n  - resize: {width: 120}\n' > "$T/r.yml"
cd "$T" || exit 1

# The plan: OUT/plan.json and nothing else; the same inputs give the same plan.
run_polish 0 plan r.yml photos/ -o out/ --shards 4 --quiet
check "plan writes only plan.json" test "$(ls -A out)" = "plan.json"
cp out/plan.json plan1.json
run_polish 0 plan r.yml photos/ -o out/ --shards 4 --quiet
check "the plan is deterministic" cmp -s plan1.json out/plan.json
# --json names the plan as a JSON string, whatever characters its folder has.
"$POLISH" plan r.yml photos/ -o 'odd"\dir/' --shards 2 --json > plan.out
check "plan --json is JSON with the plan's path" python3 -c '
import json, sys
d = json.load(open("plan.out"))
assert d["plan"].endswith("odd\"\\dir/plan.json"), d
assert d["stages"] == 1, d'
rm -rf 'odd"\dir'
check "every item once, shards balanced, outputs distinct" python3 - out/plan.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
items = p["stages"][0]["items"]
assert len(items) == 8, len(items)
ins = [it["input"] for it in items]
assert len(set(ins)) == len(ins)
outs = [o for it in items for o in it["outputs"]]
assert len(set(outs)) == len(outs)
shards = {}
for it in items:
    assert 0 <= it["shard"] < 4
    shards.setdefault(it["shard"], []).append(it)
assert len(shards) == 4, shards.keys()
big = [it for it in items if it["input"].endswith("big.png")][0]
# the big photo weighs more than all the others: its shard has nothing else
assert len(shards[big["shard"]]) == 1, [i["input"] for i in shards[big["shard"]]]
PY

# Merge before any shard ran: exit 1, every item listed as not done.
run_polish 1 merge out/plan.json
check "merge lists the missing items" test "$(grep -c ': not done$' "$ERR")" -eq 8

# Four workers under GNU parallel, then merge.
if command -v parallel >/dev/null; then
    parallel -j 4 "$POLISH" run --plan out/plan.json --shard {} --quiet ::: 0 1 2 3
    check "parallel ran every shard" test $? -eq 0
else
    for s in 0 1 2 3; do "$POLISH" run --plan out/plan.json --shard $s --quiet; done
fi
check "each shard ran its own items and no other" python3 - out/plan.json <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for s in range(4):
    want = sorted(it["input"] for it in p["stages"][0]["items"] if it["shard"] == s)
    lines = [json.loads(l) for l in open(f"out/.polish-shards/stage-1.shard-{s}.jsonl")]
    got = sorted(l["input"] for l in lines if l.get("type") == "item")
    assert got == want, (s, got, want)
PY
run_polish 0 merge out/plan.json --quiet
check "merged report has every item" python3 - out/report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["items"]) == 8, len(r["items"])
assert all(it["status"] == "ok" for it in r["items"])
PY
check "merged HTML report" test -s out/report.html

# The same outputs as one process.
run_polish 0 run r.yml photos/ -o single/ --quiet
same=1
for f in $(cd single && find . -type f | sort); do cmp -s "single/$f" "out/$f" || { same=0; echo "differs: $f" >&2; }; done
check "shards give the single-process outputs, byte for byte" test $same -eq 1
check "and no other output" test "$(cd out && find . -type f ! -name 'plan.json' ! -name 'report.*' ! -path './.polish-shards/*' | wc -l)" -eq "$(cd single && find . -type f | wc -l)"

# A shard that died half-way: one output gone, a temporary left behind. Run again, it finishes
# the missing item only; merge is clean and sweeps the temporary.
s0=$(python3 -c 'import json; p=json.load(open("out/plan.json")); print(next(it["shard"] for it in p["stages"][0]["items"] if it["input"].endswith("/p3.jpg")))')
rm out/p3.jpg
echo partial > out/.p3.jpg.AbC123.part
run_polish 1 merge out/plan.json
contains "$ERR" "p3.jpg"
run_polish 0 run --plan out/plan.json --shard "$s0" --json
check "the rerun did p3 and skipped the rest" python3 - "$OUT" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
done = [it for it in r["items"] if not it.get("skipped")]
assert len(done) == 1 and done[0]["input"].endswith("/p3.jpg"), [(i["input"], i.get("skipped")) for i in r["items"]]
PY
run_polish 0 merge out/plan.json --quiet
check "merge swept the temporary" test ! -e out/.p3.jpg.AbC123.part
check "p3 as one process made it" cmp -s single/p3.jpg out/p3.jpg

# A real kill -9 during a shard, then the rerun: whatever point it died at, all is done once.
rm -rf out2
run_polish 0 plan r.yml photos/ -o out2/ --shards 2 --quiet
"$POLISH" run --plan out2/plan.json --shard 0 --quiet -j 1 &
pid=$!
sleep 0.2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
for s in 0 1; do "$POLISH" run --plan out2/plan.json --shard $s --quiet; done
run_polish 0 merge out2/plan.json --quiet
same=1
for f in $(cd single && find . -type f | sort); do cmp -s "single/$f" "out2/$f" || same=0; done
check "after kill -9 and a rerun the outputs are the single-process ones" test $same -eq 1
check "no temporary left" test "$(find out2 -name '*.part' | wc -l)" -eq 0

# The shard index from the scheduler: Slurm, Kubernetes, GNU parallel (1-based).
rm -rf out3
run_polish 0 plan r.yml photos/ -o out3/ --shards 4 --quiet
SLURM_ARRAY_TASK_ID=2 "$POLISH" run --plan out3/plan.json --quiet
check "SLURM_ARRAY_TASK_ID picks the shard" test -s out3/.polish-shards/stage-1.shard-2.jsonl
JOB_COMPLETION_INDEX=3 "$POLISH" run --plan out3/plan.json --quiet
check "JOB_COMPLETION_INDEX picks the shard" test -s out3/.polish-shards/stage-1.shard-3.jsonl
PARALLEL_SEQ=1 "$POLISH" run --plan out3/plan.json --quiet
check "PARALLEL_SEQ 1 is shard 0" test -s out3/.polish-shards/stage-1.shard-0.jsonl
run_polish 1 merge out3/plan.json
check "shard 1 never ran: merge says so" grep -q "shard 1" "$ERR"

# A sequence of numbered frames (render: shot.####.exr) runs as one task in frame order, its
# temporal anti-aliasing carrying each frame's history to the next: the plan keeps it whole on
# one shard, and balances by the sequence's total size. Two sequences (6 and 4 frames of noise,
# still, with depth and motion passes) and one more frame over 3 shards: items dealt one by one
# would split both sequences.
if command -v oiiotool >/dev/null; then
    mkdir -p seqs
    frame() {
        oiiotool --pattern noise:type=uniform:min=0:max=1:seed="$2" 64x48 3 --chnames R,G,B \
            --pattern constant:color=1 64x48 1 --chnames A --chappend \
            --pattern constant:color=5 64x48 1 --chnames depth.Z --chappend \
            --pattern constant:color=0,0 64x48 2 --chnames motion.X,motion.Y --chappend \
            -d half -o "$1"
    }
    for i in 1 2 3 4 5 6; do frame seqs/a.000$i.exr $i; done
    for i in 1 2 3 4; do frame seqs/b.000$i.exr $((10 + i)); done
    frame seqs/c.exr 20
    printf 'domain: render\nsteps:\n  - aa\n  - export: {format: exr}\n' > seq.yml
    run_polish 0 plan seq.yml seqs/ -o sq/ --shards 3 --quiet
    check "each sequence whole on one shard, the two on different shards" python3 - sq/plan.json <<'PY'
import json, sys
items = json.load(open(sys.argv[1]))["stages"][0]["items"]
assert len(items) == 11, len(items)
shard = {}
for it in items:
    name = it["input"].rsplit("/", 1)[1]
    if name != "c.exr":
        assert it.get("sequence"), it
    shard.setdefault(name[0], set()).add(it["shard"])
assert all(len(v) == 1 for v in shard.values()), shard
assert len({min(v) for v in shard.values()}) == 3, shard  # a, b and c each on a shard of its own
PY
    for s in 0 1 2; do "$POLISH" run --plan sq/plan.json --shard $s --quiet; done
    run_polish 0 merge sq/plan.json --quiet
    run_polish 0 run seq.yml seqs/ -o sq1/ --quiet
    same=1
    for f in $(cd sq1 && find . -type f -name '*.exr' | sort); do cmp -s "sq1/$f" "sq/$f" || { same=0; echo "differs: $f" >&2; }; done
    check "sequences on shards give the single-process frames, byte for byte (history included)" test $same -eq 1
fi

# Refusals: no shard given, a shard or stage the plan has not, a bad plan.
run_polish 2 run --plan out3/plan.json
run_polish 2 run --plan out3/plan.json --shard 4
run_polish 2 run --plan out3/plan.json --stage 2 --shard 0
run_polish 2 plan r.yml photos/ -o out4/ --shards 0
echo '{"polish_plan": 1}' > bad.json
run_polish 2 merge bad.json
finish
