#!/usr/bin/env bash
# polish — reframing real footage to 9:16: opencv-doc's vtest.avi (768x576, 10 fps, 795 frames,
# people walking past a still camera; no ground truth), scored by fgscore.py from the pixels alone
# (the same measure as bench/video/vtest.sh). Apart from test_reframe.sh for its run time.
. "$(dirname "$0")/lib.sh"
# fgscore.py has its own blobs, tracks and subject rule (the largest mover seen for 5 frames, held
# while there). The window must keep that subject wholly inside in most frames (a centre crop 0.32;
# choosing the longest-lived track, session 10, 0.52) and the frame's largest mover (0.56 then), and
# reach a new subject by a pan, not a rush (a change of subject at the limits' own pace: largest step
# 20.5 px, second difference 4.2 px).
V=$(ls /usr/share/doc/opencv-doc/examples/data/vtest.avi* 2>/dev/null | head -1)
if [[ $V == *.gz ]]; then gzip -dc "$V" >"$T/vtest.avi"; V=$T/vtest.avi; fi
check "vtest.avi present (opencv-doc)" test -s "$V"
run_polish 0 video reframe --aspect 9:16 "$V" -o "$T/vtest.out.mp4" --save-path vtest.path.csv
$FF -i "$V" -vf scale=192:144 -f rawvideo -pix_fmt gray "$T/vtest.gray"
score=$(/usr/bin/python3 "$VT/fgscore.py" "$T/vtest.gray" 192 144 "$T/vtest.path.csv")
echo "vtest.avi: $score"
get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$score"; }
at_least "vtest.avi: the scorer's subject wholly inside" "$(get primary_share)" 0.65
at_least "vtest.avi: the largest mover wholly inside" "$(get largest_share)" 0.75
at_most "vtest.avi: largest step (px)" "$(get max_step)" 16
at_most "vtest.avi: largest second difference (px)" "$(get max_accel)" 3
finish
