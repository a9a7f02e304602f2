#!/usr/bin/env bash
# polish — the commands that must work exactly as written: version, ops, help, usage errors.
. "$(dirname "$0")/lib.sh"

run_polish 0 --version && contains "$T/out" '^polish [0-9]\+\.[0-9]\+\.[0-9]\+$'

run_polish 0 ops image
check "ops image: one operation a line, its name first" \
    awk '$1 !~ /^image\.[a-z-]+$/ { exit 1 }' "$T/out"
for op in orient colour white-balance exposure tone denoise sharpen straighten crop resize match export; do
    contains "$T/out" "^image\.$op "
done
run_polish 0 ops records && contains "$T/out" '^records\.dedupe '
run_polish 0 ops --json
check "ops --json is valid JSON listing params" python3 -c '
import json,sys
ops=json.load(open(sys.argv[1]))
wb=[o for o in ops if o["name"]=="image.white-balance"][0]
assert wb["params"] and all("help" in p for p in wb["params"])' "$T/out"

run_polish 0 help image.white-balance
contains "$T/out" '^image.white-balance — '
contains "$T/out" '^usage: polish image white-balance'
contains "$T/out" '^  --'
run_polish 0 help image
run_polish 2 help image.nothing
run_polish 2 frobnicate
contains "$T/err" "unknown command 'frobnicate'"
run_polish 2 image resize --widht 10 x.jpg -o y.jpg
contains "$T/err" "no option --widht"
run_polish 2 image resize --width 0 x.jpg -o y.jpg
contains "$T/err" "minimum"
run_polish 2 fix
contains "$T/err" "no input files"

# A recipe error names the file and the line, and nothing runs.
printf 'domain: image\nsteps:\n  - op: resize\n    widht: 100\n' > "$T/bad.yml"
run_polish 2 run "$T/bad.yml" "$T" -o "$T/o"
contains "$T/err" "bad.yml:4: step 1 (image.resize)"
check "no output folder for an invalid recipe" test ! -e "$T/o"

finish
