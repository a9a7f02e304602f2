#!/usr/bin/python3
"""polish — scores a reframing crop path on a clip from a still camera without ground truth: the
share of the moving foreground inside the window. The foreground is found here, independently of
polish's analysis: each pixel's temporal median over the clip is the background (the camera does
not move), a pixel differing from it by more than THRESH grey levels is foreground, cleaned by a
3x3 opening. Also the path's largest and mean step and largest second difference inside shots.

Usage: fgscore.py GRAY W H PATH.csv [centre|best]
  GRAY: the clip as raw 8-bit grey frames of W x H (any downscale of the source; the path's
  pixels are scaled by the ratio of its frame to the source's, given by the CSV's x+w at most).
  PATH.csv: polish's --save-path (frame,time_s,x,y,w,h in source pixels); its source width is
  read from the environment SRC_W (default 768).
  centre: score a fixed centred window of the path's size instead; best: the window that holds
  the most foreground in each frame on its own (an upper bound that ignores smoothness).
Prints: mean_share pooled_share frames_half max_step mean_step max_accel
"""
import csv
import os
import sys

import numpy as np
from scipy import ndimage

THRESH = 30


def main():
    gray, w, h, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    mode = sys.argv[5] if len(sys.argv) > 5 else "path"
    src_w = float(os.environ.get("SRC_W", "768"))
    k = w / src_w
    v = np.fromfile(gray, dtype=np.uint8)
    n = v.size // (w * h)
    v = v[: n * w * h].reshape(n, h, w)
    bg = np.median(v[:: max(1, n // 200)], axis=0)
    rows = list(csv.DictReader(open(path)))
    assert len(rows) == n, (len(rows), n)
    xs = np.array([float(r["x"]) for r in rows])
    cw = float(rows[0]["w"])
    if mode == "centre":
        xs[:] = (src_w - cw) / 2
    shares, fg_in, fg_all, half = [], 0, 0, 0
    ww = int(round(cw * k))
    for i in range(n):
        m = np.abs(v[i].astype(np.int16) - bg) > THRESH
        m = ndimage.binary_opening(m, structure=np.ones((3, 3)))
        col = m.sum(axis=0)
        tot = col.sum()
        if tot < 20:  # nothing moving
            continue
        if mode == "best":
            c = np.concatenate([[0], np.cumsum(col)])
            inside = (c[ww:] - c[:-ww]).max()
        else:
            x0 = int(round(xs[i] * k))
            inside = col[max(0, x0): x0 + ww].sum()
        s = inside / tot
        shares.append(s)
        fg_in += inside
        fg_all += tot
        half += s >= 0.5
    steps = np.abs(np.diff(xs))
    acc = np.abs(np.diff(xs, 2))
    print("%.3f %.3f %.3f %.2f %.3f %.2f" % (np.mean(shares), fg_in / fg_all, half / len(shares),
                                             steps.max(), steps.mean(), acc.max()))


main()
