#!/usr/bin/env bash
# polish — caption layout rules checked on every cue of the written subtitle track: at most two
# lines of 42 characters, at least 1 s on screen, at most 20 characters per second where the gap
# to the next cue allows; no word lost; cues follow an earlier trim.
. "$(dirname "$0")/lib.sh"
$FF -f lavfi -i "smptebars=s=320x180:r=25:d=14" -f lavfi -i "sine=d=14" -c:v libx264 -preset ultrafast -c:a aac -shortest "$T/in.mp4"
cat > "$T/subs.srt" <<'SRT'
1
00:00:00,500 --> 00:00:00,800
Hi!

2
00:00:01,600 --> 00:00:05,000
This caption is far too long for one line and goes on and on about nothing in particular until it needs a third line.

3
00:00:07,000 --> 00:00:07,400
A quick one with a good many words to read

4
00:00:10,000 --> 00:00:12,000
<i>Tagged</i> text
with two lines
and a third
SRT
run_polish 0 video captions --srt "$T/subs.srt" "$T/in.mp4" -o "$T/out.mkv" --report "$T/r.json"
$FF -i "$T/out.mkv" -map 0:s "$T/out.srt"
check "captions: every cue follows the rules" python3 - "$T/out.srt" "$T/subs.srt" <<'PY'
import re, sys
def cues(p):
    out = []
    for block in re.split(r'\n\s*\n', open(p).read().strip()):
        lines = block.strip().split('\n')
        m = re.match(r'(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)', lines[1])
        g = [int(x) for x in m.groups()]
        t0 = g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000
        t1 = g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000
        out.append((t0, t1, [re.sub(r'<[^>]*>', '', l) for l in lines[2:]]))
    return out
c = cues(sys.argv[1])
bad = []
for i, (t0, t1, lines) in enumerate(c):
    chars = sum(len(l) for l in lines) + len(lines) - 1
    nxt = c[i + 1][0] if i + 1 < len(c) else 1e9
    if len(lines) > 2: bad.append((i, 'lines', lines))
    if max(len(l) for l in lines) > 42: bad.append((i, 'chars', lines))
    if t1 - t0 < 1 - 1e-3: bad.append((i, 'short', t1 - t0))
    if chars / (t1 - t0) > 20 + 1e-3 and nxt - t1 > 0.1: bad.append((i, 'speed', chars / (t1 - t0)))
    if i and t0 < c[i - 1][1] - 1e-3: bad.append((i, 'overlap'))
words = lambda cs: ' '.join(' '.join(l) for _, _, l in cs).split()
assert words(c) == words(cues(sys.argv[2])), (words(c), words(cues(sys.argv[2])))
assert not bad, bad
PY
check "captions: the report counts no broken rule" python3 - "$T/r.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
assert m["cues_over_lines"] == 0 and m["cues_over_chars"] == 0 and m["cues_under_min_duration"] == 0, m
PY
# after a trim, cue times follow the cut: the first 3 s go, cue 4 starts at 7 s
run_polish 0 video trim --in 3 "$T/in.mp4" -o "$T/t.mkv" --report "$T/r2.json"
printf '1\n00:00:10,000 --> 00:00:12,000\nAfter the cut\n' > "$T/late.srt"
cat > "$T/recipe.yaml" <<'Y'
domain: video
steps:
  - op: trim
    in: 3
  - op: captions
    inputs: {srt: late.srt}
Y
cp "$T/late.srt" late.srt 2>/dev/null || true
(cd "$T" && "$POLISH" run recipe.yaml in.mp4 -o t2.mkv >"$OUT" 2>"$ERR") && pass || { fail "recipe trim+captions"; cat "$ERR" >&2; }
$FF -i "$T/t2.mkv" -map 0:s "$T/t2.srt"
check "captions after a trim: 10 s in the source is 7 s in the output" python3 - "$T/t2.srt" <<'PY'
import re, sys
m = re.search(r'00:00:(\d+),(\d+) --> 00:00:(\d+),(\d+)', open(sys.argv[1]).read())
t0 = int(m.group(1)) + int(m.group(2)) / 1000
assert abs(t0 - 7) < 0.05, t0  # the muxer may shift every stream by the AAC priming (23 ms)
PY
# WebVTT in, WebM out: a WebVTT track with the same words
printf 'WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nFirst cue from WebVTT\n\n00:00:04.000 --> 00:00:06.000\nSecond <b>one</b>\n' > "$T/subs.vtt"
run_polish 0 video captions --srt "$T/subs.vtt" "$T/in.mp4" -o "$T/out.webm"
check "captions: WebVTT read, a WebVTT track in WebM" test "$(stream "$T/out.webm" s codec_name)" = webvtt
$FF -i "$T/out.webm" -map 0:s -f srt "$T/webm.srt"
check "captions: the WebVTT cues' words kept" python3 -c 'import re,sys; t=re.sub(r"<[^>]*>","",open(sys.argv[1]).read()); assert "First cue from WebVTT" in t and "Second one" in t, t' "$T/webm.srt"
# burned in on a vertical (9:16) frame, two full lines of 42 characters: every drawn pixel inside
# the title-safe area (10% from the sides, 8% from the bottom)
printf '1\n00:00:01,000 --> 00:00:04,000\nThe agency films a long walk through the big\nhouse, then cuts it down for the phone feed\n' > "$T/wide.srt"
$FF -f lavfi -i "color=c=gray:s=180x320:r=25:d=5" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$T/grey.mp4"
run_polish 0 video captions --srt "$T/wide.srt" --burn "$T/grey.mp4" -o "$T/burn.mp4"
$FF -ss 2 -i "$T/grey.mp4" -frames:v 1 -f rawvideo -pix_fmt gray "$T/g0.raw"
$FF -ss 2 -i "$T/burn.mp4" -frames:v 1 -f rawvideo -pix_fmt gray "$T/g1.raw"
check "captions burned: drawn inside the safe area, and drawn" python3 - "$T/g0.raw" "$T/g1.raw" <<'PY'
import sys
a, b = (open(f, 'rb').read() for f in sys.argv[1:])
W, H = 180, 320
drawn = [(i % W, i // W) for i in range(W * H) if abs(a[i] - b[i]) > 24]
xs, ys = [p[0] for p in drawn], [p[1] for p in drawn]
print(len(drawn), "pixels drawn; x", min(xs), "-", max(xs), "y", min(ys), "-", max(ys))
assert len(drawn) > 300, len(drawn)
assert min(xs) >= 0.10 * W - 2 and max(xs) <= 0.90 * W + 2 and max(ys) <= 0.92 * H + 1, (min(xs), max(xs), max(ys))
PY
finish
