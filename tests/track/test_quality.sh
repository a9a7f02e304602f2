#!/usr/bin/env bash
# polish — track accuracy against generated truth: walk, cycle and drive with turns and stops,
# sampled as a GPS would (white jitter, slowly varying error, dropouts, 50-500 m spikes). Scores:
# position RMSE against the truth, spike recall, points removed that were not spikes (turns
# among them), distance error.
. "$(dirname "$0")/../cli/lib.sh"
G="$(dirname "$0")/trackgen.py"
num() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
le() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$1" "$2"; }

for mode in walk cycle drive; do
    # White jitter (4 m): the smoother must take at least 40% off the raw RMSE.
    python3 "$G" gen $mode 11 "$T/w-$mode" --white 4 --seconds 300
    python3 "$G" score "$T/w-$mode.truth.csv" "$T/w-$mode.gpx" > "$T/w-$mode.raw.json"
    run_polish 0 track smooth "$T/w-$mode.gpx" -o "$T/ws-$mode/" --quiet
    python3 "$G" score "$T/w-$mode.truth.csv" "$T/ws-$mode/w-$mode.gpx" > "$T/w-$mode.out.json"
    raw=$(num "$T/w-$mode.raw.json" rmse_m); out=$(num "$T/w-$mode.out.json" rmse_m)
    echo "$mode white: RMSE raw $raw m, smoothed $out m"
    check "$mode: white jitter RMSE down by 40% ($raw -> $out)" le "$out" "$(python3 -c "print($raw * 0.6)")"
    d=$(num "$T/w-$mode.out.json" distance_error)
    echo "$mode white: distance error $d"
    check "$mode: distance error under 2% ($d)" le "$d" 0.02

    # Light jitter (0.6 m): under a metre, but not small beside a walker's 1.4 m steps (it added
    # 30% to the distance when the smoother left any track under 1 m of noise alone).
    python3 "$G" gen $mode 14 "$T/l-$mode" --white 0.6 --seconds 300
    run_polish 0 fix "$T/l-$mode.gpx" -o "$T/ls-$mode/" --quiet
    python3 "$G" score "$T/l-$mode.truth.csv" "$T/ls-$mode/l-$mode.gpx" > "$T/l-$mode.out.json"
    d=$(num "$T/l-$mode.out.json" distance_error)
    echo "$mode light jitter: distance error $d"
    check "$mode: light jitter, distance error under 2% ($d)" le "$d" 0.02

    # Slowly varying error (5 m, 60 s) with 1 m of jitter: never worse than raw.
    python3 "$G" gen $mode 12 "$T/c-$mode" --white 1 --corr 5 --tau 60 --seconds 300
    python3 "$G" score "$T/c-$mode.truth.csv" "$T/c-$mode.gpx" > "$T/c-$mode.raw.json"
    run_polish 0 track smooth "$T/c-$mode.gpx" -o "$T/cs-$mode/" --quiet
    python3 "$G" score "$T/c-$mode.truth.csv" "$T/cs-$mode/c-$mode.gpx" > "$T/c-$mode.out.json"
    raw=$(num "$T/c-$mode.raw.json" rmse_m); out=$(num "$T/c-$mode.out.json" rmse_m)
    echo "$mode correlated: RMSE raw $raw m, smoothed $out m"
    check "$mode: correlated error never worse ($raw -> $out)" le "$out" "$raw"
    # ... and the wander is not walked: a smoother that took it for the path made this walk 8%
    # and this ride 4% too long.
    d=$(num "$T/c-$mode.out.json" distance_error)
    echo "$mode correlated: distance error $d"
    check "$mode: correlated error, distance error under 2% ($d)" le "$d" 0.02

    # Spikes (3% of points, 50-500 m) and dropouts: fix removes them, keeps every turn.
    python3 "$G" gen $mode 13 "$T/s-$mode" --white 3 --spikes 0.03 --dropouts 0.01 --seconds 400
    run_polish 0 fix "$T/s-$mode.gpx" -o "$T/sf-$mode/" --quiet
    python3 "$G" score "$T/s-$mode.truth.csv" "$T/sf-$mode/s-$mode.gpx" > "$T/s-$mode.out.json"
    rec=$(num "$T/s-$mode.out.json" spike_recall); fr=$(num "$T/s-$mode.out.json" false_removed)
    tr=$(num "$T/s-$mode.out.json" turn_points_removed); n=$(num "$T/s-$mode.out.json" spikes_total)
    echo "$mode spikes: $n spikes, recall $rec, other points removed $fr, turn points removed $tr"
    check "$mode: spikes present in the input ($n)" test "$n" -ge 5
    check "$mode: spike recall >= 0.99 ($rec)" le 0.99 "$rec"
    check "$mode: no turn point removed ($tr)" test "$tr" -eq 0
    check "$mode: at most 1% of other points removed ($fr)" le "$fr" 4
done

# The bench's walk under slowly varying error (10 minutes, 5 m over 60 s, 1 m of jitter) on four
# seeds. Part of each track's distance error is out of any smoother's reach: the wander's own
# movement along the path looks exactly like the walker speeding up or slowing down. trackgen
# writes the wander beside the truth, and score gives that part as distance_floor (+3.4, +2.0,
# -3.7 and -1.4% here: a mean of 2.6%, so "mean |error| under 2%" over these four asked for
# errors that cancel the floor). Checked instead: what the smoother adds to the floor, and the
# length written while the walker stands still (the wander walked at rest: 2.5% of these walks'
# length before stops were tested against the wander, session 9).
sum=0; still=0
for seed in 31 32 33 34; do
    /usr/bin/python3 "$G" gen walk $seed "$T/cw$seed" --white 1 --corr 5 --tau 60
    run_polish 0 track smooth "$T/cw$seed.gpx" -o "$T/cws$seed/" --quiet
    /usr/bin/python3 "$G" score "$T/cw$seed.truth.csv" "$T/cws$seed/cw$seed.gpx" > "$T/cw$seed.json"
    d=$(num "$T/cw$seed.json" distance_error_signed); f=$(num "$T/cw$seed.json" distance_floor)
    s=$(num "$T/cw$seed.json" still_distance_share)
    echo "walk, correlated error, seed $seed: distance error $d, floor $f, written at rest $s"
    sum=$(/usr/bin/python3 -c "print($sum + abs($d - ($f)))")
    still=$(/usr/bin/python3 -c "print($still + $s)")
done
mean=$(/usr/bin/python3 -c "print($sum / 4)"); still=$(/usr/bin/python3 -c "print($still / 4)")
check "walk under slowly varying error: mean |error - floor| over 4 seeds under 2% ($mean)" le "$mean" 0.02
check "walk under slowly varying error: length written at rest under 1% ($still)" le "$still" 0.01

# A stop found in two pieces is one stop: on these two walks (same error) the wander drifts
# during a stop's last 20-25 s, the rest test makes that a second candidate right after the kept
# stop, and that candidate alone did not win the 6 nats a new stop must. Weighed as the kept
# stop's end moved on, it is held: length written at rest 1.6% and 1.0% before, 0.2% and 0.0%.
for seed in 2007 2026; do
    /usr/bin/python3 "$G" gen walk $seed "$T/sp$seed" --white 1 --corr 5 --tau 60
    run_polish 0 track smooth "$T/sp$seed.gpx" -o "$T/sps$seed/" --quiet
    /usr/bin/python3 "$G" score "$T/sp$seed.truth.csv" "$T/sps$seed/sp$seed.gpx" > "$T/sp$seed.json"
    s=$(num "$T/sp$seed.json" still_distance_share)
    check "walk $seed: a stop's end that drifts is held with the stop (written at rest $s)" le "$s" 0.005
done

# A long walk (20,000 s, 8 stops) under the same error: over 300 legs the floor averages out
# (+0.3% here), so what the smoother adds shows. Corners cut by the wander model made it 1.9
# points short of its floor (session 9's code).
/usr/bin/python3 "$G" gen walk 78 "$T/lw" --white 1 --corr 5 --tau 60 --seconds 20000 --stops 8
run_polish 0 track smooth "$T/lw.gpx" -o "$T/lws/" --quiet
/usr/bin/python3 "$G" score "$T/lw.truth.csv" "$T/lws/lw.gpx" > "$T/lw.json"
d=$(num "$T/lw.json" distance_error_signed); f=$(num "$T/lw.json" distance_floor)
echo "long walk, correlated error: distance error $d, floor $f"
check "long walk: within 1 point of its floor ($d against $f)" \
    le "$(/usr/bin/python3 -c "print(abs($d - ($f)))")" 0.01

# Real slow walking is not frozen as a stop: a market shuffle at 0.5-1 m/s with tight turns and
# no stop, under the same error (5 m over 60 s moves the fixes up to about 0.6 m/s, as fast as
# the shuffler). At most 6% of its moving steps written as no move, and never worse than raw.
# On seed 3 the wander cancels a minute of 0.5 m/s walking; a rest test leaning less to walking
# froze 11% of it there and went above raw.
for seed in 3 44 45; do
    /usr/bin/python3 "$G" gen market $seed "$T/mk$seed" --white 1 --corr 5 --tau 60 --stops 0
    /usr/bin/python3 "$G" score "$T/mk$seed.truth.csv" "$T/mk$seed.gpx" > "$T/mk$seed.raw.json"
    run_polish 0 track smooth "$T/mk$seed.gpx" -o "$T/mks$seed/" --quiet
    /usr/bin/python3 "$G" score "$T/mk$seed.truth.csv" "$T/mks$seed/mk$seed.gpx" > "$T/mk$seed.json"
    fz=$(num "$T/mk$seed.json" moving_steps_frozen)
    raw=$(num "$T/mk$seed.raw.json" rmse_m); out=$(num "$T/mk$seed.json" rmse_m)
    echo "market shuffle, seed $seed: moving steps frozen $fz, RMSE raw $raw m, smoothed $out m"
    check "market shuffle $seed: at most 6% of moving steps frozen ($fz)" le "$fz" 0.06
    check "market shuffle $seed: never worse than raw ($raw -> $out)" le "$out" "$raw"
done
finish
