#!/usr/bin/env bash
# polish — the records commands that must work exactly as written, on the sample lead list and on
# FEBRL data when ../shared is present.
. "$(dirname "$0")/lib.sh"
LEADS=$POLISH_SRC/samples/leads.csv
cp "$LEADS" "$T/leads.csv"
rows() { python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig"))) - 1)' "$1"; }

# dedupe: every input row, in input order, with all its columns, plus cluster_id and match_score.
run_polish 0 records dedupe "$T/leads.csv" -o "$T/dedupe.csv" --quiet
check "dedupe keeps rows, order and columns, adds two" python3 - "$T/leads.csv" "$T/dedupe.csv" <<'PY'
import csv, sys
a = list(csv.DictReader(open(sys.argv[1], newline="")))
b = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8-sig")))
assert len(a) == len(b), (len(a), len(b))
for x, y in zip(a, b):
    for k, v in x.items():
        assert y[k].lstrip("'") == v, (k, v, y[k])
    assert y["cluster_id"] != "" and y["match_score"] != ""
ids = {}
for y in b:
    ids.setdefault(y["cluster_id"], []).append(y["Email"])
# The sample has obvious duplicates (Bob/Robert Johnson, Maria Garcia twice); some must cluster.
assert len(ids) < len(b), "no duplicates found"
PY

# standardise: same rows and columns; phones E.164, emails lower-case, states two-letter codes.
run_polish 0 records standardise "$T/leads.csv" -o "$T/std.csv" --region US --quiet
check "standardise" python3 - "$T/leads.csv" "$T/std.csv" <<'PY'
import csv, re, sys
a = list(csv.DictReader(open(sys.argv[1], newline="")))
b = list(csv.DictReader(open(sys.argv[2], newline="", encoding="utf-8-sig")))
assert len(a) == len(b) and list(a[0].keys()) == list(b[0].keys())
assert b[1]["Phone"].lstrip("'").startswith("+15125550187"), b[1]["Phone"]
assert b[1]["Email"] == b[1]["Email"].lower()
assert b[2]["State"] == "TX", b[2]["State"]
assert all(len(r["State"]) == 2 for r in b if r["State"]), [r["State"] for r in b]
PY

# fix: clean, quarantine and review files; every input row ends in exactly one place.
run_polish 0 fix "$T/leads.csv" -o "$T/out/" --report "$T/report.json" --quiet
for f in leads.csv leads.quarantine.csv leads.review.csv; do
    check "fix wrote $f" test -f "$T/out/$f"
done
check "quarantine has the junk rows with reasons" python3 - "$T/out/leads.quarantine.csv" <<'PY'
import csv, sys
q = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
emails = " ".join(r.get("Email", "") for r in q)
assert "test@test.com" in emails and "asdf" in emails, emails
reason = [k for k in q[0] if "reason" in k.lower()][0]
assert all(r[reason] for r in q)
PY

# --role on an op that finds the roles itself (not only records.roles and fix).
printf 'Name,Email,Phone\nBo Diaz,bo@b.com,(617) 555-0102\n' >"$T/role.csv"
run_polish 0 records standardise "$T/role.csv" -o "$T/role-auto.csv" --quiet
check "standardise rewrites the phone column it finds" grep -q '+16175550102' "$T/role-auto.csv"
run_polish 0 records standardise --role "Phone=text" "$T/role.csv" -o "$T/role-text.csv" --quiet
check "standardise --role Phone=text leaves it as written" grep -q '(617) 555-0102' "$T/role-text.csv"

# inspect: the columns a person can read, one line each (not a JSON blob).
run_polish 0 inspect "$T/leads.csv"
check "inspect lists each column on its own line" grep -Eq '^ +column [^,]+, role email, ' "$OUT"
check "inspect prints no raw JSON" sh -c "! grep -q '\[{' '$OUT'"

# inspect --json: stdout is JSON with roles and fill rates.
run_polish 0 inspect "$T/leads.csv" --json
check "inspect json" python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))
assert r["items"][0]["domain"]=="records"
assert r["items"][0]["inspect"], "no measurements"' "$OUT"

# against: new leads matched to a master list without re-deduplicating it.
head -n 12 "$LEADS" > "$T/master.csv"
{ head -n 1 "$LEADS"; sed -n '13,26p' "$LEADS"; echo 'Bob,Johnson,bob.johnson@gmail.com,512-555-0187,1200 Main St,Austin,TX,78701,,web form,2026-04-01'; } > "$T/new.csv"
run_polish 0 records against --master "$T/master.csv" "$T/new.csv" -o "$T/against.csv" --quiet
check "against marks the known lead and the new ones" python3 - "$T/against.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
bob = [r for r in rows if r["Email"] == "bob.johnson@gmail.com"][0]
assert bob["match_status"] == "matched" and bob["master_line"] == "2", bob
assert sum(r["match_status"] == "new" for r in rows) >= 10, [r["match_status"] for r in rows]
PY
run_polish 2 records against "$T/new.csv" -o "$T/a2.csv" --master
# a missing --master is a usage error before anything runs: nothing written
run_polish 2 records against "$T/new.csv" -o "$T/a2.csv"
contains "$ERR" "--master"
[ ! -e "$T/a2.csv" ] || fail "records against without --master wrote an output"
run_polish 1 records against --master "$T/missing.csv" "$T/new.csv" -o "$T/a3.csv" --quiet
contains "$ERR" "--master"
contains "$ERR" "missing.csv"
# the master is loaded once for a batch of lists; each list gets its matches
cp "$T/new.csv" "$T/new2.csv"
mkdir -p "$T/ag"
run_polish 0 records against --master "$T/master.csv" "$T/new.csv" "$T/new2.csv" -o "$T/ag/" --quiet
[ -s "$T/ag/new.csv" ] && [ -s "$T/ag/new2.csv" ] || fail "against over two lists"
# in a recipe, inputs name the role
cat > "$T/against.yml" <<YML
domain: records
steps:
  - against: {inputs: {master: $T/master.csv}}
YML
run_polish 0 run "$T/against.yml" "$T/new.csv" -o "$T/ag-recipe.csv" --quiet
grep -q matched "$T/ag-recipe.csv" || fail "recipe against found no match"
printf 'domain: records\nsteps:\n  - against\n' > "$T/against-bad.yml"
run_polish 2 run "$T/against-bad.yml" "$T/new.csv" -o "$T/ag-bad.csv" --quiet
contains "$ERR" "master"

# dedupe --explain: one explanation file for the batch, in the output folder, naming each input
cp "$LEADS" "$T/la.csv"
cp "$LEADS" "$T/lb.csv"
run_polish 0 records dedupe --explain ex.csv "$T/la.csv" "$T/lb.csv" -o "$T/dx/" --quiet
check "one explanation for the batch" python3 - "$T/dx/ex.csv" "$T/la.csv" "$T/lb.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
inputs = {r["input"] for r in rows}
assert inputs == {sys.argv[2], sys.argv[3]}, inputs
assert all(r["decision"] for r in rows)
PY
ls "$T/dx" | grep -q '\.part' && fail "a temporary file was left"
# an explanation may not be written outside the output folder
run_polish 2 records dedupe --explain /tmp/polish-ex-outside.csv "$T/la.csv" -o "$T/dx2/" --quiet
[ ! -e /tmp/polish-ex-outside.csv ] || fail "explain wrote outside the output folder"

# merge: survivorship by recency keeps the newest value, traceable to its line.
printf 'name,email,phone,updated\nAnn Lee,ann@x.org,512-201-3344,2026-01-01\nAnn Lee,ann@x.org,512-201-9999,2026-05-01\nBo Diaz,bo@y.org,,2026-02-02\n' > "$T/m.csv"
run_polish 0 records merge --rule most-recent --date-column updated "$T/m.csv" -o "$T/merged.csv" --quiet
check "merge most-recent" python3 - "$T/merged.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
assert len(rows) == 2, rows
ann = rows[0]
assert ann["phone"].endswith("9999") and ann["source_rows"] == "3;2", ann
assert "phone=3" in ann["provenance"], ann
PY

# Bad input in a batch with a good list: a clear error, the good one finishes.
printf '\x00\x01\x02\x03binary\x00' > "$T/binary.csv"
printf 'name,email\n' > "$T/header-only.csv"
run_polish 1 fix "$T/leads.csv" "$T/binary.csv" -o "$T/bad/" --quiet
contains "$ERR" "binary.csv"
check "good list finished" test -f "$T/bad/leads.csv"
# a text file that is not a table (a recipe whose first line has a comma) is not taken for one:
# in a folder it is skipped with a note, never rewritten as CSV
mkdir -p "$T/notab"
printf '# Deliver to the web, and to each social format.\ndomain: image\nsteps:\n  - sharpen: {amount: 0.3}\n' > "$T/notab/social.yml"
cp "$LEADS" "$T/notab/leads.csv"
run_polish 0 fix "$T/notab" -o "$T/notab-out" --quiet
check "the recipe was not rewritten as a table" test ! -e "$T/notab-out/social.yml"
check "the table beside it was done" test -s "$T/notab-out/leads.csv"

# fix takes the options of its automatic steps: --region reaches standardise and validate, so
# German numbers are read as German; --OP.NAME names one op; an option no step takes is exit 2.
printf 'name,email,phone\nAnna Muller,anna@example.de,030 1234567\nBen Kraus,ben@example.de,089 7654321\n' > "$T/de.csv"
run_polish 0 fix "$T/de.csv" --region DE -o "$T/fixde/" --quiet
contains "$T/fixde/de.csv" "+49301234567"
check "fix --region DE quarantines nothing" sh -c "! grep -q invalid_fields '$T/fixde/de.csv'"
run_polish 0 fix "$T/de.csv" --standardise.region DE --validate.region=DE -o "$T/fixde2/" --quiet
contains "$T/fixde2/de.csv" "+49897654321"
run_polish 0 fix "$T/de.csv" -o "$T/fixus/" --quiet
check "without --region the numbers stay as written" sh -c "! grep -q '+4930' '$T/fixus/de.csv'"
run_polish 2 fix "$T/de.csv" --bogus 1 -o "$T/fixbad/"
run_polish 2 fix "$T/de.csv" --region -o "$T/fixbad/"
run_polish 2 fix "$T/de.csv" --smooth.region DE -o "$T/fixbad/"
check "a refused option writes nothing" test ! -e "$T/fixbad"

finish
