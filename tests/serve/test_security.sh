#!/usr/bin/env bash
# polish serve — security: every request without the token, from a foreign Origin or to a foreign
# Host, an upload whose file name climbs out of the folder, an oversized upload (with and without a
# Content-Length) and slow clients are refused, and the server stays up and answers. Also: the
# token is new at every start and at least 16 characters, SIGINT stops the server cleanly, and a
# folder that is not a workspace gets a clear error.
POLISH=$1
. "$(dirname "$0")/lib.sh"

# no workspace: a clear error naming 'polish init .'
mkdir -p "$SCRATCH/none"
if (cd "$SCRATCH/none" && "$POLISH" serve --port 0 >"$SCRATCH/o" 2>"$SCRATCH/e"); then
  fail "serve ran without a workspace"
fi
grep -q "polish init ." "$SCRATCH/e" || fail "no hint to run 'polish init .': $(cat "$SCRATCH/e")"
ok "no workspace: refused with a hint"

WS=$SCRATCH/ws
make_workspace "$WS"
start_server "$WS" --upload-limit 64K --timeout 2
T1=$TOKEN
[ ${#TOKEN} -ge 16 ] || fail "token too short: $TOKEN"
[ "$(code GET /api/ops)" = 200 ] || fail "the token as Bearer is not accepted"
json "$SCRATCH/body" 'd["version"] >= 1 and len(d["ops"]) > 10' | grep -q True || fail "/api/ops is not the registry"
ok "token ($TOKEN, ${#TOKEN} chars) as Bearer"

# 1. no token, a wrong token
for p in / /api/items /api/ops /api/events /api/export.zip /api/items/1; do
  c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE$p")
  [ "$c" = 401 ] || fail "GET $p without the token gave $c"
done
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${TOKEN%?}x" "$BASE/api/items")
[ "$c" = 401 ] || fail "a wrong token gave $c"
c=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/api/items?token=${TOKEN:0:16}")
[ "$c" = 401 ] || fail "a token prefix gave $c"
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST -F "file=@/etc/hostname" "$BASE/api/items")
[ "$c" = 401 ] || fail "an upload without the token gave $c"
ok "no token / wrong token: 401"

# the token in the query, and the cookie the page gets on its first visit
c=$(curl -s -o "$SCRATCH/list" -w '%{http_code}' "$BASE/api/items?token=$TOKEN")
[ "$c" = 200 ] || fail "?token= gave $c"
# the item list names the workspace, never its folder on the server's disk
grep -q '"workspace":"ws"' "$SCRATCH/list" || fail "the list does not name the workspace: $(cat "$SCRATCH/list")"
! grep -qF "$SCRATCH" "$SCRATCH/list" || fail "the list reveals the server's path: $(cat "$SCRATCH/list")"
curl -s -D "$SCRATCH/h" -o /dev/null "$BASE/?token=$TOKEN"
cookie=$(grep -i '^Set-Cookie:' "$SCRATCH/h" | sed 's/^[^:]*: //; s/;.*//' | tr -d '\r')
[ -n "$cookie" ] || fail "no cookie after the first visit"
grep -qi 'HttpOnly' "$SCRATCH/h" && grep -qi 'SameSite=Strict' "$SCRATCH/h" || fail "cookie not HttpOnly+SameSite"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$BASE/api/items")
[ "$c" = 200 ] || fail "the cookie gave $c"
ok "?token= and the page's cookie accepted"

# 2. a foreign Origin (with the right token): refused; our own origin and no Origin: fine
for o in "http://evil.example" "http://127.0.0.1:1" "null" "https://127.0.0.1:$PORT" "http://localhost.evil.example:$PORT"; do
  c=$(code POST /api/items/1/approve -H "Origin: $o")
  [ "$c" = 403 ] || fail "Origin $o gave $c"
  c=$(code GET /api/items -H "Origin: $o")
  [ "$c" = 403 ] || fail "GET with Origin $o gave $c"
done
c=$(code GET /api/items -H "Origin: http://127.0.0.1:$PORT")
[ "$c" = 200 ] || fail "our own Origin gave $c"
ok "foreign Origin: 403"

# 3. a foreign Host (DNS rebinding) or another port: refused
for h in "evil.example:$PORT" "evil.example" "127.0.0.1:1" "attacker.127.0.0.1.nip.io:$PORT" "10.1.2.3:$PORT"; do
  c=$(code GET /api/items -H "Host: $h")
  [ "$c" = 403 ] || fail "Host $h gave $c"
done
c=$(code GET /api/items -H "Host: localhost:$PORT")
[ "$c" = 200 ] || fail "Host localhost gave $c"
ok "foreign Host: 403"

# 4. a file name that climbs out of the folder: only a display name; nothing written there
mark=polish-pwned-$$-$RANDOM
printf 'name,email\nAda Lovelace,ada@example.org\nAlan Turing,alan@example.org\n' >"$SCRATCH/leads.csv"
for n in "../../../../../../tmp/$mark.csv" "..\\..\\..\\tmp\\$mark.csv" "/tmp/$mark.csv" "$mark/../../$mark.csv"; do
  printf 'name,email\nGrace Hopper %s,grace%s@example.org\n' "$RANDOM" "$RANDOM" >"$SCRATCH/one.csv"
  c=$(code POST /api/items -F "file=@$SCRATCH/one.csv;filename=$n")
  [ "$c" = 201 ] || fail "upload named $n gave $c: $(cat "$SCRATCH/body")"
  id=$(json "$SCRATCH/body" 'd["id"]')
  code GET "/api/items/$id" >/dev/null
  name=$(json "$SCRATCH/body" 'd["name"]')
  case "$name" in */*|*\\*|..*) fail "the display name keeps a path: $name" ;; esac
done
[ -e "/tmp/$mark.csv" ] && fail "a file was written to /tmp/$mark.csv"
find "$WS" "$SCRATCH" -name "*$mark*" | grep -q . && fail "a file named after the client's name exists"
ok "path-traversal file names: display names only, nothing written outside the store"

# 5. oversized uploads: refused with 413, with and without a Content-Length; the server stays up
head -c 200000 /dev/urandom >"$SCRATCH/big.bin"
c=$(code POST /api/items -F "file=@$SCRATCH/big.bin;filename=big.wav")
[ "$c" = 413 ] || fail "an oversized upload gave $c"
c=$(code POST /api/items -H "Transfer-Encoding: chunked" -F "file=@$SCRATCH/big.bin;filename=big.wav")
[ "$c" = 413 ] || fail "an oversized chunked upload gave $c"
[ "$(code GET /api/ops)" = 200 ] || fail "server down after oversized uploads"
ls "$WS"/.polish/store 2>/dev/null | grep -q . || true
ok "oversized uploads: 413"

# an upload that is not multipart, and one without the field 'file'
c=$(code POST /api/items --data-binary @"$SCRATCH/leads.csv" -H "Content-Type: text/csv")
[ "$c" = 400 ] || fail "a non-multipart upload gave $c"
c=$(code POST /api/items -F "other=@$SCRATCH/leads.csv")
[ "$c" = 400 ] || fail "an upload without 'file' gave $c"
# two parts named 'file': the first is the upload, the second is not appended to it
printf 'name,email\nKatherine Johnson,kj%s@outlook.com\n' "$RANDOM" >"$SCRATCH/first.csv"
head -c 3000 /dev/urandom >"$SCRATCH/second.bin"
c=$(code POST /api/items -F "file=@$SCRATCH/first.csv" -F "file=@$SCRATCH/second.bin")
[ "$c" = 201 ] || fail "two files in 'file' gave $c: $(cat "$SCRATCH/body")"
id=$(json "$SCRATCH/body" 'd["id"]')
code GET "/api/items/$id" >/dev/null
[ "$(json "$SCRATCH/body" 'd["size"]')" = "$(stat -c %s "$SCRATCH/first.csv")" ] || fail "the second file was appended to the first"
ok "malformed uploads: 400"

# 6. slow clients: connections that send half a request and stall are closed after --timeout
#    (2 s), and while they hang the server answers others
for i in $(seq 1 12); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /api/items HTTP/1.1\r\nHost: 127.0.0.1:%s\r\n' "$PORT" >&$fd
  eval "SLOW_$i=$fd"
done
[ "$(code GET /api/ops)" = 200 ] || fail "the server does not answer while slow clients hang"
start=$(date +%s)
fd=$SLOW_1
if timeout 10 cat <&$fd >/dev/null; then :; else fail "a slow client was not disconnected within 10 s"; fi
took=$(( $(date +%s) - start ))
[ "$took" -le 8 ] || fail "slow client held for $took s"
for i in $(seq 1 12); do eval "exec {SLOW_$i}<&-"; done
# a body that never comes
exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'POST /api/items HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 5000\r\n\r\n--x\r\n' "$PORT" "$TOKEN" >&$fd
timeout 10 cat <&$fd >/dev/null || fail "a stalled upload was not disconnected"
exec {fd}<&-
[ "$(code GET /api/ops)" = 200 ] || fail "server down after slow clients"
ok "slow clients: disconnected after the timeout, server up"

# 7. a recipe may not name a file on the server: only an upload (ws:<sha256>) reaches an op;
#    an empty POST with the token and no Origin header (curl, scripts) is legitimate
printf 'Please ask Anna Schmidt at the counter.\n' >"$SCRATCH/note.txt"
[ "$(code POST /api/items -F "file=@$SCRATCH/note.txt")" = 201 ] || fail "text upload: $(cat "$SCRATCH/body")"
tid=$(json "$SCRATCH/body" 'd["id"]')
for r in 'domain: text\nsteps:\n  - op: redact\n    names: /etc/passwd\n' \
         'domain: text\nsteps:\n  - op: redact\n    names: ../../../etc/passwd\n' \
         'domain: text\nsteps:\n  - op: check\n    inputs: {kb: /etc/hostname}\n'; do
  c=$(code POST "/api/items/$tid/fix" --data-binary "$(printf "$r")")
  [ "$c" = 400 ] && grep -q "upload" "$SCRATCH/body" || fail "a recipe naming a server file was not refused ($c): $r $(cat "$SCRATCH/body")"
done
c=$(code POST "/api/items/$tid/fix" --data-binary "$(printf 'domain: text\nsteps:\n  - op: check\n    inputs: {kb: "ws:%064d"}\n' 0)")
[ "$c" = 404 ] || fail "a recipe naming an unknown upload gave $c"
# a GPS ride and privacy zones uploaded as a side file: the zone around its start is cut
python3 "$POLISH_SRC/tests/track/trackgen.py" gen cycle 21 "$SCRATCH/ride" --white 3 --seconds 200 --stops 0
[ "$(code POST /api/items -F "file=@$SCRATCH/ride.gpx")" = 201 ] || fail "gpx upload: $(cat "$SCRATCH/body")"
kid=$(json "$SCRATCH/body" 'd["id"]')
python3 - "$SCRATCH/ride.gpx" >"$SCRATCH/zones.csv" <<'PY'
import re, sys
m = re.search(r'lat="([-0-9.]+)" lon="([-0-9.]+)"', open(sys.argv[1]).read())
print("lat,lon,radius_m\n%s,%s,150" % m.groups())
PY
c=$(code POST "/api/items/$kid/fix" --data-binary "$(printf 'domain: track\nsteps:\n  - op: privacy\n    inputs: {zones: %s}\n' "$SCRATCH/zones.csv")")
[ "$c" = 400 ] || fail "a recipe naming the zones by path gave $c"
[ "$(code POST /api/files -F "file=@$SCRATCH/zones.csv")" = 201 ] || fail "side file upload: $(cat "$SCRATCH/body")"
ref=$(json "$SCRATCH/body" 'd["ref"]')
case $ref in ws:????????????????????????????????????????????????????????????????) ;; *) fail "side file ref $ref" ;; esac
# the page's live updates: the server-sent events while this item is fixed
curl -sN -H "Authorization: Bearer $TOKEN" "$BASE/api/events" >"$SCRATCH/events" &
sse=$!
sleep 0.5
c=$(code POST "/api/items/$kid/fix" --data-binary "$(printf 'domain: track\nsteps:\n  - op: privacy\n    inputs: {zones: "%s"}\n' "$ref")")
[ "$c" = 202 ] || fail "a recipe naming an upload was refused ($c): $(cat "$SCRATCH/body")"
for _ in $(seq 1 300); do
  code GET "/api/items/$kid" >/dev/null
  st=$(json "$SCRATCH/body" 'd["state"]')
  [ "$st" = done ] || [ "$st" = failed ] && break
  sleep 0.2
done
[ "$st" = done ] || fail "privacy with uploaded zones ended $st"
sleep 0.5
kill "$sse" 2>/dev/null; wait "$sse" 2>/dev/null || true
python3 - "$SCRATCH/events" "$kid" <<'PY' || fail "events of the fix: $(head -c 600 "$SCRATCH/events")"
import json, sys
text, kid = open(sys.argv[1]).read(), int(sys.argv[2])
ev = []
for block in text.split("\n\n"):
    f = dict(l.split(": ", 1) for l in block.splitlines() if ": " in l and not l.startswith(":"))
    if "event" in f: ev.append((f["event"], json.loads(f["data"])))
prog = [d for e, d in ev if e == "progress" and d["id"] == kid]
assert prog and prog[-1]["done"] == prog[-1]["total"] == 1, ev
assert any(e == "item" and d["id"] == kid for e, d in ev), ev
PY
cut=$(json "$SCRATCH/body" '[s for s in d["report"]["items"][0]["steps"] if s["op"] == "track.privacy"][0]["measured"]["points_cut"]')
[ "$cut" -gt 0 ] || fail "the uploaded zones cut no point"
tid=$kid
[ "$(code POST "/api/items/$tid/approve")" = 200 ] || fail "an empty approve without Origin was refused"
[ "$(json "$SCRATCH/body" 'd["state"]')" = approved ] || fail "approve did not give the state approved"
json "$SCRATCH/body" 'd["source"]' | grep -q / && fail "the item's source names a path"
ok "recipes name files by upload only; an empty POST without Origin is legitimate"

# 8. unknown paths and methods
[ "$(code GET /api/nothing)" = 404 ] || fail "unknown API path"
[ "$(code DELETE /api/items)" = 405 ] || fail "DELETE accepted"
[ "$(code GET /api/items/1/../../../etc/passwd --path-as-is)" = 404 ] || fail "dot-dot path"
[ "$(code GET /api/items/999999)" = 404 ] || fail "unknown item"
ok "unknown paths: 404/405"

# the temporary folder is removed and the server exits 0 on SIGINT; a new start, a new token
ls -d "$SCRATCH"/tmp/polish-serve.* >/dev/null 2>&1 || fail "no temporary folder while serving?"
stop_server
ls -d "$SCRATCH"/tmp/polish-serve.* >/dev/null 2>&1 && fail "the temporary folder was left behind"
start_server "$WS"
[ "$TOKEN" != "$T1" ] || fail "the token did not change between starts"
[ "$(code GET /api/ops)" = 200 ] || fail "second start"
c=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $T1" "$BASE/api/items")
[ "$c" = 401 ] || fail "the old token still works"
stop_server
ok "new token at each start; SIGINT stops cleanly"
echo "all security checks passed"
