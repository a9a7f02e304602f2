/* polish — the reframe's subject on clips with several moving people, in the manner of AutoFlip:
 * moving regions found per frame by background subtraction (each pixel against the median of
 * samples of its shot within a few seconds either side, so people who walk on are not part of it),
 * tracked from frame to frame by position and overlap, and one of the tracks chosen per stretch as
 * the subject by a dynamic programme over the shot: following a present, moving track earns by its
 * prominence in each frame (its size against the frame's largest moving region: the person nearest
 * the camera), changing to another costs (more while the current one is still there, more the
 * further the window must pan), so the choice does not flicker and changes when the subject leaves
 * or a much more prominent one stays for long. Shots whose camera moves are left to the motion
 * centroid. */
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/track.h"

#define TSIZE 192       /* the long side of the frames measured, px */
#define HALF_S 4.0      /* the background: samples within this many seconds either side */
#define SAMPLE_S 0.5    /* one sample every this many seconds */
#define MIN_SAMPLES 3   /* fewer: no background for the frame */
#define THRESH 25       /* grey levels from the background */
#define MIN_AREA 8      /* px at the measuring size */
#define MAX_BLOBS 12    /* kept per frame, the largest */
#define COAST_S 0.6     /* a track unseen this long ends */
#define MIN_LIFE_S 0.8  /* shorter tracks are not candidates */
#define SWITCH_S 3.0    /* leaving a subject still there costs this many seconds of following one */
#define PAN_S 2.0       /* a pan of a window width costs this many */
#define FLOOR 0.3       /* following any present mover earns this much a frame, the largest 1 */

typedef struct obs {
    int32_t track;
    uint8_t x0, x1, y0, y1; /* inclusive, at the measuring size */
    uint16_t area;
} obs;

typedef struct trk {
    int32_t id;
    size_t last;
    double cx, cy, hw, hh, vx, vy;
} trk;

typedef struct tctx {
    int w, h;
    double fps;
    size_t n, D, S, KS; /* frames, delay (frames), sample step (frames), sample ring size */
    uint8_t *ring, *samp, *sorted, *bg, *m, *m2, *j;
    int *stack, *lab;
    size_t bg_first, bg_last; /* the samples the background was made of; bg_first > bg_last: none */
    int have_bg;
    const size_t *shot;
    const unsigned char *moving;
    obs *o;
    unsigned char *no;
    trk *t;
    size_t nt, cap_t;
    int32_t next_id;
    size_t cur_shot;
    size_t frames_with_blobs;
} tctx;

/* The background for frame j: the per-pixel median of the samples of j's shot within HALF_S
 * seconds either side (samples are every S frames, kept in a ring). Each pixel keeps its samples
 * sorted (sorted[p * KS ..]); as the window slides, samples that leave are taken out and new ones
 * put in, instead of sorting again. */
static void background(tctx *c, size_t j)
{
    size_t lo = j > c->D ? j - c->D : 0, hi = j + c->D;
    size_t first = (lo + c->S - 1) / c->S, last = hi / c->S, maxs = (c->n - 1) / c->S;
    if (last > maxs) last = maxs;
    while (first <= last && c->shot[first * c->S] != c->shot[j]) first++;
    while (last >= first && last > 0 && c->shot[last * c->S] != c->shot[j]) last--;
    if (first > last || c->shot[last * c->S] != c->shot[j] || last - first + 1 < MIN_SAMPLES) {
        c->have_bg = 0;
        return;
    }
    if (c->have_bg && first == c->bg_first && last == c->bg_last) return;
    size_t np = (size_t)c->w * c->h, K = c->KS;
    /* slide when the old set is of the same shot and overlaps the new one; else start again */
    int slide = c->have_bg && c->shot[c->bg_first * c->S] == c->shot[j] && first >= c->bg_first &&
                last >= c->bg_last && first <= c->bg_last;
    size_t out_from = slide ? c->bg_first : 0, out_to = slide ? first : 0; /* samples leaving */
    size_t in_from = slide ? c->bg_last + 1 : first;                       /* samples coming */
    size_t m0 = slide ? c->bg_last - c->bg_first + 1 : 0, m = last - first + 1;
    for (size_t p = 0; p < np; p++) {
        uint8_t *v = c->sorted + p * K;
        size_t k = m0;
        for (size_t s = out_from; s < out_to; s++) {
            uint8_t x = c->samp[(s % K) * np + p];
            size_t q = 0;
            while (q < k && v[q] != x) q++;
            if (q == k) continue; /* cannot happen: it went in when it came */
            memmove(v + q, v + q + 1, k - q - 1);
            k--;
        }
        for (size_t s = in_from; s <= last; s++) {
            uint8_t x = c->samp[(s % K) * np + p];
            size_t q = k++;
            for (; q > 0 && v[q - 1] > x; q--) v[q] = v[q - 1];
            v[q] = x;
        }
        c->bg[p] = m % 2 ? v[m / 2] : (uint8_t)((v[m / 2 - 1] + v[m / 2] + 1) / 2);
    }
    c->bg_first = first;
    c->bg_last = last;
    c->have_bg = 1;
}

/* Binary morphology on 0/1 masks, one direction at a time: a run of 2r + 1 pixels along x (dx = 1)
 * or y; erode = 1 only where the whole run is 1, dilate = 1 where any is. Outside the picture
 * counts as neither. */
static void morph1(const uint8_t *in, uint8_t *out, int w, int h, int r, int dx, int erode)
{
    int len = dx ? w : h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = erode, at = dx ? x : y;
            for (int d = -r; d <= r; d++) {
                int q = at + d;
                int b = q < 0 || q >= len ? erode : in[dx ? (size_t)y * w + q : (size_t)q * w + x];
                if (erode ? !b : b) {
                    v = !erode;
                    break;
                }
            }
            out[(size_t)y * w + x] = (uint8_t)v;
        }
}

/* A box of bw x bh (odd): along x into tmp, then along y into out. */
static void morph(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h, int bw, int bh, int erode)
{
    morph1(in, tmp, w, h, bw / 2, 1, erode);
    morph1(tmp, out, w, h, bh / 2, 0, erode);
}

typedef struct blob {
    int x0, x1, y0, y1, area;
    double cx, cy;
} blob;

static int cmp_area(const void *a, const void *b)
{
    return ((const blob *)b)->area - ((const blob *)a)->area;
}

/* Continues the tracks of frame j's shot with its blobs: a blob takes the unmatched track whose
 * predicted box its own overlaps, nearest first; the rest start tracks. */
static int follow(tctx *c, size_t j, blob *b, int nb, int32_t *ids)
{
    if (c->shot[j] != c->cur_shot) {
        c->nt = 0;
        c->cur_shot = c->shot[j];
    }
    size_t coast = (size_t)lround(COAST_S * c->fps);
    if (coast < 2) coast = 2;
    for (size_t k = 0; k < c->nt;) /* tracks unseen too long end */
        if (j - c->t[k].last > coast) c->t[k] = c->t[--c->nt];
        else k++;
    size_t nt = c->nt;
    unsigned char *used = calloc(nt + 1, 1);
    if (!used) return 0;
    for (int q = 0; q < nb; q++) ids[q] = -1;
    for (;;) {
        double best = HUGE_VAL;
        int bq = -1;
        size_t bk = 0;
        for (int q = 0; q < nb; q++) {
            if (ids[q] >= 0) continue;
            double hw = (b[q].x1 - b[q].x0 + 1) / 2.0, hh = (b[q].y1 - b[q].y0 + 1) / 2.0;
            for (size_t k = 0; k < nt; k++) {
                if (used[k]) continue;
                const trk *t = &c->t[k];
                double g = (double)(j - t->last), px = t->cx + t->vx * g, py = t->cy + t->vy * g;
                double dx = fabs(b[q].cx - px), dy = fabs(b[q].cy - py);
                if (dx > hw + t->hw + 2 + fabs(t->vx) * g || dy > hh + t->hh + 2 + fabs(t->vy) * g) continue;
                double d = hypot(dx, dy);
                if (d < best) {
                    best = d;
                    bq = q;
                    bk = k;
                }
            }
        }
        if (bq < 0) break;
        trk *t = &c->t[bk];
        double g = (double)(j - t->last);
        t->vx = 0.7 * t->vx + 0.3 * (b[bq].cx - t->cx) / g;
        t->vy = 0.7 * t->vy + 0.3 * (b[bq].cy - t->cy) / g;
        t->cx = b[bq].cx;
        t->cy = b[bq].cy;
        t->hw = (b[bq].x1 - b[bq].x0 + 1) / 2.0;
        t->hh = (b[bq].y1 - b[bq].y0 + 1) / 2.0;
        t->last = j;
        ids[bq] = t->id;
        used[bk] = 1;
    }
    free(used);
    for (int q = 0; q < nb; q++) {
        if (ids[q] >= 0) continue;
        if (c->nt == c->cap_t) {
            size_t nc = c->cap_t ? 2 * c->cap_t : 32;
            trk *nt2 = realloc(c->t, nc * sizeof *nt2);
            if (!nt2) return 0;
            c->t = nt2;
            c->cap_t = nc;
        }
        c->t[c->nt++] = (trk){c->next_id, j, b[q].cx, b[q].cy, (b[q].x1 - b[q].x0 + 1) / 2.0,
                              (b[q].y1 - b[q].y0 + 1) / 2.0, 0, 0};
        ids[q] = c->next_id++;
    }
    return 1;
}

/* Frame j (its small picture g): foreground against the background, cleaned, its blobs tracked
 * and the largest kept. 0 when out of memory. */
static int measure(tctx *c, size_t j, const uint8_t *g)
{
    c->no[j] = 0;
    if (c->moving[c->shot[j]]) return 1;
    background(c, j);
    if (!c->have_bg) return 1;
    int w = c->w, h = c->h;
    size_t np = (size_t)w * h;
    /* a change of the whole picture's light is not motion: the median difference is taken off */
    long hist[511] = {0};
    for (size_t p = 0; p < np; p++) hist[(int)g[p] - (int)c->bg[p] + 255]++;
    long acc = 0;
    int off = 0;
    for (int k = 0; k < 511; k++)
        if ((acc += hist[k]) * 2 >= (long)np) {
            off = k - 255;
            break;
        }
    size_t fg = 0;
    for (size_t p = 0; p < np; p++) {
        int d = (int)g[p] - (int)c->bg[p] - off;
        c->m[p] = (uint8_t)(d > THRESH || d < -THRESH);
    }
    uint8_t *joined = c->j + np;
    morph(c->m, c->m2, c->j, w, h, 3, 3, 1); /* opening: specks go */
    morph(c->m2, c->m, c->j, w, h, 3, 3, 0);
    morph(c->m, c->m2, c->j, w, h, 3, 5, 0); /* closing: a person's pieces join */
    morph(c->m2, joined, c->j, w, h, 3, 5, 1);
    for (size_t p = 0; p < np; p++) {
        joined[p] |= c->m[p];
        fg += c->m[p];
    }
    if (fg * 10 > np * 3) return 1; /* most of the picture changed: not people moving */
    blob bl[256];
    int nb = 0;
    for (size_t p = 0; p < np; p++) c->lab[p] = 0;
    for (size_t p0 = 0; p0 < np; p0++) {
        if (!joined[p0] || c->lab[p0]) continue;
        blob b = {w, -1, h, -1, 0, 0, 0};
        size_t sp = 0;
        c->stack[sp++] = (int)p0;
        c->lab[p0] = 1;
        double sx = 0, sy = 0;
        while (sp) {
            int p = c->stack[--sp], x = p % w, y = p / w;
            b.area++;
            sx += x;
            sy += y;
            if (x < b.x0) b.x0 = x;
            if (x > b.x1) b.x1 = x;
            if (y < b.y0) b.y0 = y;
            if (y > b.y1) b.y1 = y;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                    size_t q = (size_t)yy * w + xx;
                    if (joined[q] && !c->lab[q]) {
                        c->lab[q] = 1;
                        c->stack[sp++] = (int)q;
                    }
                }
        }
        if (b.area < MIN_AREA) continue;
        b.cx = (b.x0 + b.x1) / 2.0;
        b.cy = (b.y0 + b.y1) / 2.0;
        if (nb < 256) bl[nb++] = b;
        else if (b.area > bl[255].area) { /* keep the largest 256 */
            bl[255] = b;
            qsort(bl, 256, sizeof *bl, cmp_area);
        }
    }
    qsort(bl, (size_t)nb, sizeof *bl, cmp_area);
    int32_t ids[256];
    if (!follow(c, j, bl, nb, ids)) return 0;
    int keep = nb < MAX_BLOBS ? nb : MAX_BLOBS;
    for (int q = 0; q < keep; q++)
        c->o[j * MAX_BLOBS + (size_t)q] = (obs){ids[q], (uint8_t)bl[q].x0, (uint8_t)bl[q].x1, (uint8_t)bl[q].y0,
                                                 (uint8_t)bl[q].y1, (uint16_t)(bl[q].area > 65535 ? 65535 : bl[q].area)};
    c->no[j] = (unsigned char)keep;
    c->frames_with_blobs += keep > 0;
    return 1;
}

/* ---- choosing the subject ------------------------------------------------------------------ */

typedef struct tinfo {
    int32_t id;
    size_t first, last;
    double weight; /* of its prominence; < 0: not a candidate */
} tinfo;

typedef struct vlink {
    uint32_t k;   /* the track (index into the shot's tracks) */
    int32_t back; /* the previous frame's candidate it came from, -1 = none */
} vlink;

static int cmp_id(const void *a, const void *b)
{
    int32_t x = ((const tinfo *)a)->id, y = ((const tinfo *)b)->id;
    return x < y ? -1 : x > y;
}

/* The track's box centre and half width at frame i (0..1 of the frame), and its area (px) when
 * asked, between its observations linearly; 0 when it has none at or around i. */
static int where(const tctx *c, int32_t id, size_t i, size_t first, size_t last, double *x, double *y, double *hw,
                 double *hh, int *seen, double *area)
{
    const obs *a = NULL, *b = NULL;
    size_t ia = 0, ib = 0;
    for (size_t k = i + 1; k-- > first && !a;)
        for (unsigned q = 0; q < c->no[k]; q++)
            if (c->o[k * MAX_BLOBS + q].track == id) {
                a = &c->o[k * MAX_BLOBS + q];
                ia = k;
                break;
            }
    if (a && ia == i) b = a, ib = i;
    for (size_t k = i; !b && k <= last; k++)
        for (unsigned q = 0; q < c->no[k]; q++)
            if (c->o[k * MAX_BLOBS + q].track == id) {
                b = &c->o[k * MAX_BLOBS + q];
                ib = k;
                break;
            }
    if (!a) a = b, ia = ib;
    if (!b) b = a, ib = ia;
    if (!a) return 0;
    double u = ib > ia ? (double)(i - ia) / (double)(ib - ia) : 0;
#define LERP(f) ((1 - u) * a->f + u * b->f)
    *x = (LERP(x0) + LERP(x1) + 1) / 2 / c->w;
    *y = (LERP(y0) + LERP(y1) + 1) / 2 / c->h;
    *hw = (LERP(x1) - LERP(x0) + 1) / 2 / c->w;
    *hh = (LERP(y1) - LERP(y0) + 1) / 2 / c->h;
    if (area) *area = LERP(area);
#undef LERP
    *seen = ia == i;
    return 1;
}

/* The subject of the shot [b, e): per frame the chosen track, by a Viterbi pass. */
static int choose(const tctx *c, size_t b, size_t e, double fps, double win, pol__vsubject *s, size_t *switches)
{
    /* the shot's tracks: their lives, and whether they travel */
    size_t nti = 0, cap = 0;
    tinfo *ti = NULL;
    for (size_t i = b; i < e; i++)
        for (unsigned q = 0; q < c->no[i]; q++) {
            const obs *o = &c->o[i * MAX_BLOBS + q];
            tinfo *t = NULL;
            for (size_t k = nti; k-- > 0 && !t;) /* recent tracks last: search backwards */
                if (ti[k].id == o->track) t = &ti[k];
            if (!t) {
                if (nti == cap) {
                    size_t nc = cap ? 2 * cap : 64;
                    tinfo *n2 = realloc(ti, nc * sizeof *n2);
                    if (!n2) {
                        free(ti);
                        return 0;
                    }
                    ti = n2;
                    cap = nc;
                }
                t = &ti[nti++];
                *t = (tinfo){o->track, i, i, 1};
            }
            t->last = i;
        }
    if (nti > 1) qsort(ti, nti, sizeof *ti, cmp_id); /* ti is NULL when nothing moved */
    size_t min_life = (size_t)lround(MIN_LIFE_S * fps);
    for (size_t k = 0; k < nti; k++) {
        /* a track that stays where it is (a ghost of something that left, a flag) counts less: the
         * span of its centres against its width (not its two ends: a walk there and back travels) */
        double lo = HUGE_VAL, hi = -HUGE_VAL, wsum = 0;
        size_t seen = 0;
        for (size_t i = ti[k].first; i <= ti[k].last; i++)
            for (unsigned q = 0; q < c->no[i]; q++) {
                const obs *o = &c->o[i * MAX_BLOBS + q];
                if (o->track != ti[k].id) continue;
                double cx = (o->x0 + o->x1 + 1) / 2.0;
                lo = fmin(lo, cx);
                hi = fmax(hi, cx);
                wsum += o->x1 - o->x0 + 1;
                seen++;
            }
        if (seen && hi - lo < wsum / (double)seen) ti[k].weight = 0.3;
        if (ti[k].last - ti[k].first + 1 < min_life) ti[k].weight = -1; /* not a candidate */
    }
    size_t n = e - b;
    /* the Viterbi pass: per frame the candidates (tracks alive there) with their value, the previous
     * frame's kept alongside; for the way back only each candidate's track and predecessor */
    typedef struct cand {
        size_t k;
        double x, v;
    } cand;
    size_t *off = malloc((n + 1) * sizeof *off), nlk = 0, caplk = 0, *act = malloc((nti ? nti : 1) * sizeof *act);
    cand *cur = malloc((nti ? nti : 1) * sizeof *cur), *prev = malloc((nti ? nti : 1) * sizeof *prev);
    vlink *lk = NULL;
    size_t nact = 0, nextk = 0, ncur = 0, nprev = 0, sw = 0;
    int ok = off && act && cur && prev;
    double csw = SWITCH_S * fps, cpan = PAN_S * fps / win;
    for (size_t i = 0; i < n; i++) s[b + i] = (pol__vsubject){-1, -1, 0, 0, 0, -1};
    for (size_t i = b; ok && i <= e; i++) {
        ncur = 0;
        if (i < e) {
            off[i - b] = nlk;
            /* the tracks alive at i (ids, hence first frames, ascending) */
            for (size_t q = 0; q < nact;)
                if (ti[act[q]].last < i) act[q] = act[--nact];
                else q++;
            for (; nextk < nti && ti[nextk].first <= i; nextk++)
                if (ti[nextk].weight >= 0) act[nact++] = nextk;
            for (size_t q = 0; q < nact; q++) {
                size_t k = act[q];
                double x, y, hw, hh, ar;
                int seen;
                if (!where(c, ti[k].id, i, ti[k].first, ti[k].last, &x, &y, &hw, &hh, &seen, &ar)) continue;
                /* stay on k, or come from another candidate of the previous frame */
                double best = -HUGE_VAL;
                long bp = -1;
                for (size_t p = 0; p < nprev; p++) {
                    double val = prev[p].v;
                    if (prev[p].k != k) val -= (ti[prev[p].k].last >= i ? csw : 0) + cpan * fabs(prev[p].x - x);
                    if (val > best) {
                        best = val;
                        bp = (long)p;
                    }
                }
                /* following earns by prominence: beyond a floor, the track's size against the
                 * frame's largest moving region (the kept regions are sorted by area), so the person
                 * nearest the camera is preferred while there, not the one seen longest; the floor
                 * keeps a subject against small differences (a close-up's moving hand against its
                 * face) */
                double big = c->no[i] ? c->o[i * MAX_BLOBS].area : ar;
                double rw = ti[k].weight * (FLOOR + (1 - FLOOR) * (big > 0 ? fmin(1, ar / big) : 1));
                cur[ncur++] = (cand){k, x, (bp >= 0 ? best : 0) + rw * (seen ? 1 : 0.5)};
                if (nlk == caplk) {
                    size_t nc = caplk ? 2 * caplk : 1024;
                    vlink *n2 = realloc(lk, nc * sizeof *n2);
                    if (!n2) {
                        ok = 0;
                        break;
                    }
                    lk = n2;
                    caplk = nc;
                }
                lk[nlk++] = (vlink){(uint32_t)k, (int32_t)bp};
            }
        }
        /* the end of a run of frames with candidates: back from its best */
        if (ok && !ncur && nprev) {
            size_t p = 0;
            for (size_t q = 1; q < nprev; q++)
                if (prev[q].v > prev[p].v) p = q;
            for (size_t f = i - 1 - b;; f--) {
                const vlink *l = &lk[off[f] + p];
                double y, hw, hh;
                int seen;
                pol__vsubject *o = &s[b + f];
                where(c, ti[l->k].id, b + f, ti[l->k].first, ti[l->k].last, &o->x, &y, &hw, &hh, &seen, NULL);
                o->y = y;
                o->hw = hw;
                o->hh = hh;
                o->kind = seen ? 1 : 2;
                o->id = ti[l->k].id;
                if (l->back < 0) break;
                sw += lk[off[f - 1] + (size_t)l->back].k != l->k;
                p = (size_t)l->back;
            }
        }
        cand *t = prev;
        prev = cur;
        cur = t;
        nprev = ncur;
    }
    if (switches) *switches += sw;
    free(off);
    free(act);
    free(cur);
    free(prev);
    free(lk);
    free(ti);
    return ok;
}

pol_status pol__video_track_subject(pol_run *run, pol__video *v, double win_w, pol__vsubject *s,
                                    pol__vtrack_stats *st_out)
{
    const pol__vinfo *in = &v->in;
    const pol__vanalysis *an = v->ana;
    size_t n = an->n;
    memset(st_out, 0, sizeof *st_out);
    for (size_t i = 0; i < n; i++) s[i] = (pol__vsubject){-1, -1, 0, 0, -1, -1}; /* not tracked */
    double fps = in->fps > 1 ? in->fps : 1;
    double k = (double)TSIZE / (in->coded_w > in->coded_h ? in->coded_w : in->coded_h);
    if (k > 1) k = 1;
    int cw = (int)lround(in->coded_w * k), ch = (int)lround(in->coded_h * k);
    if (cw < 16 || ch < 16) return POL_OK;
    tctx c = {0};
    c.w = in->rotation % 180 ? ch : cw;
    c.h = in->rotation % 180 ? cw : ch;
    c.n = n;
    c.fps = fps;
    c.S = (size_t)lround(SAMPLE_S * fps);
    if (c.S < 1) c.S = 1;
    c.D = (size_t)lround(HALF_S * fps);
    if (c.D < c.S) c.D = c.S;
    c.KS = 2 * c.D / c.S + 3;
    size_t np = (size_t)c.w * c.h, ns = 0;
    size_t *shot_start = pol__video_shots(an, &ns);
    size_t *shot = malloc(n * sizeof *shot);
    unsigned char *moving = calloc(ns ? ns : 1, 1);
    c.ring = malloc((c.D + 1) * np);
    c.samp = malloc(c.KS * np);
    c.sorted = malloc(c.KS * np);
    c.bg = malloc(np);
    c.m = malloc(np);
    c.m2 = malloc(np);
    c.j = malloc(2 * np);
    c.stack = malloc(np * sizeof *c.stack);
    c.lab = malloc(np * sizeof *c.lab);
    c.o = malloc(n * MAX_BLOBS * sizeof *c.o);
    c.no = calloc(n, 1);
    uint8_t *g = malloc(np), *gu = malloc(np);
    pol_status st = POL_OK;
    if (!shot_start || !shot || !moving || !c.ring || !c.samp || !c.sorted || !c.bg || !c.m || !c.m2 || !c.j || !c.stack ||
        !c.lab || !c.o || !c.no || !g || !gu)
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (!st) {
        /* shots and whether their camera moves: the analysis pass's translation, summed */
        double kx = (double)c.w / in->width, ky = (double)c.h / in->height;
        for (size_t q = 0; q < ns; q++) {
            size_t b = shot_start[q], e = q + 1 < ns ? shot_start[q + 1] : n;
            size_t big = 0;
            for (size_t i = b; i < e; i++) {
                shot[i] = q;
                big += i > b && (fabs(an->f[i].dx * kx) > 0.5 || fabs(an->f[i].dy * ky) > 0.5);
            }
            /* a still camera: the measured translation is small in most frames (people walking
             * may pull it in a few, and a small drift would accumulate over a long shot) */
            moving[q] = big * 5 > e - b;
            st_out->moving_shots += moving[q];
        }
        c.shot = shot;
        c.moving = moving;
        c.cur_shot = (size_t)-1;
        st_out->shots = ns;
    }
    pol__vdec *d = NULL;
    struct SwsContext *sc = NULL;
    if (!st) st = pol__vdec_open(run, v->path, POL_VDEC_VIDEO, &d);
    size_t i = 0, done = 0;
    while (!st) {
        int got = 0;
        st = pol__video_next_grey(run, d, in->rotation, cw, ch, (void **)&sc, g, gu, &got);
        if (st || !got || i >= n) break;
        memcpy(c.ring + (i % (c.D + 1)) * np, gu, np);
        if (i % c.S == 0) memcpy(c.samp + ((i / c.S) % c.KS) * np, gu, np);
        i++;
        /* frame i - 1 - D now has every sample it needs */
        if (i > c.D) {
            if (!measure(&c, done, c.ring + (done % (c.D + 1)) * np)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            done++;
        }
    }
    if (!st && i < n) n = c.n = i; /* fewer frames decoded than analysed: the rest have no subject */
    for (; !st && done < n; done++)
        if (!measure(&c, done, c.ring + (done % (c.D + 1)) * np)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__vdec_close(d);
    sws_freeContext(sc);
    for (size_t q = 0; !st && q < ns; q++) {
        size_t b = shot_start[q], e = q + 1 < ns ? shot_start[q + 1] : an->n;
        if (e > n) e = n;
        if (b >= e || moving[q]) continue;
        if (!choose(&c, b, e, fps, win_w / in->width, s, &st_out->switches))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        /* nothing followed in the whole shot (too short for a background, or nothing lasting moved):
         * the shot is left to the motion's centroid, as if not tracked */
        size_t with = 0;
        for (size_t i = b; i < e; i++) with += s[i].kind > 0;
        if (!with)
            for (size_t i = b; i < e; i++) s[i].kind = -1;
    }
    if (!st) {
        st_out->tracks = (size_t)c.next_id;
        st_out->frames_with_blobs = c.frames_with_blobs;
        for (size_t q = 0; q < n; q++) st_out->frames_with_subject += s[q].kind > 0;
    }
    free(shot_start);
    free(shot);
    free(moving);
    free(c.ring);
    free(c.samp);
    free(c.sorted);
    free(c.bg);
    free(c.m);
    free(c.m2);
    free(c.j);
    free(c.stack);
    free(c.lab);
    free(c.o);
    free(c.no);
    free(c.t);
    free(g);
    free(gu);
    return st;
}
