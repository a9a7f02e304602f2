#!/usr/bin/env bash
# polish — the ops that cut time stream too: shorten-pauses (plain, room tone, a long crossfade)
# and trim on speech with pauses over several blocks give, streamed, the same samples and the same
# cut list as loaded whole (a --report run loads the item whole); peak memory of a streamed
# shorten-pauses does not grow with the length of the recording (40 s against 4 minutes).
. "$(dirname "$0")/lib.sh"
L=$LIBRIVOX
sox "$L"/*-0880.wav "$T/s1.wav" 2>/dev/null
sox "$L"/*-0890.wav "$T/s2.wav" 2>/dev/null
sox -n -r 16000 -c 1 -b 16 "$T/gap3.wav" trim 0 3
sox -n -r 16000 -c 1 -b 16 "$T/gap1.wav" trim 0 1.3
# sentence, 3 s pause, sentence, 1.3 s pause, ...: 23.6 s; three of them with 4 s of silence at
# each end, in stereo: 1.26 million frames, three blocks of the reader
sox "$T/s1.wav" "$T/gap3.wav" "$T/s2.wav" "$T/gap1.wav" "$T/s1.wav" "$T/gap3.wav" "$T/s2.wav" "$T/p0.wav"
sox -n -r 16000 -c 1 -b 16 "$T/sil.wav" trim 0 4
sox "$T/sil.wav" "$T/p0.wav" "$T/p0.wav" "$T/p0.wav" "$T/sil.wav" -c 2 -e floating-point \
    "$T/p1.wav" 2>/dev/null
"$AU" mix "$T/p1.wav" "$T/p.wav" noise=pink snr=35 seed=3
check "the input spans several blocks" [ "$("$AU" info "$T/p.wav" | cut -d' ' -f1)" -gt 1100000 ]
cd "$T" || exit 1
n=0
for op in "shorten-pauses" "shorten-pauses --room-tone" "shorten-pauses --max 1 --keep 1 --crossfade 200 --room-tone" \
          "trim" "trim --margin 0.05"; do
    n=$((n + 1))
    rm -rf s w
    cuts=()
    case $op in shorten-pauses*) cuts=(--cuts c.json) ;; esac
    run_polish 0 audio $op p.wav -o s/ "${cuts[@]}" --json || continue
    check "$op: streamed" grep -q '"streamed": true' "$OUT"
    check "$op: applied" [ "$(step_status "$OUT" "${op%% *}")" = applied ]
    run_polish 0 audio $op p.wav -o w/ "${cuts[@]}" --report w/r.html --json || continue
    check "$op: loaded whole with --report" [ -z "$(grep '"streamed": true' "$OUT")" ]
    check "$op: shorter than the input" [ "$("$AU" info s/p.wav | cut -d' ' -f1)" -lt "$("$AU" info p.wav | cut -d' ' -f1)" ]
    check "$op: streamed and whole give the same samples" "$AU" same s/p.wav w/p.wav
    [ ${#cuts[@]} = 0 ] || check "$op: the same cut list" cmp -s s/c.json w/c.json
done
# a step after a cut: the item is loaded whole (the cut changes what the later step sees), and
# the result is the two ops run one after the other
printf 'domain: audio\nsteps:\n  - shorten-pauses\n  - loudness\n' >r.yml
rm -rf r sp1 sp2
run_polish 0 run r.yml p.wav -o r/ --json
check "a step after a cut: loaded whole" [ -z "$(grep '"streamed": true' "$OUT")" ]
run_polish 0 audio shorten-pauses p.wav -o sp1/
run_polish 0 audio loudness sp1/p.wav -o sp2/
check "a step after a cut: the same length as the two ops one after the other" \
    [ "$("$AU" info r/p.wav)" = "$("$AU" info sp2/p.wav)" ]
at_least "a step after a cut: the same samples as the two ops one after the other (SI-SDR dB)" \
    "$("$AU" sisdr sp2/p.wav r/p.wav)" 100
# memory: 40 s and 4 minutes of 16 kHz speech with pauses, streamed; loaded whole the longer one
# takes clearly more (checked without AddressSanitizer, whose quarantine hides it)
sox "$T/p0.wav" "$T/p0.wav" "$T/m40.wav" trim 0 40
sox "$T/p0.wav" "$T/m240.wav" repeat 10 trim 0 240
check "peak memory of streamed shorten-pauses does not grow with duration" \
    python3 - "$POLISH" "$T" <<'PY'
import os, resource, subprocess, sys
P, T = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.environ["POLISH_TESTS_COMMON"])
import peakmem
def peak(*args): return peakmem.peak(P, *args)
s40 = peak("audio", "shorten-pauses", T + "/m40.wav", "-o", T + "/o40/")
s240 = peak("audio", "shorten-pauses", T + "/m240.wav", "-o", T + "/o240/")
w40 = peak("audio", "shorten-pauses", T + "/m40.wav", "-o", T + "/w40/", "--report", T + "/w40/r.html")
w240 = peak("audio", "shorten-pauses", T + "/m240.wav", "-o", T + "/w240/", "--report", T + "/w240/r.html")
print("streamed: %d KiB for 40 s, %d KiB for 240 s; whole: %d / %d KiB" % (s40, s240, w40, w240))
assert s240 <= 1.10 * s40, (s40, s240)
if not os.environ.get("ASAN_OPTIONS"):
    assert w240 - w40 > (s240 - s40) + 5000, (s40, s240, w40, w240)
PY
finish
