#!/usr/bin/env bash
# polish — delivery targets carry the soundtrack's chain: a recipe's targets (a preset and a
# smaller size, rendered at once) deliver the same cleaned sound as the default output, not the
# sound as decoded.
. "$(dirname "$0")/lib.sh"
# read speech far too quiet for the web (about -37 LUFS)
speech_clip "$T/loud.mp4"
$FF -i "$T/loud.mp4" -c:v copy -af "volume=0.08" -c:a aac "$T/in.mp4"
cat > "$T/plain.yaml" <<'Y'
domain: video
steps:
  - audio
Y
cat > "$T/targets.yaml" <<'Y'
domain: video
steps:
  - audio
deliver:
  - name: web
    preset: web-mp4
  - name: small
    width: 160
Y
(cd "$T" && "$POLISH" run plain.yaml in.mp4 -o def >"$OUT" 2>"$ERR") && pass || { fail "recipe, default output"; cat "$ERR" >&2; }
(cd "$T" && "$POLISH" run targets.yaml in.mp4 -o tgt --report r.json >"$OUT" 2>"$ERR") && pass || { fail "recipe with targets"; cat "$ERR" >&2; }
src=$(loudness "$T/in.mp4")
def=$(loudness "$T/def/in.mp4")
at_most "deliver: the input is quiet (LUFS)" "$src" -30
at_least "deliver: the default output is at the web's loudness (LUFS)" "$def" -17
for t in web small; do
    check "deliver: target $t written" [ -s "$T/tgt/$t/in.mp4" ]
    l=$(loudness "$T/tgt/$t/in.mp4")
    at_least "deliver: target $t at the default output's loudness (LUFS $l vs $def)" "$l" "$(awk -v d="$def" 'BEGIN{print d - 0.3}')"
    at_most "deliver: target $t at the default output's loudness (LUFS $l vs $def)" "$l" "$(awk -v d="$def" 'BEGIN{print d + 0.3}')"
    # the same samples: decoded PCM of the target against the default output's
    $FF -i "$T/tgt/$t/in.mp4" -f f32le -ac 1 "$T/$t.pcm"
    [ -s "$T/def.pcm" ] || $FF -i "$T/def/in.mp4" -f f32le -ac 1 "$T/def.pcm"
    check "deliver: target $t holds the default output's soundtrack" python3 - "$T/$t.pcm" "$T/def.pcm" <<'PY'
import sys, array
a, b = array.array("f"), array.array("f")
a.frombytes(open(sys.argv[1], "rb").read())
b.frombytes(open(sys.argv[2], "rb").read())
assert abs(len(a) - len(b)) < 2048, (len(a), len(b))
n = min(len(a), len(b))
e = sum((a[i] - b[i]) ** 2 for i in range(n))
s = sum(b[i] ** 2 for i in range(n))
assert s > 0 and (e / s) ** 0.5 < 0.05, (e, s)
PY
done
check "deliver: each target's report lists the soundtrack's ops" python3 - "$T/r.json" <<'PY'
import json, sys
steps = json.load(open(sys.argv[1]))["items"][0]["steps"]
on = [(s.get("op"), s.get("on"), s.get("status")) for s in steps]
applied = [s for s in on if s == ("audio.loudness", "soundtrack", "applied")]
assert len(applied) == 2, on  # one per target
PY
finish
