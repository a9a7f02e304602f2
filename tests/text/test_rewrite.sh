#!/usr/bin/env bash
# polish — text.fix's optional rewrite through an OpenAI-compatible endpoint, against a fake one
# this test starts on 127.0.0.1 (fake_llm.py): off by default; a good rewrite kept; a rewrite that
# invents a price or contradicts the knowledge base rejected; no endpoint, a timeout, an HTTP
# error and malformed JSON each keep the un-rewritten result with the reason in the report.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(cd "$(dirname "$POLISH")" && pwd)/$(basename "$POLISH")
HERE=$(cd "$(dirname "$0")" && pwd)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # a pyenv shim costs ~0.6 s CPU per call
cd "$T" || exit 1
SRV=
trap '[ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
unset POLISH_REWRITE_URL POLISH_REWRITE_MODEL POLISH_REWRITE_KEY

mkdir docs
cat > docs/bakery.md <<'MD'
# Green Street Bakery

## Opening hours

We are open Monday to Friday from 7am to 6pm.

## Contact

Call us on (555) 014-2290. Our head baker is Maria Lopez. We do not offer delivery.
MD
run_polish 0 text kb add docs/ --kb kb.db
# the closing hour has a replacement; the delivery claim has none, so the answer stays flagged
printf 'We are open Monday to Friday from 7am to 5pm. We offer free delivery on all orders.\n' > answer.txt
FIXED='We are open Monday to Friday from 7am to 6pm. We offer free delivery on all orders.'

cat > fake.json <<'JSON'
{"good": {"content": "We are open Monday to Friday from 7am to 6pm. We do not offer delivery."},
 "invent": {"content": "We are open Monday to Friday from 7am to 6pm. We do not offer delivery, but our gift box costs $12."},
 "contra": {"content": "We are open Monday to Friday from 7am to 4pm. We do not offer delivery."},
 "slow": {"sleep": 8, "content": "We do not offer delivery."},
 "http500": {"status": 500, "raw": "{\"error\": {\"message\": \"model overloaded\"}}"},
 "badjson": {"status": 200, "raw": "{\"choices\": [{\"message\": "}}
JSON
"$PY" "$HERE/fake_llm.py" fake.json port requests.log &
SRV=$!
for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
check "the fake endpoint started" test -s port
URL=http://127.0.0.1:$(cat port)

# rewrite: the report's rewrite entry as "status|reason"
rewrite_of() {
    "$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["items"][0]["steps"][0]
r = s["measured"].get("rewrite")
print("none" if r is None else r["status"] + "|" + r["reason"])' "$1"
}
requests() { [ -f requests.log ] && wc -l < requests.log || echo 0; }

# off by default: even with the endpoint in the environment, no request is made
POLISH_REWRITE_URL=$URL/good/v1 run_polish 0 text fix answer.txt --kb kb.db -o off.txt --report off.json
check "off by default: the fix only" test "$(cat off.txt)" = "$FIXED"
check "off by default: no rewrite in the report" test "$(rewrite_of off.json)" = none
check "off by default: no request" test "$(requests)" = 0

# a good rewrite is re-checked and kept; model and key (from the named variable) are sent
MYKEY=sk-test-123 run_polish 0 text fix answer.txt --kb kb.db -o good.txt --report good.json \
    --rewrite --rewrite-url "$URL/good/v1" --rewrite-model tiny-model --rewrite-key-env MYKEY
check "a good rewrite is kept" test "$(cat good.txt)" = "We are open Monday to Friday from 7am to 6pm. We do not offer delivery."
r=$(rewrite_of good.json)
check "a good rewrite: applied in the report" test "${r%%|*}" = applied
check "the request: model, key, the answer and the flagged claim with its evidence" "$PY" -c '
import json
r = json.loads(open("requests.log").read().splitlines()[-1])
assert r["path"] == "/good/v1/chat/completions", r["path"]
assert r["auth"] == "Bearer sk-test-123", r["auth"]
b = r["body"]
assert b["model"] == "tiny-model" and b["temperature"] == 0, b
u = b["messages"][-1]["content"]
assert "from 7am to 6pm. We offer free delivery" in u, u
assert "We do not offer delivery." in u and "docs/bakery.md" in u, u'

# a rewrite that invents a price is rejected: the un-rewritten result is kept, the reason given
POLISH_REWRITE_URL=$URL/invent/v1 run_polish 0 text fix answer.txt --kb kb.db -o invent.txt --report invent.json --rewrite
check "an invented price: the un-rewritten result" test "$(cat invent.txt)" = "$FIXED"
r=$(rewrite_of invent.json)
check "an invented price: rejected, naming the price" test "${r%%|*}" = rejected
echo "$r" > r.txt; contains r.txt 'invents the price "\$12"'

# a rewrite that contradicts the knowledge base is rejected
run_polish 0 text fix answer.txt --kb kb.db -o contra.txt --report contra.json --rewrite --rewrite-url "$URL/contra/v1"
check "a contradicting rewrite: the un-rewritten result" test "$(cat contra.txt)" = "$FIXED"
r=$(rewrite_of contra.json)
check "a contradicting rewrite: rejected" test "${r%%|*}" = rejected
echo "$r" > r.txt; contains r.txt "contradicts the knowledge base"

# failures fall back with the reason: a timeout, HTTP 500, malformed JSON, no endpoint, a closed port
run_polish 0 text fix answer.txt --kb kb.db -o slow.txt --report slow.json --rewrite --rewrite-url "$URL/slow/v1" --rewrite-timeout 1
check "a timeout: the un-rewritten result" test "$(cat slow.txt)" = "$FIXED"
r=$(rewrite_of slow.json)
check "a timeout: failed" test "${r%%|*}" = failed
echo "$r" > r.txt; contains r.txt "did not answer within 1.0 s"
check "a timeout: warned in the report" "$PY" -c '
import json, sys
w = json.load(open("slow.json"))["items"][0]["steps"][0]["warnings"]
assert any(x.startswith("rewrite failed:") and x.endswith("the un-rewritten result is kept") for x in w), w'
run_polish 0 text fix answer.txt --kb kb.db -o e500.txt --report e500.json --rewrite --rewrite-url "$URL/http500/v1"
check "HTTP 500: the un-rewritten result" test "$(cat e500.txt)" = "$FIXED"
rewrite_of e500.json > r.txt; contains r.txt "HTTP 500: model overloaded"
run_polish 0 text fix answer.txt --kb kb.db -o bad.txt --report bad.json --rewrite --rewrite-url "$URL/badjson/v1"
check "malformed JSON: the un-rewritten result" test "$(cat bad.txt)" = "$FIXED"
rewrite_of bad.json > r.txt; contains r.txt "not JSON"
run_polish 0 text fix answer.txt --kb kb.db -o none.txt --report none.json --rewrite
check "no endpoint: the un-rewritten result" test "$(cat none.txt)" = "$FIXED"
rewrite_of none.json > r.txt; contains r.txt "no endpoint"
n=$(requests)
run_polish 0 text fix answer.txt --kb kb.db -o closed.txt --report closed.json --rewrite --rewrite-url "http://127.0.0.1:1/v1"
check "a closed port: the un-rewritten result" test "$(cat closed.txt)" = "$FIXED"
rewrite_of closed.json > r.txt; contains r.txt "failed|the endpoint"

# a correct answer, and one whose only flaw is a claim the knowledge base does not hold, are not
# sent at all (the wrong kind of input for a rewrite: notes, remarks)
printf 'We are open Monday to Friday from 7am to 6pm. We bake fresh bagels every morning.\n' > good-answer.txt
run_polish 0 text fix good-answer.txt --kb kb.db -o same.txt --report same.json --rewrite --rewrite-url "$URL/good/v1"
check "unsupported only: byte for byte, nothing sent" sh -c "cmp -s good-answer.txt same.txt && test \$(wc -l < requests.log) = $n"
rewrite_of same.json > r.txt; contains r.txt "not needed"
finish
