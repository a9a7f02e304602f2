#!/usr/bin/env bash
# polish — runs every domain's benchmark against its peers. Usage: POLISH=build/polish bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export POLISH=${POLISH:-$PWD/build/polish}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "polish:  $("$POLISH" --version)"
status=0
for b in bench/*/run.sh; do
    echo
    echo "=== $b"
    bash "$b" || { echo "$b failed" >&2; status=1; }
done
exit $status
