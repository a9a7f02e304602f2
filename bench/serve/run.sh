#!/usr/bin/env bash
# polish serve — throughput of the web API against the command line on the same work: N small
# lead lists uploaded, fixed and fetched by N concurrent clients (tests/serve/load_client.py)
# through `polish serve --workers W`, versus `polish fix` of the same N files as one batch.
# usage: POLISH=build/src/cli/polish bench/serve/run.sh [N] [W]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
POLISH=${POLISH:-$root/build/src/cli/polish}
N=${1:-50}
W=${2:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/polish-bench-serve.XXXXXX")
trap 'kill -INT $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

mkdir -p "$work/ws" "$work/files"
(cd "$work/ws" && "$POLISH" init . >/dev/null)
(cd "$work/ws" && exec "$POLISH" serve --port 0 --workers "$W" >"$work/url" 2>/dev/null) &
pid=$!
for _ in $(seq 1 100); do grep -q token= "$work/url" 2>/dev/null && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/url" | head -1)
token=${url##*token=}
base=${url%%/\?token=*}
t0=$(date +%s.%N)
python3 "$root/tests/serve/load_client.py" "$base" "$token" 1 "$N"
t1=$(date +%s.%N)
cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat")
rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
kill -INT "$pid"
wait "$pid" || true

# the same files through the command line, one batch
for n in $(seq 1 "$N"); do
  printf 'name,email,phone\nPerson%d Number%d,  USER%d@Fastmail.COM ,+44 20 7946 %04d\nOther%d Name,other%d@outlook.com,\n' \
    "$n" "$n" "$n" "$n" "$n" "$n" >"$work/files/leads$n.csv"
done
/usr/bin/time -f "%e %U %S %M" -o "$work/cli.time" "$POLISH" fix "$work/files" -o "$work/out" -q -j "$W"
read -r cw cu cs cm <"$work/cli.time"
printf 'serve: %d uploads+fixes+downloads by %d concurrent clients, %d workers: %.2f s wall, %.2f s CPU (server), peak RSS %d kB\n' \
  "$N" "$N" "$W" "$(echo "$t1 - $t0" | bc)" "$cpu" "$rss"
printf 'cli:   polish fix of the same %d files, -j %d: %.2f s wall, %.2f s CPU, peak RSS %d kB\n' \
  "$N" "$W" "$cw" "$(echo "$cu + $cs" | bc)" "$cm"
