# polish — audio test helpers: the CLI test helpers, au_tool, real speech from pocketsphinx-testdata.
. "$(dirname "$0")/../cli/lib.sh"
AU=$(realpath "${2:?usage: test.sh POLISH AU_TOOL}")
POLISH=$(realpath "$POLISH")
LIBRIVOX=/usr/share/pocketsphinx/test/data/librivox
[ -d "$LIBRIVOX" ] || { echo "pocketsphinx-testdata is not installed (scripts/setup)" >&2; exit 1; }
# clean_speech OUT [FILES...]: read speech (two recordings by default, about 10 s), with the
# recording's own rumble taken off so "clean" means clean: the reference every score is against.
clean_speech() {
    local out=$1; shift
    local files=("$@")
    [ ${#files[@]} -gt 0 ] || files=("$LIBRIVOX"/*-0880.wav "$LIBRIVOX"/*-0890.wav)
    "$AU" concat "$T/_raw.wav" "${files[@]}"
    "$POLISH" audio highpass --when always "$T/_raw.wav" -o "$out" >/dev/null 2>&1
    rm -f "$T/_raw.wav"
}
# at_least WHAT VALUE MIN
at_least() {
    if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v >= m)}'; then pass; else fail "$1: $2 < $3"; fi
}
at_most() {
    if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v <= m)}'; then pass; else fail "$1: $2 > $3"; fi
}
# step_status REPORT OP: applied / declined / failed for the op in a --json run report
step_status() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for it in d["items"]:
    for s in it.get("steps", []):
        if s["op"] == "audio." + sys.argv[2]:
            print(s["status"])
PY
}
# measured REPORT KEY: a step's measurement from a --json run report
measured() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for it in d["items"]:
    for s in it.get("steps", []):
        v = s.get("measured", {}).get(sys.argv[2])
        if v is not None:
            print(v)
PY
}
