#!/usr/bin/env bash
# polish — loudness accuracy, cross-checked with libebur128: on every speech recording of
# pocketsphinx-testdata (each as it is), on noisy speech and on a stereo 44.1 kHz version, the
# integrated loudness lands within 0.1 LU of the target and the true peak never exceeds the
# ceiling; presets pick their targets (podcast mono -19); length, rate and channels are kept.
. "$(dirname "$0")/lib.sh"
i=0
for f in "$LIBRIVOX"/*.wav; do
    i=$((i + 1))
    cp "$f" "$T/s$i.wav"
done
"$AU" mix "$T/s1.wav" "$T/noisy.wav" noise=pink snr=10 gain=-12
run_polish 0 audio export --rate 44100 --channels 2 "$T/s2.wav" -o "$T/stereo.wav"
for spec in "-16 -1 all" "-23 -2 some" "-14 -1 some"; do
    set -- $spec
    files=("$T"/s?.wav "$T/noisy.wav" "$T/stereo.wav")
    [ "$3" = some ] && files=("$T/s1.wav" "$T/noisy.wav" "$T/stereo.wav")
    for f in "${files[@]}"; do
        rm -f "$T/o.wav"
        run_polish 0 audio loudness --target "$1" --ceiling "$2" "$f" -o "$T/o.wav" || continue
        read -r lufs tp < <("$AU" ebur128 "$T/o.wav")
        err=$(awk -v l="$lufs" -v t="$1" 'BEGIN{d = l - t; printf "%.3f", d < 0 ? -d : d}')
        echo "$(basename "$f") target $1/$2: $lufs LUFS, $tp dBTP (libebur128)"
        at_most "$(basename "$f") at $1 LUFS: |error| LU" "$err" 0.1
        at_most "$(basename "$f") true peak under $2 dBTP" "$tp" "$2"
        check "$(basename "$f") keeps its shape" [ "$("$AU" info "$f")" = "$("$AU" info "$T/o.wav")" ]
    done
done
# presets: podcast on mono speech is -19 LUFS, broadcast -23
rm -f "$T/o.wav"
run_polish 0 audio loudness --preset podcast "$T/s3.wav" -o "$T/o.wav"
read -r lufs tp < <("$AU" ebur128 "$T/o.wav")
at_most "podcast preset, mono: -19 LUFS" "$(awk -v l="$lufs" 'BEGIN{d=l+19; print d<0?-d:d}')" 0.1
rm -f "$T/o.wav"
run_polish 0 audio loudness --preset broadcast "$T/stereo.wav" -o "$T/o.wav"
read -r lufs tp < <("$AU" ebur128 "$T/o.wav")
at_most "broadcast preset: -23 LUFS" "$(awk -v l="$lufs" 'BEGIN{d=l+23; print d<0?-d:d}')" 0.1
# inspect measures what libebur128 measures
run_polish 0 inspect "$T/stereo.wav" --json
mine=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["items"][0]["inspect"]["loudness_lufs"])' "$OUT")
read -r lufs tp < <("$AU" ebur128 "$T/stereo.wav")
at_most "inspect loudness against libebur128" "$(awk -v a="$mine" -v b="$lufs" 'BEGIN{d=a-b; print d<0?-d:d}')" 0.05
finish
