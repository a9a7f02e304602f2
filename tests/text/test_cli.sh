#!/usr/bin/env bash
# polish — the text domain's commands exactly as written in the issue, and bad input through them:
# clear errors, nothing lost, inputs untouched.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(cd "$(dirname "$POLISH")" && pwd)/$(basename "$POLISH") # the test works inside $T
cd "$T" || exit 1
# the system's python3 when there is one: a version manager's shim (pyenv) on PATH costs about
# 0.6 s of CPU per call, and this test calls python3 some thirty times
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi

mkdir docs
cat > docs/bakery.md <<'MD'
# Green Street Bakery

## Opening hours

We are open Monday to Friday from 7am to 6pm.
On Saturday we are open from 8am to 2pm, and we are closed on Sunday.

## Prices

- Sourdough loaf: $6.50
- Croissant: $3.25

## Contact

Call us on (555) 014-2290. Our head baker is Maria Lopez. We do not offer delivery.
MD
printf 'question,answer\n"Do you bake gluten-free bread?","Yes, a gluten-free loaf on Tuesdays for $8."\n' > docs/faq.csv
printf '<html><body><h2>Cakes</h2><p>Cake orders need 3 days notice.</p></body></html>\n' > docs/cakes.html
sum_before=$(cat docs/* | md5sum)

# kb add: every document in, one knowledge base out
run_polish 0 text kb add docs/ --kb kb.db
check "kb.db made" test -s kb.db
check "kb has the three documents' passages" python3 -c '
import sqlite3, sys
db = sqlite3.connect("kb.db")
srcs = {r[0] for r in db.execute("select source from chunks")}
sys.exit(0 if len(srcs) == 3 else 1)'
kb_sum=$(md5sum < kb.db)
kb_inode=$(stat -c %i kb.db)
run_polish 0 text kb add docs/ --kb kb.db
check "re-adding unchanged documents leaves the kb as it was" test "$(md5sum < kb.db)" = "$kb_sum"
sed -i 's/\$3.25/$3.50/' docs/bakery.md
run_polish 0 text kb add docs/bakery.md --kb kb.db
check "a changed document's passages are replaced" python3 -c '
import sqlite3, sys
db = sqlite3.connect("kb.db")
t = " ".join(r[0] for r in db.execute("select text from chunks where source = ?", ("docs/bakery.md",)))
n = db.execute("select count(*) from chunks").fetchone()[0]
sys.exit(0 if "$3.50" in t and "$3.25" not in t and n < 8 else 1)'
check "a document is added in place, not by copying the kb" test "$(stat -c %i kb.db)" = "$kb_inode"
sed -i 's/\$3.50/$3.25/' docs/bakery.md
run_polish 0 text kb add docs/bakery.md --kb kb.db
check "documents untouched" test "$(cat docs/* | md5sum)" = "$sum_before"
check "no temporaries left" test -z "$(ls -A | grep part)"

# check --json: only JSON on stdout, each claim with its fields
printf 'Hi there! We are open Monday to Friday from 7am to 5pm. A croissant costs $3.25. We offer free delivery on all orders.\n' > answer.txt
run_polish 0 text check answer.txt --kb kb.db --json
check "stdout is one JSON document with claims" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["claims"]
keys = {"text", "verdict", "evidence", "source", "confidence"}
assert all(keys <= set(x) for x in c), c
v = [x["verdict"] for x in c]
assert v == ["contradicted", "supported", "contradicted"], v  # the kb says: no delivery
assert c[0]["source"] == "docs/bakery.md"
' "$OUT"

# the HTML report shows each claim coloured by its verdict with the evidence beside it
run_polish 0 text check answer.txt --kb kb.db -o check.json --report check.html
check "HTML report: claims by verdict with their evidence" python3 -c '
import base64, re
h = open("check.html").read()
m = re.search(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", h)
s = base64.b64decode(m.group(1)).decode()
t = " ".join(re.sub(r"<[^>]+>", " ", s).split())
assert "contradicted We are open Monday to Friday from 7am to 5pm. We are open Monday to Friday from 7am to 6pm. docs/bakery.md" in t, t
assert "supported A croissant costs $3.25." in t, t
assert "#c62828" in s and "#2e7d32" in s, s'

# fix: the wrong hour replaced, nothing else changed; a correct answer byte for byte the same
run_polish 0 text fix answer.txt --kb kb.db -o fixed.txt
check "the closing hour fixed" grep -q "from 7am to 6pm. A croissant costs \$3.25. We offer free delivery" fixed.txt
printf 'Hello! A sourdough loaf costs $6.50 and Maria Lopez is our head baker.  See you soon!\n' > good.txt
run_polish 0 text fix good.txt --kb kb.db -o good-fixed.txt
check "a correct answer is unchanged" cmp -s good.txt good-fixed.txt

# redact
printf 'Call Dana on (415) 555-2671 or dana@example.com; card 4111 1111 1111 1111. Order #4111111111111111.\n' > in.txt
run_polish 0 text redact in.txt -o out.txt
check "PII gone" python3 -c '
import sys
t = open("out.txt").read()
assert "555-2671" not in t and "dana@example.com" not in t and "4111 1111" not in t, t
assert "[PHONE]" in t and "[EMAIL]" in t and "[CARD]" in t, t
assert "Order #4111111111111111" in t, t'

# redact: "Thanks, I'm Tom Baker" is Tom Baker, not "I'm Tom Baker"
printf "Thanks, I'm Tom Baker, call me.\n" > thanks.txt
run_polish 0 text redact thanks.txt -o thanks.out.txt
check "a name after \"Thanks, I'm\" starts at the name" grep -qx "Thanks, I'm \[NAME\], call me." thanks.out.txt

# redact --names: a listed full name wherever it appears (any case, whole words only)
printf 'Kiwi Zorblax\n' > names.txt
printf 'Please call Kiwi Zorblax; kiwi zorblax said so. Kiwi Zorblaxian is someone else.\n' > listed.txt
run_polish 0 text redact listed.txt --names names.txt -o listed.out.txt
check "a listed name is redacted wherever it appears, and only as whole words" grep -qx \
    "Please call \[NAME\]; \[NAME\] said so. Kiwi Zorblaxian is someone else." listed.out.txt

# leads: a records item written as CSV
cat > chats.json <<'JSON'
{"conversations": [{"id": "c1", "messages": [
  {"role": "assistant", "content": "Hi! How can I help?"},
  {"role": "user", "content": "Hi, I'm Dana Whitfield from Acme Logistics. We need 40 chairs by March 15."},
  {"role": "user", "content": "dana@acme.example.com or (415) 555-2671"}]}]}
JSON
run_polish 0 text leads chats.json -o leads.csv
check "lead row" python3 -c '
import csv
rows = list(csv.DictReader(open("leads.csv")))
assert len(rows) == 1, rows
r = rows[0]
assert r["name"] == "Dana Whitfield" and r["email"] == "dana@acme.example.com", r
assert r["phone"] == "+14155552671" and r["company"] == "Acme Logistics", r
assert r["timeline"] == "by March 15" and r["verified"] == "yes", r'

# a timeline is the visitor's, not a question about the business
cat > asks.json <<'JSON'
{"conversations": [
 {"id": "q1", "messages": [{"role": "user", "content": "Are you open on Sunday? I'm Ann Lee, ann@example.com"}]},
 {"id": "q2", "messages": [{"role": "user", "content": "Can you deliver 40 chairs by Friday? ann@example.com"}]},
 {"id": "q3", "messages": [{"role": "user", "content": "Is the shop open next week? We need it in two weeks. bo@example.com"}]}]}
JSON
run_polish 0 text leads asks.json -o asks.csv
check "timelines: none from a question, a deadline from a question, a statement's" python3 -c '
import csv
t = [r["timeline"] for r in csv.DictReader(open("asks.csv"))]
assert t == ["", "by Friday", "in two weeks"], t'

# summarize: the visitor's intent, facts, outcome, next action, priority
run_polish 0 text summarize chats.json --json
check "summary" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["conversations"][0]
assert c["intent"] == "We need 40 chairs by March 15.", c
assert {"type": "date", "value": "March 15"} in c["facts"], c
assert c["contact"]["email"] == "dana@acme.example.com", c
assert c["outcome"] == "answered" and c["priority"] == "medium", c
assert c["next_action"].startswith("follow up with Dana Whitfield"), c
' "$OUT"

# format: SMS parts of at most 160 characters, at most two; shortened at a sentence end; HTML
printf '## Hours\n\nWe are **open** Monday to Friday from 7am to 6pm. On Saturday we open at 8am and close at 2pm. We are closed on Sundays, but you can [book online](https://example.com/book) any time of day or night, and our team will confirm within two hours. Parking is free behind the shop for all customers.\n\n- Sourdough: $6.50\n- Croissant: $3.25\n' > md.md
run_polish 0 text format md.md --to sms -o sms.txt
check "sms parts" python3 -c '
lines = open("sms.txt", encoding="utf-8").read().splitlines()
assert 1 < len(lines) <= 2, lines
assert all(len(l) <= 160 for l in lines), [len(l) for l in lines]
assert lines[0].startswith("(1/2) Hours. We are open") and lines[-1].endswith("."), lines'
run_polish 0 text format md.md --max-chars 120 -o short.txt
check "shortened at a sentence end" python3 -c '
t = open("short.txt", encoding="utf-8").read()
assert len(t) <= 121 and t.rstrip().endswith("close at 2pm."), repr(t)'
run_polish 0 text format md.md --to sms --sms-parts 1 -o sms1.txt
check "one SMS of 160 characters, ending at a sentence" python3 -c '
t = open("sms1.txt", encoding="utf-8").read().splitlines()
assert len(t) == 1 and len(t[0]) <= 160 and t[0].endswith("close at 2pm."), t'
run_polish 0 text format md.md --to plain -o plain.txt
check "plain: Markdown marks gone, the link written out" python3 -c '
t = open("plain.txt", encoding="utf-8").read()
assert "**" not in t and "##" not in t and "book online (https://example.com/book)" in t, t'
run_polish 0 text format md.md --to email -o email.txt
check "email: wrapped at 72 characters, words whole" python3 -c '
t = open("email.txt", encoding="utf-8").read()
assert max(len(l) for l in t.splitlines()) <= 72 and "**" not in t, t
assert " ".join(t.split()) == " ".join(open("plain.txt", encoding="utf-8").read().split()), t'
run_polish 0 text format md.md --to whatsapp -o wa.txt
check "whatsapp: *bold*, bullets" python3 -c '
t = open("wa.txt", encoding="utf-8").read()
assert "*Hours*" in t and "We are *open*" in t and "\u2022 Croissant: $3.25" in t, t'
run_polish 0 text format md.md --to html -o md.html
contains md.html '<a href="https://example.com/book">book online</a>'
contains md.html "<li>Croissant: \$3.25</li>"

# policy: brand spelling corrected, disclaimer and sign-off added, banned words reported
printf 'banned: [guaranteed]\ncompetitors: [Crumbs & Co]\nbrand: [GreenStreet Bakery]\ndisclaimers:\n  - topics: [refund]\n    text: Refunds follow our returns policy.\nsign-off: "The GreenStreet team"\n' > pol.yml
printf 'Our greenstreet bakery cakes are guaranteed fresh. You can get a refund within 7 days.\n' > pa.txt
run_polish 0 text policy pa.txt --policy pol.yml -o pa-out.txt --report pol-r.json
check "policy applied" python3 -c '
t = open("pa-out.txt").read()
assert t == "Our GreenStreet Bakery cakes are guaranteed fresh. You can get a refund within 7 days. Refunds follow our returns policy.\nThe GreenStreet team\n", repr(t)'
check "banned word reported" python3 -c '
import json
s = json.load(open("pol-r.json"))["items"][0]["steps"][0]
assert {"rule": "banned", "text": "guaranteed", "at": 33} in s["measured"]["violations"], s'
# the other rules: a competitor named, a greeting template, length and reading-level limits
printf 'competitors: [Crumbs & Co]\ngreeting: "Hello!"\nmax-chars: 60\nmax-grade: 4\n' > pol2.yml
printf 'Unlike Crumbs & Co, our establishment guarantees extraordinarily meticulous craftsmanship.\n' > pb.txt
run_polish 0 text policy pb.txt --policy pol2.yml -o pb-out.txt --report pol2-r.json
check "policy: greeting added, competitor, length and reading grade reported" python3 -c '
import json
t = open("pb-out.txt").read()
assert t == "Hello! Unlike Crumbs & Co, our establishment guarantees extraordinarily meticulous craftsmanship.\n", repr(t)
s = json.load(open("pol2-r.json"))["items"][0]["steps"][0]
rules = [v["rule"] for v in s["measured"]["violations"]]
assert rules == ["competitor", "max-chars", "max-grade"], rules
assert s["measured"]["reading_grade"] > 4, s["measured"]'
printf 'banned: [a\nbrand: *x\n' > badpol.yml
run_polish 1 text policy pa.txt --policy badpol.yml -o pa2.txt
contains "$ERR" "badpol.yml: line"

# ---- polish fix: an answer with --kb is checked and fixed (and formatted with --to); a chat
# export gives its leads (CSV, XLSX), contact history, summaries and an e-mail summary; without
# the options nothing is changed ----
mkdir fixin
cp answer.txt fixin/answer.txt
cp good.txt fixin/good.txt
printf '# Notes\n\nSome **Markdown** notes: the shop opened in 2019 and has 4 ovens.\n' > fixin/notes.md
cat > fixin/chats.json <<'JSON'
{"conversations": [
 {"id": "c1", "messages": [
  {"role": "user", "content": "Hi, I'm Dana Whitfield from Acme Logistics. We need a quote for 40 chairs by March 15.", "time": "2026-03-01T10:00:00Z"},
  {"role": "user", "content": "dana@acme.example.com or (415) 555-2671", "time": "2026-03-01T10:01:00Z"},
  {"role": "assistant", "content": "Thanks Dana, our team will be in touch.", "time": "2026-03-01T10:02:00Z"}]},
 {"id": "c2", "messages": [
  {"role": "user", "content": "It's Dana again, (415) 555-2671. The chairs arrived broken and I want a refund asap.", "time": "2026-03-20T09:00:00Z"}]},
 {"id": "c3", "messages": [
  {"role": "user", "content": "Do you sell gift cards? I'm Bo Chen, bo.chen@example.org", "time": "2026-03-05T12:00:00Z"}]}]}
JSON
fix_before=$(cat fixin/* | md5sum)
run_polish 0 fix fixin -o fixout0
check "polish fix without options: answers and notes unchanged" sh -c 'cmp -s fixin/answer.txt fixout0/answer.txt && cmp -s fixin/notes.md fixout0/notes.md && cmp -s fixin/good.txt fixout0/good.txt'
run_polish 0 fix fixin -o fixout --kb kb.db --report fix-r.json
check "polish fix --kb: the wrong closing hour fixed" grep -q "from 7am to 6pm. A croissant costs \$3.25. We offer free delivery" fixout/answer.txt
check "polish fix --kb: a correct answer and a Markdown document unchanged" sh -c 'cmp -s fixin/good.txt fixout/good.txt && cmp -s fixin/notes.md fixout/notes.md'
check "polish fix --kb: the check is in the report" python3 -c '
import json
it = [i for i in json.load(open("fix-r.json"))["items"] if i["input"].endswith("answer.txt")][0]
s = {x["op"]: x for x in it["steps"]}
v = [c["verdict"] for c in s["text.fix"]["measured"]["check"]["claims"]]
assert v == ["contradicted", "supported", "contradicted"], v
assert s["text.policy"]["status"] == "declined" and "--policy" in s["text.policy"]["declined"], s
assert s["text.format"]["status"] == "declined", s'
check "polish fix: the chat export gives its follow-up files, not a copy" sh -c 'test -s fixout/chats.leads.csv -a -s fixout/chats.leads.xlsx -a -s fixout/chats.contacts.csv -a -s fixout/chats.summary.json -a -s fixout/chats.summary.eml -a ! -e fixout/chats.json'
check "leads: one row per reachable conversation, tags and priority" python3 -c '
import csv
rows = {r["conversation"]: r for r in csv.DictReader(open("fixout/chats.leads.csv"))}
assert set(rows) == {"c1", "c2", "c3"}, rows
assert rows["c1"]["tags"] == "sales" and rows["c1"]["priority"] == "medium", rows["c1"]
assert rows["c2"]["tags"] == "billing;support;urgent" and rows["c2"]["priority"] == "high", rows["c2"]
assert rows["c3"]["email"] == "bo.chen@example.org" and rows["c3"]["tags"] == "sales", rows["c3"]'
check "leads XLSX: a workbook holding the same leads" python3 -c '
import zipfile
z = zipfile.ZipFile("fixout/chats.leads.xlsx")
xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/"))
assert "Dana Whitfield" in xml and "bo.chen@example.org" in xml and "billing;support;urgent" in xml'
check "contacts: Dana's two conversations joined on her phone, every need kept" python3 -c '
import csv
rows = list(csv.DictReader(open("fixout/chats.contacts.csv")))
assert len(rows) == 2, rows
d = rows[0]
assert d["contact"] == "dana@acme.example.com" and d["conversations"] == "2", d
assert d["conversation_ids"] == "c1; c2" and d["phones"] == "+14155552671", d
assert "40 chairs" in d["needs"] and "refund" in d["needs"], d
assert d["first_time"] == "2026-03-01T10:00:00Z" and d["last_time"] == "2026-03-20T09:00:00Z", d
assert d["priority"] == "high" and rows[1]["contact"] == "bo.chen@example.org", rows'
check "e-mail summary: headers, CRLF, high priority first" python3 -c '
from email import message_from_bytes
raw = open("fixout/chats.summary.eml", "rb").read()
assert b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), raw[:200]
m = message_from_bytes(raw)
assert m["Subject"] == "Chat follow-up: 3 conversations, 3 leads, 1 high priority", m["Subject"]
assert m.get_content_charset() == "utf-8" and m["From"] and m["Date"]
body = m.get_payload(decode=True).decode()
assert body.index("[high] c2") < body.index("[medium] c1"), body'
check "inputs untouched by polish fix" test "$(cat fixin/* | md5sum)" = "$fix_before"
run_polish 0 fix fixin/answer.txt -o fixout2 --kb kb.db --to sms
check "polish fix --to sms formats the fixed answer" python3 -c '
t = open("fixout2/answer.txt").read().splitlines()
assert len(t) == 1 and len(t[0]) <= 160 and "7am to 6pm" in t[0], t'
run_polish 2 fix fixin -o fixout3 --no-such-option 1

# routing rules from a file; a broken one named with its line
printf 'vip: [Acme Logistics]\nrepair:\n  - broken\n  - not working\n' > rules.yml
run_polish 0 text leads fixin/chats.json -o tagged.csv --rules rules.yml
check "tags from a rules file" python3 -c '
import csv
t = [r["tags"] for r in csv.DictReader(open("tagged.csv"))]
assert t == ["vip", "repair", ""], t'
printf 'vip: [a\n' > badrules.yml
run_polish 1 text leads fixin/chats.json -o tagged2.csv --rules badrules.yml
contains "$ERR" "badrules.yml: line"
# contact history across several exports: the same visitor in two files is one contact, each
# conversation named by its export, every need kept, the newest outcome
printf '{"conversations": [{"id": "c1", "messages": [{"role": "user", "content": "I am Dana Whitfield, (415) 555-2671. Our chairs arrived broken, refund please", "time": "2026-04-02T09:00:00Z"}]}]}\n' > later.json
run_polish 0 text contacts later.json --with fixin/chats.json -o joined.csv
check "contacts across two exports" python3 -c '
import csv
rows = list(csv.DictReader(open("joined.csv")))
assert len(rows) == 2, rows
d = rows[0]
assert d["contact"] == "dana@acme.example.com" and d["conversations"] == "3", d
assert d["conversation_ids"] == "chats.json:c1; chats.json:c2; later.json:c1", d
assert d["exports"] == "chats.json; later.json", d
assert d["first_time"] == "2026-03-01T10:00:00Z" and d["last_time"] == "2026-04-02T09:00:00Z", d
assert "40 chairs" in d["needs"] and "arrived broken" in d["needs"], d'
run_polish 0 text contacts fixin/chats.json -o contacts.xlsx --format xlsx
check "contacts as XLSX" python3 -c 'import zipfile; zipfile.ZipFile("contacts.xlsx").testzip()'
run_polish 1 text followup fixin/chats.json -o fu/ --mail-to "$(printf 'a@b.c\nBcc: x@y.z')"
contains "$ERR" "mail-to"

# ---- bad input ----
printf 'We are open \xff\xfe from 9am.\n' > bad-utf8.txt
run_polish 1 text check bad-utf8.txt --kb kb.db --json
contains "$ERR" "not valid UTF-8"
contains "$ERR" "offset 12"
run_polish 1 text fix bad-utf8.txt --kb kb.db -o bad-fixed.txt
check "no output for invalid UTF-8" test ! -e bad-fixed.txt

python3 -c 'import sys; sys.stdout.write("We are open from 9am. " * (50 * 1024 * 1024 // 22))' > big.txt
run_polish 1 text fix big.txt --kb kb.db -o big-fixed.txt
contains "$ERR" "text limit"
contains "$ERR" "nothing was read" # refused from its size, before reading (no timing asserted)
check "no output for the 50 MB answer" test ! -e big-fixed.txt

printf '' > empty.md
: > docs2.md
mkdir edocs && printf 'Some text here.\n' > edocs/a.md
run_polish 0 text kb add edocs/a.md --kb empty.db
printf '\n' > edocs/a.md
run_polish 0 text kb add edocs/a.md --kb empty.db
run_polish 1 text check answer.txt --kb empty.db --json
contains "$ERR" "empty (0 passages)"
run_polish 2 text check answer.txt --json
contains "$ERR" "kb"
run_polish 1 text check answer.txt --kb docs/bakery.md --json
contains "$ERR" "not a knowledge base"

printf '{"conversations": [{"id": "x", "messages": []}]}\n' > nomsg.json
run_polish 1 text leads nomsg.json -o l1.csv
contains "$ERR" "no messages"
printf '{"messages": [{"role": "user", "content": "hi"' > broken.json
run_polish 1 text leads broken.json -o l2.csv
contains "$ERR" "malformed JSON at line 1"
check "no outputs for bad transcripts" test ! -e l1.csv -a ! -e l2.csv

# an answer that starts with a bracket is still an answer (not JSON)
printf '[Bakery] We are open Monday to Friday from 7am to 5pm.\n' > bracket.txt
run_polish 0 text fix bracket.txt --kb kb.db -o bracket-fixed.txt
check "a bracketed answer is checked and fixed" grep -qx '\[Bakery\] We are open Monday to Friday from 7am to 6pm.' bracket-fixed.txt

# not ours: a table stays a records item, GeoJSON is not a chat
printf 'name,email\nann,a@x.com\nbob,b@x.com\ncid,c@x.com\n' > people.csv
run_polish 1 text redact people.csv -o p.csv
contains "$ERR" "records"
finish
