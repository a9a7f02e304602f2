#!/usr/bin/env bash
# polish — dedupe benchmark: 1M-row lead list with known duplicates (bench/records/gen_leads.py):
# polish records dedupe (probabilistic, no labels) with its accuracy, against Miller's exact dedupe
# on email (`mlr head -n 1 -g email`), and the same on the namesake-heavy contact list of run.sh.
# Usage: POLISH=build/polish bench/records/dedupe.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/polish}
ROWS=${ROWS:-1000000}
OUT=$PWD/bench/out/records
mkdir -p "$OUT"
LEADS=$OUT/leads-$ROWS.csv
TRUTH=$OUT/leads-$ROWS.truth
if [ ! -s "$LEADS" ] || [ ! -s "$TRUTH" ]; then
    echo "generating $ROWS leads with known duplicates (fixed seed) ..."
    python3 bench/records/gen_leads.py "$ROWS" "$LEADS" "$TRUTH"
fi
t() { /usr/bin/time -f "%e %M" -o "$OUT/.dtime" "$@" >/dev/null 2>"$OUT/.derr" || { cat "$OUT/.derr" >&2; return 1; }; cat "$OUT/.dtime"; }
show() { printf '  %-52s %7.2f s %7.0f MB\n' "$1" "${2% *}" "$(awk -v k="${2#* }" 'BEGIN{print k/1024}')"; }

echo "dedupe, $ROWS leads ($(du -m "$LEADS" | cut -f1) MB), $(nproc) cores:"
p=$(t "$POLISH" records dedupe "$LEADS" -o "$OUT/d-polish.csv" --overwrite --quiet)
show "polish records dedupe (Fellegi-Sunter, EM, no labels)" "$p"
echo "    accuracy against the truth: $(python3 bench/records/f1.py "$OUT/d-polish.csv" "$TRUTH")"
m=$(t sh -c "mlr --icsv --ocsv head -n 1 -g Email '$LEADS' > '$OUT/d-mlr.csv'")
show "mlr head -n 1 -g Email (exact email only)" "$m"
python3 - "$LEADS" "$TRUTH" <<'PY'
import collections, csv, sys
truth = [l.strip() for l in open(sys.argv[2])]
labels = []
for i, row in enumerate(csv.DictReader(open(sys.argv[1], newline=""))):
    e = row["Email"].strip().lower()
    labels.append(e if e else f"#{i}")
def pairs(l): return sum(c * (c - 1) // 2 for c in collections.Counter(l).values())
both, p, t = pairs(list(zip(labels, truth))), pairs(labels), pairs(truth)
pr, rc = both / p, both / t
print(f"    exact-email grouping (what mlr keeps one of): precision {pr:.4f} recall {rc:.4f} F1 {2*pr*rc/(pr+rc):.4f}")
PY
echo "  ratio mlr/polish: $(awk -v a="${p% *}" -v b="${m% *}" 'BEGIN{printf "%.2f", b/a}') (polish does fuzzy matching; mlr exact grouping)"
CONTACTS=$OUT/contacts-$ROWS.csv
if [ -s "$CONTACTS" ]; then
    c=$(t "$POLISH" records dedupe "$CONTACTS" -o "$OUT/d-contacts.csv" --overwrite --quiet)
    show "polish dedupe, contacts list (672 name pairs, 1M rows)" "$c"
fi
rm -f "$OUT"/d-*.csv
