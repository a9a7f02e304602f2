#!/usr/bin/env bash
# polish — progress: shown on a terminal (items, rate, ETA), silent when piped or with --quiet.
. "$(dirname "$0")/lib.sh"
IN=$T/in
mkdir -p "$IN"
for i in 1 2 3; do make_photo "$IN/p$i.jpg" 200x; done

# Piped: stderr holds the summary but no progress bar.
run_polish 0 fix "$IN" -o "$T/o1"
check "the summary went to stderr" test -s "$ERR"
check "no progress bar when piped" sh -c "! grep -q 'ETA' '$ERR'"
contains "$ERR" "3 ok, 0 failed"

# On a terminal (script(1) gives polish a pseudo-terminal): the bar with items, rate and ETA.
script -qec "'$POLISH' fix '$IN' -o '$T/o2'" /dev/null > "$T/tty" 2>&1
check "progress bar on a terminal" grep -q '3/3 items .*/s .*ETA' "$T/tty"

# --quiet on a terminal: nothing at all.
script -qec "'$POLISH' fix '$IN' -o '$T/o3' --quiet" /dev/null > "$T/quiet" 2>&1
check "quiet on a terminal prints nothing" test ! -s "$T/quiet"
finish
