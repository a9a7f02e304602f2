#!/usr/bin/env python3
"""polish - residual camera motion of a clip: the global translation between consecutive frames,
estimated independently of polish's own analysis (integral projections: the column and row means
of the frame's central part, matched by least squares over whole-pixel shifts and refined by a
parabola). Prints the RMS inter-frame translation (px of the clip as given) and its largest value.

Usage: stabscore.py FILE.gray WIDTH HEIGHT [SCALE]   (raw 8-bit luma frames, e.g. from
ffmpeg -f rawvideo -pix_fmt gray; SCALE multiplies the result, for frames measured downscaled).
"""
import sys

R = 24  # largest shift searched, px


def profiles(fr, w, h):
    x0, x1, y0, y1 = w // 8, w - w // 8, h // 8, h - h // 8
    cols = [0.0] * w
    rows = [0.0] * h
    for y in range(h):
        line = fr[y * w:(y + 1) * w]
        if y0 <= y < y1:
            for x in range(w):
                cols[x] += line[x]
        rows[y] = sum(line[x0:x1]) / (x1 - x0)
    n = y1 - y0
    return [c / n for c in cols], rows


def shift(a, b):
    """The s for which b[i] ~ a[i - s] (content moved by +s), over the central part."""
    n = len(a)
    lo, hi = n // 8, n - n // 8
    r = min(R, lo)
    ma = sum(a[lo:hi]) / (hi - lo)
    mb = sum(b[lo:hi]) / (hi - lo)
    best, cost = 0, []
    for s in range(-r, r + 1):
        e = 0.0
        for i in range(lo, hi):
            d = (b[i] - mb) - (a[i - s] - ma)
            e += d * d
        cost.append(e)
    k = min(range(len(cost)), key=cost.__getitem__)
    best = k - r
    if 0 < k < len(cost) - 1:
        c0, c1, c2 = cost[k - 1], cost[k], cost[k + 1]
        den = c0 - 2 * c1 + c2
        if den > 0:
            best += 0.5 * (c0 - c2) / den
    return best


def main():
    path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    data = open(path, 'rb').read()
    n = len(data) // (w * h)
    prev = None
    sq, big, pairs = 0.0, 0.0, 0
    for k in range(n):
        p = profiles(data[k * w * h:(k + 1) * w * h], w, h)
        if prev:
            dx, dy = shift(prev[0], p[0]) * scale, shift(prev[1], p[1]) * scale
            sq += dx * dx + dy * dy
            big = max(big, (dx * dx + dy * dy) ** 0.5)
            pairs += 1
        prev = p
    print('%.3f %.3f %d' % ((sq / pairs) ** 0.5 if pairs else 0, big, n))


main()
