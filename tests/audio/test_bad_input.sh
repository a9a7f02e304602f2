#!/usr/bin/env bash
# polish — bad audio input: a corrupt header, no samples, a file cut short, one that ends in the
# middle of a frame, text named .wav, a 10-hour file over the duration limit: each a clear error
# naming the problem, exit 1, no output left behind, the input untouched.
. "$(dirname "$0")/lib.sh"
for spec in "corrupt:corrupt audio header" "empty:no samples" "truncated:truncated" \
            "midframe:mid-frame" "text:not audio" "long10h:duration limit"; do
    kind=${spec%%:*}
    msg=${spec#*:}
    "$AU" bad "$kind" "$T/$kind.wav"
    before=$(md5sum < "$T/$kind.wav")
    rm -rf "$T/o"
    run_polish 1 audio denoise "$T/$kind.wav" -o "$T/o/"
    contains "$ERR" "$msg"
    check "$kind: nothing written" [ -z "$(ls -A "$T/o" 2>/dev/null)" ]
    check "$kind: input untouched" [ "$(md5sum < "$T/$kind.wav")" = "$before" ]
    run_polish 1 inspect "$T/$kind.wav"
done
# the limit is configurable: a tighter one refuses ordinary speech with the same message
clean_speech "$T/s.wav"
run_polish 1 audio denoise --limit duration=2 "$T/s.wav" -o "$T/o2.wav"
contains "$ERR" "duration limit"
# one bad item in a folder does not stop the others
mkdir -p "$T/batch"
cp "$T/s.wav" "$T/batch/good.wav"
cp "$T/truncated.wav" "$T/batch/bad.wav"
run_polish 1 audio loudness "$T/batch" -o "$T/bo/"
check "the good file of the batch is written" [ -f "$T/bo/good.wav" ]
check "the bad file of the batch is not" [ ! -e "$T/bo/bad.wav" ]
finish
