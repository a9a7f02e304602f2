#!/usr/bin/env bash
# polish — `polish fix table.csv -o out/` keeps every row of any CSV as it was: a row short of the
# header goes back short; a table that is not a contact
# list keeps a row with more fields than its header whole (written back as it was, nothing
# quarantined); a contact list accounts for such a row in its quarantine, every field kept.
# Also: an XLSX output keeps the input's sheet name; --date-order that a column contradicts is
# said in the report; a state column's codes are a reported standardisation, nothing else is recased.
. "$(dirname "$0")/../cli/lib.sh"
PY3=$(command -v /usr/bin/python3 || command -v python3)

# Measurements with an unquoted comma in a text field: rows longer than the header.
printf 'station,temp,note\nParis,12.5,ok\nLyon, France,9,rain\nNice,14,\nBrest,7,wind,gusts,"a, b"\nMetz,5\nToul,3,x\n' \
    >"$T/table.csv"
run_polish 0 fix "$T/table.csv" -o "$T/out/" --report "$T/t.json" --quiet
check "not a contact list: every row written back as it was" cmp "$T/table.csv" "$T/out/table.csv"
check "not a contact list: nothing quarantined" test ! -e "$T/out/table.quarantine.csv"
contains "$T/t.json" "2 rows have more fields than the header (kept whole"
run_polish 0 records standardise "$T/table.csv" -o "$T/std.csv" --quiet
check "standardise: every row written back as it was" cmp "$T/table.csv" "$T/std.csv"
run_polish 0 records export "$T/table.csv" -o "$T/table.xlsx" --quiet
check "XLSX: the long rows' extra fields in columns after the last" "$PY3" - "$T/table.xlsx" <<'PY'
import sys, openpyxl
rows = [list(r) for r in openpyxl.load_workbook(sys.argv[1]).worksheets[0].iter_rows(values_only=True)]
assert len(rows) == 7, rows
assert rows[2][:4] == ["Lyon", " France", 9, "rain"], rows[2]
assert rows[4][:5] == ["Brest", 7, "wind", "gusts", "a, b"], rows[4]
PY

# A contact list with a long row (an unquoted "Lee, Bo"): its fields may have shifted, so it goes to
# the quarantine with every field; the other rows are clean.
printf 'name,email,phone\nAnn Lee,ann@x.org,(202) 555-0143\nLee, Bo,bo@y.org,(202) 555-0188\nCy Ray,cy@z.org,(202) 555-0177\n' \
    >"$T/contacts.csv"
run_polish 0 fix "$T/contacts.csv" -o "$T/c/" --report "$T/c.json" --quiet
check "contact list: the long row quarantined with all its fields" "$PY3" - "$T/c" "$T/c.json" <<'PY'
import csv, json, os, sys
q = list(csv.reader(open(os.path.join(sys.argv[1], "contacts.quarantine.csv"), newline="")))
clean = list(csv.reader(open(os.path.join(sys.argv[1], "contacts.csv"), newline="")))
assert len(q) == 2, q
assert q[1][:4] == ["Lee", " Bo", "bo@y.org", "(202) 555-0188"], q[1]
assert "4 fields where the header has 3" in q[1], q[1]
assert not any("extra_field" in h for h in clean[0]), clean[0]
assert [r[1] for r in clean[1:]] == ["ann@x.org", "cy@z.org"], clean
rows = json.load(open(sys.argv[2]))["items"][0]["rows"]
assert rows["clean"] + rows["merged"] + rows["quarantined"] == rows["input"] == 3, rows
PY

# XLSX in, XLSX out: the sheet keeps its name (one sheet, and each of --sheet all).
"$PY3" - "$T/book.xlsx" <<'PY'
import sys, openpyxl
wb = openpyxl.Workbook()
a = wb.active
a.title = "Leads 2024"
a.append(["Name", "Email", "Score"]); a.append(["Ann Lee", "ann@x.org", 3.5])
b = wb.create_sheet("Q1 Sales")
b.append(["Region", "Total"]); b.append(["North", 12.5])
wb.save(sys.argv[1])
PY
run_polish 0 records export "$T/book.xlsx" -o "$T/book.out.xlsx" --quiet
run_polish 0 fix --sheet all "$T/book.xlsx" -o "$T/fx/" --quiet
run_polish 0 records export "$T/table.csv" -o "$T/fromcsv.xlsx" --quiet
check "XLSX output keeps the input's sheet names" "$PY3" - "$T" <<'PY'
import sys, openpyxl
d = sys.argv[1]
names = lambda p: openpyxl.load_workbook(d + "/" + p).sheetnames
assert names("book.out.xlsx") == ["Leads 2024"], names("book.out.xlsx")
assert names("fx/book.Leads 2024.xlsx") == ["Leads 2024"], names("fx/book.Leads 2024.xlsx")
assert names("fx/book.Q1 Sales.xlsx") == ["Q1 Sales"], names("fx/book.Q1 Sales.xlsx")
assert names("fromcsv.xlsx") == ["Sheet1"], names("fromcsv.xlsx")
PY

# --date-order mdy on a column that has 13.03.2024: that date has one reading (day first), taken,
# and the report says the column contradicts the order given.
printf 'Email,Signed\na@b.org,13.03.2024\nc@d.org,04.05.2024\n' >"$T/dates.csv"
run_polish 0 records standardise --date-order mdy "$T/dates.csv" -o "$T/dates.out.csv" \
    --report "$T/d.json" --quiet
check "mdy: the only reading of 13.03.2024, the order given for the rest" \
    cmp "$T/dates.out.csv" <(printf 'Email,Signed\na@b.org,2024-03-13\nc@d.org,2024-04-05\n')
contains "$T/d.json" "column Signed contradicts --date-order mdy: 1 date can only be read day first"
run_polish 0 records standardise --date-order dmy "$T/dates.csv" -o "$T/dates2.csv" \
    --report "$T/d2.json" --quiet
check "dmy agrees with the column: no contradiction reported" test -z "$(grep -i contradicts "$T/d2.json")"

# A state column (header and values agree) gets its codes, and the change is reported with
# examples; the city and the note keep their case.
printf 'Name,Email,City,State,Note\nAnn Lee,ann@x.org,new york,ny,USA (IA)\nBo Diaz,bo@y.org,Boston,Massachusetts,mirror (ia)\n' \
    >"$T/st.csv"
run_polish 0 records standardise "$T/st.csv" -o "$T/st.out.csv" --report "$T/st.json" --quiet
check "state codes written, nothing else recased" "$PY3" - "$T/st.out.csv" "$T/st.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["State"] for r in rows] == ["NY", "MA"], rows
assert [r["City"] for r in rows] == ["new york", "Boston"], rows
assert [r["Note"] for r in rows] == ["USA (IA)", "mirror (ia)"], rows
m = json.load(open(sys.argv[2]))["items"][0]
text = json.dumps(m)
assert "ny -> NY" in text and "Massachusetts -> MA" in text, text
PY
finish
