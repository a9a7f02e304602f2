#!/usr/bin/env bash
# polish — the workspace's knowledge base, side files, --lenient and the render cache's size, from
# the command line: an answer with a wrong price is corrected against the documents added with
# `polish kb add` (and left as it was once they are removed; a document it cannot read is refused
# and the knowledge base kept); a file a recipe reads is named ws:<sha256> (stored by hash, so the
# render key covers its bytes) and a renders remade after its knowledge base and render were
# deleted is byte-identical; `fix --lenient` makes its own version (a truncated JPEG rendered, not
# refused); `polish gc` evicts only renders no current or approved version uses, and an evicted
# one is remade identically; the catalog keeps the name a file was added from, never its path.
. "$(dirname "$0")/../cli/lib.sh"
P=$(realpath "$POLISH"); POLISH=$P
command -v sqlite3 >/dev/null || { echo "sqlite3 (the command) is needed"; exit 77; }
W=$T/ws
mkdir -p "$W" "$T/src/deep/folder"
cd "$W" || exit 1
run_polish 0 init .

# ---- the knowledge base ----
printf '# Prices\n\nA sourdough loaf costs 4.50 euros. A croissant costs 1.20 euros.\n' > "$T/src/prices.md"
printf '# Opening hours\n\nThe bakery opens at 7:00 every day except Monday.\n' > "$T/src/hours.md"
printf 'Hello! A sourdough loaf costs 5.90 euros. We open at 7:00 every day except Monday.\n' > "$T/src/deep/folder/answer.txt"
run_polish 0 add "$T/src/deep/folder/answer.txt"
A=$(cat "$OUT")
run_polish 0 fix "$A"                      # no documents yet: the answer is left as it is
out=$(cut -f2 "$OUT")
cmp -s "$out" "$T/src/deep/folder/answer.txt" && pass || fail "without a knowledge base the answer changed"
run_polish 0 kb add "$T/src/prices.md" "$T/src/hours.md"
run_polish 0 kb ls
contains "$OUT" "prices.md"
contains "$OUT" "hours.md"
run_polish 0 fix "$A"
out=$(cut -f2 "$OUT")
grep -q "4.50 euros" "$out" && ! grep -q "5.90" "$out" && pass || fail "the wrong price was not corrected: $(cat "$out")"
run_polish 0 show "$A"
python3 - "$OUT" <<'PY' && pass || fail "the report lacks the contradicted claim with its evidence"
import json, sys
d = json.load(open(sys.argv[1]))
cur = [v for v in d["versions"] if v["current"]][0]
assert cur["recipe"].startswith("# polish: automatic\n# polish: kb ws:"), cur["recipe"]
steps = d["report"]["items"][0]["steps"]
claims = [c for s in steps for c in s.get("measured", {}).get("check", {}).get("claims", [])]
bad = [c for c in claims if c["verdict"] == "contradicted"]
assert bad and "4.50" in bad[0]["evidence"] and bad[0]["source"] == "prices.md", claims
assert "/" not in json.dumps(steps[1]["args"]).replace(".polish/kb/", ""), steps[1]["args"]
PY
render1=$(sqlite3 .polish/catalog.db "SELECT render FROM versions WHERE id = (SELECT current FROM items WHERE id = $A)")
sha1=$(sha256sum < "$out")
# the knowledge base and the render deleted: both remade from the store, byte for byte
chmod -R u+w .polish/kb .polish/renders
rm -rf .polish/kb .polish/renders/"$render1"
run_polish 0 undo "$A"
run_polish 0 fix "$A"                      # a new draft again (same recipe, same key)
out=$(cut -f2 "$OUT")
[ "$(sha256sum < "$out")" = "$sha1" ] && pass || fail "the remade render differs"
run_polish 0 history "$A"
contains "$OUT" "identical bytes"
# a document the knowledge base cannot read is refused; the knowledge base stays as it was
head -c 3000 /dev/urandom > "$T/src/noise.md"
before=$(sqlite3 .polish/catalog.db "SELECT group_concat(name || hash) FROM kb")
run_polish 1 kb add "$T/src/noise.md"
[ "$(sqlite3 .polish/catalog.db "SELECT group_concat(name || hash) FROM kb")" = "$before" ] && pass ||
    fail "a refused document changed the knowledge base"
# a new price list under the same name replaces the old one: the next fix makes a new draft
printf '# Prices\n\nA sourdough loaf costs 4.80 euros.\n' > "$T/src/prices.md"
run_polish 0 kb add "$T/src/prices.md"
run_polish 0 fix "$A"
grep -q "4.80 euros" "$(cut -f2 "$OUT")" && pass || fail "the replaced price list was not used"
run_polish 0 kb rm prices.md
run_polish 0 kb rm hours.md
run_polish 1 kb rm hours.md
run_polish 0 fix "$A"
cmp -s "$(cut -f2 "$OUT")" "$T/src/deep/folder/answer.txt" && pass || fail "no documents: the answer changed"

# ---- side files: ws:<sha256>, never a path in the key ----
printf 'Anna Schmidt\n' > "$T/src/names.txt"
printf 'Dear Anna Schmidt, your order is ready.\n' > "$T/src/note.txt"
run_polish 0 add "$T/src/note.txt"
N=$(cat "$OUT")
run_polish 0 attach "$T/src/names.txt"
ref=$(cut -f1 "$OUT")
[[ $ref =~ ^ws:[0-9a-f]{64}$ ]] && pass || fail "attach printed $ref"
printf 'domain: text\nsteps:\n  - op: redact\n    names: "%s"\n' "$ref" > "$T/redact.yml"
run_polish 0 fix "$N" --recipe "$T/redact.yml"
out=$(cut -f2 "$OUT")
grep -q "Anna Schmidt" "$out" && fail "the name in the side file was not redacted: $(cat "$out")" || pass
printf 'domain: text\nsteps:\n  - op: redact\n    names: "ws:%064d"\n' 0 > "$T/bad.yml"
run_polish 1 fix "$N" --recipe "$T/bad.yml"
contains "$ERR" "no file ws:"

# ---- --lenient is part of the version ----
convert-im6.q16 /usr/lib/python3/dist-packages/skimage/data/coffee.png -resize 200x -quality 90 "$T/full.jpg"
head -c 6000 "$T/full.jpg" > "$T/src/broken.jpg"
run_polish 0 add "$T/src/broken.jpg"
B=$(cat "$OUT")
run_polish 1 fix "$B"
contains "$ERR" "lenient"
run_polish 0 fix "$B" --lenient
run_polish 0 show "$B"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); v=[v for v in d["versions"] if v["current"]][0]; assert "# polish: lenient" in v["recipe"] and d["state"] == "done", v' "$OUT" \
    && pass || fail "--lenient did not make its own version"

# ---- the render cache: gc never evicts what a current or approved version uses ----
make_photo "$T/src/coffee.jpg" 240x
run_polish 0 add "$T/src/coffee.jpg"
C=$(cat "$OUT")
run_polish 0 fix "$C"
run_polish 0 approve "$C"
approved_out=$(sqlite3 .polish/catalog.db "SELECT render FROM versions WHERE item = $C AND decision = 'approved'")
printf 'domain: image\nsteps:\n  - op: resize\n    width: 64\n' > "$T/small.yml"
printf 'domain: image\nsteps:\n  - op: resize\n    width: 48\n' > "$T/smaller.yml"
run_polish 0 fix "$C" --recipe "$T/small.yml"          # forks a draft from the approved version
old=$(sqlite3 .polish/catalog.db "SELECT render FROM versions WHERE id = (SELECT current FROM items WHERE id = $C)")
old_sha=$(sqlite3 .polish/catalog.db "SELECT sha256 FROM outputs WHERE render = '$old'")
run_polish 0 fix "$C" --recipe "$T/smaller.yml"        # a new draft: the 64 px render is unused
current=$(sqlite3 .polish/catalog.db "SELECT render FROM versions WHERE id = (SELECT current FROM items WHERE id = $C)")
n_before=$(ls .polish/renders | wc -l)
run_polish 0 gc --max-size 1G                           # under the limit: nothing goes
[ "$(ls .polish/renders | wc -l)" = "$n_before" ] && pass || fail "gc under its limit removed renders"
run_polish 0 gc
contains "$ERR" "removed"
[ ! -e ".polish/renders/$old" ] && pass || fail "an unused render was kept"
for k in $(sqlite3 .polish/catalog.db "SELECT render FROM versions v WHERE render IS NOT NULL AND (decision = 'approved' OR id IN (SELECT current FROM items))"); do
    [ -f ".polish/renders/$k/manifest.json" ] || fail "gc evicted $k, which a current or approved version uses"
done
[ -f ".polish/renders/$approved_out/manifest.json" ] && [ -f ".polish/renders/$current/manifest.json" ] && pass ||
    fail "gc evicted the approved or the current render"
run_polish 0 export --approved -o "$T/export"
[ -n "$(ls "$T/export")" ] && pass || fail "nothing exported after gc"
# the evicted render is remade identically when its version is wanted again
run_polish 0 undo "$C"
run_polish 0 fix "$C" --recipe "$T/small.yml"
[ "$(sqlite3 .polish/catalog.db "SELECT sha256 FROM outputs WHERE render = '$old'")" = "$old_sha" ] &&
    [ -f ".polish/renders/$old/manifest.json" ] && pass || fail "the evicted render was not remade identically"
run_polish 0 history "$C"
contains "$OUT" "identical bytes"

# ---- the catalog keeps the name a file came under, not its path ----
if sqlite3 .polish/catalog.db "SELECT source FROM items UNION ALL SELECT detail FROM history" | grep -q "$T/src"; then
    fail "a path the file was added from is in the catalog"
else
    pass
fi
run_polish 0 show "$A"
grep -q "$T/src" "$OUT" && fail "show names the path the file was added from" || pass
finish
