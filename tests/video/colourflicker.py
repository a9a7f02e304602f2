# polish test helper: how steady a colour correction is over time, measured from outside.
# Usage: colourflicker.py IN.rgb OUT.rgb W H CUT
# IN and OUT are raw RGB24 frames (W x H) of a clip before and after the correction; CUT is the
# first frame of the second shot. Per frame, the correction applied is the ratio of OUT's mean
# linear R, G, B to IN's; its change between consecutive frames is scored as the CIEDE2000 between
# frame i's input mean corrected by frame i's ratios and by frame i+1's (the scene's own change
# left out). Prints: the largest step inside the first shot, inside the second, the step at the cut,
# and the two shots' mean ratios (R/G and B/G) as 4 numbers.
import math, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from de2000 import de, lab_lin  # noqa: E402

def means(path, w, h):
    lut = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in range(256)]
    data, fs, out = open(path, "rb").read(), w * h * 3, []
    for k in range(len(data) // fs):
        f = data[k * fs:(k + 1) * fs]
        out.append(tuple(sum(lut[x] for x in f[c::3]) / (w * h) for c in range(3)))
    return out

a, b = means(sys.argv[1], int(sys.argv[3]), int(sys.argv[4])), means(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
cut = int(sys.argv[5])
assert len(a) == len(b) > cut + 2, (len(a), len(b))
gain = [tuple(o[c] / max(i[c], 1e-6) for c in range(3)) for i, o in zip(a, b)]
def step(i):
    x = a[i]
    p = lab_lin(*(min(1.0, x[c] * gain[i][c]) for c in range(3)))
    q = lab_lin(*(min(1.0, x[c] * gain[i + 1][c]) for c in range(3)))
    return de(p, q)
steps = [step(i) for i in range(len(a) - 1)]
s1, s2, at = max(steps[:cut - 1]), max(steps[cut:]), steps[cut - 1]
def ratios(lo, hi):
    r = [g[0] / g[1] for g in gain[lo:hi]]
    bl = [g[2] / g[1] for g in gain[lo:hi]]
    return sum(r) / len(r), sum(bl) / len(bl)
r1, b1 = ratios(0, cut)
r2, b2 = ratios(cut, len(a))
print(f"{s1:.3f} {s2:.3f} {at:.3f} {r1:.3f} {b1:.3f} {r2:.3f} {b2:.3f}")
