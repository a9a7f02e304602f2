#!/usr/bin/env bash
# polish — trim --cut-pauses never clips a word: the five LibriVox readings of pocketsphinx-testdata
# with silences of known lengths inserted between them (1 s before, 2.5, 0.3, 3 and 1.5 s between,
# 1 s after); each reading's words are timed by pocketsphinx_continuous on the reading alone
# (independently of polish). From the cut list (JSON): every word lies inside one kept span with at
# least 0.05 s to spare at both ends; each inserted silence of 1.5 s or more is shortened to at most
# the margins plus 0.25 s; the 0.3 s one is kept whole. The EDL holds the same kept spans.
. "$(dirname "$0")/lib.sh"
command -v pocketsphinx_continuous >/dev/null || { echo "pocketsphinx_continuous missing (scripts/setup)"; exit 1; }
GAPS="1.0 2.5 0.3 3.0 1.5 1.0"
# the soundtrack, exactly: readings and silences as 16 kHz samples; spans.txt: each reading's start
python3 - "$T" "$LIBRIVOX" $GAPS <<'PY'
import glob, sys, wave
t, lib, gaps = sys.argv[1], sys.argv[2], [float(g) for g in sys.argv[3:]]
files = sorted(glob.glob(lib + "/*.wav"))
assert len(files) == 5, files
out = wave.open(t + "/speech.wav", "wb")
out.setnchannels(1); out.setsampwidth(2); out.setframerate(16000)
pos, spans = 0, []
for k, f in enumerate(files):
    out.writeframes(b"\0\0" * int(gaps[k] * 16000)); pos += int(gaps[k] * 16000)
    w = wave.open(f, "rb")
    assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
    n = w.getnframes()
    out.writeframes(w.readframes(n))
    spans.append((f, pos / 16000, (pos + n) / 16000)); pos += n
out.writeframes(b"\0\0" * int(gaps[5] * 16000))
out.close()
with open(t + "/spans.txt", "w") as s:
    for f, a, b in spans: s.write(f"{f} {a:.6f} {b:.6f}\n")
PY
# the words of each reading, in the whole soundtrack's time
: > "$T/words.txt"
while read -r f a b; do
    pocketsphinx_continuous -infile "$f" -time yes 2>/dev/null |
        awk -v a="$a" 'NF == 4 && $1 != "<s>" && $1 != "</s>" && $1 != "<sil>" {printf "%s %.3f %.3f\n", $1, $2 + a, $3 + a}' >>"$T/words.txt"
done <"$T/spans.txt"
nw=$(wc -l <"$T/words.txt")
at_least "pocketsphinx timed the readings' words" "$nw" 40
$FF -f lavfi -i "color=c=gray:s=160x90:r=10" -i "$T/speech.wav" -c:v libx264 -preset ultrafast -c:a aac -b:a 96k \
    -shortest "$T/in.mp4"
run_polish 0 video trim --cut-pauses "$T/in.mp4" -o "$T/out.mp4" --cuts cuts.json
run_polish 0 video trim --cut-pauses "$T/in.mp4" -o "$T/out2.mp4" --cuts cuts.edl
check "trim: no word clipped, long pauses shortened" python3 - "$T/cuts.json" "$T/words.txt" "$T/spans.txt" $GAPS <<'PY'
import json, sys
cuts = json.load(open(sys.argv[1]))
kept = [(k["source_in"], k["source_out"]) for k in cuts["kept"]]
words = [(l.split()[0], float(l.split()[1]), float(l.split()[2])) for l in open(sys.argv[2])]
spans = [(float(l.split()[1]), float(l.split()[2])) for l in open(sys.argv[3])]
gaps = [float(g) for g in sys.argv[4:]]
ok, SPARE, MARGINS = True, 0.05, 0.2 + 0.3
for w, a, b in words:
    if not any(k0 <= a - SPARE and b + SPARE <= k1 for k0, k1 in kept):
        print(f"word {w!r} at {a:.3f}-{b:.3f} s is not inside a kept span with {SPARE} s to spare", file=sys.stderr)
        ok = False
# the inserted silences between readings
for k in range(4):
    g0, g1 = spans[k][1], spans[k + 1][0]
    left = sum(max(0.0, min(k1, g1) - max(k0, g0)) for k0, k1 in kept)
    print(f"silence {gaps[k + 1]:.1f} s -> {left:.3f} s kept", file=sys.stderr)
    if gaps[k + 1] >= 1.5 and left > MARGINS + 0.25:
        print(f"  not shortened: {left:.3f} s > {MARGINS + 0.25} s", file=sys.stderr); ok = False
    if gaps[k + 1] < 0.7 and left < gaps[k + 1] - 1e-3:
        print(f"  a short pause was cut: {left:.3f} s of {gaps[k + 1]} s", file=sys.stderr); ok = False
print(f"{len(words)} words, {len(kept)} kept spans, {cuts['duration_s']:.2f} s -> {cuts['output_duration_s']:.2f} s",
      file=sys.stderr)
sys.exit(0 if ok else 1)
PY
# the EDL lists the same kept spans (source in/out timecodes at 10 fps)
check "trim: the EDL holds the JSON's kept spans" python3 - "$T/cuts.json" "$T/cuts.edl" <<'PY'
import json, sys
kept = json.load(open(sys.argv[1]))["kept"]
ev = [l.split() for l in open(sys.argv[2]) if l[:3].isdigit()]
assert len(ev) == len(kept), (len(ev), len(kept))
tc = lambda s: (lambda h, m, x, f: h * 3600 + m * 60 + x + f / 10)(*map(int, s.split(":")))
for e, k in zip(ev, kept):
    assert abs(tc(e[4]) - k["source_in"]) <= 0.051 and abs(tc(e[5]) - k["source_out"]) <= 0.051, (e, k)
PY
d=$(duration "$T/out.mp4")
echo "output $d s"
at_most "trim: the output is shorter than the input" "$d" "$(awk -v d="$(duration "$T/in.mp4")" 'BEGIN{print d - 5}')"
finish
