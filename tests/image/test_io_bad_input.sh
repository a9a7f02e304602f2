#!/usr/bin/env bash
# polish — image command-line checks: bad inputs in a batch with good ones, resize/export/recipe
# deliveries as the issue writes them, metadata and sizes of what was written.
. "$(dirname "$0")/../cli/lib.sh"

size_of() { identify -format '%wx%h' "$1" 2>/dev/null; }

# the PNG header of a 60000x60000 picture, with valid CRCs, and no pixels
huge_png() {
    python3 - "$1" <<'PY'
import struct, sys, zlib
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
ihdr = struct.pack('>IIBBBBB', 60000, 60000, 8, 2, 0, 0, 0)
open(sys.argv[1], 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\0' * 1000)) + chunk(b'IEND', b''))
PY
}

IN=$T/in
mkdir -p "$IN"
make_photo "$IN/a.jpg" 400x
make_photo "$IN/b.png" 300x
make_photo "$T/full.jpg" 600x
head -c $(($(stat -c %s "$T/full.jpg") / 2)) "$T/full.jpg" >"$IN/c_truncated.jpg"
: >"$IN/d_empty.jpg"
huge_png "$IN/e_huge.png"
echo "just some notes, not a picture" >"$IN/f_text.jpg"

# --- a batch with bad items: the good ones finish, each bad one is named, exit code non-zero
run_polish 1 fix "$IN" -o "$T/out" --report "$T/out/report.json" -q
check "good JPEG written" test -s "$T/out/a.jpg"
check "good PNG written" test -s "$T/out/b.png"
for bad in c_truncated.jpg d_empty.jpg e_huge.png f_text.jpg; do
    check "no output for $bad" test ! -e "$T/out/$bad"
    contains "$ERR" "$bad"
done
contains "$ERR" "lenient"
contains "$ERR" "60000x60000"
contains "$ERR" "empty"
contains "$ERR" "text"
check "no temporary files left" test -z "$(find "$T/out" -name '*.part')"
check "report lists the failures" grep -q '"ERR_LIMIT"' "$T/out/report.json"

# --- salvage on request
run_polish 0 fix "$IN/c_truncated.jpg" -o "$T/salvage" --lenient -q
check "lenient writes the truncated JPEG" test -s "$T/salvage/c_truncated.jpg"

# --- unwritable output folder (root ignores permissions: skip then)
if [ "$(id -u)" != 0 ]; then
    mkdir -p "$T/ro"
    chmod 555 "$T/ro"
    run_polish 1 fix "$IN/a.jpg" "$IN/b.png" -o "$T/ro" -q
    contains "$ERR" "a.jpg"
    check "nothing written in the read-only folder" test -z "$(ls -A "$T/ro")"
    chmod 755 "$T/ro"
fi
# an output "folder" that is a file cannot be written by anyone
: >"$T/notadir"
run_polish 1 fix "$IN/a.jpg" "$IN/b.png" -o "$T/notadir/out" -q
contains "$ERR" "a.jpg"
contains "$ERR" "b.png"

# --- one operation with delivery options, exactly as documented
make_photo "$T/big.jpg" 2400x
run_polish 0 image resize --width 1080 --quality 82 "$T/big.jpg" -o "$T/r.jpg"
check "resize gives 1080 wide" test "$(size_of "$T/r.jpg" | cut -dx -f1)" = 1080
q=$(identify -format '%Q' "$T/r.jpg")
check "quality 82 applied (got $q)" test "$q" = 82

run_polish 0 image export --preset instagram-portrait "$T/big.jpg" -o "$T/p.jpg"
check "instagram-portrait is 1080x1350" test "$(size_of "$T/p.jpg")" = 1080x1350

# --- a recipe delivering every preset from one decode
cat >"$T/social.yml" <<'EOF'
domain: image
steps:
  - orient
deliver:
  - web
  - instagram-square
  - instagram-portrait
  - story
  - google-business
  - print-300dpi
EOF
run_polish 0 run "$T/social.yml" "$T/big.jpg" -o "$T/social" -q
check "web" test "$(size_of "$T/social/web/big.jpg")" = 2048x1365
check "instagram-square" test "$(size_of "$T/social/instagram-square/big.jpg")" = 1080x1080
check "instagram-portrait" test "$(size_of "$T/social/instagram-portrait/big.jpg")" = 1080x1350
check "story" test "$(size_of "$T/social/story/big.jpg")" = 1080x1920
check "google-business" test "$(size_of "$T/social/google-business/big.jpg")" = 1200x900
check "print keeps the size" test "$(size_of "$T/social/print-300dpi/big.jpg")" = 2400x1600
check "print at 300 dpi" test "$(identify -format '%x' "$T/social/print-300dpi/big.jpg" | cut -d' ' -f1 | cut -d. -f1)" = 300

# --- format change by extension and by --format
run_polish 0 image export --format webp "$T/big.jpg" -o "$T/x.webp"
check "WebP written" test "$(head -c 12 "$T/x.webp" | tail -c 4)" = WEBP
run_polish 0 image resize --scale 0.5 "$T/big.jpg" -o "$T/half.png"
check "PNG by extension" test "$(head -c 4 "$T/half.png" | tail -c 3)" = PNG
check "half size" test "$(size_of "$T/half.png")" = 1200x800

# --- CMYK TIFF (8 and 16 bits, no profile) is read and converted, not reported "damaged"
for depth in 8 16; do
    convert rose: -depth $depth -colorspace CMYK "$T/cmyk$depth.tif"
    run_polish 0 image export --format png "$T/cmyk$depth.tif" -o "$T/cmyk$depth.png" --quiet
    rmse=$(compare -metric RMSE rose: "$T/cmyk$depth.png" null: 2>&1 | sed 's/.*(\(.*\))/\1/')
    check "CMYK TIFF, $depth bits: colours as the RGB original (RMSE $rmse)" \
        python3 -c "import sys; sys.exit(0 if float('$rmse') < 0.01 else 1)"
done
finish
