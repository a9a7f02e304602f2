# polish serve tests — shared shell helpers: a workspace in a scratch folder and a server on a free
# port. Sourced by test_*.sh; $POLISH is the program under test.
set -euo pipefail

case $POLISH in /*) ;; *) POLISH=$PWD/$POLISH ;; esac # the tests cd into workspaces
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/polish-serve-test.XXXXXX")
SERVER_PID=""
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -INT "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$SCRATCH"
}
trap cleanup EXIT

# make_workspace DIR: a fresh workspace
make_workspace() {
  mkdir -p "$1"
  (cd "$1" && "$POLISH" init . >/dev/null) || fail "polish init . failed in $1"
}

# start_server DIR [ARGS...]: starts 'polish serve --port 0' in DIR; sets URL BASE TOKEN PORT
start_server() {
  local dir=$1; shift
  local log=$SCRATCH/serve.$RANDOM.out
  mkdir -p "$SCRATCH/tmp"
  (cd "$dir" && TMPDIR=$SCRATCH/tmp exec "$POLISH" serve --port 0 "$@" >"$log" 2>"$log.err") &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    if grep -q '?token=' "$log" 2>/dev/null; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log.err" >&2; fail "the server did not start"; }
    sleep 0.1
  done
  URL=$(grep -o 'http://[^ ]*?token=[A-Za-z0-9_-]*' "$log" | head -1)
  [ -n "$URL" ] || fail "no URL printed: $(cat "$log")"
  TOKEN=${URL##*token=}
  BASE=${URL%%/\?token=*}
  PORT=${BASE##*:}
  SERVER_LOG=$log
}

# stop_server: SIGINT, and the server must exit 0 within 15 s
stop_server() {
  kill -INT "$SERVER_PID"
  local rc=0
  for _ in $(seq 1 150); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SERVER_PID" 2>/dev/null && fail "the server did not stop on SIGINT"
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  [ "$rc" -eq 0 ] || fail "the server exited $rc on SIGINT"
}

# code METHOD PATH [CURL ARGS...]: prints the HTTP status of an authorised request
code() {
  local m=$1 p=$2; shift 2
  curl -s -o "$SCRATCH/body" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $TOKEN" "$@" "$BASE$p"
}

# json FILE EXPR: evaluates a Python expression on the JSON in FILE (bound to d)
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# wait_state ID STATE...: polls the item until its state is one of STATEs (60 s); prints it
wait_state() {
  local id=$1; shift
  local st=""
  for _ in $(seq 1 600); do
    st=$(curl -s -H "Authorization: Bearer $TOKEN" "$BASE/api/items/$id" |
         python3 -c 'import json,sys; print(json.load(sys.stdin).get("state",""))' 2>/dev/null || true)
    for want in "$@"; do [ "$st" = "$want" ] && { echo "$st"; return 0; }; done
    sleep 0.1
  done
  echo "$st"
  return 1
}
