#!/usr/bin/env bash
# polish — the report stream: one JSON line per item as items finish, thumbnails beside it, the
# JSON/HTML report made from it, a killed batch's stream still readable, two streams merged.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/in"
python3 - "$T/in" 12 <<'PY'
import sys, struct, zlib
w, h = 480, 360
def png(seed):
    rows = []
    for y in range(h):
        row = bytearray([0])
        for x in range(w):
            row += bytes(((x * 255) // w, (y * 255) // h, (x * seed + y) & 255))
        rows.append(bytes(row))
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b"")
for i in range(int(sys.argv[2])):
    open(f"{sys.argv[1]}/p{i:02d}.png", "wb").write(png(i + 1))
PY
printf 'not an image\n' > "$T/in/zz-bad.png"

# 1. a finished batch: the stream, the HTML made from it, thumbnails as files beside it
run_polish 1 fix "$T/in" -o "$T/out" --report "$T/out/r.html" -q
check "stream: header, one line per item, summary" python3 - "$T/out/r.jsonl" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert lines[0]["type"] == "header" and lines[0]["schema"] == 1, lines[0]
items = [l for l in lines if l["type"] == "item"]
assert len(items) == 13, len(items)
assert sorted(i["index"] for i in items) == list(range(13))
assert lines[-1]["type"] == "summary" and lines[-1]["ok"] == 12 and lines[-1]["failed"] == 1, lines[-1]
ok = [i for i in items if i["status"] == "ok"]
assert all(i["thumbs"]["before"].startswith("r.thumbs/") for i in ok), ok[0].get("thumbs")
PY
check "thumbnails are files beside the stream" test "$(ls "$T/out/r.thumbs" | wc -l)" -eq 24
check "the HTML embeds them" test "$(grep -o 'data:image/jpeg' "$T/out/r.html" | wc -l)" -eq 24

# 2. a killed batch keeps the lines of what finished; the stream renders as a report
mkdir -p "$T/many"
for i in $(seq 1 4); do for f in "$T"/in/p*.png; do cp "$f" "$T/many/$i-$(basename "$f")"; done; done
"$POLISH" fix "$T/many" -o "$T/kout" --report "$T/k.jsonl" -j 1 -q &
pid=$!
for _ in $(seq 1 600); do
    got=$(grep -c '"type":"item"' "$T/k.jsonl" 2>/dev/null)
    [ "${got:-0}" -ge 3 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
n=$(grep -c '"type":"item"' "$T/k.jsonl")
check "items were streamed before the end" test "$n" -ge 3 -a "$n" -lt 48
run_polish 0 report "$T/k.jsonl" -o "$T/k.json"
check "a killed batch's report counts what finished" python3 - "$T/k.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["items"]) == int(sys.argv[2]), (len(r["items"]), sys.argv[2])
assert r["summary"]["incomplete"] is True and r["summary"]["ok"] == int(sys.argv[2]), r["summary"]
PY

# 3. two reports merged
run_polish 0 report merge "$T/out/r.jsonl" "$T/k.jsonl" -o "$T/m.html"
run_polish 0 report merge "$T/out/r.jsonl" "$T/k.jsonl" -o "$T/m.json"
check "merged: every item of both" python3 - "$T/m.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["items"]) == 13 + int(sys.argv[2]), len(r["items"])
assert r["summary"]["ok"] == 12 + int(sys.argv[2]) and r["summary"]["failed"] == 1, r["summary"]
PY
check "merged HTML keeps the first report's thumbnails" test "$(grep -o 'data:image/jpeg' "$T/m.html" | wc -l)" -eq 24
run_polish 2 report "$T/nothere.jsonl" -o "$T/x.html"
printf '{"type":"item"}\n' > "$T/noheader.jsonl"
run_polish 3 report "$T/noheader.jsonl" -o "$T/x.html"
contains "$ERR" "not a polish report"
finish
