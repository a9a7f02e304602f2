#!/usr/bin/env bash
# polish — the workspace from the command line: the commands exactly as written, `kill -9` of a real
# polish process during an ingest and during a render (the catalog stays consistent, no partial
# file), renders remade identically, and `watch` after a kill and a restart (nothing redone, nothing
# lost, a file still being written not taken early).
. "$(dirname "$0")/../cli/lib.sh"
P=$(realpath "$POLISH"); POLISH=$P
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) is needed"; exit 77; }

W=$T/ws
mkdir -p "$W"
cd "$W" || exit 1
make_photo "$T/coffee.jpg" 480x
make_photo "$T/astro.png" 200x astronaut.png
printf 'name,email,phone\nAda Lovelace,ada@example.com,+44 20 7946 0001\nAlan Turing,alan@example.com,+44 20 7946 0002\n' > "$T/leads.csv"

# every output in the store and the render cache is complete: a stored original's name is its
# SHA-256, a render folder has its manifest and each output has the manifest's hash; no temporary
consistent() { # consistent WHEN
    local bad=0 f h rel
    while IFS= read -r f; do # every file in the store is an original under its own hash
        rel=${f#.polish/store/}
        h=$(sha256sum < "$f" | cut -d' ' -f1)
        [ "$rel" = "${h:0:2}/$h" ] || { fail "$1: store file $rel is not an original under its hash ($h)"; bad=1; }
    done < <(find .polish/store -type f)
    for d in .polish/renders/*/; do
        [ -d "$d" ] || continue
        [ -f "$d/manifest.json" ] || { fail "$1: render $d has no manifest"; bad=1; continue; }
        python3 - "$d" <<'EOF' || { fail "$1: render $d differs from its manifest"; bad=1; }
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
listed = {"manifest.json", "report.json"}
for o in m["outputs"]:
    b = open(os.path.join(d, o["path"]), "rb").read()
    assert hashlib.sha256(b).hexdigest() == o["sha256"], o["path"]
    listed.add(o["path"])
for top, dirs, files in os.walk(d):
    for f in files:
        assert os.path.relpath(os.path.join(top, f), d) in listed, f   # nothing else in a render
EOF
    done
    if find .polish/store .polish/renders -name '*.part' -o -name '*.XXXXXX' | grep -q .; then
        fail "$1: a temporary in the store or the render cache"; bad=1
    fi
    [ "$(sqlite3 .polish/catalog.db 'PRAGMA integrity_check')" = ok ] || { fail "$1: integrity"; bad=1; }
    # every item has a current version; a version "done" has its render in place
    local n
    n=$(sqlite3 .polish/catalog.db "SELECT COUNT(*) FROM items i LEFT JOIN versions v ON v.id = i.current WHERE v.id IS NULL")
    [ "$n" = 0 ] || { fail "$1: $n items without a current version"; bad=1; }
    for k in $(sqlite3 .polish/catalog.db "SELECT render FROM versions WHERE run = 'done'"); do
        [ -f ".polish/renders/$k/manifest.json" ] || { fail "$1: version done without render $k"; bad=1; }
    done
    for h in $(sqlite3 .polish/catalog.db "SELECT hash FROM items"); do
        [ -f ".polish/store/${h:0:2}/$h" ] || { fail "$1: item without its original $h"; bad=1; }
    done
    [ $bad = 0 ] && pass
}

# ---- the commands exactly as written ----
run_polish 0 init .
check "init makes the catalog" test -f .polish/catalog.db
[ "$(sqlite3 .polish/catalog.db 'PRAGMA journal_mode')" = wal ] && pass || fail "catalog not in WAL mode"
run_polish 0 init .   # again: says so, harms nothing
run_polish 0 add "$T/coffee.jpg"
ID=$(cat "$OUT")
check "add prints the item's ID ('$ID')" test "$ID" -ge 1
run_polish 0 add "$T/coffee.jpg"
check "the same content twice is the same item" test "$(cat "$OUT")" = "$ID"
cp "$T/coffee.jpg" "$T/copy.jpg"
run_polish 0 add "$T/copy.jpg" "$T/leads.csv"
check "two files, two lines" test "$(wc -l < "$OUT")" = 2
check "a copy under another name is the same item" test "$(head -1 "$OUT")" = "$ID"
LEADS=$(tail -1 "$OUT")
check "the original is only read" cmp "$T/coffee.jpg" "$T/copy.jpg"
ORIG=$(ls .polish/store/*/* | head -1)
check "stored originals are read-only" test ! -w "$ORIG" -o "$(id -u)" = 0
check "stored originals are read-only (mode)" test "$(stat -c %a "$ORIG")" = 444
run_polish 1 add "$T/nothing.jpg"
printf 'zz\001\002\003' > "$T/junk.bin"
run_polish 1 add "$T/junk.bin"
contains "$ERR" "not a recognised format"
run_polish 0 ls
contains "$OUT" "draft"
contains "$OUT" "coffee.jpg"
run_polish 0 approve "$ID"
run_polish 0 ls --json
python3 -c "
import json,sys; d=json.load(open('$OUT'))
it=[i for i in d['items'] if i['id']==$ID][0]
assert it['state']=='approved', it['state']
assert it['domain']=='image', it['domain']
" && pass || fail "approve: the item is not approved in ls --json"
rm -rf "$T/exp"
run_polish 0 export --approved -o "$T/exp"
check "export renders an approved item never rendered" test -f "$T/exp/coffee.jpg"
check "export leaves no temporary" test -z "$(find "$T/exp" -name '*.part')"
check "the leads list (not approved) is not exported" test ! -e "$T/exp/leads.csv"
python3 -c "
import json; d=json.load(open('$T/exp/.polish-lineage.json'))
f=d['files'][0]; assert f['file']=='coffee.jpg' and f['item']==$ID and len(f['recipe_hash'])==64
" && pass || fail "export: lineage file"
run_polish 0 export --approved -o "$T/exp"   # again: the same bytes are kept
echo "other bytes" > "$T/exp2.jpg"; mkdir -p "$T/exp2"; cp "$T/exp2.jpg" "$T/exp2/coffee.jpg"
run_polish 1 export --approved -o "$T/exp2"
contains "$ERR" "other content"
check "export never replaces a file" grep -q "other bytes" "$T/exp2/coffee.jpg"

# ---- fix ID, fork, history, undo ----
run_polish 0 fix "$LEADS"
contains "$OUT" "leads.csv"
run_polish 0 fix "$ID"        # approved: a new draft is forked
run_polish 0 show "$ID"
python3 -c "
import json; d=json.load(open('$OUT'))
assert d['state']=='done', d['state']
v=d['versions']; assert len(v)==2 and v[0]['decision']=='approved' and v[1]['parent']==v[0]['id'], v
assert v[1]['current'] and v[1]['outputs'] and d['report']['items'][0]['domain']=='image'
" && pass || fail "fix of an approved version: no fork"
run_polish 0 history "$ID"
contains "$OUT" "fork"
run_polish 0 undo "$ID"      # the fork
run_polish 0 undo "$ID"      # the approval
run_polish 0 show "$ID"
python3 -c "
import json; d=json.load(open('$OUT')); assert d['state']=='done' and d['current']==d['versions'][0]['id'], d['state']
" && pass || fail "undo twice: not back to the first draft"
run_polish 0 reject "$ID"
run_polish 0 ls
contains "$OUT" "rejected"
run_polish 0 undo "$ID"

# `polish fix IN -o OUT/` (files) is unchanged inside a workspace
run_polish 0 fix "$T/astro.png" -o "$T/fixout/"
check "polish fix IN -o OUT/ still writes the file" test -f "$T/fixout/astro.png"

# ---- renders remade identically from their key (a recipe with two delivery targets) ----
printf 'domain: records\nsteps:\n  - standardise\ndeliver:\n  - name: hubspot\n    preset: hubspot\n  - name: sheet\n    format: xlsx\n' > "$T/t.yml"
run_polish 0 fix "$LEADS" --recipe "$T/t.yml"
run_polish 0 show "$LEADS"
KEY=$(python3 -c "import json; print(json.load(open('$OUT'))['versions'][-1]['render'])")
SUM1=$(cd ".polish/renders/$KEY/out" && sha256sum $(find . -type f | sort))
check "both targets rendered" test -f ".polish/renders/$KEY/out/hubspot/leads.csv" -a -f ".polish/renders/$KEY/out/sheet/leads.xlsx"
rm -rf ".polish/renders/$KEY"
sleep 1.1 # a clock in the output (a workbook's creation time) would now show
run_polish 0 fix "$LEADS" --recipe "$T/t.yml"
run_polish 0 show "$LEADS"
KEY2=$(python3 -c "import json; print(json.load(open('$OUT'))['versions'][-1]['render'])")
check "the same key after the cache was emptied" test "$KEY" = "$KEY2"
SUM2=$(cd ".polish/renders/$KEY/out" 2>/dev/null && sha256sum $(find . -type f | sort))
check "a remade render has the same bytes" test "$SUM1" = "$SUM2"
run_polish 0 history "$LEADS"
contains "$OUT" "identical bytes"
run_polish 0 approve "$LEADS"
run_polish 0 export --approved -o "$T/exp3"
check "export writes every delivery target" test -f "$T/exp3/hubspot/leads.csv" -a -f "$T/exp3/sheet/leads.xlsx"
consistent "after the commands"

# ---- kill -9 during an ingest ----
# a large table (the copy into the store takes a while): the kill lands while tmp/ingest-* exists
python3 -c "
import random
random.seed(7)
with open('$T/big.csv','w') as f:
    f.write('name,email,amount\n')
    for i in range(1500000): f.write('person %d,p%d@example.com,%d\n' % (i, i, random.randrange(10**6)))
"
killed_in_ingest=0
for try in 1 2 3 4 5; do
    echo "try $try,t$try@example.com,$try" >> "$T/big.csv"
    "$P" add "$T/big.csv" > /dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 2000); do
        ls -d .polish/tmp/ingest-* >/dev/null 2>&1 && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.005
    done
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    if ls -d .polish/tmp/ingest-* >/dev/null 2>&1; then killed_in_ingest=1; break; fi
done
check "a polish add was killed during its copy" test $killed_in_ingest = 1
consistent "after kill -9 during an ingest"
run_polish 0 ls         # opening sweeps what the killed process left
check "the next open sweeps the killed ingest's temporary" test -z "$(ls .polish/tmp)"

# ---- kill -9 during a render ----
make_photo "$T/big.jpg" 1600x
run_polish 0 add "$T/big.jpg"
BIGID=$(cat "$OUT")
"$P" fix "$BIGID" > /dev/null 2>&1 &
pid=$!
for _ in $(seq 1 4000); do
    ls -d .polish/tmp/render-* >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.005
done
sleep 0.2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "a polish fix was killed during its render" test -n "$(ls -d .polish/tmp/render-* 2>/dev/null)"
check "the killed render is recorded as running, not done" \
    test "$(sqlite3 .polish/catalog.db "SELECT run FROM versions WHERE item = $BIGID")" = running
consistent "after kill -9 during a render"
run_polish 0 show "$BIGID"
python3 -c "import json; d=json.load(open('$OUT')); assert d['state']=='queued', d['state']" && pass ||
    fail "a killed render is not queued again on the next open"
check "the next open sweeps the killed render's folder" test -z "$(ls .polish/tmp)"
run_polish 0 fix "$BIGID"
run_polish 0 history "$BIGID"
contains "$OUT" "interrupted"
consistent "after the render was finished"

# ---- watch: complete files only; a kill and a restart neither redo nor lose an item ----
IN=$T/inbox; WO=$T/wout
mkdir -p "$IN"
cp "$T/astro.png" "$IN/a.png"
cp "$T/leads.csv" "$IN/b.csv"
printf 'domain: records\nsteps:\n  - standardise\n' > "$T/rr.yml"
run_polish 0 watch "$IN" --recipe "$T/rr.yml" -o "$WO" --once --interval 0.1
contains "$ERR" "a.png: .*the recipe is for records"
check "watch delivered b.csv" test -f "$WO/b.csv"
# a file growing slowly is not taken before it is complete
rm -rf "$IN"/* "$WO"; mkdir -p "$IN/sub"
"$P" watch "$IN" -o "$WO" --interval 0.1 --settle 6 > "$T/w1.out" 2> "$T/w1.err" &
wpid=$!
( printf 'name,email\n'; for i in $(seq 1 12); do printf 'p%d,p%d@example.com\n' $i $i; sleep 0.05; done ) > "$IN/sub/slow.csv"
cp "$T/leads.csv" "$IN/c.csv"
for _ in $(seq 1 600); do
    [ -f "$WO/sub/slow.csv" ] && [ -f "$WO/c.csv" ] && break
    sleep 0.05
done
check "watch delivered the slow file" test -f "$WO/sub/slow.csv"
SLOW_SIZE=$(sqlite3 .polish/catalog.db "SELECT o.size FROM watch w JOIN items i ON i.id = w.item JOIN originals o ON o.hash = i.hash WHERE w.rel = 'sub/slow.csv'")
check "watch took the slow file complete ($SLOW_SIZE bytes)" test "$SLOW_SIZE" = "$(stat -c %s "$IN/sub/slow.csv")"
N_SLOW=$(sqlite3 .polish/catalog.db "SELECT COUNT(*) FROM watch WHERE rel = 'sub/slow.csv'")
check "the slow file is one catalog entry ($N_SLOW)" test "$N_SLOW" = 1
# now a photo big enough to be killed while rendering
make_photo "$T/d.jpg" 1200x astronaut.png
mv "$T/d.jpg" "$IN/d.jpg"
for _ in $(seq 1 4000); do
    ls -d .polish/tmp/render-* >/dev/null 2>&1 && break
    sleep 0.005
done
sleep 0.1
kill -9 $wpid; wait $wpid 2>/dev/null
check "watch was killed during a render" test -n "$(ls -d .polish/tmp/render-* 2>/dev/null)"
check "the killed render delivered nothing" test ! -e "$WO/d.jpg"
renders_before=$(sqlite3 .polish/catalog.db "SELECT COUNT(*) FROM history WHERE action = 'render'")
echo 'name,email
late,late@example.com' > "$IN/e.csv"    # arrives while the watcher is down
run_polish 0 watch "$IN" -o "$WO" --once --interval 0.1
for f in c.csv sub/slow.csv d.jpg e.csv; do
    check "after the restart $f is delivered" test -f "$WO/$f"
done
renders_after=$(sqlite3 .polish/catalog.db "SELECT COUNT(*) FROM history WHERE action = 'render'")
check "the restart rendered only d.jpg and e.csv ($renders_before -> $renders_after)" \
    test $((renders_after - renders_before)) = 2
contains "$ERR" "c.csv: item .* delivered before"
check "each inbox file is one catalog entry" \
    test "$(sqlite3 .polish/catalog.db "SELECT COUNT(*) FROM watch WHERE inbox = '$(realpath "$IN")' AND state = 'done'")" = 5  # b.csv (first run), c, sub/slow, d, e
check "no temporary in the output folder" test -z "$(find "$WO" -name '*.part')"
consistent "after watch"
finish
