#!/usr/bin/env bash
# polish — Ctrl-C (SIGINT) and SIGTERM stop a batch cleanly: exit 128+signal, no temporary file
# left, the report lists the items that finished and each of them has its output.
. "$(dirname "$0")/lib.sh"

# A folder of photos large enough that the batch takes a few seconds under the sanitizers.
mkdir -p "$T/big"
python3 - "$T/big" <<'PY'
import sys, struct, zlib
# an 800x600 gradient PNG with noise-free texture, then 40 copies
w, h = 800, 600
rows = []
for y in range(h):
    row = bytearray([0])
    for x in range(w):
        row += bytes(((x * 255) // w, (y * 255) // h, ((x ^ y) & 255)))
    rows.append(bytes(row))
raw = b"".join(rows)
def chunk(t, d):
    c = struct.pack(">I", len(d)) + t + d
    return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")
for i in range(40):
    open(f"{sys.argv[1]}/p{i:02d}.png", "wb").write(png)
PY

stop_batch() { # stop_batch SIGNAL EXPECTED_EXIT OUTDIR
    local sig=$1 want=$2 out=$3
    "$POLISH" fix "$T/big" -o "$out" --report "$T/$sig.json" -j 1 >"$OUT" 2>"$ERR" &
    local pid=$!
    # wait for the first finished output, then signal
    for _ in $(seq 1 600); do
        [ -n "$(ls "$out" 2>/dev/null | grep -v '\.part$' | head -1)" ] && break
        kill -0 "$pid" 2>/dev/null || break # it ended on its own: the checks below say so
        sleep 0.1
    done
    kill "-$sig" "$pid"
    wait "$pid"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "SIG$sig: polish exited $got, expected $want"
        sed 's/^/    stderr: /' "$ERR" | head -20 >&2
    else
        pass
    fi
    if ls -a "$out" | grep -q '\.part$'; then fail "SIG$sig left a temporary file"; else pass; fi
    check "SIG$sig: the report lists exactly the finished items" python3 - "$T/$sig.json" "$out" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
items = r["items"]
assert r["summary"].get("cancelled") is True, r["summary"]
assert 0 < len(items) < 40, len(items)
ok = [i for i in items if i["status"] == "ok"]
assert ok, [i["status"] for i in items]
written = sorted(f for f in os.listdir(sys.argv[2]))
for i in ok:
    assert os.path.basename(i["input"]) in written, (i["input"], written)
assert len(written) == len(ok), (len(written), len(ok))
assert r["summary"]["not_finished"] == 40 - len(ok) - r["summary"]["failed"], r["summary"]
PY
}

stop_batch INT 130 "$T/out-int"
stop_batch TERM 143 "$T/out-term"

# the inputs are untouched
check "inputs untouched" test "$(ls "$T/big" | wc -l)" -eq 40
finish
