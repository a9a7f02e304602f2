#!/usr/bin/env bash
# polish — hostile and broken CSV input through the command line: a clear error or a quarantined
# row, never a crash, and every row accounted for.
. "$(dirname "$0")/../cli/lib.sh"

count_rows() { python3 -c 'import csv,sys; csv.field_size_limit(1 << 30); print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8"))) - 1)' "$1"; }
no_crash() { [ "$1" -lt 128 ] || fail "polish crashed (exit $1) on $2"; }

# Binary data named .csv: refused with a message naming the file.
head -c 20000 /dev/urandom > "$T/binary.csv"
"$POLISH" records standardise "$T/binary.csv" -o "$T/o1.csv" >"$OUT" 2>"$ERR"; rc=$?
no_crash $rc binary
check "binary refused" test $rc -eq 1
contains "$ERR" "binary.csv"
check "no output for binary" test ! -e "$T/o1.csv"

# An unterminated quote: that row quarantined with its line, the others kept.
printf 'name,email\nann,a@x.com\nbob,"b@x.com\ncid,c@x.com\n' > "$T/quote.csv"
run_polish 0 records standardise "$T/quote.csv" -o "$T/q/quote.csv" --quiet
check "clean rows kept" test "$(count_rows "$T/q/quote.csv")" -eq 2
check "broken row quarantined" test "$(count_rows "$T/q/quote.quarantine.csv")" -eq 1
contains "$T/q/quote.quarantine.csv" "unterminated"

# Invalid UTF-8: read as Windows-1252, written as valid UTF-8, nothing dropped.
printf 'name,city\nJos\xe9,M\xe1laga\nbad \xc3\x28,x\n' > "$T/latin.csv"
run_polish 0 records standardise "$T/latin.csv" -o "$T/latin-out.csv" --quiet
check "output is UTF-8" python3 -c 'open("'"$T/latin-out.csv"'", encoding="utf-8").read()'
contains "$T/latin-out.csv" "José"
check "both rows" test "$(count_rows "$T/latin-out.csv")" -eq 2

# A 10 MB field: over the default cell limit it is quarantined; with a raised limit, kept.
python3 -c 'import sys; sys.stdout.write("id,blob\n1,\"" + "x" * (10 << 20) + "\"\n2,ok\n")' > "$T/big.csv"
run_polish 0 records standardise "$T/big.csv" -o "$T/b1/big.csv" --quiet
check "big field quarantined" test "$(count_rows "$T/b1/big.quarantine.csv")" -eq 1
check "small row kept" test "$(count_rows "$T/b1/big.csv")" -eq 1
run_polish 0 records standardise "$T/big.csv" -o "$T/b2/big.csv" --limit field-bytes=20M --quiet
check "big field kept with a raised limit" test "$(count_rows "$T/b2/big.csv")" -eq 2

# A header and nothing else: a header-only output, not an error.
printf 'first,last,email\n' > "$T/header.csv"
run_polish 0 records standardise "$T/header.csv" -o "$T/header-out.csv" --quiet
check "header kept" grep -q '^first,last,email' "$T/header-out.csv"

# 100,000 columns: over the column limit, a clear error; allowed, it is read.
python3 -c 'import sys; n=100000; sys.stdout.write(",".join("c%d" % i for i in range(n)) + "\n" + ",".join(str(i) for i in range(n)) + "\n")' > "$T/wide.csv"
"$POLISH" records standardise "$T/wide.csv" -o "$T/wide-out.csv" >"$OUT" 2>"$ERR"; rc=$?
no_crash $rc wide
check "wide refused" test $rc -eq 1
contains "$ERR" "columns"
run_polish 0 records standardise "$T/wide.csv" -o "$T/wide-ok.csv" --limit columns=200000 --quiet
check "wide read when allowed" test "$(count_rows "$T/wide-ok.csv")" -eq 1

# An empty file.
: > "$T/empty.csv"
"$POLISH" records standardise "$T/empty.csv" -o "$T/empty-out.csv" >"$OUT" 2>"$ERR"; rc=$?
no_crash $rc empty
check "empty refused" test $rc -eq 1
contains "$ERR" "empty"

# Ragged rows and a quarantine: every input row is in exactly one output.
printf 'a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x\ny",z,w\n10,11,12\n' > "$T/ragged.csv"
run_polish 0 fix "$T/ragged.csv" -o "$T/r/" --report "$T/r.json" --quiet
check "rows accounted for" python3 - "$T/r.json" <<'PY'
import json, sys
item = json.load(open(sys.argv[1]))["items"][0]
rows = item["rows"]
assert rows["input"] == 5, rows
assert rows["clean"] + rows["merged"] + rows["quarantined"] == rows["input"], rows
assert rows["clean"] == 5, rows  # not a contact list: every row in the clean file
PY
check "the long row written back whole" grep -qx '6,7,8,9' "$T/r/ragged.csv"

# UTF-16 with a BOM (Excel "Unicode text").
python3 -c 'import sys; sys.stdout.buffer.write("name\tphone\nZoë\t(202) 555-0243\n".encode("utf-16"))' > "$T/u16.tsv"
run_polish 0 records standardise "$T/u16.tsv" -o "$T/u16-out.tsv" --quiet
contains "$T/u16-out.tsv" "Zoë"
contains "$T/u16-out.tsv" "+12025550243"

# Formula injection in, neutralised out (CSV and XLSX).
printf 'name,note,phone\n=HYPERLINK("http://x"),+SUM(A1),(202) 555-0243\n' > "$T/inj.csv"
run_polish 0 records standardise "$T/inj.csv" -o "$T/inj-out.csv" --quiet
contains "$T/inj-out.csv" "'=HYPERLINK"
contains "$T/inj-out.csv" "'+SUM"
contains "$T/inj-out.csv" ",+12025550243"
finish
