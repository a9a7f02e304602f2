#!/usr/bin/env bash
# polish — files come back in the dialect they came in: delimiter, quoting, BOM and line ends
# kept unless --delimiter/--bom/--crlf say otherwise; "sep=" lines and comment lines honoured and
# written back; headerless files detected or --no-header; XLSX: --sheet, a warning naming the
# sheets not read, a NaN date cell kept readable, shared strings checked against the limits
# before they are read; `records standardise` alone writes no quarantine file.
. "$(dirname "$0")/../cli/lib.sh"
PY3=$(command -v /usr/bin/python3 || command -v python3)

# Semicolons, a BOM, CR LF, a quoted field with the delimiter, decimal commas.
printf '\xef\xbb\xbfName;Email;Amount\r\nAnn Lee;ann@x.org;3,5\r\n"Bo; Diaz";bo@y.org;4\r\n' >"$T/semi.csv"
run_polish 0 records standardise "$T/semi.csv" -o "$T/semi.out.csv" --quiet
check "semicolons, BOM and CR LF round-trip byte for byte" cmp "$T/semi.csv" "$T/semi.out.csv"
check "standardise alone writes no quarantine file" test ! -e "$T/semi.out.quarantine.csv"
run_polish 0 records standardise --delimiter comma --bom no --crlf no "$T/semi.csv" -o "$T/semi.lf.csv" --quiet
check "--delimiter comma --bom no --crlf no" cmp "$T/semi.lf.csv" <(printf 'Name,Email,Amount\nAnn Lee,ann@x.org,"3,5"\nBo; Diaz,bo@y.org,4\n')

# R's quoting: text columns and row names quoted, numbers and NA bare, an empty header name.
printf '"","name","score"\n"1","Ann",3.5\n"2","Bo",NA\n' >"$T/r.csv"
run_polish 0 fix "$T/r.csv" -o "$T/rfix" --quiet
check "R's quoting and empty header round-trip through fix" cmp "$T/r.csv" "$T/rfix/r.csv"

# R's write.table: the header has no field for the row names, so it is one field short of every
# row. Read as R reads it (an unnamed first column), every row kept, written back as it came.
printf 'a\tb\n1\t5.1\tx\n2\t4.9\ty\n' >"$T/wt.tsv"
run_polish 0 fix "$T/wt.tsv" -o "$T/wtfix" --quiet
check "write.table's short header round-trips through fix" cmp "$T/wt.tsv" "$T/wtfix/wt.tsv"
check "write.table's rows are not quarantined" test ! -e "$T/wtfix/wt.quarantine.tsv"
run_polish 0 records export --format csv "$T/wt.tsv" -o "$T/wt.csv" --quiet
check "the unnamed column is the first column, the rows whole" \
    cmp "$T/wt.csv" <(printf 'a,b\n1,5.1,x\n2,4.9,y\n')

# Python's csv writers: QUOTE_NONNUMERIC (text, "" and "02134" quoted, numbers bare, in one
# column too), QUOTE_ALL and QUOTE_MINIMAL, each with a quote inside a field: byte for byte.
for mode in QUOTE_NONNUMERIC QUOTE_ALL QUOTE_MINIMAL; do
    "$PY3" - "$T/py-$mode.csv" "$mode" <<'PY'
import csv, sys
rows = [["station", "zip", "temp", "note"], ["Ann Lee", "02134", 12.5, "N/A"],
        ["Bob, Jr.", 90210, 3, "ok"], ["Cé", "N/A", -1e-3, ""], ["Dee", None, 7, 'x "y"']]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f, quoting=getattr(csv, sys.argv[2]))
    w.writerows(rows)
PY
    run_polish 0 records standardise "$T/py-$mode.csv" -o "$T/py-$mode.out.csv" --quiet
    check "Python's csv.$mode round-trips byte for byte" cmp "$T/py-$mode.csv" "$T/py-$mode.out.csv"
done

# Excel's "sep=;" first line: the delimiter, not the header.
printf 'sep=;\nName;Email\nAnn Lee;ann@x.org\n' >"$T/sep.csv"
run_polish 0 records standardise "$T/sep.csv" -o "$T/sep.out.csv" --quiet
check "sep= line honoured and kept" cmp "$T/sep.csv" "$T/sep.out.csv"

# A comment first line (matplotlib's Stocks.csv has one): not the header, written back.
{ echo '# Data source: somewhere'; echo 'Date,IBM,AAPL'; echo '1990-01-01,10.97,0.24'; echo '1990-02-01,11.2,0.25'; } >"$T/stocks.csv"
run_polish 0 fix "$T/stocks.csv" -o "$T/sfix" --quiet
check "leading comment line kept aside, no row quarantined" cmp "$T/stocks.csv" "$T/sfix/stocks.csv"
{ echo 'Name,Email'; echo 'Ann,ann@x.org'; echo '#,note between rows'; echo 'Bo,bo@y.org'; } >"$T/mid.csv"
run_polish 0 records standardise --comment '#' "$T/mid.csv" -o "$T/mid.out.csv" --quiet
check "--comment: the comment line is not a row and is kept" "$PY3" - "$T/mid.out.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines[0] == "#,note between rows" and lines[1] == "Name,Email", lines
assert lines[2:] == ["Ann,ann@x.org", "Bo,bo@y.org"], lines
PY

# Headerless: detected from the first line's content, or --no-header.
printf 'ann@x.org,Ann Lee,512-555-0187\nbo@y.org,Bo Diaz,617-555-0100\n' >"$T/nohead.csv"
run_polish 0 records standardise "$T/nohead.csv" -o "$T/nohead.out.csv" --quiet
check "headerless file: first row kept as data, no header written" "$PY3" - "$T/nohead.out.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines()
assert lines == ["ann@x.org,Ann Lee,+15125550187", "bo@y.org,Bo Diaz,+16175550100"], lines
PY
printf 'Ann,Lee\nBo,Diaz\n' >"$T/names.csv"
run_polish 0 records standardise --no-header "$T/names.csv" -o "$T/names.out.csv" --quiet
check "--no-header keeps the first line as a row" cmp "$T/names.csv" "$T/names.out.csv"

# XLSX: two sheets, a NaN in a date cell, --sheet by name and number.
"$PY3" - "$T/book.xlsx" <<'PY'
import datetime, os, shutil, sys, tempfile, zipfile, openpyxl
wb = openpyxl.Workbook()
a = wb.active
a.title = "Leads"
a.append(["Name", "Email", "Signed up"])
a.append(["Ann Lee", "ann@x.org", datetime.date(2024, 3, 4)])
a.append(["Bo Diaz", "bo@y.org", datetime.date(2024, 5, 6)])
b = wb.create_sheet("Notes")
b.append(["Note", "Count"])
b.append(["second sheet", 3.9])
tmp = sys.argv[1] + ".tmp"
wb.save(tmp)
# A date cell whose value is NaN, as some exporters write a missing date.
with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "xl/worksheets/sheet1.xml":
            s = data.decode()
            i = s.index("<c r=\"C3\"")
            j = s.index("<v>", i)
            k = s.index("</v>", j)
            data = (s[:j + 3] + "NaN" + s[k:]).encode()
        zout.writestr(item, data)
os.remove(tmp)
PY
run_polish 0 records export "$T/book.xlsx" -o "$T/book.csv" --report "$T/book.json" --quiet
contains "$T/book.json" 'the workbook has 2 sheets; read \\"Leads\\", not \\"Notes\\"'
check "first sheet read; NaN date kept as it was, not garbage" "$PY3" - "$T/book.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
assert rows[1] == ["Ann Lee", "ann@x.org", "2024-03-04"], rows
assert rows[2][2] in ("NaN", ""), rows
PY
run_polish 0 records export --sheet Notes "$T/book.xlsx" -o "$T/notes.csv" --quiet
check "--sheet by name" grep -q "second sheet,3.9" "$T/notes.csv"
run_polish 0 records export --sheet 2 "$T/book.xlsx" -o "$T/notes2.csv" --quiet
check "--sheet by number" cmp "$T/notes.csv" "$T/notes2.csv"
run_polish 1 records export --sheet Missing "$T/book.xlsx" -o "$T/none.csv" --quiet
contains "$ERR" "no such sheet"
# --sheet all: every sheet is an item of its own, <stem>.<sheet>.<ext>, each with all its rows;
# a sheet named "2" is found by its name first.
"$PY3" - "$T/three.xlsx" <<'PY'
import sys
from openpyxl import Workbook
wb = Workbook()
a = wb.active
a.title = "People"
a.append(["Name", "Email"]); a.append(["Ann Lee", "ann@x.org"]); a.append(["Bo Diaz", "bo@y.org"])
b = wb.create_sheet("Q1 Sales")
b.append(["Region", "Total"]); b.append(["North", 12.5]); b.append(["South", 7])
c = wb.create_sheet("2")
c.append(["k", "v"]); c.append(["a", 1])
wb.save(sys.argv[1])
PY
run_polish 0 records export --format csv --sheet all "$T/three.xlsx" -o "$T/all/" --quiet
check "--sheet all: one file per sheet" test "$(ls "$T/all" | wc -l)" -eq 3
check "--sheet all: People" cmp "$T/all/three.People.csv" <(printf 'Name,Email\nAnn Lee,ann@x.org\nBo Diaz,bo@y.org\n')
check "--sheet all: Q1 Sales" cmp "$T/all/three.Q1 Sales.csv" <(printf 'Region,Total\nNorth,12.5\nSouth,7\n')
check "--sheet all: the sheet named 2" cmp "$T/all/three.2.csv" <(printf 'k,v\na,1\n')
run_polish 0 records export --format csv --sheet 2 "$T/three.xlsx" -o "$T/named2.csv" --quiet
check "--sheet 2 picks the sheet named \"2\" before the second sheet" cmp "$T/named2.csv" "$T/all/three.2.csv"
run_polish 0 records standardise --sheet all "$T/three.xlsx" -o "$T/allx/" --quiet
check "--sheet all through an op: XLSX in, one XLSX per sheet" \
    test -s "$T/allx/three.People.xlsx" -a -s "$T/allx/three.Q1 Sales.xlsx" -a -s "$T/allx/three.2.xlsx"
run_polish 0 records export --format csv --sheet all "$T/book.xlsx" -o "$T/one.csv" --quiet
check "--sheet all with -o FILE: the parts are FILE's sidecars" test -s "$T/one.Leads.csv" -a -s "$T/one.Notes.csv"

# `polish fix` takes the delivery's reading and writing options too: every sheet of a workbook,
# --no-header, --guard.
run_polish 0 fix --sheet all "$T/book.xlsx" -o "$T/fixall/" --quiet
check "fix --sheet all: every sheet written" test -s "$T/fixall/book.Leads.xlsx" -a -s "$T/fixall/book.Notes.xlsx"
printf 'ann@x.org,Ann Lee\nbo@y.org,Bo Diaz\n' >"$T/nohead.csv"
run_polish 0 fix --no-header "$T/nohead.csv" -o "$T/fixnh/" --quiet
check "fix --no-header: no header line added or lost" test "$(head -1 "$T/fixnh/nohead.csv" | cut -d, -f1)" = ann@x.org
printf 'Name,Email,Note\nAnn Lee,ann@x.org,=1+2\n' >"$T/g.csv"
run_polish 0 fix --guard off "$T/g.csv" -o "$T/fixg/" --quiet
check "fix --guard off: the formula written as it was" grep -q '^Ann Lee,ann@x.org,=1+2' "$T/fixg/g.csv"
run_polish 0 fix "$T/g.csv" -o "$T/fixg2/" --quiet
check "fix guards by default" grep -q "^Ann Lee,ann@x.org,'=1+2" "$T/fixg2/g.csv"

# Shared strings that inflate past the limit are refused before they are read.
"$PY3" - "$T/bomb.xlsx" <<'PY'
import sys, zipfile
sst = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">' + \
      "<si><t>" + "A" * 4_000_000 + "</t></si></sst>"
sheet = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>'
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
    z.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>')
    z.writestr("xl/sharedStrings.xml", sst)
    z.writestr("xl/worksheets/sheet1.xml", sheet)
PY
run_polish 1 records export "$T/bomb.xlsx" -o "$T/bomb.csv" --limit bytes=4000000 --quiet
contains "$ERR" "sharedStrings.xml inflates"
check "nothing written for the refused workbook" test ! -e "$T/bomb.csv"
finish
