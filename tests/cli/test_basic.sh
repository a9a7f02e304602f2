#!/usr/bin/env bash
# polish — the commands that must work exactly as written: version, ops, help, usage errors.
. "$(dirname "$0")/lib.sh"

run_polish 0 --version && contains "$OUT" '^polish [0-9]\+\.[0-9]\+\.[0-9]\+$'

run_polish 0 ops image
check "ops image: one operation a line, its name first" \
    awk '$1 !~ /^image\.[a-z-]+$/ { exit 1 }' "$OUT"
for op in orient colour white-balance exposure tone denoise sharpen straighten crop resize match export; do
    contains "$OUT" "^image\.$op "
done
run_polish 0 ops records && contains "$OUT" '^records\.dedupe '
run_polish 0 ops --json
check "ops --json is one versioned document with every op's ports and params" python3 -c '
import json,sys
doc=json.load(open(sys.argv[1]))
assert doc["version"] >= 2, doc.get("version")
ops=doc["ops"]
wb=[o for o in ops if o["name"]=="image.white-balance"][0]
assert wb["params"] and all("help" in p for p in wb["params"])
ag=[o for o in ops if o["name"]=="records.against"][0]
m=[p for p in ag["inputs"] if p["name"]=="master"][0]
assert m["required"] and m["shared"] and m["domain"]=="records", m
dd=[o for o in ops if o["name"]=="records.dedupe"][0]
ex=[p for p in dd["outputs"] if p["name"]=="explain"][0]
assert ex["per_batch"] and ex["kind"]=="file", ex
# numbers print as written: no 0.20000000000000001
raw=open(sys.argv[1]).read()
import re
assert not re.search(r"[0-9]\.[0-9]*0000000000[0-9]", raw) and not re.search(r"99999999999", raw), "a number is not printed as written"
' "$OUT"
check "ops --json validates against docs/ops.schema.json" python3 -c '
import json,sys,jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$OUT" "$POLISH_SRC/docs/ops.schema.json"

run_polish 0 help records.dedupe
check "records help offers records' delivery options, not image's --quality" sh -c "! grep -q -- '--quality' '$OUT' && grep -q 'records.export' '$OUT'"
run_polish 0 help image.white-balance
contains "$OUT" '^image.white-balance — '
contains "$OUT" '^usage: polish image white-balance'
contains "$OUT" '^  --'
run_polish 0 help image
run_polish 2 help image.nothing
run_polish 2 frobnicate
contains "$ERR" "unknown command 'frobnicate'"
run_polish 2 image resize --widht 10 x.jpg -o y.jpg
contains "$ERR" "no option --widht"
run_polish 2 image resize --width 0 x.jpg -o y.jpg
contains "$ERR" "minimum"
run_polish 2 fix
contains "$ERR" "no input files"

# A recipe error names the file and the line, and nothing runs.
printf 'domain: image\nsteps:\n  - op: resize\n    widht: 100\n' > "$T/bad.yml"
run_polish 2 run "$T/bad.yml" "$T" -o "$T/o"
contains "$ERR" "bad.yml:4: step 1 (image.resize)"
check "no output folder for an invalid recipe" test ! -e "$T/o"
# A boolean flag takes a following true/false/yes/no/on/off as its value; anything else is an input.
make_photo "$T/b.jpg" 120x
run_polish 0 image export --format jpeg --progressive false "$T/b.jpg" -o "$T/b-plain.jpg" --quiet
check "--progressive false: a baseline JPEG" sh -c "identify -verbose '$T/b-plain.jpg' | grep -q 'Interlace: None'"
run_polish 0 image export --format jpeg --progressive yes "$T/b.jpg" -o "$T/b-prog.jpg" --quiet
check "--progressive yes: a progressive JPEG" sh -c "identify -verbose '$T/b-prog.jpg' | grep -q 'Interlace: JPEG'"
run_polish 0 image export --format jpeg --progressive "$T/b.jpg" -o "$T/b-prog2.jpg" --quiet
check "--progressive then an input: the flag alone is true" sh -c "identify -verbose '$T/b-prog2.jpg' | grep -q 'Interlace: JPEG'"
run_polish 0 help forecast.testbed
check "an op that makes its item: no INPUT in its usage" grep -q "usage: polish forecast testbed \[OPTIONS\] -o OUTPUT$" "$OUT"

finish
