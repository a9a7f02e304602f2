# polish — video test helpers: the CLI test helpers, clip makers (ffmpeg lavfi), measurements.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(realpath "$POLISH")
VT=$(dirname "$(realpath "$0")")
FF="ffmpeg -nostdin -y -loglevel error"
SKDATA=/usr/share/doc/python3-skimage/none
for d in /usr/lib/python3/dist-packages/skimage/data; do SKDATA=$d; done
LIBRIVOX=/usr/share/pocketsphinx/test/data/librivox
# duration FILE: the container's duration in seconds
duration() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
# stream FILE KIND FIELD: a field of the first stream of KIND (v, a, s)
stream() { ffprobe -v error -select_streams "$2:0" -show_entries "stream=$3" -of csv=p=0 "$1" | head -1; }
at_least() { if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v >= m)}'; then pass; else fail "$1: $2 < $3"; fi; }
at_most() { if awk -v v="$2" -v m="$3" 'BEGIN{exit !(v <= m)}'; then pass; else fail "$1: $2 > $3"; fi; }
# speech_clip OUT: smpte bars over read speech with a 1.5 s silence before, 2 s between two readings
speech_clip() {
    $FF -f lavfi -i "anullsrc=r=16000:cl=mono:d=1.5" -i "$LIBRIVOX"/*-0880.wav \
        -f lavfi -i "anullsrc=r=16000:cl=mono:d=2" -i "$LIBRIVOX"/*-0890.wav \
        -filter_complex "[0][1][2][3]concat=n=4:v=0:a=1[a]" -map "[a]" "$T/_speech.wav"
    $FF -f lavfi -i "smptebars=s=320x180:r=25" -i "$T/_speech.wav" -c:v libx264 -preset ultrafast \
        -pix_fmt yuv420p -c:a aac -shortest "$1"
}
# loudness FILE: integrated loudness (LUFS) by ffmpeg's ebur128
loudness() { ffmpeg -nostdin -nostats -i "$1" -af ebur128 -f null - 2>&1 | awk '/I:/{v=$2} END{print v}'; }
