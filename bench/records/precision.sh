#!/usr/bin/env bash
# polish — dedupe precision as lists grow: the hard lead list of gen_hard_leads.py (namesakes,
# households, Sr./Jr. pairs, with known truth) at 3,000 rows and at ROWS (default 1,000,000).
# Usage: POLISH=build/src/cli/polish bench/records/precision.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
OUT=$PWD/bench/out/records
mkdir -p "$OUT"
for rows in 3000 "${ROWS:-1000000}"; do
    L=$OUT/hard-$rows.csv
    [ -s "$L" ] || python3 bench/records/gen_hard_leads.py "$rows" "$L" "$OUT/hard-$rows.truth"
    /usr/bin/time -f "%e s %M KB" -o "$OUT/.ptime" "$POLISH" records dedupe "$L" -o "$OUT/hard-$rows.d.csv" --overwrite --quiet
    echo "hard leads, $rows rows: $(python3 bench/records/f1.py "$OUT/hard-$rows.d.csv" "$OUT/hard-$rows.truth"), $(cat "$OUT/.ptime")"
done
