#!/usr/bin/env bash
# polish — exact shape: every op that does not cut time keeps the frame count, rate and channels
# of the input, streamed (several blocks) or whole (a --report run loads the item whole): the two
# agree to float precision, so the blocks join with no seam and the latency is compensated.
. "$(dirname "$0")/lib.sh"
clean_speech "$T/mono.wav" "$LIBRIVOX"/*-0870.wav "$LIBRIVOX"/*-0890.wav "$LIBRIVOX"/*-0920.wav
run_polish 0 audio export --rate 44100 --channels 2 "$T/mono.wav" -o "$T/st.wav"
"$AU" mix "$T/st.wav" "$T/in0.wav" noise=white snr=8 hum=50 humdb=3 drift=0.02
# one block of 524288 frames (domain.c) and 20000 more: the last block is shorter than dehum's
# halo, so the block before it already holds all the input (the processors must flush there)
sox "$T/in0.wav" "$T/in.wav" trim 0 544288s 2>/dev/null
shape=$("$AU" info "$T/in.wav")
check "the stereo input spans two blocks" [ "$(echo "$shape" | cut -d' ' -f1)" = 544288 ]
for op in "denoise" "dehum" "loudness --target -16 --ceiling -1" "highpass --when always"; do
    rm -rf "$T/s" "$T/w"
    run_polish 0 audio $op "$T/in.wav" -o "$T/s/" || continue
    run_polish 0 audio $op "$T/in.wav" -o "$T/w/" --report "$T/w/r.html" || continue
    check "$op: streamed output keeps the shape" [ "$("$AU" info "$T/s/in.wav")" = "$shape" ]
    check "$op: whole output keeps the shape" [ "$("$AU" info "$T/w/in.wav")" = "$shape" ]
    agree=$("$AU" sisdr "$T/s/in.wav" "$T/w/in.wav")
    at_least "$op: streamed and whole agree (SI-SDR dB)" "$agree" 100
done
# dehum's context is its 0.7 s block at the input's rate (it was sized for 192 kHz whatever the
# rate). The reader (domain.c) reserves its buffer as it grows: a measuring pass with no context
# (524288 frames), then the applying pass, whose second block holds 524288 frames and the
# context on both sides; so at 8 kHz mono, reserved bytes / 8 - 524288 is the context a side.
sox "$T/mono.wav" -r 8000 "$T/m8.wav" 2>/dev/null
"$AU" loop "$T/m8.wav" "$T/m8long.wav" 140
rm -rf "$T/s"
if run_polish 0 audio dehum --when always "$T/m8long.wav" -o "$T/s/" --json; then
    ctx=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["items"][0]["memory"]["reserved_bytes"] // 8 - 524288)' "$OUT")
    at_least "dehum's context at 8 kHz (frames a side)" "$ctx" 5600
    at_most "dehum's context at 8 kHz (frames a side)" "$ctx" 5602
fi
# declip streams too: clipped speech over the two blocks, streamed and whole give the same samples
sox "$T/in.wav" -b 16 "$T/clip.wav" vol 4 2>/dev/null
rm -rf "$T/s" "$T/w"
run_polish 0 audio declip "$T/clip.wav" -o "$T/s/" --json
check "declip: streamed" grep -q '"streamed": true' "$OUT"
check "declip: applied" [ "$(step_status "$OUT" declip)" = applied ]
run_polish 0 audio declip "$T/clip.wav" -o "$T/w/" --report "$T/w/r.html"
check "declip: streamed keeps the shape" [ "$("$AU" info "$T/s/clip.wav")" = "$("$AU" info "$T/clip.wav")" ]
check "declip: streamed and whole give the same samples" "$AU" same "$T/s/clip.wav" "$T/w/clip.wav"
# the checked commands, exactly as written
cd "$T" || exit 1
cp in.wav talk.wav
run_polish 0 audio denoise in.wav -o out.wav && check "denoise: same shape" [ "$("$AU" info out.wav)" = "$shape" ]
rm -f out.wav
run_polish 0 audio dehum in.wav -o out.wav && check "dehum: same shape" [ "$("$AU" info out.wav)" = "$shape" ]
rm -f out.wav
run_polish 0 audio loudness --target -16 --ceiling -1 in.wav -o out.wav
run_polish 0 fix talk.wav -o out/ && check "fix writes out/talk.wav" [ "$("$AU" info out/talk.wav)" = "$shape" ]
run_polish 0 inspect talk.wav --json && contains "$OUT" '"hum_hz": '
check "inspect gives every figure the issue names" python3 - "$OUT" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["inspect"]
for k in ["loudness_lufs", "loudness_range_lu", "true_peak_dbtp", "noise_floor_dbfs", "snr_db",
          "hum_hz", "hum_harmonics", "clipped_samples", "dc_offset", "pauses", "pause_longest_s"]:
    assert k in m, k
assert abs(m["hum_hz"] - 50) < 0.3, m["hum_hz"]
PY
# inspect reads the file as a stream (never held whole), in blocks of 65536 frames; that the
# figures do not depend on the blocks (65536, 4093, 1000 frames == one block of the whole signal,
# the analysis of the item loaded whole) is checked in test_dsp.c (audio-dsp), on the analysis
check "inspect is streamed" grep -q '"stream": ' "$OUT"
# the HTML report shows each applied cleaning step's before/after waveform and spectrogram: a PNG
# per step, of the two panels' size, the "after" differing from the "before"
rm -rf outr
run_polish 0 fix talk.wav -o outr/ --report outr/r.html --json
check "the report pictures: one PNG per applied step (dehum, denoise, ...)" python3 - outr/r.html "$OUT" <<'PY'
import base64, json, re, struct, sys
html = open(sys.argv[1]).read()
rep = json.load(open(sys.argv[2]))
applied = [s["op"] for s in rep["items"][0]["steps"]
           if s["status"] == "applied" and s["op"] in ("audio.dehum", "audio.denoise", "audio.highpass")]
assert "audio.dehum" in applied and "audio.denoise" in applied, applied
figs = re.findall(r'<figure class="fig"><img alt="([^"]*)" src="data:image/png;base64,([^"]+)"', html)
figs = [(t, base64.b64decode(b)) for t, b in figs if "before (left) and after (right)" in t]
assert len(figs) >= len(applied), (len(figs), applied)
for t, png in figs:
    assert png[:8] == b"\x89PNG\r\n\x1a\n", t
    w, h = struct.unpack(">II", png[16:24])
    assert w >= 400 and h >= 150, (t, w, h)
assert len({png for _, png in figs}) == len(figs), "two steps drew the same picture"
PY
# export: rate and channels change exactly as asked
rm -rf out2
run_polish 0 audio export --rate 48000 --channels 1 --format flac in.wav -o out2/
frames=$(echo "$shape" | cut -d' ' -f1)
want=$(awk -v n="$frames" 'BEGIN{printf "%d", n * 48000 / 44100 + 0.5}')
check "export --format flac into a folder names the output .flac" [ -f out2/in.flac ]
got=$("$AU" info out2/in.flac 2>/dev/null)
check "export: 48 kHz mono of the same duration ($want frames, got $got)" \
    [ "$(echo "$got" | awk -v w="$want" '{d=$1-w; if (d<0) d=-d; print (d<=2 && $2==48000 && $3==1) ? "ok" : "no"}')" = ok ]
# every format the issue names is read and written (streamed): FLAC exactly, the lossy codecs to
# within their framing; and an odd rate and channel count keeps its shape through an op
sox "$T/mono.wav" "$T/m10.wav" trim 0 10 2>/dev/null
mfr=$("$AU" info "$T/m10.wav" | cut -d' ' -f1)
for fmt in flac ogg opus mp3; do
    rm -rf "fo-$fmt" "fd-$fmt"
    run_polish 0 audio export --format $fmt "$T/m10.wav" -o "fo-$fmt/" || continue
    f=$(ls "fo-$fmt"/m10.* 2>/dev/null | head -1)
    check "$fmt: written as .$fmt" [ "$f" = "fo-$fmt/m10.$fmt" ]
    run_polish 0 audio loudness --target -20 "$f" -o "fd-$fmt/" --json || continue
    check "$fmt: read and written back streamed" grep -q '"streamed": true' "$OUT"
    got=$("$AU" info "fd-$fmt/m10.$fmt" 2>/dev/null)
    check "$fmt: same duration within 0.1 s ($got against $mfr frames at 16000)" \
        [ "$(echo "$got" | awk -v n="$mfr" '{d=$1/$2-n/16000; if (d<0) d=-d; print d<=0.1 ? "ok" : "no"}')" = ok ]
done
check "flac: lossless, exactly the frames" [ "$("$AU" info fo-flac/m10.flac | cut -d' ' -f1)" = "$mfr" ]
sox "$T/m10.wav" -r 22050 -c 3 "$T/odd.wav" 2>/dev/null
rm -f odd-dn.wav
run_polish 0 audio denoise --when always "$T/odd.wav" -o odd-dn.wav
check "22.05 kHz, 3 channels: denoise keeps the shape" [ "$("$AU" info odd-dn.wav)" = "$("$AU" info "$T/odd.wav")" ]
finish
