#!/usr/bin/env bash
# polish — no harm to tables that are not contact lists: R's data sets (r-base-core) and the CSV
# files other Debian packages ship (the CRAN mirror list, distro-info, matplotlib's samples).
# After `polish fix` and after `polish records standardise`: no row lost, added or merged, every
# numeric cell byte-identical, no text recased or rewritten, no quarantine or review file.
. "$(dirname "$0")/../cli/lib.sh"
CHECK=$(dirname "$0")/noharm_check.py
PY3=$(command -v /usr/bin/python3 || command -v python3)
D=$T/tables
mkdir -p "$D"
if command -v Rscript >/dev/null; then
    # Data frames and matrices (row names become an unnamed first column, as R writes them) and
    # time series (time, value). Chosen for their traps: state names as row labels, years,
    # three-digit counts, decimals, factor labels such as "25-34" and "0-39g/day".
    Rscript --vanilla - "$D" >/dev/null <<'R' || fail "Rscript could not export R's data sets"
out <- commandArgs(TRUE)[1]
sets <- c("airquality", "mtcars", "USArrests", "iris", "quakes", "state.x77", "ToothGrowth",
          "esoph", "trees", "faithful", "swiss", "LifeCycleSavings", "attitude", "rock",
          "precip", "USJudgeRatings", "longley", "ChickWeight", "CO2", "warpbreaks",
          "InsectSprays", "women", "cars", "pressure", "BOD", "morley", "stackloss", "infert",
          "Puromycin", "sleep", "beaver1", "WorldPhones", "VADeaths", "islands", "rivers",
          "LakeHuron", "Nile", "airmiles", "presidents", "uspop", "Titanic", "HairEyeColor",
          "UCBAdmissions", "OrchardSprays", "PlantGrowth", "chickwts", "anscombe", "freeny")
for (n in sets) {
  d <- get(n)
  if (is.ts(d)) d <- data.frame(time = as.numeric(time(d)), value = as.numeric(d))
  else if (is.table(d)) d <- as.data.frame(d)
  else if (is.null(dim(d))) d <- data.frame(name = if (is.null(names(d))) seq_along(d) else names(d), value = as.numeric(d))
  write.csv(d, file.path(out, paste0(n, ".csv")))
}
# write.table's own form: the header one field short of the rows (row names have no name).
write.table(iris, file.path(out, "iris_table.csv"), sep = ",")
write.table(airquality, file.path(out, "airquality_table.csv"), sep = ",", quote = FALSE, na = "")
s <- data.frame(state.name, state.abb, state.region, state.area, state.center)
write.csv(s, file.path(out, "states.csv"), row.names = FALSE)
R
fi
for f in /usr/share/R/doc/CRAN_mirrors.csv /usr/share/distro-info/debian.csv \
    /usr/share/distro-info/ubuntu.csv /usr/share/matplotlib/mpl-data/sample_data/msft.csv \
    /usr/share/matplotlib/mpl-data/sample_data/Stocks.csv; do
    [ -f "$f" ] && cp "$f" "$D/"
done
n=$(ls "$D" | wc -l)
if [ "$n" -lt 10 ]; then
    echo "SKIP: only $n tables (install r-base-core, distro-info-data: scripts/setup)"
    exit 77
fi

run_polish 0 fix "$D" -o "$T/fix" --quiet
mkdir -p "$T/std"
for f in "$D"/*.csv; do
    b=$(basename "$f")
    check "fix: $b unharmed" "$PY3" "$CHECK" "$f" "$T/fix/$b"
    run_polish 0 records standardise "$f" -o "$T/std/$b" --quiet
    check "standardise: $b unharmed" "$PY3" "$CHECK" "$f" "$T/std/$b"
done
# R writes its own dialect (quoted text columns and row names, bare numbers and NA, an empty
# first header): the files come back byte for byte.
for b in airquality.csv USArrests.csv iris.csv esoph.csv state.x77.csv states.csv CO2.csv \
    iris_table.csv airquality_table.csv debian.csv ubuntu.csv; do
    [ -f "$D/$b" ] || continue
    check "fix: $b byte-identical" cmp "$D/$b" "$T/fix/$b"
    check "standardise: $b byte-identical" cmp "$D/$b" "$T/std/$b"
done
check "no quarantine or review file for a table that is not a contact list" \
    test -z "$(ls "$T/fix" "$T/std" | grep -E 'quarantine|review')"
run_polish 0 inspect "$D/USArrests.csv" --json
check "inspect says nothing will be rewritten or merged, and why" "$PY3" - "$OUT" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["inspect"]
assert m["estimated_duplicates"] == 0 and "no email, phone" in m["not_deduplicated"], m
assert not any(c["rewrite"] for c in m["columns"]), m["columns"]
PY
echo "$n tables"
finish
