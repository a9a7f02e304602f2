#!/usr/bin/python3
"""polish - residual camera motion of a clip as a similarity (translation, rotation, scale) between
consecutive frames, estimated independently of polish's own analysis: a global phase correlation for
the start, then a direct fit of the four parameters (Gauss-Newton on the squared difference of the
whole central part, bicubic sampling) on blurred and then sharp frames. The rotation is about the
frame's centre, the translation is the centre's motion.

Usage: simscore.py FILE.gray WIDTH HEIGHT   (raw 8-bit luma frames, e.g. from
ffmpeg -f rawvideo -pix_fmt gray)
Prints: rms_translation_px max_translation_px rms_rotation_deg max_rotation_deg frames
"""
import math
import sys

import numpy as np
from scipy import ndimage


def phase_shift(a, b):
    """The integer shift s with b(x) ~ a(x + s), by phase correlation."""
    win = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    fa, fb = np.fft.fft2(a * win), np.fft.fft2(b * win)
    r = fa * np.conj(fb)
    c = np.real(np.fft.ifft2(r / (np.abs(r) + 1e-9)))
    y, x = np.unravel_index(np.argmax(c), c.shape)
    if y > a.shape[0] // 2:
        y -= a.shape[0]
    if x > a.shape[1] // 2:
        x -= a.shape[1]
    return float(x), float(y)


def align(a, b):
    """(alpha, beta, tx, ty) with b(q) ~ a(S q), S q = (alpha qx - beta qy + tx, beta qx + alpha qy + ty)
    on coordinates about the centre."""
    h, w = a.shape
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    m = max(8, min(h, w) // 8)
    ys, xs = np.mgrid[m:h - m, m:w - m].astype(np.float64)
    qx, qy = (xs - cx).ravel(), (ys - cy).ravel()
    tx, ty = phase_shift(a[m:h - m, m:w - m], b[m:h - m, m:w - m])
    p = np.array([1.0, 0.0, tx, ty])
    for sigma in (3.0, 1.5, 0.0):
        A = ndimage.gaussian_filter(a, sigma) if sigma else a
        B = ndimage.gaussian_filter(b, sigma) if sigma else b
        gy, gx = np.gradient(A)
        cA, cgx, cgy = (ndimage.spline_filter(z, order=3) for z in (A, gx, gy))
        bv = B[m:h - m, m:w - m].ravel()
        for _ in range(8 if sigma else 10):
            sx = p[0] * qx - p[1] * qy + p[2] + cx
            sy = p[1] * qx + p[0] * qy + p[3] + cy
            ok = (sx >= 1) & (sx <= w - 2) & (sy >= 1) & (sy <= h - 2)
            co = np.vstack([sy[ok], sx[ok]])
            av = ndimage.map_coordinates(cA, co, order=3, prefilter=False)
            ax = ndimage.map_coordinates(cgx, co, order=3, prefilter=False)
            ay = ndimage.map_coordinates(cgy, co, order=3, prefilter=False)
            e = av - bv[ok]
            X, Y = qx[ok], qy[ok]
            J = np.vstack([ax * X + ay * Y, -ax * Y + ay * X, ax, ay]).T
            # robust: residuals far beyond the typical one (a mover, the coded noise) count less
            s = 1.4826 * np.median(np.abs(e)) + 1e-6
            wgt = 1.0 / np.maximum(1.0, np.abs(e) / (3 * s))
            H = J.T @ (J * wgt[:, None])
            g = J.T @ (e * wgt)
            dp = np.linalg.solve(H + 1e-9 * np.eye(4), -g)
            p += dp
            if abs(dp[2]) < 2e-3 and abs(dp[3]) < 2e-3 and abs(dp[1]) < 1e-5:
                break
    return p


def main():
    path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    v = np.fromfile(path, dtype=np.uint8)
    n = v.size // (w * h)
    v = v[: n * w * h].reshape(n, h, w).astype(np.float64)
    t2 = r2 = tmax = rmax = 0.0
    for i in range(1, n):
        p = align(v[i - 1], v[i])
        t = math.hypot(p[2], p[3])
        r = math.degrees(math.atan2(p[1], p[0]))
        t2 += t * t
        r2 += r * r
        tmax = max(tmax, t)
        rmax = max(rmax, abs(r))
    k = max(1, n - 1)
    print('%.3f %.3f %.4f %.4f %d' % ((t2 / k) ** 0.5, tmax, (r2 / k) ** 0.5, rmax, n))


main()
