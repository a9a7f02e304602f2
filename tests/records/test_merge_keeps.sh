#!/usr/bin/env bash
# polish — merging loses nothing: on a messy contact list with duplicates that carry second
# emails and phones, diacritics and foreign numbers, every distinct input email and phone number
# appears in the outputs of `polish fix` (clean file or quarantine), the review file lists every
# merge side by side, a row with a valid email and an invalid phone is kept (flagged), and a
# name keeps its diacritics when any duplicate has them.
. "$(dirname "$0")/../cli/lib.sh"
python3 - "$T/messy.csv" <<'PY'
import csv, random, sys
rnd = random.Random(9)
first = ["Anna", "Jürgen", "María", "Chloé", "Bob", "Li", "Søren", "Zoë", "Omar", "Priya", "Ken",
         "Élodie", "Tomás", "Grace", "Ivan", "Noor", "Hugo", "Ada", "Raj", "Mia"]
last = ["Müller", "García", "Okafor", "Nguyen", "Smith", "Dubois", "Jensen", "Kowalski", "Rossi",
        "Patel", "Brown", "Lefèvre", "Silva", "Kim", "Ivanova", "Haddad", "Costa", "Novak",
        "Sato", "Walsh"]
def ascii(s):
    import unicodedata
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
streets = ["Main St", "Oak Ave", "Elm Rd", "Lamar Blvd", "Congress Ave", "Pine St", "Cedar Ln",
           "Maple Dr", "Lake Shore Dr", "Hill Rd"]
places = [("Austin", "TX", "512"), ("Boston", "MA", "617"), ("Denver", "CO", "303"),
          ("Seattle", "WA", "206"), ("Chicago", "IL", "312"), ("Atlanta", "GA", "404"),
          ("Houston", "TX", "713"), ("Miami", "FL", "305")]
def phone(area, style):
    ex, line = rnd.randint(201, 989), rnd.randint(0, 9999)
    return [f"({area}) {ex}-{line:04d}", f"{area}.{ex}.{line:04d}", f"+1 {area} {ex} {line:04d}"][style]
rows = []
for i in range(60):
    # Unique names (no namesakes here: this test is about what a merge keeps).
    f, l = first[i % 20], last[(i * 7 + i // 20) % 20]
    city, state, area = places[rnd.randrange(len(places))]
    street = f"{rnd.randint(1, 9999)} {streets[rnd.randrange(len(streets))]}"
    base = f"{ascii(f).lower()}.{ascii(l).lower()}"
    home, mobile = phone(area, i % 3), phone(area, (i + 1) % 3)
    copies = [[f, l, f"{base}@gmail.com", home, street, city, state, "US"]]
    if i % 4 != 3:  # the same person typed again: plain ASCII, upper case, a second phone
        copies.append([ascii(f).upper(), ascii(l), f"{base}@gmail.com", mobile, street, city, state, "US"])
    if i % 3 == 0:  # a work address and a German mobile number
        copies.append([f, l, f"{base}@acme.io", f"+49 151 {rnd.randint(10000000, 99999999)}", street,
                       city, state, "US"])
    if i % 5 == 0:  # a national German number, invalid for the list's region: flagged, kept
        copies.append([f, l, f"{base}@acme.io", "030 1234567", street, city, state, "US"])
    rows += copies
# A contact whose only phone is a national German number: invalid here, but the email reaches her.
rows.append(["Hanna", "Becker", "hanna.becker@web.de", "030 7654321", "", "", "", ""])
# One contact that nothing identifies: quarantined, its values still in the quarantine file.
rows.append(["Nobody", "Known", "", "12", "", "", "", ""])
rnd.shuffle(rows)
with open(sys.argv[1], "w", newline="") as fp:
    w = csv.writer(fp)
    w.writerow(["First Name", "Last Name", "Email", "Phone", "Street", "City", "State", "Country"])
    w.writerows(rows)
PY
run_polish 0 fix "$T/messy.csv" -o "$T/out" --report "$T/r.json" --quiet
check "every distinct email and phone survives fix" python3 - "$T/messy.csv" "$T/out" <<'PY'
import csv, glob, os, re, sys
src = list(csv.DictReader(open(sys.argv[1], newline="")))
def digits(p):
    return re.sub(r"\D", "", p)
outs = []
for name in ("messy.csv", "messy.quarantine.csv"):
    path = os.path.join(sys.argv[2], name)
    if os.path.exists(path):
        outs += list(csv.reader(open(path, newline="", encoding="utf-8-sig")))
cells = [c.lstrip("'") for r in outs for c in r]
text = " | ".join(cells).lower()
alldigits = [digits(c) for c in cells]
missing = []
for r in src:
    e = r["Email"].strip().lower()
    if e and e not in text:
        missing.append(e)
    d = digits(r["Phone"])
    # A number in E.164 keeps its national digits at the end ("(512) 555-1000" -> +15125551000).
    if d and not any(x.endswith(d.lstrip("0")) for x in alldigits if x):
        missing.append(r["Phone"])
assert not missing, f"{len(missing)} values lost: {missing[:10]}"
PY
check "merges happened and the review file lists each one side by side" python3 - "$T/messy.csv" "$T/out" <<'PY'
import csv, os, sys
src = list(csv.DictReader(open(sys.argv[1], newline="")))
clean = list(csv.DictReader(open(os.path.join(sys.argv[2], "messy.csv"), newline="", encoding="utf-8-sig")))
rev = list(csv.DictReader(open(os.path.join(sys.argv[2], "messy.review.csv"), newline="", encoding="utf-8-sig")))
merged = [r for r in rev if r["decision"] == "merged"]
folded = len(src) - len(clean) - 1  # one row is quarantined
assert folded > 20, (len(src), len(clean))
assert len(merged) == folded, (len(merged), folded)
assert all(r["line_a"] and r["line_b"] and r["email_a"] and r["email_b"] for r in merged)
assert any(k.startswith("Phone_") for k in clean[0]), list(clean[0])
PY
check "valid email with an invalid phone: kept and flagged; diacritics kept" python3 - "$T/out" <<'PY'
import csv, os, sys
clean = list(csv.DictReader(open(os.path.join(sys.argv[1], "messy.csv"), newline="", encoding="utf-8-sig")))
q = list(csv.DictReader(open(os.path.join(sys.argv[1], "messy.quarantine.csv"), newline="", encoding="utf-8-sig")))
assert [r["First Name"] for r in q] == ["Nobody"], [(r["First Name"], r["quarantine_reason"]) for r in q]
flagged = [r for r in clean if r.get("invalid_fields")]
assert [(r["Email"], r["invalid_fields"]) for r in flagged] == [("hanna.becker@web.de", "Phone")], flagged
names = {r["Last Name"] for r in clean}
assert "Müller" in names and "Muller" not in names, sorted(names)
assert "Jürgen" in {r["First Name"] for r in clean}
PY
check "report: before -> after examples per column; EM parameters in the JSON only" python3 - "$T/r.json" <<'PY'
import json, sys
item = json.load(open(sys.argv[1]))["items"][0]
steps = {s["op"]: s for s in item["steps"]}
std = steps["records.standardise"]["measured"]
assert " -> +1" in std["changed Phone"], std.get("changed Phone")
dd = steps["records.dedupe"]
assert "em_parameters" in dd and "fields" not in dd["measured"], list(dd["measured"])
assert dd["em_parameters"]["email"]["exact"]["m"] > 0.5
assert "email +" in dd["measured"]["field_weights_same_different"]
PY
run_polish 0 fix "$T/messy.csv" -o "$T/out2" --report "$T/r.html" --quiet
check "HTML report: no EM parameter blob, examples readable" python3 - "$T/r.html" <<'PY'
import sys
h = open(sys.argv[1]).read()
assert "em_parameters" not in h and '"m":' not in h
assert "changed Phone" in h and "-&gt; +1" in h
PY
finish
