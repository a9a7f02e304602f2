#!/usr/bin/env python3
"""polish — where a smoothed track's distance error comes from, on trackgen's tracks with the
truth and the slowly varying error (the wander) known.

usage: distance_parts.py POLISH MODE SEED[,SEED...] [--seconds N] [--stops N] [--smooth]
  Generates each track as `trackgen.py gen MODE SEED --white 1 --corr 5 --tau 60` does (the bench's
  correlated case; the wander is drawn again from the same random sequence, and the script stops
  if its track is not byte for byte the generator's), runs `polish fix` (or `track smooth`) on
  it, and splits (distance of the output - distance of the truth) / distance of the truth over
  the truth's steps:
    stop       the walker stands still (any length here is the wander or jitter walked)
    near_stop  within 8 s of a stop (slowing down, starting again)
    turn       the truth is turning
    straight   the rest
  and prints beside each the floor: the sum over moving steps of the wander's change along the
  truth's direction, (b(i+1) - b(i)) . u(i). That part of the wander moves the fixes along the
  path exactly as walking faster or slower would; no smoother that does not know the walker's
  speed removes it. It telescopes within a straight leg ((b_end - b_start) . u), so over a walk
  it is a sum over legs, not the wander's end minus its start.
"""
import importlib.util, math, os, random, subprocess, sys, tempfile

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("tg", os.path.join(here, "../../tests/track/trackgen.py"))
tg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tg)
WHITE, CORR, TAU = 1.0, 5.0, 60.0


def parts(mode, seed, seconds, stops):
    """Truth, wander and jitter per fix, drawn in trackgen.gen's order (no spikes or dropouts)."""
    rng = random.Random(seed)
    tr = tg.truth(mode, rng, seconds, 1.0, stops)
    a = math.exp(-1.0 / TAU)
    cx = cy = 0.0
    out = []
    for i, (t, x, y, turning) in enumerate(tr):
        cx = a * cx + math.sqrt(1 - a * a) * rng.gauss(0, CORR)
        cy = a * cy + math.sqrt(1 - a * a) * rng.gauss(0, CORR)
        if i == 0:
            cx, cy = rng.gauss(0, CORR), rng.gauss(0, CORR)
        out.append((t, x, y, turning, cx, cy, rng.gauss(0, WHITE), rng.gauss(0, WHITE)))
    return out


def same_as_generator(P, path):
    """The measured positions as trackgen writes them, against its file."""
    want = []
    for t, x, y, _, bx, by, jx, jy in P:
        want.append('<trkpt lat="%.7f" lon="%.7f">' % (tg.LAT0 + (y + by + jy) / tg.KY,
                                                       tg.LON0 + (x + bx + jx) / tg.KX))
    got = [l[:l.index(">") + 1] for l in open(path) if l.startswith("<trkpt")]
    return got == want


def main(argv):
    pol, mode, seeds = argv[1], argv[2], [int(s) for s in argv[3].split(",")]
    seconds, stops, op = 600, 2, ["fix"]
    i = 4
    while i < len(argv):
        if argv[i] == "--seconds": seconds, i = float(argv[i + 1]), i + 2
        elif argv[i] == "--stops": stops, i = int(argv[i + 1]), i + 2
        elif argv[i] == "--smooth": op, i = ["track", "smooth"], i + 1
        else: sys.exit("unknown option " + argv[i])
    cats = ("stop", "near_stop", "turn", "straight")
    print("%-6s %6s %8s %8s  %s" % ("seed", "L_m", "error", "floor",
                                   "  ".join("%s (floor)" % c for c in cats)))
    with tempfile.TemporaryDirectory() as d:
        for seed in seeds:
            p = os.path.join(d, "%s-%d" % (mode, seed))
            gen = [sys.executable, spec.origin, "gen", mode, str(seed), p, "--white", str(WHITE),
                   "--corr", str(CORR), "--tau", str(TAU), "--seconds", str(seconds),
                   "--stops", str(stops)]
            subprocess.run(gen, check=True)
            P = parts(mode, seed, seconds, stops)
            if not same_as_generator(P, p + ".gpx"):
                sys.exit("the wander drawn here is not trackgen's: update parts()")
            subprocess.run([pol] + op + [p + ".gpx", "-o", p + "-out/", "--quiet"], check=True)
            O = {}
            for t, lat, lon in tg.read_gpx(os.path.join(p + "-out", os.path.basename(p) + ".gpx")):
                O[round(t - tg.T0, 3)] = tg.xy(lat, lon)
            n = len(P)
            step = [math.hypot(P[k + 1][1] - P[k][1], P[k + 1][2] - P[k][2]) for k in range(n - 1)]
            still = [s < 1e-6 for s in step]
            near = [any(still[max(0, k - 8):k + 9]) for k in range(n - 1)]
            L = sum(step)
            acc = {c: [0.0, 0.0] for c in cats}
            for k in range(n - 1):
                a, b = round(P[k][0], 3), round(P[k + 1][0], 3)
                if a not in O or b not in O:
                    continue
                d_out = math.hypot(O[b][0] - O[a][0], O[b][1] - O[a][1])
                c = ("stop" if still[k] else "near_stop" if near[k] else
                     "turn" if P[k][3] or P[k + 1][3] else "straight")
                fl = 0.0
                if not still[k]:
                    ux, uy = (P[k + 1][1] - P[k][1]) / step[k], (P[k + 1][2] - P[k][2]) / step[k]
                    fl = (P[k + 1][4] - P[k][4]) * ux + (P[k + 1][5] - P[k][5]) * uy
                acc[c][0] += d_out - step[k]
                acc[c][1] += fl
            tot = sum(v[0] for v in acc.values())
            flo = sum(v[1] for v in acc.values())
            print("%-6d %6.0f %+7.2f%% %+7.2f%%  %s" % (
                seed, L, 100 * tot / L, 100 * flo / L,
                "  ".join("%+.2f%% (%+.2f%%)" % (100 * acc[c][0] / L, 100 * acc[c][1] / L)
                          for c in cats)))


if __name__ == "__main__":
    main(sys.argv)
