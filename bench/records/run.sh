#!/usr/bin/env bash
# polish — records benchmarks: CSV read+write and standardise against Miller, csvkit on 100,000
# rows, phone parsing against libphonenumber; one run, ratios = peer time / polish time.
# Usage: POLISH=build/polish bench/records/run.sh   (data is generated once in bench/out/records)
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
POLISH=${POLISH:-$PWD/build/polish}
ROWS=${ROWS:-1000000}
REPS=${REPS:-2}
OUT=$PWD/bench/out/records
mkdir -p "$OUT"

DATA=$OUT/contacts-$ROWS.csv
PHONES=$OUT/phones-$ROWS.txt
if [ ! -s "$DATA" ] || [ ! -s "$PHONES" ]; then
    echo "generating $ROWS messy contacts (fixed seed) ..."
    python3 bench/records/gen_contacts.py "$ROWS" "$DATA" "$PHONES"
fi
SMALL=$OUT/contacts-100k.csv
head -n 100001 "$DATA" > "$SMALL"

# "seconds peak_kb" of the fastest of REPS runs of a command (stdout to $OUT/.stdout)
timed() {
    local best="" mem=""
    for _ in $(seq "$REPS"); do
        rm -f "$OUT"/o-*
        if ! /usr/bin/time -f "%e %M" -o "$OUT/.time" "$@" >"$OUT/.stdout" 2>"$OUT/.stderr"; then
            echo "FAILED: $*" >&2
            sed 's/^/    /' "$OUT/.stderr" | head -20 >&2
            return 1
        fi
        read -r t m <"$OUT/.time"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a < b)}'; then
            best=$t
            mem=$m
        fi
    done
    echo "$best $mem"
}
line() { printf '  %-44s %7.2f s %7.0f MB\n' "$1" "${2% *}" "$(awk -v k="${2#* }" 'BEGIN{print k/1024}')"; }
ratio() { awk -v p="${1% *}" -v q="${2% *}" 'BEGIN{ if (p <= 0) p = 0.01; printf "%.2f", q / p }'; }

echo "records benchmarks: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "  polish $("$POLISH" --version 2>&1 | head -1); $(mlr --version); csvkit $(csvcut --version 2>&1 | tail -1)"
echo "  input: $(basename "$DATA"), $ROWS rows, $(du -m "$DATA" | cut -f1) MB; best of $REPS runs"

echo "read + write, $ROWS rows:"
p_rw=$(timed "$POLISH" records export "$DATA" -o "$OUT/o-polish.csv" --quiet)
line "polish records export (read, write)" "$p_rw"
m_cat=$(timed sh -c "mlr --icsv --ocsv cat '$DATA' > '$OUT/o-mlr.csv'")
line "mlr --icsv --ocsv cat" "$m_cat"
echo "  ratio mlr/polish: $(ratio "$p_rw" "$m_cat")"

echo "standardise, $ROWS rows:"
p_std=$(timed "$POLISH" records standardise "$DATA" -o "$OUT/o-std.csv" --region US --quiet)
line "polish records standardise --region US" "$p_std"
echo "  ratio (Miller copy)/(polish standardise): $(ratio "$p_std" "$m_cat")"

echo "csvkit, 100,000 rows:"
p_rw_s=$(timed "$POLISH" records export "$SMALL" -o "$OUT/o-polish.csv" --quiet)
line "polish records export" "$p_rw_s"
p_std_s=$(timed "$POLISH" records standardise "$SMALL" -o "$OUT/o-std.csv" --quiet)
line "polish records standardise" "$p_std_s"
k_cut=$(timed sh -c "csvcut -c 1-12 '$SMALL' > '$OUT/o-csvcut.csv'")
line "csvcut -c 1-12 (copy)" "$k_cut"
k_clean=$(timed sh -c "cd '$OUT' && csvclean '$SMALL'")
line "csvclean (validate rows)" "$k_clean"
echo "  ratio csvcut/polish export: $(ratio "$p_rw_s" "$k_cut"); csvclean/polish standardise: $(ratio "$p_std_s" "$k_clean")"
rm -f "$OUT"/contacts-100k_out.csv "$OUT"/contacts-100k_err.csv

echo "phone parsing, one core:"
BIN=$OUT/bin
mkdir -p "$BIN"
if [ ! -x "$BIN/phone_bench" ] || [ "$SRC/src/records/phone.c" -nt "$BIN/phone_bench" ] ||
   [ "$SRC/src/records/phone_data.h" -nt "$BIN/phone_bench" ]; then
    g++ -O2 -c "$SRC/tests/records/lpn_shim.cc" -o "$BIN/lpn_shim.o"
    gcc -O3 -std=c17 -D_DEFAULT_SOURCE -I"$SRC/src" -I"$SRC/include" -I"$SRC/tests/records" \
        "$SRC/bench/records/phone_bench.c" "$SRC/src/records/phone.c" "$BIN/lpn_shim.o" \
        -o "$BIN/phone_bench" -lphonenumber -lstdc++
fi
"$BIN/phone_bench" "$PHONES" 200000 | sed 's/^/  /'
rm -f "$OUT"/o-*

echo
bash "$SRC/bench/records/dedupe.sh"
