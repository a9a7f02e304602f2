#!/usr/bin/env bash
# polish — the formula guard protects without damaging (OWASP CSV injection): in CSV and TSV only
# cells a spreadsheet would run get a leading apostrophe; phone numbers in every style, signed
# numbers and dashes are data; XLSX holds text as text cells (never a formula) and numbers and
# dates as typed cells; --guard off|csv|always.
. "$(dirname "$0")/../cli/lib.sh"
# Debian's python3 (python3-openpyxl reads the XLSX), whatever python3 comes first on PATH.
PY3=$(command -v /usr/bin/python3 || command -v python3)
"$PY3" - "$T/in.csv" <<'PY'
import csv, sys
rows = [
    # name, phone, amount, zip, note, date
    ["Ann Lee", "+44 20 7946 0958", "3.9", "02134", "=HYPERLINK(\"http://evil\",\"x\")", "2024-03-04"],
    ["Bo Diaz", "+1-617-555-0199", "-12.5", "78701", "@SUM(A1:A2)", "2024-12-31"],
    ["Cy Ng", "(617) 555-0143", "0", "10001", "+SUM(1,2)", "2023-01-15"],
    ["Di Ko", "+1 (617) 555.0199 x12", "41", "60614", "-2+3", "2022-07-04"],
    ["Ed Wu", "-", "-7", "94103", "--", "2021-02-28"],
    ["Flo Ma", "+49 (0)30 1234567", "1234567.25", "02139", "- dash list", "2020-10-10"],
]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["Name", "Phone", "Amount", "ZIP", "Note", "Signup Date"])
    w.writerows(rows)
PY
FORMULAS='=HYPERLINK("http://evil","x")|@SUM(A1:A2)|+SUM(1,2)|-2+3|- dash list'

for guard in csv off; do
    run_polish 0 records export --guard "$guard" "$T/in.csv" -o "$T/out-$guard.csv" --quiet
    check "CSV --guard $guard" "$PY3" - "$T/in.csv" "$T/out-$guard.csv" "$guard" "$FORMULAS" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1], newline="")))
b = list(csv.reader(open(sys.argv[2], newline="", encoding="utf-8-sig")))
formulas = set(sys.argv[4].split("|"))
assert len(a) == len(b)
for ra, rb in zip(a, b):
    for x, y in zip(ra, rb):
        if sys.argv[3] == "csv" and x in formulas:
            assert y == "'" + x, (x, y)
        else:
            assert y == x, (x, y)
PY
done
run_polish 0 records export "$T/in.csv" -o "$T/out.tsv" --quiet
check "TSV is guarded like CSV" grep -q "	'@SUM(A1:A2)	" "$T/out.tsv"

run_polish 0 records export "$T/in.csv" -o "$T/out.xlsx" --quiet
check "XLSX: text as text (no apostrophe, no formula), numbers and dates typed" \
    "$PY3" - "$T/in.csv" "$T/out.xlsx" <<'PY'
import csv, datetime, sys, openpyxl
a = list(csv.reader(open(sys.argv[1], newline="")))
ws = openpyxl.load_workbook(sys.argv[2]).worksheets[0]
rows = list(ws.iter_rows())
assert len(rows) == len(a)
for ra, rb in zip(a[1:], rows[1:]):
    name, phone, amount, zipc, note, date = rb
    assert note.data_type == "s" and note.value == ra[4], (note.data_type, note.value)
    assert phone.data_type == "s" and phone.value == ra[1], phone.value
    assert zipc.data_type == "s" and zipc.value == ra[3], zipc.value  # "02134" keeps its zero
    assert isinstance(amount.value, (int, float)) and float(ra[2]) == amount.value, amount.value
    assert isinstance(date.value, datetime.datetime), date.value
    assert date.value.strftime("%Y-%m-%d") == ra[5]
PY
run_polish 0 records export --guard always "$T/in.csv" -o "$T/always.xlsx" --quiet
check "XLSX --guard always neutralises formulas only" "$PY3" - "$T/always.xlsx" <<'PY'
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).worksheets[0]
notes = [r[4].value for r in ws.iter_rows(min_row=2)]
phones = [r[1].value for r in ws.iter_rows(min_row=2)]
assert notes[0].startswith("'=") and notes[1] == "'@SUM(A1:A2)" and notes[4] == "--", notes
assert not any(p.startswith("'") for p in phones), phones
PY

# A CRM import file: HubSpot gets phone numbers as written, never '+1-617-...
run_polish 0 records export --preset hubspot "$T/in.csv" -o "$T/hubspot.csv" --quiet
check "hubspot preset writes phones as data" "$PY3" - "$T/hubspot.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
phones = [r["Phone Number"] for r in rows]
assert "+1-617-555-0199" in phones and not any(p.startswith("'") for p in phones), phones
PY
finish
