#!/usr/bin/env bash
# polish — captions from a plain transcript aligned to the speech (pocketsphinx): three LibriVox
# readings (pocketsphinx-testdata) with their leading silence trimmed, 1 s of silence before and
# 2 s between them, so each reading's first word starts at a known time. Each reading's first cue
# starts within 0.3 s of it, no cue holds words of two readings or covers a whole inserted
# silence, every word is kept, the report says how many words aligned. Without the model the op
# falls back to the voice activity and says so.
. "$(dirname "$0")/lib.sh"
command -v sox >/dev/null || { echo "SKIP: sox missing"; exit 77; }
[ -f /usr/share/pocketsphinx/model/en-us/en-us/mdef ] || { echo "SKIP: pocketsphinx-en-us missing"; exit 77; }
parts=()
for k in 0870 0880 0890; do
    sox "$LIBRIVOX"/*-"$k".wav "$T/u$k.wav" silence 1 0.01 1%
    parts+=("$T/u$k.wav")
done
sox -n -r 16000 -c 1 -b 16 "$T/lead.wav" trim 0 1
sox -n -r 16000 -c 1 -b 16 "$T/gap.wav" trim 0 2
sox "$T/lead.wav" "${parts[0]}" "$T/gap.wav" "${parts[1]}" "$T/gap.wav" "${parts[2]}" "$T/lead.wav" "$T/speech.wav"
starts=$(/usr/bin/python3 -c 'import sys; d=[float(x) for x in sys.argv[1:]]; print(1.0, 1.0+d[0]+2, 1.0+d[0]+2+d[1]+2)' \
    "$(soxi -D "${parts[0]}")" "$(soxi -D "${parts[1]}")")
$FF -f lavfi -i "color=c=gray:s=160x90:r=10" -i "$T/speech.wav" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    -c:a aac -shortest "$T/in.mp4"
cat > "$T/t.txt" <<'TXT'
And Mister John Dashwood had then leisure to consider how much there might be prudently in his power to do for them.

He was not an ill-disposed young man,
unless to be rather cold-hearted, and rather selfish, is to be ill-disposed.
TXT
run_polish 0 video captions --transcript "$T/t.txt" "$T/in.mp4" -o "$T/out.mp4" --report "$T/r.json"
$FF -i "$T/out.mp4" -map 0:s -f srt "$T/out.srt"
# the readings' words as counted in t.txt: 22, 7 ("ill-disposed" is one token), 12
check "transcript: each reading's first cue starts at its first word; no cue joins two readings" \
    python3 - "$T/out.srt" "$T/t.txt" $starts <<'PY'
import re, sys
cues = []
for block in re.split(r'\n\s*\n', open(sys.argv[1]).read().strip()):
    lines = block.strip().split('\n')
    g = [int(x) for x in re.match(r'(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)', lines[1]).groups()]
    cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000,
                 re.sub(r'<[^>]*>', '', ' '.join(lines[2:])).split()))
words = open(sys.argv[2]).read().split()
assert [w for c in cues for w in c[2]] == words, ([c[2] for c in cues], words)
known = [float(x) for x in sys.argv[3:]]
first = [0, 22, 29]  # word index where each reading starts
at, n = {}, 0
for c in cues:
    at[n] = c
    n += len(c[2])
errs = []
for k, (i, t) in enumerate(zip(first, known)):
    assert i in at, f"reading {k + 1} starts inside a cue: {[c[2] for c in cues]}"
    errs.append(round(at[i][0] - t, 3))
for t in known[1:]:  # the inserted 2 s silences: [t - 2, t]
    for c in cues:
        assert not (c[0] < t - 2 + 0.05 and c[1] > t - 0.05), f"cue {c} covers the silence before {t}"
print("start errors (s):", errs)
assert all(abs(e) <= 0.3 for e in errs), errs
PY
check "transcript: the report says pocketsphinx aligned the words" python3 - "$T/r.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
print("alignment:", m["alignment"], m["words_aligned"], "of", m["words"], "aligned")
assert m["alignment"] == "pocketsphinx", m
assert m["words"] == 41 and m["words_aligned"] >= 37, m
assert m["cues_over_lines"] == 0 and m["cues_over_chars"] == 0, m
PY
# a recording over 60 s is aligned in 30 s windows: all five readings twice (66.7 s), each
# reading's first cue within 0.3 s of its known start
for k in 0920 0930; do sox "$LIBRIVOX"/*-"$k".wav "$T/u$k.wav" silence 1 0.01 1%; done
seq=(); for r in 1 2; do for k in 0870 0880 0890 0920 0930; do seq+=("$T/u$k.wav" "$T/gap.wav"); done; done
sox "$T/lead.wav" "${seq[@]:0:19}" "$T/lead.wav" "$T/long.wav"
$FF -f lavfi -i "color=c=gray:s=160x90:r=10" -i "$T/long.wav" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    -c:a aac -shortest "$T/long.mp4"
sed 's/^<s> //; s/ <\/s>.*//' "$LIBRIVOX/transcription" > "$T/five.txt"
cat "$T/five.txt" "$T/five.txt" > "$T/long.txt"
run_polish 0 video captions --transcript "$T/long.txt" "$T/long.mp4" -o "$T/long-out.mp4" --report "$T/r3.json"
$FF -i "$T/long-out.mp4" -map 0:s -f srt "$T/long.srt"
check "transcript over 60 s: windows; every reading's first cue at its start" \
    python3 - "$T/long.srt" "$T/five.txt" "$T/r3.json" "${seq[@]:0:19}" <<'PY'
import json, re, subprocess, sys
m = json.load(open(sys.argv[3]))["items"][0]["steps"][0]["measured"]
assert m["alignment"] == "pocketsphinx" and m["alignment_windows"] >= 2 and m["words_aligned"] >= 0.9 * m["words"], m
cues = []
for block in re.split(r'\n\s*\n', open(sys.argv[1]).read().strip()):
    lines = block.strip().split('\n')
    g = [int(x) for x in re.match(r'(\d+):(\d+):(\d+),(\d+)', lines[1]).groups()]
    cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, len(re.sub(r'<[^>]*>', '', ' '.join(lines[2:])).split())))
counts = [len(l.split()) for l in open(sys.argv[2]).read().strip().split('\n')] * 2
known = []
t = 1.0
for i, f in enumerate(sys.argv[4:]):
    if i % 2 == 0: known.append(t)
    t += float(subprocess.check_output(['soxi', '-D', f]))
at, n = {}, 0
for t0, k in cues:
    at[n] = t0
    n += k
first = [sum(counts[:i]) for i in range(len(counts))]
errs = [round(at[i] - t, 3) if i in at else None for i, t in zip(first, known)]
print("long recording start errors (s):", errs)
assert all(e is not None and abs(e) <= 0.3 for e in errs), errs
PY
check "transcript over 60 s: decoded into the windows, not held whole" python3 - "$T/r3.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
print("audio held:", m["alignment_audio_held_s"], "s of 66.7")
assert m["alignment_audio_held_s"] <= 62.5, m
PY
# transcripts that do not match the sound: the decoder's forced placements must not be believed.
# meas FILE: the captions step's measurements and warnings as one JSON line
meas() { python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["items"][0]["steps"][0]; print(json.dumps([s["measured"], s.get("warnings", [])]))' "$1"; }
# another reading's text (the two readings not in the clip) on the 20.6 s clip (one piece)
sed -n 4,5p "$T/five.txt" > "$T/other.txt"
run_polish 0 video captions --transcript "$T/other.txt" "$T/in.mp4" -o "$T/other.mp4" --report "$T/ro.json"
# the five readings' text in the other order on the 66.7 s clip (windows)
tac "$T/five.txt" "$T/five.txt" > "$T/rev.txt"
run_polish 0 video captions --transcript "$T/rev.txt" "$T/long.mp4" -o "$T/rev.mp4" --report "$T/rr.json"
# music (a tone and its octave stepping through a scale, three notes a second) for 70 s (windows)
# and pink noise for 20 s
note='220*pow(2\,floor(mod(t*21\,12))/12)'
$FF -f lavfi -i "color=c=gray:s=160x90:r=10" -f lavfi \
    -i "aevalsrc=0.2*sin(2*PI*t*$note)+0.1*sin(4*PI*t*$note):s=16000:d=70" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest "$T/music.mp4"
$FF -f lavfi -i "color=c=gray:s=160x90:r=10" -f lavfi -i "anoisesrc=c=pink:a=0.3:r=16000:d=20" \
    -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest "$T/noise.mp4"
run_polish 0 video captions --transcript "$T/long.txt" "$T/music.mp4" -o "$T/music-out.mp4" --report "$T/rm.json"
run_polish 0 video captions --transcript "$T/t.txt" "$T/noise.mp4" -o "$T/noise-out.mp4" --report "$T/rn.json"
for c in ro rm rn; do
    check "transcript not matching the sound ($c): not reported as aligned, said so" python3 - "$(meas "$T/$c.json")" <<'PY'
import json, sys
m, warn = json.loads(sys.argv[1])
print(m["alignment"], m["words_aligned"], "aligned,", m["words_matching_speech"], "matching,", m["words_rejected"], "rejected of", m["words"], warn)
assert m["alignment"] != "pocketsphinx" and m["words_aligned"] == 0, m
assert m["words_matching_speech"] * 4 < m["words"], m
assert any("not aligned" in w for w in warn), warn
PY
done
# the readings' text in the other order matches the speech in part (the alignment may skip words):
# only what matches is aligned: every cue that starts on an aligned word starts inside a reading of
# that word's line (its text), and most words are reported unmatched
$FF -i "$T/rev.mp4" -map 0:s -f srt "$T/rev.srt"
check "transcript in the other order: aligned only where it matches" \
    python3 - "$T/rev.srt" "$T/rev.txt" "$T/rr.json" "$T/five.txt" "${seq[@]:0:19}" <<'PY'
import json, re, subprocess, sys
m = json.load(open(sys.argv[3]))["items"][0]["steps"][0]["measured"]
unmatched = set()
for s in m.get("unmatched_spans", []):
    unmatched |= set(range(s["first_word"] - 1, s["last_word"]))
lines = [l.strip() for l in open(sys.argv[2]).read().strip().split("\n")]
line_of = [li for li, l in enumerate(lines) for _ in l.split()]
five = [l.strip() for l in open(sys.argv[4]).read().strip().split("\n")]
said, t = {}, 1.0  # each reading's text -> its spans in the clip
for i, f in enumerate(sys.argv[5:]):
    d = float(subprocess.check_output(["soxi", "-D", f]))
    if i % 2 == 0: said.setdefault(five[(i // 2) % 5], []).append((t, t + d))
    t += d
n, checked = 0, 0
for block in re.split(r"\n\s*\n", open(sys.argv[1]).read().strip()):
    l = block.strip().split("\n")
    g = [int(x) for x in re.match(r"(\d+):(\d+):(\d+),(\d+)", l[1]).groups()]
    t0 = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
    if n not in unmatched:
        checked += 1
        assert any(a - 0.3 <= t0 <= b for a, b in said[lines[line_of[n]]]), (n, t0, lines[line_of[n]])
    n += len(re.sub(r"<[^>]*>", "", " ".join(l[2:])).split())
print(m["alignment"], m["words_aligned"], "of", m["words"], "aligned;", checked, "cues on aligned words inside their readings;",
      len(unmatched), "words unmatched")
assert checked >= 2 and len(unmatched) >= 0.3 * m["words"], m
PY
check "transcript not matching the sound: subtitles are still written" \
    test "$(stream "$T/rev.mp4" s codec_name)" = mov_text -a "$(stream "$T/music-out.mp4" s codec_name)" = mov_text
# one reading's sentence replaced by one never said: the rest aligns, those words are not believed
{ sed -n 1p "$T/five.txt"; echo "she was not a kind and gentle old woman"; sed -n 3,5p "$T/five.txt"; cat "$T/five.txt"; } > "$T/part.txt"
run_polish 0 video captions --transcript "$T/part.txt" "$T/long.mp4" -o "$T/part.mp4" --report "$T/rp.json"
check "transcript with a sentence not said: aligned around it, its words rejected" python3 - "$(meas "$T/rp.json")" <<'PY'
import json, sys
m, warn = json.loads(sys.argv[1])
print(m["words_aligned"], "aligned,", m["words_rejected"], "rejected of", m["words"], warn)
assert m["alignment"] == "pocketsphinx" and m["words"] == 143, m
assert 0.9 * 143 <= m["words_aligned"] <= 143 - 4 and m["words_rejected"] >= 4, m
assert "cues_without_aligned_word" in m and any("could not be aligned" in w for w in warn), (m, warn)
PY
# without the acoustic model: the words spread over the detected speech, said in the report
run_polish 0 video captions --transcript "$T/t.txt" --model "$T/none" "$T/in.mp4" -o "$T/fb.mp4" --report "$T/r2.json"
check "transcript without the model: the fallback is reported" python3 - "$T/r2.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
assert m["alignment"] == "voice-activity" and m["words_aligned"] == 0 and m["words"] == 41, m
PY
check "transcript without the model: subtitles are still written" test "$(stream "$T/fb.mp4" s codec_name)" = mov_text
# either --srt or --transcript; an empty transcript is an error, with no output
run_polish 1 video captions "$T/in.mp4" -o "$T/none.mp4"
: > "$T/empty.txt"
run_polish 1 video captions --transcript "$T/empty.txt" "$T/in.mp4" -o "$T/e.mp4"
check "transcript: no output after an error" test ! -e "$T/e.mp4" -a ! -e "$T/none.mp4"
finish
