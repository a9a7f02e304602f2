#!/usr/bin/env bash
# polish — text benchmarks, one core: checking answers against a 10,000-passage knowledge base
# (median and p99), 10,000 chat transcripts to a lead CSV, and PII redaction against the npm
# package redact-pii (accuracy and time on the same generated messages).
# Usage: POLISH=build/src/cli/polish bench/text/run.sh   (data generated in bench/out/text)
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
BUILD=$(cd "$(dirname "$POLISH")/../.." && pwd)
TB=$BUILD/tests/text/text_bench
OUT=$PWD/bench/out/text
CHUNKS=${CHUNKS:-10000}
ANSWERS=${ANSWERS:-2000}
CHATS=${CHATS:-10000}
MESSAGES=${MESSAGES:-5000}
mkdir -p "$OUT"
[ -x "$TB" ] || { echo "no $TB: build with ninja -C $BUILD first" >&2; exit 1; }

echo "text benchmarks: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "check: answers of the generated evaluation set against a knowledge base of $CHUNKS passages"
echo "  (the target business's documents plus generated handbooks of other businesses)"
taskset -c 0 "$TB" check "$OUT" "$CHUNKS" "$ANSWERS"

echo "transcripts: $CHATS generated conversations (one JSON export) to a lead CSV"
"$TB" chats "$CHATS" "$OUT/chats.json"
rm -f "$OUT/leads.csv"
/usr/bin/time -f "%e %U %M" -o "$OUT/.time" taskset -c 0 "$POLISH" text leads "$OUT/chats.json" \
    -o "$OUT/leads.csv" --quiet -j 1
read -r secs user kb <"$OUT/.time"
rows=$(($(wc -l <"$OUT/leads.csv") - 1))
echo "  polish text leads: $secs s wall, $user s CPU, $((kb / 1024)) MB peak; $rows lead rows from $CHATS conversations ($(du -m "$OUT/chats.json" | cut -f1) MB)"

echo "redaction: $MESSAGES generated messages with known PII and look-alikes"
taskset -c 0 "$TB" redact "$MESSAGES" "$OUT/pii.jsonl"
NPM=$OUT/npm
if [ ! -d "$NPM/node_modules/redact-pii" ] && command -v node >/dev/null; then
    mkdir -p "$NPM"
    (cd "$NPM" && node /usr/lib/node_modules/npm/bin/npm-cli.js install redact-pii --no-audit \
        --no-fund >/dev/null 2>&1) || echo "  (npm could not install redact-pii)"
fi
if [ -d "$NPM/node_modules/redact-pii" ]; then
    echo "  redact-pii $(node -p "require('$NPM/node_modules/redact-pii/package.json').version"), node $(node --version)"
    NODE_PATH=$NPM/node_modules taskset -c 0 node bench/text/redact_pii.js "$OUT/pii.jsonl"
else
    echo "  redact-pii not available: no comparison"
fi

echo "real documents: the FAQs of 12 Debian packages as the knowledge base, their own sentences as answers"
echo "  (quoted or opened and closed like a chatbot, half with one planted error), seeds 1 and 2"
for seed in 1 2; do python3 bench/text/realdocs.py "$POLISH" "$OUT/real" "$seed" 2>/dev/null | grep -v '^ *[{}\["]'; done
