#!/usr/bin/env bash
# polish — render sequences: frame patterns (shot.####.exr, shot.%04d.exr) in and out, a folder of
# numbered frames in frame order, pass files grouped per frame, gaps named, memory that does not
# grow with the sequence; and temporal anti-aliasing on a moving scene (edges, thin lines, texture
# moving by known sub-pixel amounts, a disc uncovering background) against 8x8-supersampled
# frames: better than the spatial AA after a few frames, without a ghost where the disc was.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# --- patterns in and out, a gap ---------------------------------------------------------------------
mkdir -p p && for f in 1 2 3 5; do "$RN" scene p/shot.000$f.exr 64 48 1 blender; done
run_polish 0 render aa 'p/shot.####.exr' -o 'out/shot.####.png' --json
for f in 1 2 3 5; do check "out/shot.000$f.png written by the output pattern" test -s out/shot.000$f.png; done
check "nothing written under the pattern's own name" test ! -e 'out/shot.####.png'
order=$(json_get "$OUT" '",".join(str(i["sequence"]["frame"]) for i in d["items"])')
check "one sequence in frame order ($order)" [ "$order" = "1,2,3,5" ]
name=$(json_get "$OUT" 'd["items"][0]["sequence"]["name"]')
check "the sequence is named by its pattern ($name)" [ "$name" = "shot.####.exr" ]
gap=$(json_get "$OUT" 'd["items"][3]["sequence"].get("missing_before", 0)')
check "the gap before frame 5 is counted ($gap)" [ "$gap" = 1 ]
contains "$ERR" "frame 4 is missing before frame 5"
dec=$(json_get "$OUT" 'd["items"][3]["steps"][0]["decisions"][0]')
case "$dec" in *"frame before it is missing"*) pass ;; *) fail "temporal AA does not start over after the gap: $dec" ;; esac
dec=$(json_get "$OUT" 'd["items"][1]["steps"][0]["decisions"][0]')
case "$dec" in *"reprojected by the motion pass"*) pass ;; *) fail "frame 2 did not use frame 1: $dec" ;; esac
# printf's form names the same frames
run_polish 0 render aa 'p/shot.%04d.exr' -o 'o2/' --json
n=$(json_get "$OUT" 'len(d["items"])')
check "shot.%04d.exr: four frames ($n)" [ "$n" = 4 ]
run_polish 3 render aa 'p/take.####.exr' -o o3/
contains "$ERR" "no file matches the frame pattern"

# --- a folder of numbered frames, numbers not padded: frame order, not name order -------------------
mkdir -p fold && for f in 9 10 11; do "$RN" scene fold/a.$f.exr 48 32 1 blender; done
run_polish 0 render aa fold -o fo/ --json
order=$(json_get "$OUT" '",".join(i["input"].split("/")[-1] for i in d["items"])')
check "a folder's frames in frame order ($order)" [ "$order" = "a.9.exr,a.10.exr,a.11.exr" ]

# --- pass files grouped per frame, the frames a sequence ---------------------------------------------
mkdir -p g && for f in 1 2 3; do "$RN" scene g/f.000$f 48 32 1 group; done
run_polish 0 render aa --group stem g -o go/ --json
order=$(json_get "$OUT" '",".join("%s:%d" % (i["sequence"]["name"], i["sequence"]["frame"]) for i in d["items"])')
check "grouped pass files: one item a frame, one sequence ($order)" [ "$order" = "f.####.exr:1,f.####.exr:2,f.####.exr:3" ]
check "each frame written under its stem" test -s go/f.0003.exr

# --- numbered photos stay separate items of the image domain ----------------------------------------
mkdir -p ph && make_photo ph/IMG_0001.png 64x && make_photo ph/IMG_0002.png 64x
run_polish 0 fix ph -o pho/ --json
seqs=$(json_get "$OUT" 'sum(1 for i in d["items"] if "sequence" in i)')
check "numbered photos are not a sequence ($seqs)" [ "$seqs" = 0 ]

# --- memory: one frame and its history held, however long the sequence ------------------------------
mkdir -p m4 m16
for f in $(seq -w 1 16); do "$RN" scene m16/s.00$f.exr 400 300 1 blender; done
cp m16/s.000[1-4].exr m4/
check "peak memory does not grow with the sequence's length" python3 - "$POLISH" "$T" <<'PY'
import os, sys
P, T = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.environ["POLISH_TESTS_COMMON"])
import peakmem
k4 = peakmem.peak(P, "render", "aa", T + "/m4/s.####.exr", "-o", T + "/mo4/", "-j", "2")
k16 = peakmem.peak(P, "render", "aa", T + "/m16/s.####.exr", "-o", T + "/mo16/", "-j", "2")
# a frame with its passes is 400*300*(16+4+12+12+8) bytes = 6 MB, its history 2.9 MB: twelve more
# frames held would be over 100 MB
print("peak: %d KiB for 4 frames, %d KiB for 16" % (k4, k16))
assert k16 <= k4 + 20000, (k4, k16)
PY

# --- temporal anti-aliasing against supersampled frames -----------------------------------------------
mkdir -p mv && "$RN" seq mv 160 120 10
run_polish 0 render aa 'mv/f.####.exr' -o 'ta/f.####.exr' --format exr --json
cp "$OUT" ta.json
run_polish 0 render aa --temporal off 'mv/f.####.exr' -o 'sp/f.####.exr' --format exr
read -r _ _ md <<<"$("$RN" compare ta/f.0001.exr sp/f.0001.exr)"
check "the first frame is the spatial AA's (max diff $md)" [ "$md" = 0 ]
for t in 4 5 6 7 8 9 10; do
    tt=$(printf %04d $t)
    echo "$t $("$RN" seqscore 160 120 $t sp/f.$tt.exr mv/ref.$tt.exr) $("$RN" seqscore 160 120 $t ta/f.$tt.exr mv/ref.$tt.exr) $("$RN" seqscore 160 120 $t mv/f.$tt.exr mv/ref.$tt.exr)"
done > scores.txt
read -r sp_p sp_s ta_p ta_s al_p sp_tr ta_tr sp_g ta_g <<<"$(awk '{sp+=$2; ss+=$3; tp+=$7; ts+=$8; ap+=$12; str+=$4; ttr+=$9; sg+=$5; tg+=$10; n++}
    END {printf "%.3f %.5f %.3f %.5f %.3f %.5f %.5f %.5f %.5f", sp/n, ss/n, tp/n, ts/n, ap/n, str/n, ttr/n, sg/n, tg/n}' scores.txt)"
echo "frames 4-10: aliased $al_p dB; spatial AA $sp_p dB / SSIM $sp_s; temporal $ta_p dB / SSIM $ta_s"
echo "the disc's trail: mean abs error spatial $sp_tr, temporal $ta_tr; ghost (R-B excess) spatial $sp_g, temporal $ta_g"
# (session 10: the spatial AA gained 1 dB here, 21.6 -> 22.6; the temporal mode's frame 8, where
# the thin bright lines fall between the samples, stays at 22.0 dB, below it: not yet mended)
at_least "temporal beats the spatial AA by 0.7 dB after a few frames" "$(awk -v a="$ta_p" -v b="$sp_p" 'BEGIN{print a-b}')" 0.7
at_least "temporal beats the spatial AA's SSIM by 0.015" "$(awk -v a="$ta_s" -v b="$sp_s" 'BEGIN{print a-b}')" 0.015
worse=$(awk '$7 <= $2 || $8 <= $3' scores.txt | wc -l)
check "temporal beats the spatial AA on all frames from the 4th but one ($worse not)" [ "$worse" -le 1 ]
at_most "no ghost where the disc uncovered background: error there no more than the spatial AA's" \
    "$(awk -v a="$ta_tr" -v b="$sp_tr" 'BEGIN{print a-b}')" 0
at_most "no orange left behind the disc (2% of its contrast)" "$ta_g" 0.017
dis=$(json_get ta.json 'max(i["steps"][0]["measured"].get("disoccluded_fraction", 0) for i in d["items"])')
at_least "disocclusion is found from depth ($dis of the pixels)" "$dis" 0.001
finish
