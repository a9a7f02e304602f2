#!/usr/bin/env bash
# polish — bad render input: truncated EXR, a header claiming 100,000 x 100,000, an EXR without a
# beauty, a pass file without the pass, a .cube with the wrong entry count or garbage, a truncated
# Radiance HDR: each a clear error naming the problem, no crash, no output left behind.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
"$RN" scene f.exr 64 48 1 blender
size=$(stat -c %s f.exr)
head -c $((size / 2)) f.exr > trunc.exr
run_polish 1 render tonemap trunc.exr -o o1.png
contains "$ERR" "truncated or damaged"
check "no output from a truncated EXR" test ! -e o1.png
head -c 300 f.exr > head.exr
run_polish 1 inspect head.exr
contains "$ERR" "truncated or damaged"
python3 - <<'PY'
import struct
d = bytearray(open('f.exr', 'rb').read())
for name in (b'dataWindow\0box2i\0', b'displayWindow\0box2i\0'):
    i = d.find(name) + len(name) + 4
    d[i:i + 16] = struct.pack('<4i', 0, 0, 99999, 99999)
open('huge.exr', 'wb').write(d)
PY
run_polish 1 render tonemap huge.exr -o o2.png
contains "$ERR" "100000x100000"
contains "$ERR" "limit"
# within a raised limit it is still refused by memory, never decoded
run_polish 1 inspect huge.exr --limit pixels=20000000000 --limit memory=1G
contains "$ERR" "huge.exr"
# DWAA/DWAB: the library cannot decode them; said so (it was "truncated or damaged")
oiiotool f.exr --compression dwaa -o dwa.exr
run_polish 1 render tonemap dwa.exr -o odwa.png
contains "$ERR" "DWAA"
check "no output from a DWAA EXR" test ! -e odwa.png
# an EXR holding only a depth pass: no beauty
oiiotool --pattern constant:color=3 16x16 1 --chnames Z -o zonly.exr
run_polish 1 render tonemap zonly.exr -o o3.png
contains "$ERR" "no beauty"
contains "$ERR" "Z"
# a group whose depth file holds no depth and no colour channels
"$RN" scene g 32 24 1 group
oiiotool --pattern constant:color=3 32x24 1 --chnames foo -o g.depth.exr
run_polish 1 render ao --group stem g.beauty.exr g.depth.exr -o og/
contains "$ERR" "depth pass"
# a group with files of different sizes
"$RN" scene h 32 24 1 group
"$RN" scene hx 16 12 1 group && mv hx.depth.exr h.depth.exr
run_polish 1 render ao --group stem h.beauty.exr h.depth.exr -o oh/
contains "$ERR" "16x12"
# .cube: wrong entry count, garbage, no size, a size out of range
"$RN" scene in.exr 32 24 1 plain
{ echo "LUT_3D_SIZE 4"; for i in $(seq 1 60); do echo "0.1 0.2 0.3"; done; } > short.cube
run_polish 1 render grade --lut short.cube in.exr -o o4.png
contains "$ERR" "wrong entry count"
contains "$ERR" "64"
check "no output after a bad LUT" test ! -e o4.png
{ echo "LUT_3D_SIZE 2"; echo "0 0 0"; echo "1 x 0"; } > garbage.cube
run_polish 1 render grade --lut garbage.cube in.exr -o o5.png
contains "$ERR" "line 3"
echo "0 0 0" > nosize.cube
run_polish 1 render grade --lut nosize.cube in.exr -o o6.png
contains "$ERR" "LUT_1D_SIZE or LUT_3D_SIZE"
echo "LUT_3D_SIZE 100000" > big.cube
run_polish 1 render grade --lut big.cube in.exr -o o7.png
contains "$ERR" "outside 2..256"
run_polish 1 render grade --lut missing.cube in.exr -o o8.png
contains "$ERR" "missing.cube"
# Radiance HDR: truncated, and a header that is not one
run_polish 0 render export --format hdr in.exr -o ok.hdr
hs=$(stat -c %s ok.hdr)
head -c $((hs - 200)) ok.hdr > trunc.hdr
run_polish 1 render tonemap trunc.hdr -o o9.png
contains "$ERR" "truncated"
printf '#?RADIANCE\nFORMAT=32-bit_rle_xyze\n\n-Y 10 +X 10\n' > xyz.hdr
run_polish 1 render tonemap xyz.hdr -o o10.png
contains "$ERR" "XYZE"
# not a frame at all, named .exr
echo "hello" > text.exr
run_polish 1 render tonemap text.exr -o o11.png
contains "$ERR" "text.exr"
# a bad item in a folder is reported and the others still run
mkdir -p batch && cp f.exr batch/a.exr && cp trunc.exr batch/b.exr
run_polish 1 render tonemap batch -o ob/
check "the good frame of the batch was written" test -s ob/a.png
check "the truncated frame of the batch was not" test ! -e ob/b.png
finish
