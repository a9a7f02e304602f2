#!/usr/bin/env bash
# polish — the MPI build (docs/SCALE.md, "MPI"): a gridded ensemble calibrated with one EMOS model
# for the whole grid (calibrate-grid scope global), as one process and as a plan of N tiles run by
# mpirun -np N (the ranks exchange each band's sums at every step of the fit). Prints CPU seconds
# and peak memory of each rank against one process, and checks the files are identical.
# Usage: POLISH=build-rel/src/cli/polish bench/scale/mpi.sh [NLAT NLON DAYS MEMBERS [RANKS]]
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=$(readlink -f "${POLISH:-$PWD/build-rel/src/cli/polish}")
GEN=$(dirname "$(dirname "$POLISH")")/../tests/forecast/fc_gridgen
NLAT=${1:-200} NLON=${2:-300} DAYS=${3:-40} MEMBERS=${4:-20} RANKS=${5:-4}
W=$PWD/bench/out/scale-mpi
rm -rf "$W"
mkdir -p "$W"
"$GEN" make "$W" "$NLAT" "$NLON" "$DAYS" "$MEMBERS"
printf 'domain: forecast\nsteps:\n  - calibrate-grid: {train: %s, scope: global}\n' "$W/train.nc" > "$W/g.yml"
ROOT=
[ "$(id -u)" -eq 0 ] && ROOT=--allow-run-as-root
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "grid $NLAT x $NLON, $DAYS training days, $MEMBERS members: $(du -m "$W/train.nc" | cut -f1) MB of training file"
T="%U %S %M"
/usr/bin/time -f "$T" -o "$W/one.time" "$POLISH" run "$W/g.yml" "$W/fc.nc" -o "$W/one" -j 1 --quiet
read -r u s m < "$W/one.time"
printf 'one process (-j 1):         %6.2f s CPU  %7d KB peak\n' "$(echo "$u + $s" | bc)" "$m"
"$POLISH" plan "$W/g.yml" "$W/fc.nc" -o "$W/mpi" --shards "$RANKS" --quiet
# each rank under /usr/bin/time (its own file, by rank); ranks waiting for others yield the core
printf '#!/bin/sh\nexec /usr/bin/time -f "%s" -o "%s/s$1.r$OMPI_COMM_WORLD_RANK.time" "%s" run --plan "%s/mpi/plan.json" --mpi --stage "$1" -j 1 --quiet\n' \
    "$T" "$W" "$POLISH" "$W" > "$W/rank.sh"
for S in 1 2; do
    OMPI_MCA_mpi_yield_when_idle=1 mpirun $ROOT --oversubscribe -x OMPI_MCA_mpi_yield_when_idle \
        -np "$RANKS" sh "$W/rank.sh" "$S"
done
"$POLISH" merge "$W/mpi/plan.json" --quiet
total=0
for S in 1 2; do
    for r in $(seq 0 $((RANKS - 1))); do
        read -r u s m < "$W/s$S.r$r.time"
        c=$(echo "$u + $s" | bc)
        total=$(echo "$total + $c" | bc)
        printf 'stage %d (%s) rank %d:     %6.2f s CPU  %7d KB peak\n' "$S" "$([ "$S" = 1 ] && echo tiles || echo join)" "$r" "$c" "$m"
    done
done
echo "all ranks, both stages: $total s CPU"
cmp "$W/one/fc.nc" "$W/mpi/fc.nc" && echo "the files are identical (cmp)"
