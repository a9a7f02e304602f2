#!/usr/bin/python3
"""polish — scores a reframing crop path on a clip from a still camera without ground truth, from
the clip's pixels alone, independently of polish's analysis.

The foreground: each pixel's temporal median over the clip is the background (the camera does not
move); a pixel differing from it by more than THRESH grey levels is foreground, cleaned by a 3x3
opening. The people: connected parts of the foreground after a closing that joins a person's
pieces (head, legs), at least MIN_AREA pixels.

Per frame with foreground:
- subject: the blob the window holds most of (the one it is following, whoever that is) and
  whether it is wholly inside (its columns within the window's, one pixel of tolerance at the
  scoring size). `subject_share`: the share of frames where it is. A frame where the window holds
  no blob at all counts as a miss.
- largest: whether the frame's largest blob is wholly inside (`largest_share`).
- foreground: the share of the moving foreground's pixels inside the window (mean per frame,
  pooled, and the share of frames with at least half inside), as in earlier sessions.
- subject changes: the scorer tracks blobs from frame to frame (a blob continues the track of the
  previous frame's blob it overlaps most, after a dilation by 2 pixels); `switches` counts the
  frames whose subject is on another track than the previous frame's while that track still
  exists (the window left someone who was still there).
The path: largest step, mean step and largest second difference (px, px a frame^2, source pixels).

Usage: fgscore.py GRAY W H PATH.csv [centre|best|bestsubject]
  GRAY: the clip as raw 8-bit grey frames of W x H (any downscale of the source; the path's
  pixels are scaled by W / SRC_W, the source width from the environment, default 768).
  PATH.csv: polish's --save-path (frame,time_s,x,y,w,h in source pixels).
  centre: score a fixed centred window of the path's size instead; best: the window that holds
  the most foreground in each frame on its own; bestsubject: a window holding the largest blob
  wholly, where one exists (both bounds ignore smoothness).
Prints name=value pairs on one line: subject_share largest_share switches mean_share pooled_share
frames_half max_step mean_step max_accel frames.
"""
import csv
import os
import sys

import numpy as np
from scipy import ndimage

THRESH = 30
MIN_AREA = 8


def blobs_of(frame, bg):
    m = np.abs(frame.astype(np.int16) - bg) > THRESH
    m = ndimage.binary_opening(m, structure=np.ones((3, 3)))
    joined = ndimage.binary_closing(m, structure=np.ones((5, 3)))  # a person's pieces, taller than wide
    lab, nl = ndimage.label(joined | m, structure=np.ones((3, 3)))
    out = []
    for k, sl in enumerate(ndimage.find_objects(lab), 1):
        if sl is None:
            continue
        sel = lab[sl] == k
        area = int(sel.sum())
        if area < MIN_AREA:
            continue
        out.append({"x0": sl[1].start, "x1": sl[1].stop, "area": area, "lab": k,
                    "cols": np.pad(sel.sum(axis=0), (sl[1].start, frame.shape[1] - sl[1].stop))})
    return m, lab, out


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
    ww = int(round(cw * k))
    shares, fg_in, fg_all, half, subj, largest, frames, switches = [], 0, 0, 0, 0, 0, 0, 0
    prev_lab, prev_track, next_track, followed = None, {}, 0, None
    primary, rival, rival_run, age, missing = None, None, 0, {}, 0
    prim_frames, prim_in = 0, 0
    for i in range(n):
        m, lab, bl = blobs_of(v[i], bg)
        # tracks: each blob continues the previous frame's blob it overlaps most (after dilation)
        tracks = {}
        for b in bl:
            t = None
            if prev_lab is not None:
                here = ndimage.binary_dilation(lab == b["lab"], iterations=2)
                ids, cnt = np.unique(prev_lab[here], return_counts=True)
                best = [(c, j) for j, c in zip(ids, cnt) if j and j in prev_track]
                if best:
                    t = prev_track[max(best)[1]]
            if t is None or t in tracks.values():
                t, next_track = next_track, next_track + 1
            tracks[b["lab"]] = t
            b["track"] = t
            age[t] = age.get(t, 0) + 1
        by_track = {b["track"]: b for b in bl}
        # the clip's primary subject, by a rule of the scorer's own that does not look at the crop:
        # the largest blob among those seen for at least 5 frames, kept while it is there (gone
        # for more than 3 frames ends it) unless another is at least twice its area for 10 frames
        if primary in by_track:
            missing = 0
            big = max(bl, key=lambda b: b["area"])
            if big["track"] != primary and big["area"] >= 2 * by_track[primary]["area"]:
                rival_run = rival_run + 1 if rival == big["track"] else 1
                rival = big["track"]
                if rival_run >= 10:
                    primary, rival, rival_run = rival, None, 0
            else:
                rival, rival_run = None, 0
        else:
            missing += 1
            if primary is None or missing > 3:
                old = [b for b in bl if age[b["track"]] >= 5]
                primary = max(old or bl, key=lambda b: b["area"])["track"] if bl else None
                missing, rival, rival_run = 0, None, 0
        col = m.sum(axis=0)
        tot = col.sum()
        if mode == "best":
            c = np.concatenate([[0], np.cumsum(col)])
            x0 = int(np.argmax(c[ww:] - c[:-ww]))
        elif mode == "bestsubject" and primary in by_track:
            p = by_track[primary]
            x0 = min(max(0, (p["x0"] + p["x1"] - ww) // 2), w - ww)
        else:
            x0 = int(round(xs[i] * k))
        x1 = x0 + ww

        def whole(b):
            return b["x0"] >= x0 - 1 and b["x1"] <= x1 + 1

        if primary in by_track:
            prim_frames += 1
            prim_in += whole(by_track[primary])
        if tot >= 20 and bl:
            frames += 1
            inside = col[max(0, x0): x1].sum()
            s = inside / tot
            shares.append(s)
            fg_in += inside
            fg_all += tot
            half += s >= 0.5
            # the subject the window follows: the one it followed while that stays wholly inside,
            # else the blob it holds most of
            if followed in by_track and whole(by_track[followed]):
                subj += 1
            else:
                held = [(b["cols"][max(0, x0): x1].sum(), b["area"], j) for j, b in enumerate(bl)]
                most = max(held)
                sb = bl[most[2]]
                if most[0] > 0:
                    subj += whole(sb)
                    if followed is not None and sb["track"] != followed:
                        switches += 1
                    followed = sb["track"]
            largest += whole(max(bl, key=lambda b: b["area"]))
        prev_lab, prev_track = lab, tracks
    steps = np.abs(np.diff(xs))
    acc = np.abs(np.diff(xs, 2))
    print("subject_share=%.3f primary_share=%.3f largest_share=%.3f switches=%d mean_share=%.3f pooled_share=%.3f "
          "frames_half=%.3f max_step=%.2f mean_step=%.3f max_accel=%.2f frames=%d"
          % (subj / frames, prim_in / max(1, prim_frames), largest / frames, switches, np.mean(shares),
             fg_in / fg_all, half / frames, steps.max(), steps.mean(), acc.max(), frames))


main()
