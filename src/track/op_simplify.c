/* polish — track.simplify: fewer points within a tolerance in metres. Douglas-Peucker keeps
 * every removed point within the tolerance of the kept line (distance to the segment, not the
 * infinite line); Visvalingam-Whyatt removes the points of least effective area. Either way the
 * maximum deviation reported is measured afterwards, point by point, on the result. */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"tolerance", POL_PARAM_NUM, "5", 0.001, 1e6, NULL,
     "Largest distance a removed point may lie from the simplified line.", .unit = "m"},
    {"method", POL_PARAM_ENUM, "dp", 0, -1, "dp|vw",
     "Algorithm.", .choice_help = (const char *const[]){
         "dp: Douglas-Peucker; every removed point within the tolerance",
         "vw: Visvalingam-Whyatt by effective area (tolerance^2 m^2); smoother shapes, the "
         "deviation is measured and reported", NULL}},
};

typedef struct xy {
    double x, y;
} xy;

static double seg_dist(xy a, xy b, xy p)
{
    double dx = b.x - a.x, dy = b.y - a.y;
    double l2 = dx * dx + dy * dy;
    double u = l2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / l2 : 0;
    if (u < 0) u = 0;
    if (u > 1) u = 1;
    return hypot(p.x - (a.x + u * dx), p.y - (a.y + u * dy));
}

/* keep[] marks kept points of q[0..m). */
static void dp(const xy *q, size_t m, double tol, unsigned char *keep, size_t *stack)
{
    keep[0] = keep[m - 1] = 1;
    size_t sp = 0;
    stack[sp++] = 0;
    stack[sp++] = m - 1;
    while (sp) {
        size_t b = stack[--sp], a = stack[--sp];
        double best = -1;
        size_t bi = a;
        for (size_t i = a + 1; i < b; i++) {
            double d = seg_dist(q[a], q[b], q[i]);
            if (d > best) {
                best = d;
                bi = i;
            }
        }
        if (best > tol) {
            keep[bi] = 1;
            stack[sp++] = a;
            stack[sp++] = bi;
            stack[sp++] = bi;
            stack[sp++] = b;
        }
    }
}

/* Visvalingam-Whyatt with a binary heap of effective areas. */
typedef struct vwh {
    size_t *heap, *pos; /* heap of point indexes; pos[i] = place in heap or SIZE_MAX */
    double *area;
    size_t n;
} vwh;

static int less(const vwh *h, size_t a, size_t b)
{
    return h->area[h->heap[a]] < h->area[h->heap[b]];
}

static void swap_at(vwh *h, size_t a, size_t b)
{
    size_t t = h->heap[a];
    h->heap[a] = h->heap[b];
    h->heap[b] = t;
    h->pos[h->heap[a]] = a;
    h->pos[h->heap[b]] = b;
}

static void sift(vwh *h, size_t i)
{
    while (i > 0 && less(h, i, (i - 1) / 2)) {
        swap_at(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, s = i;
        if (l < h->n && less(h, l, s)) s = l;
        if (r < h->n && less(h, r, s)) s = r;
        if (s == i) return;
        swap_at(h, i, s);
        i = s;
    }
}

static double tri(xy a, xy b, xy c)
{
    return fabs((b.x - a.x) * (c.y - a.y) - (c.x - a.x) * (b.y - a.y)) / 2;
}

static int vw(const xy *q, size_t m, double min_area, unsigned char *keep)
{
    vwh h;
    size_t *prev = malloc(m * sizeof *prev), *next = malloc(m * sizeof *next);
    h.heap = malloc(m * sizeof *h.heap);
    h.pos = malloc(m * sizeof *h.pos);
    h.area = malloc(m * sizeof *h.area);
    if (!prev || !next || !h.heap || !h.pos || !h.area) {
        free(prev), free(next), free(h.heap), free(h.pos), free(h.area);
        return -1;
    }
    h.n = 0;
    for (size_t i = 0; i < m; i++) {
        keep[i] = 1;
        prev[i] = i - 1;
        next[i] = i + 1;
        h.pos[i] = SIZE_MAX;
        if (i == 0 || i + 1 == m) continue;
        h.area[i] = tri(q[i - 1], q[i], q[i + 1]);
        h.heap[h.n] = i;
        h.pos[i] = h.n;
        h.n++;
    }
    for (size_t i = h.n / 2 + 1; i-- > 0;) sift(&h, i);
    double floor_a = 0;
    while (h.n) {
        size_t i = h.heap[0];
        if (h.area[i] >= min_area) break;
        if (h.area[i] > floor_a) floor_a = h.area[i];
        keep[i] = 0;
        /* pop */
        swap_at(&h, 0, h.n - 1);
        h.pos[i] = SIZE_MAX;
        h.n--;
        if (h.n) sift(&h, 0);
        size_t p = prev[i], nx = next[i];
        next[p] = nx;
        prev[nx] = p;
        /* Neighbours' areas, never below the one just removed (effective area). */
        size_t nb[2] = {p, nx};
        for (int k = 0; k < 2; k++) {
            size_t j = nb[k];
            if (h.pos[j] == SIZE_MAX) continue;
            double a = tri(q[prev[j]], q[j], q[next[j]]);
            h.area[j] = a < floor_a ? floor_a : a;
            sift(&h, h.pos[j]);
        }
    }
    free(prev), free(next), free(h.heap), free(h.pos), free(h.area);
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    double tol = pol__arg_num(args, "tolerance");
    int use_vw = strcmp(pol__arg_str(args, "method"), "vw") == 0;
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    xy *q = malloc((n ? n : 1) * sizeof *q);
    unsigned char *keep = malloc(n ? n : 1);
    size_t *stack = malloc((2 * n + 4) * sizeof *stack);
    if (!idx || !st || !q || !keep || !stack) {
        free(idx), free(st), free(q), free(keep), free(stack);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    /* Runs by segment only (simplification needs no time); routes too. */
    size_t m_all = 0, nr = 0;
    long prev = -1;
    for (size_t i = 0; i < n; i++) {
        const pol__tpt *p = &t->pt[i];
        if ((p->flags & POL_TP_DELETED) || t->seg[p->seg].kind == POL_SEG_WPT) continue;
        if (prev < 0 || t->pt[prev].seg != p->seg) st[nr++] = m_all;
        idx[m_all++] = i;
        prev = (long)i;
    }
    st[nr] = m_all;
    size_t removed = 0;
    double maxdev = 0;
    pol_status rs = POL_OK;
    for (size_t r = 0; r < nr && !rs; r++) {
        size_t a = st[r], m = st[r + 1] - st[r];
        if (m < 3) continue;
        const pol__tpt *p0 = &t->pt[idx[a]];
        pol__enu f;
        pol__enu_init(&f, p0->lat, p0->lon);
        for (size_t j = 0; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]];
            pol__enu_fwd(&f, p->lat, p->lon, &q[j].x, &q[j].y);
        }
        if (use_vw) {
            if (vw(q, m, tol * tol, keep)) rs = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        } else {
            memset(keep, 0, m);
            dp(q, m, tol, keep, stack);
        }
        if (rs) break;
        /* The true deviation: each removed point against the kept segment around it. */
        size_t last = 0;
        for (size_t j = 1; j < m; j++) {
            if (!keep[j]) continue;
            for (size_t i = last + 1; i < j; i++) {
                double d = seg_dist(q[last], q[j], q[i]);
                if (d > maxdev) maxdev = d;
                t->pt[idx[a + i]].flags |= POL_TP_DELETED;
                removed++;
            }
            last = j;
        }
    }
    free(idx), free(st), free(q), free(keep), free(stack);
    if (rs) return rs;
    pol__measure_int(run, "points_before", (long long)m_all);
    pol__measure_int(run, "points_after", (long long)(m_all - removed));
    pol__measure(run, "max_deviation_m", maxdev);
    pol__measure(run, "tolerance_m", tol);
    if (!removed) {
        pol__decline(run, "no point lies within %.3g m of the line through its neighbours", tol);
        return POL_OK;
    }
    pol__decide(run, "%zu of %zu points kept (%s); the largest distance of a removed point from "
                "the result is %.3f m",
                m_all - removed, m_all, use_vw ? "Visvalingam-Whyatt" : "Douglas-Peucker", maxdev);
    pol_status fs = pol__track_figure(run, t, "simplify");
    if (fs) return fs;
    return POL_OK;
}

const pol_op_desc pol__track_op_simplify = {
    .domain = "track",
    .name = "simplify",
    .summary = "Fewer points within a tolerance in metres (Douglas-Peucker or Visvalingam)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .stream = &pol__track_stream_simplify,
};
