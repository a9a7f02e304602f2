#!/usr/bin/env bash
# polish serve — load: 50 clients at once each upload a small lead list, ask for its fix and wait
# for it; every item must end "done" with an output holding its own rows, standardised (the
# e-mail lower-cased), and the server's memory must stay bounded: its peak RSS may not grow by
# more than a fixed budget over the first round, and a 48 MiB upload must not be held in memory.
POLISH=$1
. "$(dirname "$0")/lib.sh"
WS=$SCRATCH/ws
make_workspace "$WS"
# a small ASan quarantine, so that RSS measures the server's own memory
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=16:malloc_context_size=5"
start_server "$WS" --workers 2 --upload-limit 64M

rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$SERVER_PID/status"; }

here=$(dirname "$0")
# round 1: 10 clients (warms the pools and caches up)
python3 "$here/load_client.py" "$BASE" "$TOKEN" 1 10 || fail "round 1 failed"
base=$(hwm)
# round 2: 50 clients at once
start=$(date +%s)
python3 "$here/load_client.py" "$BASE" "$TOKEN" 11 50 || fail "50 concurrent uploads and fixes: not all correct"
took=$(( $(date +%s) - start ))
peak=$(hwm)
echo "50 concurrent uploads+fixes in ${took}s; peak RSS ${base} kB after 10, ${peak} kB after 60"
[ $((peak - base)) -lt 262144 ] || fail "peak RSS grew by $((peak - base)) kB during the 50 (budget 256 MiB)"
ok "50 concurrent uploads and fixes: all done and correct"

# a 48 MiB upload is streamed to disk: RSS may not grow by the upload's size
head -c $((48 << 20)) /dev/urandom >"$SCRATCH/big.bin"
echo 5 >"/proc/$SERVER_PID/clear_refs" # the peak starts again from the current RSS
before=$(rss)
c=$(code POST /api/items -F "file=@$SCRATCH/big.bin;filename=noise.bin")
after=$(hwm)
echo "48 MiB upload: HTTP $c, RSS ${before} kB before, peak ${after} kB"
[ "$c" = 400 ] || fail "random bytes were accepted as an item ($c)"
[ $((after - before)) -lt 40000 ] || fail "a 48 MiB upload raised the peak RSS by $((after - before)) kB"
[ "$(code GET /api/ops)" = 200 ] || fail "server down after the big upload"
stop_server
ok "memory bounded"
