#!/usr/bin/env python3
"""polish - no-harm check: an output table against its input, cell by cell.

usage: noharm_check.py INPUT.csv OUTPUT.(csv|xlsx)

Fails (exit 1, one line per problem) when a row is lost, added or merged, when a column is lost,
or when a cell that is a number in the input is not byte-identical in the output. Text cells may
be cleaned (white space), never recased or rewritten. Extra columns added by polish are allowed.
"""
import csv, re, sys

NUM = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def read(path):
    if path.endswith(".xlsx"):
        import openpyxl
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        rows = []
        for r in ws.iter_rows(values_only=True):
            rows.append(["" if v is None else v for v in r])
        return rows
    with open(path, newline="", encoding="utf-8-sig") as f:
        sample = f.read(4096)
        f.seek(0)
        delim = ";" if sample.count(";") > sample.count(",") else ("\t" if "\t" in sample else ",")
        # Comment lines before the header (matplotlib's Stocks.csv) are not rows.
        lines = f.read().splitlines(keepends=True)
        while lines and lines[0].startswith("#"):
            lines.pop(0)
        return [r for r in csv.reader(lines, delimiter=delim)]


def num_text(v):
    """A typed XLSX number as the text it was written from (3.9 -> "3.9", 41.0 -> "41")."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)[:-2] if v.is_integer() and abs(v) < 1e15 else repr(v)
    return v


def main():
    a, b = read(sys.argv[1]), read(sys.argv[2])
    problems = []
    if len(a) != len(b):
        problems.append(f"{len(a) - 1} rows in, {len(b) - 1} rows out")
    ha, hb = a[0], [str(x) for x in b[0]]
    idx = {}
    for i, h in enumerate(ha):
        # Columns are matched by name (the first with that name), else by position.
        j = hb.index(h) if h in hb else (i if i < len(hb) else -1)
        if j < 0:
            problems.append(f"column {h!r} lost")
        idx[i] = j
    numbers = 0
    for r, (ra, rb) in enumerate(zip(a[1:], b[1:]), start=2):
        for i, va in enumerate(ra):
            j = idx.get(i, -1)
            if j < 0:
                continue
            vb = rb[j] if j < len(rb) else ""
            if NUM.match(va.strip()):
                numbers += 1
                if num_text(vb) != va and not (isinstance(vb, float) and float(va) == vb):
                    problems.append(f"row {r} column {ha[i]!r}: number {va!r} became {vb!r}")
            elif isinstance(vb, str) and va.strip() and vb.lower() == va.strip().lower() and vb != va.strip():
                problems.append(f"row {r} column {ha[i]!r}: {va!r} recased to {vb!r}")
            elif " ".join(va.split()) != " ".join(str(vb).split()):
                # Not a contact list: text is cleaned (white space) but never rewritten.
                problems.append(f"row {r} column {ha[i]!r}: {va!r} became {vb!r}")
    for p in problems[:20]:
        print(f"{sys.argv[2]}: {p}")
    if not numbers:
        print(f"{sys.argv[1]}: no numeric cell compared")
        return 1
    return 1 if problems else 0


sys.exit(main())
