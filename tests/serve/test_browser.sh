#!/usr/bin/env bash
# polish serve — browser tests: headless Chromium (Debian's) through playwright-core (npm, put in
# .deps/playwright by scripts/setup) uploads a photo, a lead list and an audio file, fixes them,
# moves the before/after slider, approves and downloads the zip (browser.mjs). Screenshots are
# kept in the build folder: $POLISH_BUILD/serve-screenshots/. Skips (77) only when node or
# chromium is absent.
POLISH=$1
. "$(dirname "$0")/lib.sh"
NODE=$(command -v node || true)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -n "$NODE" ] || { echo "SKIP: node is not installed"; exit 77; }
[ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM is not installed"; exit 77; }
export PLAYWRIGHT_DIR=${PLAYWRIGHT_DIR:-$POLISH_SRC/.deps/playwright}
[ -f "$PLAYWRIGHT_DIR/node_modules/playwright-core/package.json" ] ||
  fail "playwright-core is not in $PLAYWRIGHT_DIR: run scripts/setup"
export CHROMIUM
SHOTS=${POLISH_BUILD:-$SCRATCH}/serve-screenshots
rm -rf "$SHOTS"
mkdir -p "$SHOTS"

PHOTO=/usr/lib/python3/dist-packages/skimage/data/chelsea.png
WAV=$(ls /usr/share/pocketsphinx/test/data/librivox/*.wav 2>/dev/null | head -1)
CSV=$POLISH_SRC/samples/leads.csv
for f in "$PHOTO" "$WAV" "$CSV"; do [ -f "$f" ] || fail "test input missing: $f (run scripts/setup)"; done
# the photo a little dark and warm, so that the automatic fix has something to do
convert "$PHOTO" -evaluate multiply 0.55 -channel B -evaluate multiply 0.7 +channel -quality 90 "$SCRATCH/cat.jpg"
WS=$SCRATCH/ws
make_workspace "$WS"
start_server "$WS"
# the bakery's approved documents and an answer with a wrong price and a customer's name
printf '# Prices\n\nA sourdough loaf costs 4.50 euros. A croissant costs 1.20 euros.\n' >"$SCRATCH/prices.md"
printf '# Opening hours\n\nThe bakery opens at 7:00 every day except Monday.\n' >"$SCRATCH/hours.md"
printf 'Hello Anna Schmidt! A sourdough loaf costs 5.90 euros. We open at 7:00 every day except Monday.\n' >"$SCRATCH/answer.txt"
# a noisy bike ride, and a small forecast table with its observations (the forecast test bed)
python3 "$POLISH_SRC/tests/track/trackgen.py" gen cycle 21 "$SCRATCH/ride" --white 3 --seconds 200 --stops 0
python3 - "$SCRATCH/ride.gpx" >"$SCRATCH/zones.csv" <<'PY'
import re, sys
m = re.search(r'lat="([-0-9.]+)" lon="([-0-9.]+)"', open(sys.argv[1]).read())
print("lat,lon,radius_m\n%s,%s,150" % m.groups())
PY
"$POLISH" forecast testbed --train-inits 40 --test-inits 10 -o "$SCRATCH/fc/" >/dev/null
"$NODE" "$(dirname "$0")/browser.mjs" "$URL" "$SHOTS" "$SCRATCH/cat.jpg" "$CSV" "$WAV" \
  "$SCRATCH/prices.md" "$SCRATCH/hours.md" "$SCRATCH/answer.txt" "$SCRATCH/zones.csv" \
  "$SCRATCH/ride.gpx" "$SCRATCH/fc/train.csv"
stop_server
echo "screenshots in $SHOTS"
