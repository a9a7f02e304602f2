#!/usr/bin/env bash
# polish — the editing ops on real speech. declip: speech driven 15.6 dB into clipping gains SI-SDR
# back (aim +5 dB; the cubic redraw of each flat run) and clean speech is left exactly as it was.
# shorten-pauses: a 3 s pause between two sentences is cut to 0.5 s inside the pause (the words on
# both sides come out sample for sample), the cut list (report and --cuts JSON) matches the output
# length, room tone keeps the same cuts; speech without long pauses is left as it was.
. "$(dirname "$0")/lib.sh"
clean_speech "$T/clean.wav"
# ---- declip
sox "$T/clean.wav" "$T/clip.wav" vol 6 2>/dev/null
run_polish 0 audio declip "$T/clip.wav" -o "$T/dc.wav" --json
check "declip applied on clipped speech" [ "$(step_status "$OUT" declip)" = applied ]
a=$("$AU" sisdr "$T/clean.wav" "$T/clip.wav")
b=$("$AU" sisdr "$T/clean.wav" "$T/dc.wav")
g=$(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", b - a}')
echo "declip: clipped speech $a dB SI-SDR, restored $b dB (+$g dB)"
at_least "declip gains SI-SDR on clipped speech (dB)" "$g" 5
check "declip keeps the shape" [ "$("$AU" info "$T/dc.wav")" = "$("$AU" info "$T/clip.wav")" ]
run_polish 0 audio declip "$T/clean.wav" -o "$T/dc2.wav" --json
check "declip declines on clean speech" [ "$(step_status "$OUT" declip)" = declined ]
check "declip leaves clean speech as it was" "$AU" same "$T/clean.wav" "$T/dc2.wav"
# ---- shorten-pauses: sentence, 3 s of room noise, sentence
L=$LIBRIVOX
sox "$L"/*-0880.wav "$T/s1.wav" 2>/dev/null
sox "$L"/*-0890.wav "$T/s2.wav" 2>/dev/null
sox -n -r 16000 -c 1 -b 16 "$T/gap.wav" trim 0 3
sox "$T/s1.wav" "$T/gap.wav" "$T/s2.wav" "$T/p0.wav"
"$AU" mix "$T/p0.wav" "$T/p.wav" noise=pink snr=35 seed=3
n1=$("$AU" info "$T/s1.wav" | cut -d' ' -f1)
nin=$("$AU" info "$T/p.wav" | cut -d' ' -f1)
rm -f "$T/sp.wav" "$T/sp.cuts.json"
(cd "$T" && run_polish 0 audio shorten-pauses p.wav -o sp.wav --cuts sp.cuts.json --json)
check "shorten-pauses applied" [ "$(step_status "$OUT" shorten-pauses)" = applied ]
check "the cut list is written" [ -s "$T/sp.cuts.json" ]
read -r ncuts from to removed rate < <(python3 - "$T/sp.cuts.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["cuts"]
print(len(c), round(c[0]["input_from_s"] * d["rate"]), round(c[0]["input_to_s"] * d["rate"]),
      round(sum(x["removed_s"] for x in c) * d["rate"]), d["rate"])
PY
)
nout=$("$AU" info "$T/sp.wav" | cut -d' ' -f1)
check "one cut" [ "$ncuts" = 1 ]
check "output length = input - removed ($nout = $nin - $removed)" [ $((nin - removed)) = "$nout" ]
check "the cut lies inside the pause ($from..$to within $n1..$((n1 + 48000)))" \
    [ "$from" -ge "$n1" ] && check "... and ends before the next sentence" [ "$to" -le $((n1 + 48000)) ]
pause_left=$(awk -v r="$removed" 'BEGIN{printf "%.2f", 3 - r / 16000}')
echo "shorten-pauses: 3 s pause cut to $pause_left s"
at_most "the pause is now no longer than --max (s)" "$pause_left" 1.0
# the words on both sides, sample for sample: the input before the cut, and after it (past the
# crossfade)
sox "$T/p.wav" "$T/head_in.wav" trim 0 "${from}s"
sox "$T/sp.wav" "$T/head_out.wav" trim 0 "${from}s"
check "speech before the cut is untouched" "$AU" same "$T/head_in.wav" "$T/head_out.wav"
xf=320
sox "$T/p.wav" "$T/tail_in.wav" trim "$((to + xf))s"
sox "$T/sp.wav" "$T/tail_out.wav" trim "$((from + xf))s"
check "speech after the cut is untouched" "$AU" same "$T/tail_in.wav" "$T/tail_out.wav"
rm -f "$T/rt.wav"
run_polish 0 audio shorten-pauses --room-tone "$T/p.wav" -o "$T/rt.wav" --json
check "room tone: same length" [ "$("$AU" info "$T/rt.wav")" = "$("$AU" info "$T/sp.wav")" ]
run_polish 0 audio shorten-pauses "$T/s1.wav" -o "$T/s1o.wav" --json
check "no long pause: declined" [ "$(step_status "$OUT" shorten-pauses)" = declined ]
check "no long pause: left as it was" "$AU" same "$T/s1.wav" "$T/s1o.wav"
finish
