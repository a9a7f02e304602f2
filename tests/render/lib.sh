# polish — render test helpers: the CLI test helpers, rn_tool (scenes and scores).
. "$(dirname "$0")/../cli/lib.sh"
RN=$(realpath "${2:?usage: test.sh POLISH RN_TOOL}")
POLISH=$(realpath "$POLISH")
at_least() {
    if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v >= m)}'; then pass; else fail "$1: $2 < $3"; fi
}
at_most() {
    if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v <= m)}'; then pass; else fail "$1: $2 > $3"; fi
}
# json_get FILE PYTHON-EXPR (d is the document)
json_get() {
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
