#!/usr/bin/env bash
# polish — video.title: the title card is drawn in the centre and the lower third at the bottom
# left, each only over its span of output time (after a trim in the same recipe, one render);
# frames outside both spans are the input's; the colour asked for is the colour drawn.
. "$(dirname "$0")/lib.sh"
# static bars, so a frame's content does not depend on its time: only the text can differ
$FF -f lavfi -i "smptebars=s=320x180:r=25:d=5" -f lavfi -i "sine=d=5" -c:v libx264 -preset ultrafast \
    -pix_fmt yuv420p -c:a aac -shortest "$T/in.mp4"
cat > "$T/recipe.yaml" <<'Y'
domain: video
steps:
  - op: trim
    in: 1
  - op: title
    text: "Open House\nSunday"
    at: 1
    duration: 1.5
    lower-third: "Jane Doe, agent"
    lower-third-at: 2.8
    lower-third-duration: 0.8
Y
(cd "$T" && "$POLISH" run recipe.yaml in.mp4 -o out >"$OUT" 2>"$ERR") && pass || { fail "recipe trim+title"; cat "$ERR" >&2; }
# gray FILE T OUT: the frame at T s as 8-bit luma
gray() { $FF -ss "$2" -i "$1" -frames:v 1 -f rawvideo -pix_fmt gray "$3"; }
for t in 0.5 1.7 3.2 3.8; do gray "$T/out/in.mp4" $t "$T/o$t.raw"; done
gray "$T/in.mp4" 2 "$T/src.raw"
check "title: drawn where and when it should be, nothing else changed" python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
f = lambda n: open(f"{d}/{n}.raw", "rb").read()
src = f("src")
assert len(src) == 320 * 180
def diff(n, y0, y1, x0, x1):
    a = f(n)
    return sum(abs(a[y * 320 + x] - src[y * 320 + x]) for y in range(y0, y1) for x in range(x0, x1)) / ((y1 - y0) * (x1 - x0))
whole = lambda n: diff(n, 0, 180, 0, 320)
centre = lambda n: diff(n, 65, 115, 90, 230)      # the title card
lower = lambda n: diff(n, 118, 150, 32, 140)      # the lower third (18% above the bottom, 10% in)
top = lambda n: diff(n, 0, 40, 0, 320)
right = lambda n: diff(n, 110, 180, 200, 320)
r = {n: dict(whole=whole(n), centre=centre(n), lower=lower(n), top=top(n), right=right(n))
     for n in ["o0.5", "o1.7", "o3.2", "o3.8"]}
bad = []
for n in ["o0.5", "o3.8"]:                        # outside both spans: the input's picture
    if r[n]["whole"] > 2.5: bad.append((n, "changed", r[n]))
if r["o1.7"]["centre"] < 20: bad.append(("title not drawn", r["o1.7"]))
if r["o1.7"]["lower"] > 2.5 or r["o1.7"]["top"] > 2.5: bad.append(("title outside the centre or lower third early", r["o1.7"]))
if r["o3.2"]["lower"] < 15: bad.append(("lower third not drawn", r["o3.2"]))
if r["o3.2"]["centre"] > 2.5 or r["o3.2"]["top"] > 2.5 or r["o3.2"]["right"] > 2.5:
    bad.append(("lower third not at the bottom left, or the title still shown", r["o3.2"]))
assert not bad, bad
PY
# the colour asked for, on black with no box: the text's pixels are red
$FF -f lavfi -i "color=black:s=320x180:r=25:d=2" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$T/black.mp4"
run_polish 0 video title --text "RED" --colour FF0000 --box 0 --size 2 "$T/black.mp4" -o "$T/red.mp4" --report "$T/r.json"
$FF -ss 1 -i "$T/red.mp4" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$T/red.raw"
check "title: drawn in the colour asked for" python3 - "$T/red.raw" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
lit = [b[i:i + 3] for i in range(0, len(b), 3) if sum(b[i:i + 3]) > 150]
assert len(lit) > 200, len(lit)
m = [sum(p[c] for p in lit) / len(lit) for c in range(3)]
assert m[0] > 150 and m[1] < 90 and m[2] < 90, m
PY
check "title: the report gives the span" python3 - "$T/r.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
assert m["title_from_s"] == 0 and m["title_to_s"] == 2, m
PY
# a logo with transparency: a red disc on a transparent square, shown with the title card (centred
# above it) and with the lower third (bottom right); where it is transparent the picture is kept
$FF -f lavfi -i "color=c=red:s=80x80" -vf "format=rgba,geq=r=255:g=0:b=0:a='if(lt(hypot(X-40\\,Y-40)\\,30)\\,255\\,0)'" \
    -frames:v 1 "$T/logo.png"
$FF -f lavfi -i "color=0x808080:s=320x180:r=25:d=2" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$T/grey.mp4"
run_polish 0 video title --text "Open" --lower-third "Jane" --lower-third-at 1 --duration 1 --lower-third-duration 1 \
    --logo "$T/logo.png" --box 0 "$T/grey.mp4" -o "$T/logo.mp4" --report "$T/rl.json"
for t in 0.5 1.5; do $FF -ss $t -i "$T/logo.mp4" -frames:v 1 -f rawvideo -pix_fmt rgb24 "$T/l$t.rgb"; done
check "title: the logo is composited with its alpha, above the title and bottom right with the lower third" /usr/bin/python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
def px(n, x, y):
    b = open(f"{d}/{n}.rgb", "rb").read()
    assert len(b) == 320 * 180 * 3
    return tuple(b[(y * 320 + x) * 3:(y * 320 + x) * 3 + 3])
red = lambda p: p[0] > 180 and p[1] < 70 and p[2] < 70
black = lambda p: all(abs(c - 128) < 20 for c in p)  # the grey picture, untouched
# the logo is 36 px high (0.2 of 180): with the title, x 142..178, y 14..50; disc centre (160, 32)
t = "l0.5"
assert red(px(t, 160, 32)), px(t, 160, 32)
assert black(px(t, 144, 16)), px(t, 144, 16)          # the square's transparent corner
assert black(px(t, 284, 131)), px(t, 284, 131)        # not yet bottom right
# with the lower third: x 268..304, y 113..149 -> centre (286, 131)
l = "l1.5"
assert red(px(l, 286, 131)), px(l, 286, 131)
assert black(px(l, 270, 115)), px(l, 270, 115)
assert black(px(l, 160, 32)), px(l, 160, 32)          # the title card's logo is gone
PY
run_polish 1 video title --text x --logo "$T/missing.png" "$T/black.mp4" -o "$T/bad4.mp4"
contains "$ERR" "logo"
run_polish 1 video title --colour 12345 --text x "$T/black.mp4" -o "$T/bad.mp4"
contains "$ERR" "colour"
run_polish 1 video title "$T/black.mp4" -o "$T/bad2.mp4"
contains "$ERR" "--text"
run_polish 1 video title --text late --at 9 "$T/black.mp4" -o "$T/bad3.mp4"
contains "$ERR" "after the clip"
check "title: nothing written on bad arguments" [ ! -e "$T/bad.mp4" -a ! -e "$T/bad2.mp4" -a ! -e "$T/bad3.mp4" -a ! -e "$T/bad4.mp4" ]
finish
