#!/usr/bin/env bash
# polish — track accuracy on generated truth beside gpsbabel's nearest filters: walk, cycle and
# drive (turns, stops), 10 minutes at 1 Hz, 3 seeds each, with white jitter (4 m), slowly varying
# error (5 m, 60 s, plus 1 m jitter), and spikes (3%, 50-500 m) with dropouts. gpsbabel has no
# smoother or spike filter; its nearest filters are position (merge points closer than 5 m) and
# simplify (here 5 m): their RMSE on the points they keep is shown.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
POLISH=${POLISH:-$here/../../build/src/cli/polish}
G=$here/../../tests/track/trackgen.py
W=$(mktemp -d /tmp/polish-bench-trackq-XXXXXX)
trap 'rm -rf "$W"' EXIT
printf '%-6s %-10s %-26s %8s %8s %8s %8s\n' mode noise tool rmse_m dist_err recall false_rm
for mode in walk cycle drive; do
  for kind in white corr spikes; do
    for seed in 1 2 3; do
      case $kind in
        white) a="--white 4";;
        corr) a="--white 1 --corr 5 --tau 60";;
        spikes) a="--white 3 --spikes 0.03 --dropouts 0.01";;
      esac
      p=$W/$mode-$kind-$seed
      python3 "$G" gen $mode $((seed * 100)) "$p" $a
      cp "$p.gpx" "$p.raw.gpx"
      "$POLISH" fix "$p.gpx" -o "$W/f-$mode-$kind-$seed/" --quiet
      cp "$W/f-$mode-$kind-$seed/$(basename "$p").gpx" "$p.polish.gpx"
      gpsbabel -i gpx -f "$p.gpx" -x position,distance=5m -o gpx -F "$p.gb-position.gpx"
      gpsbabel -i gpx -f "$p.gpx" -x simplify,error=0.005k -o gpx -F "$p.gb-simplify.gpx"
    done
    for tool in raw polish gb-position gb-simplify; do
      python3 - "$G" "$W" "$mode-$kind" "$tool" <<'PY'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("g", sys.argv[1]); g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
W, case, tool = sys.argv[2], sys.argv[3], sys.argv[4]
r = [g.score("%s/%s-%d.truth.csv" % (W, case, s), "%s/%s-%d.%s.gpx" % (W, case, s, tool)) for s in (1, 2, 3)]
avg = lambda k: sum(x[k] for x in r if x[k] is not None) / max(1, sum(1 for x in r if x[k] is not None))
rec = avg("spike_recall") if r[0]["spike_recall"] is not None else float("nan")
mode, kind = case.split("-")
print("%-6s %-10s %-26s %8.2f %7.1f%% %8.2f %8.1f" % (mode, kind, tool, avg("rmse_m"), 100 * avg("distance_error"), rec, avg("false_removed")))
PY
    done
  done
done
