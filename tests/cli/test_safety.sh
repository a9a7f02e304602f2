#!/usr/bin/env bash
# polish — batch and output safety (issue 7): one section per numbered finding, each run the way a
# careless or hostile user would. Items 9 (kill -9 and resume) and 5 (full disk) are in
# test_faults.sh; 13 (fuzzing) is elsewhere.
. "$(dirname "$0")/lib.sh"
HOSTILE="$(dirname "$0")/make_hostile.py"
case $POLISH in /*) ;; *) POLISH=$PWD/$POLISH ;; esac # some checks run from other folders
IN=$T/in
mkdir -p "$IN"
make_photo "$IN/a.jpg" 200x
cp "$IN/a.jpg" "$T/keep.jpg" # a pristine copy to compare inputs against
same() { cmp -s "$1" "$2"; }

# ---- 1. the report never lands on an input or on an output of the batch -----------------------
cp "$IN/a.jpg" "$T/r.jpg"
run_polish 2 fix "$T/r.jpg" -o "$T/o1" --report "$T/r.jpg"
check "1: --report onto the input leaves the input as it was" same "$T/r.jpg" "$T/keep.jpg"
contains "$ERR" "input"
check "1: nothing was written when the report would replace an input" test ! -e "$T/o1/r.jpg"
run_polish 1 fix "$IN/a.jpg" -o "$T/o1b" --report "$T/o1b/a.jpg"
check "1: --report onto an output just written keeps the output" \
    sh -c "file -b '$T/o1b/a.jpg' | grep -q JPEG"
contains "$ERR" "output of this batch"
echo "my notes" >"$T/notes.txt"
run_polish 2 fix "$IN/a.jpg" -o "$T/o1c" --report "$T/notes.txt"
check "1: --report onto a file polish did not write needs --overwrite" \
    grep -q "my notes" "$T/notes.txt"
run_polish 0 fix "$IN/a.jpg" -o "$T/o1d" --report "$T/o1d.json" --quiet
run_polish 0 fix "$IN/a.jpg" -o "$T/o1e" --report "$T/o1d.json" --quiet
check "1: a polish report is replaced by the next run's" grep -q o1e "$T/o1d.json"

# ---- 2. an empty -o is a usage error and writes nothing --------------------------------------
U=polish-empty-o-$$
cp "$IN/a.jpg" "$T/$U.jpg"
mkdir -p "$T/cwd2" && cd "$T/cwd2" || exit 1
run_polish 2 fix "$T/$U.jpg" -o ""
cd - >/dev/null || exit 1
check "2: -o '' wrote nothing at the root" test ! -e "/$U.jpg"
check "2: -o '' wrote nothing in the working folder" test -z "$(ls -A "$T/cwd2")"
rm -f "/$U.jpg"
run_polish 2 fix "$IN" -o ""

# ---- 3. a step's extra file (dedupe --explain) stays inside the output folder ------------------
cp "$POLISH_SRC/samples/leads.csv" "$T/leads.csv"
printf 'domain: records\nsteps:\n  - dedupe: {explain: %s}\n' "$T/outside.csv" >"$T/explain.yml"
run_polish 2 run "$T/explain.yml" "$T/leads.csv" -o "$T/o3"
check "3: explain outside -o is refused" test ! -e "$T/outside.csv"
contains "$ERR" "outside the output folder"
check "3: the refused item left no output" test ! -e "$T/o3/leads.csv"
run_polish 0 records dedupe --explain "$T/o3b/explain.csv" "$T/leads.csv" -o "$T/o3b" --quiet
check "3: explain inside -o is written" test -s "$T/o3b/explain.csv"

# ---- 4. --overwrite never replaces an input --------------------------------------------------
cp "$IN/a.jpg" "$T/s.jpg"
run_polish 2 fix "$T/s.jpg" -o "$T/s.jpg" --overwrite
check "4: fix s.jpg -o s.jpg --overwrite leaves s.jpg as it was" same "$T/s.jpg" "$T/keep.jpg"
mkdir -p "$T/photos" && cp "$IN/a.jpg" "$T/photos/p.jpg"
run_polish 2 fix "$T/photos" -o "$T/photos" --overwrite
check "4: fix photos -o photos --overwrite leaves the photos" same "$T/photos/p.jpg" "$T/keep.jpg"
check "4: ... and adds nothing" test "$(ls -A "$T/photos")" = p.jpg
cd "$T/photos" || exit 1
run_polish 1 fix p.jpg -o . --overwrite
cd - >/dev/null || exit 1
check "4: -o . over the input's own folder leaves it" same "$T/photos/p.jpg" "$T/keep.jpg"
contains "$ERR" "input of this batch"
ln "$T/photos/p.jpg" "$T/hard.jpg"
run_polish 2 fix "$T/photos/p.jpg" -o "$T/hard.jpg" --overwrite
check "4: a hard link to the input (same inode, another name) is refused" \
    same "$T/photos/p.jpg" "$T/keep.jpg"

# ---- 6. two inputs that map to one output name ------------------------------------------------
convert-im6.q16 "$IN/a.jpg" "$T/a.png" && convert-im6.q16 "$IN/a.jpg" "$T/a.webp"
cp "$IN/a.jpg" "$T/a.jpg"
run_polish 1 image export --format jpeg "$T/a.jpg" "$T/a.png" "$T/a.webp" -o "$T/o6" --overwrite \
    --report "$T/r6.json"
contains "$ERR" "same output name"
contains "$ERR" "1 ok, 2 failed"
check "6: one file in the output folder" test "$(ls -A "$T/o6")" = a.jpg
check "6: the report lists one output" python3 -c "
import json,sys; r=json.load(open('$T/r6.json'))
outs=[o for i in r['items'] for o in i.get('outputs',[])]
sys.exit(0 if len(outs)==1 and r['summary']['ok']==1 else 1)"

# ---- 7. FIFOs, sockets and devices never block ------------------------------------------------
mkdir -p "$T/d7" && cp "$IN/a.jpg" "$T/d7/a.jpg" && mkfifo "$T/d7/pipe" "$T/fifo"
timeout 60 "$POLISH" fix "$T/fifo" "$T/d7" -o "$T/o7" >"$OUT" 2>"$ERR"
check "7: fix with a FIFO finishes (exit 1: the named FIFO fails)" test $? -eq 1
contains "$ERR" "FIFO"
check "7: the regular file beside the FIFO was processed" test -s "$T/o7/a.jpg"
timeout 60 "$POLISH" inspect "$T/fifo" "$T/d7" >"$OUT" 2>"$ERR"
check "7: inspect with a FIFO finishes" test $? -eq 1
timeout 60 "$POLISH" fix "$T/fifo" "$T/d7" -o "$T/o7b" --dry-run >"$OUT" 2>"$ERR"
check "7: --dry-run with a FIFO finishes" test $? -eq 1
timeout 60 "$POLISH" fix "$T/d7" -o "$T/o7c" >"$OUT" 2>"$ERR"
check "7: a FIFO found in a folder is skipped with a note, not failed" test $? -eq 0
contains "$ERR" "skipped.*pipe"
timeout 60 "$POLISH" inspect /dev/zero >"$OUT" 2>"$ERR"
check "7: a device is refused, not read" test $? -eq 1
contains "$ERR" "device"

# ---- 8. symbolic-link loops --------------------------------------------------------------------
mkdir -p "$T/loop" && cp "$IN/a.jpg" "$T/loop/a.jpg"
ln -s . "$T/loop/l1" && ln -s . "$T/loop/l2"
timeout 60 "$POLISH" fix "$T/loop" -o "$T/o8" --dry-run --json >"$OUT" 2>"$ERR"
check "8: a walk through two self-links ends" test $? -eq 0
check "8: the file is listed once" python3 -c "
import json,sys; r=json.load(open('$OUT')); sys.exit(0 if r['summary']['items']==1 else 1)"
timeout 60 "$POLISH" fix "$T/loop" -o "$T/o8b" --quiet >"$OUT" 2>"$ERR"
check "8: processed once, no out/l1/l1/..." test "$(find "$T/o8b" -type f | wc -l)" -eq 1

# ---- 10. limits hold before allocation ----------------------------------------------------------
python3 "$HOSTILE" big-tile-tiff "$T/tile.tiff"
/usr/bin/time -f %M -o "$T/rss" "$POLISH" inspect "$T/tile.tiff" >"$OUT" 2>"$ERR"
check "10: 30000x30000 TIFF tiles are refused" grep -q "tiles of 30000x30000" "$ERR"
check "10: ... before allocating them (< 300 MB)" test "$(tail -1 "$T/rss")" -lt 300000
run_polish 1 image resize --width 20000 --max-pixels 1000000 "$IN/a.jpg" -o "$T/o10"
check "10: resize past --max-pixels writes nothing" test ! -e "$T/o10/a.jpg"
contains "$ERR" "over the limit"
python3 "$HOSTILE" wide-png "$T/wide.png"
/usr/bin/time -f %M -o "$T/rss" "$POLISH" inspect "$T/wide.png" >"$OUT" 2>"$ERR"
check "10: a 178956970x1 PNG is refused" grep -q "limit" "$ERR"
check "10: ... in little memory (< 300 MB)" test "$(tail -1 "$T/rss")" -lt 300000
convert-im6.q16 "$IN/a.jpg" -resize 32x -interlace Plane "$T/prog.jpg"
python3 "$HOSTILE" many-scans "$T/prog.jpg" "$T/scans.jpg" 20000
run_polish 1 inspect --lenient "$T/scans.jpg"
contains "$ERR" "more than 1000 scans"
run_polish 0 inspect --lenient --limit scans=30000 "$T/scans.jpg"
run_polish 1 fix "$IN/a.jpg" -o "$T/o10m" --limit memory=100K
contains "$ERR" "memory"
printf 'domain: image\nlimits: {memory: 100K}\nsteps:\n  - sharpen: {amount: 0.3}\n' >"$T/lim.yml"
run_polish 1 run "$T/lim.yml" "$IN/a.jpg" -o "$T/o10r"
contains "$ERR" "limit of 100.0 KiB"
# PNG: loaded whole (a JPEG streams, holding rows rather than the picture)
mkdir -p "$T/many" && for i in 1 2 3 4; do convert-im6.q16 "$IN/a.jpg" "$T/many/m$i.png"; done
# each item fits alone (200x133 floats: 426 KB) but not two at once: they take turns, none fails
timeout 120 "$POLISH" fix "$T/many" -o "$T/o10j" -j 4 --limit memory=600K --quiet \
    --report "$T/r10j.json" >"$OUT" 2>"$ERR"
check "10: -j 4 under a memory limit for one item at a time finishes every item" test $? -eq 0
check "10: ... and items waited for each other's memory" python3 -c "
import json,sys; r=json.load(open('$T/r10j.json'))
w=[i['memory']['waited_seconds'] for i in r['items']]
sys.exit(0 if len(w)==4 and sum(1 for x in w if x>0)>=1 else 1)"

# ---- 11. nothing is lost without a word ----------------------------------------------------------
python3 "$HOSTILE" apng "$T/anim.png"
run_polish 0 fix "$T/anim.png" -o "$T/o11a"
contains "$ERR" "animated PNG with 2 frames"
convert-im6.q16 "$IN/a.jpg" \( "$IN/a.jpg" -negate \) -loop 0 "$T/anim.webp"
run_polish 0 fix "$T/anim.webp" -o "$T/o11b"
contains "$ERR" "animated WebP with 2 frames"
check "11: the animated WebP's first frame was written" test -s "$T/o11b/anim.webp"
convert-im6.q16 "$IN/a.jpg" \( "$IN/a.jpg" -negate \) "$T/pages.tiff"
run_polish 0 fix "$T/pages.tiff" -o "$T/o11c"
contains "$ERR" "2 pages"
LONG=$(printf 'n%.0s' $(seq 1 245)).jpg # 249 characters
cp "$IN/a.jpg" "$T/$LONG"
run_polish 0 fix "$T/$LONG" -o "$T/o11d" --quiet
check "11: a 249-character name is written" test -s "$T/o11d/$LONG"
D=$T/deep
for i in $(seq 1 66); do D=$D/d; done
mkdir -p "$D" && cp "$IN/a.jpg" "$D/" && cp "$IN/a.jpg" "$T/deep/top.jpg"
run_polish 0 fix "$T/deep" -o "$T/o11e"
contains "$ERR" "64 folders deep"
mkdir -p "$T/in11" && cp "$IN/a.jpg" "$T/in11/"
run_polish 0 fix "$T/in11" -o "$T/in11/out" --quiet
run_polish 0 fix "$T/in11" -o "$T/in11/out" --overwrite --report "$T/r11.json" --quiet
check "11: the output folder inside the input folder is not walked" python3 -c "
import json,sys; r=json.load(open('$T/r11.json')); sys.exit(0 if r['summary']['items']==1 else 1)"
check "11: ... so no out/out/" test ! -e "$T/in11/out/out"
mkdir -p "$T/stray" && cp "$IN/a.jpg" "$T/stray/" && echo "read me" >"$T/stray/README" &&
    head -c 3000 /dev/urandom >"$T/stray/Thumbs.db"
run_polish 0 fix "$T/stray" -o "$T/o11f"
contains "$ERR" "skipped.*README"
contains "$ERR" "skipped.*Thumbs.db"
run_polish 1 fix "$T/stray/README" -o "$T/o11g"
contains "$ERR" "not a recognised format"

# ---- 12. command-line conventions ---------------------------------------------------------------
for c in fix inspect run ops; do
    run_polish 0 "$c" --help
    contains "$OUT" "usage: polish $c"
done
run_polish 0 help --help
run_polish 0 image resize --help
"$POLISH" image resize --width 100 - -o - <"$IN/a.jpg" >"$T/small.jpg" 2>"$ERR"
check "12: '-' in and '-o -' out" sh -c "identify '$T/small.jpg' | grep -q ' 100x'"
"$POLISH" fix - -o "$T/o12s/" <"$IN/a.jpg" >"$OUT" 2>"$ERR"
check "12: '-' input into a folder" test -s "$T/o12s/stdin"
# An endless standard input stops being copied at the bytes limit (it would fill the disk).
timeout 120 sh -c "yes | '$POLISH' fix - -o - --limit bytes=100000 >'$T/yes.out' 2>'$ERR'"
check "12: endless standard input: stops at the bytes limit, exit 1 (not $?)" test $? -eq 1
contains "$ERR" "standard input is larger than the bytes limit"
check "12: endless standard input: nothing on standard output" test ! -s "$T/yes.out"
printf 'name,email\nAnn,ann@example.com\nBob,not-an-email\n' >"$T/two.csv"
"$POLISH" fix - -o - <"$T/two.csv" >"$T/stdout.csv" 2>"$ERR"
check "12: several outputs of one item to '-o -' is a failure, not a silent loss" test $? -eq 1
contains "$ERR" "standard output takes one"
run_polish 2 fix "$IN/a.jpg" "$T/a.png" -o "$T/multi.jpg"
check "12: -o multi.jpg with two inputs makes no folder" test ! -e "$T/multi.jpg"
run_polish 1 fix "$T/stray/README" -o "$T/o12n"
check "12: no 'outputs in' when nothing was written" sh -c "! grep -q 'outputs in' '$ERR'"
run_polish 2 fix "$IN/a.jpg" -o "$T/o12r" --report "$T/no/such/dir/r.json"
check "12: an unwritable --report is refused before anything is written" test ! -e "$T/o12r"

# --skip-existing knows an output whose format the delivery changed: a.jpg delivered as a.webp is
# kept on the next run, not redone (and not refused as "exists").
run_polish 0 image export --format webp "$IN/a.jpg" -o "$T/o-skipfmt/" --quiet
check "skip-existing: the first run wrote a.webp" test -s "$T/o-skipfmt/a.webp"
before=$(stat -c %Y.%i "$T/o-skipfmt/a.webp")
run_polish 0 image export --format webp "$IN/a.jpg" -o "$T/o-skipfmt/" --skip-existing
contains "$ERR" "kept"
check "skip-existing: a.webp kept as it was" test "$(stat -c %Y.%i "$T/o-skipfmt/a.webp")" = "$before"
finish
