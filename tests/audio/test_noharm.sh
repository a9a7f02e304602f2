#!/usr/bin/env bash
# polish — no harm. Clean speech through `fix`: highpass, dehum and denoise decline, loudness is
# the only change (the output equals `audio loudness --limiting gentle` alone, which fix uses) and
# keeps SI-SDR above 25 dB (the issue's aim): fix's loudness stops below -16 LUFS rather than limit
# the peaks hard, and says so; where the true-peak ceiling does not bind, loudness is a pure gain. Input of the wrong kind (a test tone, a held
# chord with vibrato, digital silence): every cleaning step declines, silence comes out sample for
# sample, tone and chord only change in gain.
. "$(dirname "$0")/lib.sh"
clean_speech "$T/talk.wav"
run_polish 0 fix "$T/talk.wav" -o "$T/fix/" --json
for op in highpass dehum denoise; do
    check "clean speech: $op declines" [ "$(step_status "$OUT" $op)" = declined ]
done
check "clean speech: loudness applied" [ "$(step_status "$OUT" loudness)" = applied ]
check "fix's loudness is gentle" [ "$(measured "$OUT" limiting)" = gentle ]
check "fix says where it stopped" grep -q "stopped at .* LUFS, under the -16.0 target" "$OUT"
run_polish 0 audio loudness --limiting gentle "$T/talk.wav" -o "$T/loud.wav"
check "fix changed nothing but loudness" "$AU" same "$T/fix/talk.wav" "$T/loud.wav"
s=$("$AU" sisdr "$T/talk.wav" "$T/fix/talk.wav")
echo "clean speech through fix (-1 dBTP, gentle limiting): SI-SDR $s dB, $("$AU" ebur128 "$T/fix/talk.wav") LUFS dBTP"
at_least "fix on clean speech keeps SI-SDR above 25 dB" "$s" 25
at_most "fix on clean speech: true peak under -1 dBTP" "$("$AU" ebur128 "$T/fix/talk.wav" | cut -d' ' -f2)" -1
run_polish 0 audio loudness --target -20 "$T/talk.wav" -o "$T/l20.wav"
s=$("$AU" sisdr "$T/talk.wav" "$T/l20.wav")
echo "loudness -20 LUFS (ceiling not binding): SI-SDR $s dB"
at_least "loudness where the ceiling does not bind is a gain" "$s" 25
for kind in tone chord silence; do
    "$AU" gen $kind "$T/$kind.wav" 4 44100 2
    run_polish 0 fix "$T/$kind.wav" -o "$T/w/" --json
    for op in highpass dehum denoise; do
        check "$kind: $op declines" [ "$(step_status "$OUT" $op)" = declined ]
    done
    if [ $kind = silence ]; then
        check "silence comes out as it went in" "$AU" same "$T/silence.wav" "$T/w/silence.wav"
    else
        at_least "$kind: only a gain (SI-SDR dB)" "$("$AU" sisdr "$T/$kind.wav" "$T/w/$kind.wav")" 40
    fi
done
finish
