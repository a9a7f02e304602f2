#!/usr/bin/python3
"""polish — fits the weights of image.white-balance's light cues (src/image/wb_cues.c).

Training: the photos of bench/image/wbtrain.list (none of them in bench/image/evalset.list, the
benchmark's set), reduced to 384 px, each under random lights (warm/cool along the daylight
axis, green/magenta tints, and no cast), brightness kept as an auto-exposing camera records them
(`quality_score cast`). Each cue reads the light of the cast photo; the target is the cast's
(u, v) = (ln R/G, ln B/G) gain. Held out: the 60 photos of the benchmark under its five casts and
none, scored with the weights fitted on the training photos alone.

Usage: bench/image/wbfit.py QUALITY_SCORE OUTDIR [jobs [report]]   (report: only re-fit the saved
samples). Prints each cue's error in a*b* units, and the fitted combinations' (training, held out).
"""
import math
import os
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCORE, OUT = sys.argv[1], sys.argv[2]
JOBS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
MAXDIM = 384
NAMES = ["gray_world", "shades_of_gray_p4", "gray_edge_p1", "gray_edge_p2", "gray_edge_p6",
         "gray_edge2_p2", "white_patch", "pca_ends", "gray_pixels"]
BENCH_CASTS = [(1, 1, 1), (0.80, 0.62, 0.45), (1.00, 0.78, 0.52), (0.70, 0.85, 1.00),
               (0.90, 1.00, 0.85), (1.00, 0.88, 0.95)]


def run(*a):
    return subprocess.run([str(x) for x in a], check=True, capture_output=True, text=True).stdout


def lab_ab(u, v):
    """a*, b* of a mid-grey (Y 0.18) under the light (u, v), relative to D65 (as
    pol__light_cast_ab)."""
    rgb = np.array([math.exp(u), 1.0, math.exp(v)])
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    rgb *= 0.18 / (m[1] @ rgb)
    x, y, z = m @ rgb
    wn = (0.95047, 1.0, 1.08883)

    def f(t):
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    fx, fy, fz = f(x / wn[0]), f(y / wn[1]), f(z / wn[2])
    return 500 * (fx - fy), 200 * (fy - fz)


def ab_err(pu, pv, tu, tv):
    a1, b1 = lab_ab(pu, pv)
    a2, b2 = lab_ab(tu, tv)
    return math.hypot(a1 - a2, b1 - b2)


def paths(listfile, kind=None):
    out = []
    for line in open(os.path.join(ROOT, listfile)):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if kind:
            k, p = line.split(None, 1)
            if k != kind:
                continue
            line = p
        out.append(line)
    return out


def name_of(p):
    if "/contents/images/" in p:
        return p.split("/contents/images/")[0].rsplit("/", 1)[1]
    return os.path.splitext(os.path.basename(p))[0].replace(" ", "_")


def sample(job):
    """Degrades one photo by one cast and reads its cues: (name, true u, true v, cues 9x2)."""
    src, name, g = job
    base = os.path.join(OUT, name + ".png")
    dst = os.path.join(OUT, "%s__%.3f_%.3f_%.3f.png" % (name, *g))
    gains = [float(x) for x in run(SCORE, "cast", base, dst, MAXDIM, *g, 0).split()]
    cues = [float(x) for x in run(SCORE, "cues", dst, MAXDIM).split()]
    os.unlink(dst)
    return (name, math.log(gains[0] / gains[1]), math.log(gains[2] / gains[1]),
            np.array(cues).reshape(9, 2))


def prepare(photos):
    for p in photos:
        src = p
        if p.endswith(".dat"):
            continue  # scipy's raw raccoon: broad.sh decodes it; left out here
        run(SCORE, "degrade", src, os.path.join(OUT, name_of(p) + ".png"), MAXDIM, 1, 1, 1)


def random_casts(rng, n):
    """Lights along the daylight (warm-cool) axis and across it (green-magenta), in (u, v):
    the warm-cool axis runs about (1, -1.3), tints about (1, 1). A share of no cast."""
    out = [(1.0, 1.0, 1.0)]
    ax = np.array([1, -1.3]) / math.hypot(1, 1.3)
    tx = np.array([1, 1]) / math.sqrt(2)
    for _ in range(n - 1):
        uv = ax * rng.uniform(-0.45, 0.45) + tx * rng.uniform(-0.2, 0.2)
        out.append((math.exp(uv[0]), 1.0, math.exp(uv[1])))
    return out


def collect(photos, casts_of):
    jobs = []
    for p in photos:
        if p.endswith(".dat"):
            continue
        for g in casts_of(p):
            jobs.append((p, name_of(p), tuple(round(x, 4) for x in g)))
    with ThreadPoolExecutor(JOBS) as ex:
        return list(ex.map(sample, jobs))


def report(tr, ho, names):
    """Each cue, the present median, doing nothing, a least-squares combination and a gated one
    (act only when the cues agree and the estimate is large), all fitted on the training photos:
    mean a*b* error of the light estimate, training and held out."""
    Ttr, Ctr = tr[:, :2], tr[:, 2:].reshape(-1, 9, 2)
    Tho, Cho = ho[:, :2], ho[:, 2:].reshape(-1, 9, 2)
    ztr = np.all(np.abs(Ttr) < 1e-6, axis=1)
    zho = np.all(np.abs(Tho) < 1e-6, axis=1)

    def err(P, T):
        return np.array([ab_err(p[0], p[1], t[0], t[1]) for p, t in zip(P, T)])

    def row(name, ptr, pho):
        etr, eho = err(ptr, Ttr), err(pho, Tho)
        print("  %-34s train %6.2f | held out %6.2f (cast %6.2f, none %6.2f)" %
              (name, etr.mean(), eho.mean(), eho[~zho].mean(), eho[zho].mean()))
        return eho

    for j, n in enumerate(NAMES):
        row(n, Ctr[:, j], Cho[:, j])
    med = lambda C: np.median(C[:, [3, 4, 6]], axis=1)
    row("median (gray-edge p2, p6, white patch)", med(Ctr), med(Cho))
    row("nothing", 0 * Ttr, 0 * Tho)
    X = np.concatenate([Ctr[:, :, 0], Ctr[:, :, 1]])
    y = np.concatenate([Ttr[:, 0], Ttr[:, 1]])
    w = np.linalg.solve(X.T @ X + 0.1 * np.eye(9) * len(X) / 100, X.T @ y)
    comb = lambda C: np.einsum("ncj,c->nj", C, w)
    row("least-squares combination", comb(Ctr), comb(Cho))
    print("  weights:", " ".join("%s %.3f" % (n, x) for n, x in zip(NAMES, w)))

    def gated(C, s0, m0):
        P = comb(C)
        S = np.sqrt(((C - P[:, None, :]) ** 2).sum(2).mean(1))
        g = (S < s0) & (np.hypot(P[:, 0], P[:, 1]) > m0)
        return P * g[:, None], g

    best = None
    for s0 in np.arange(0.02, 0.3, 0.02):
        for m0 in np.arange(0.0, 0.3, 0.03):
            e = err(gated(Ctr, s0, m0)[0], Ttr)
            obj = e[~ztr].mean() + 3 * e[ztr].mean()
            if best is None or obj < best[0]:
                best = (obj, s0, m0)
    _, s0, m0 = best
    P, g = gated(Cho, s0, m0)
    eho = row("combination, gated (spread < %.2f, size > %.2f)" % (s0, m0), gated(Ctr, s0, m0)[0], P)
    print("  gated: acts on %d of %d held-out images; on untouched photos harms %s" %
          (g.sum(), len(g), ", ".join("%s %.1f" % (n, e) for n, e, z in zip(names, eho, zho)
                                      if z and e > 1.5) or "none"))


def main():
    os.makedirs(OUT, exist_ok=True)
    if len(sys.argv) > 4 and sys.argv[4] == "report":
        report(np.load(os.path.join(OUT, "train.npy")), np.load(os.path.join(OUT, "held.npy")),
               open(os.path.join(OUT, "held_names.txt")).read().split())
        return
    rng = random.Random(8)
    train = paths("bench/image/wbtrain.list")
    held = paths("bench/image/evalset.list", "photo")
    prepare(train + held)
    tr = collect(train, lambda p: random_casts(rng, 16))
    ho = collect(held, lambda p: BENCH_CASTS)
    np.save(os.path.join(OUT, "train.npy"), np.array([(s[1], s[2], *s[3].ravel()) for s in tr]))
    np.save(os.path.join(OUT, "held.npy"), np.array([(s[1], s[2], *s[3].ravel()) for s in ho]))
    with open(os.path.join(OUT, "held_names.txt"), "w") as f:
        f.write("\n".join(s[0] for s in ho) + "\n")
    print("samples: %d training (%d photos), %d held out (%d photos)" %
          (len(tr), len(train), len(ho), len(held) - 1))
    report(np.load(os.path.join(OUT, "train.npy")), np.load(os.path.join(OUT, "held.npy")),
           [s[0] for s in ho])


if __name__ == "__main__":
    main()
