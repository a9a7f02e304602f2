/* polish — the image domain's strips: a picture read, processed and written a band of rows at a
 * time through the engine's streaming contract (src/core/stream.h), so a pipeline whose every
 * step works on rows never holds the whole picture. Readers: TIFF (the direct layouts), JPEG and
 * PNG; writers: TIFF, JPEG and PNG. Anything else is loaded whole (accept() says so before the
 * run). */
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "image/image_io.h"
#include "image/quality.h"

#define STRIP_ROWS 32 /* core rows per chunk: a quarter of a TIFF tile row, 4 JPEG MCU rows */

pol__image pol__strip_view(const pol__chunk *c)
{
    const pol__strip *s = pol__strip_of(c);
    pol__image v = *s->item;
    v.width = s->width;
    v.height = (int)(c->pre + c->n + c->post);
    v.channels = s->channels;
    v.px = s->px;
    return v;
}

float *pol__strip_buffer(float **spare, size_t floats)
{
    float *p = *spare;
    *spare = NULL;
    if (p && malloc_usable_size(p) >= floats * sizeof(float)) return p;
    pol__image_free_px(p);
    return floats ? pol__image_alloc_px((int)floats, 1, 1) : NULL;
}

void pol__strip_swap(pol__chunk *c, float *px, float **spare)
{
    pol__strip *s = pol__strip_of(c);
    pol__image_free_px(*spare);
    *spare = s->px;
    s->px = px;
}

void pol__strip_replace(pol__chunk *c, float *px, int width, int height, uint64_t start, size_t pre,
                        size_t n, size_t post)
{
    pol__strip *s = pol__strip_of(c);
    if (s->px != px) pol__image_free_px(s->px);
    s->px = px;
    s->src_px = NULL;
    s->width = width;
    s->height = height;
    c->start = start;
    c->pre = pre;
    c->n = n;
    c->post = post;
}

/* ---- point steps: curves recorded on the preview, applied fused to the strips ---------------- */

/* The curves the point steps (white balance, exposure, tone) and the colour transforms (colour)
 * applied to a streamed item's preview, in order: each strip gets the same, every step of a group
 * of consecutive point steps in one pass over its pixels. */
typedef struct pol__points {
    struct pset {
        float *lut; /* 3 curves of n + 1 entries, one per colour channel; NULL for a transform */
        int n;
        int group; /* the consecutive point steps applied in one pass */
        void *xf; /* a colour transform (pol__xf_row; shared by the threads), owned */
        /* a step that needs neighbours (denoise): its rows function and plan (owned), and the
         * rows of context it reads on each side */
        pol__rows_filter_fn filter;
        void *self;
        size_t halo;
    } *set;
    size_t n, cap;
    int failed; /* a record could not be kept: the strips cannot follow the preview */
    /* straighten's rotation (pol__straighten_apply on the preview): the strips are rotated by
     * pol__rotate_strips; the preview is not, so no step after it judges the preview */
    int rotated, rot_crop;
    double rot_tilt;
    /* colour memos (pol__xf_row) kept from strip to strip and from the preview's pass to the
     * applying pass, one per thread at work, each for the transform it was filled by: a memo
     * made afresh for every strip would convert most of the strip's colours again */
    struct memo_slot {
        pol__xf_memo *m;
        const void *xf;
        atomic_int busy;
    } memo[8];
} pol__points;

/* Room for one more record; 0 (and the record marked unusable) when out of memory. */
static int points_room(pol__points *p)
{
    if (p->failed) return 0;
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 4;
        struct pset *set = realloc(p->set, cap * sizeof *set);
        if (set) p->set = set, p->cap = cap;
    }
    if (p->n == p->cap) p->failed = 1;
    return !p->failed;
}

void pol__points_record(pol__points *p, const float *const lut[3], int n)
{
    size_t len = (size_t)n + 1;
    float *l = points_room(p) ? malloc(3 * len * sizeof(float)) : NULL;
    if (!l) {
        p->failed = 1;
        return;
    }
    for (int k = 0; k < 3; k++) memcpy(l + k * len, lut[k], len * sizeof(float));
    p->set[p->n++] = (struct pset){.lut = l, .n = n};
}

void pol__points_record_transform(pol__points *p, void *xf)
{
    if (!points_room(p)) {
        pol__xf_free(xf);
        return;
    }
    p->set[p->n++] = (struct pset){.xf = xf};
}

void pol__points_record_rotation(pol__points *p, double tilt, int crop)
{
    p->rotated = 1;
    p->rot_tilt = tilt;
    p->rot_crop = crop;
}

static void points_free(pol__points *p)
{
    for (size_t i = 0; i < sizeof p->memo / sizeof *p->memo; i++) pol__xf_memo_free(p->memo[i].m);
    for (size_t i = 0; i < p->n; i++) {
        free(p->set[i].lut);
        free(p->set[i].self);
        if (p->set[i].xf) pol__xf_free(p->set[i].xf);
    }
    free(p->set);
}

typedef struct points_job {
    pol__points *p;
    const struct pset *set;
    size_t k; /* curves set[0..k) */
    float *px;
    size_t w;
    int ch;
} points_job;

/* Each colour sample through every curve in turn, as each step's pol__apply_curves would map it
 * on the whole picture, and each row through a colour transform as pol__image_to_srgb converts
 * the whole picture's rows (then clamped), in order, in one pass over the rows. */
static void points_rows(void *user, size_t begin, size_t end)
{
    const points_job *j = user;
    int ch = j->ch, colour = ch == 2 || ch == 4 ? ch - 1 : ch;
    pol__xf_memo *m = NULL; /* for the first transform of the sets (usually the only one) */
    const void *xf = NULL;
    for (size_t i = 0; !xf && i < j->k; i++) xf = j->set[i].xf;
    struct memo_slot *slot = NULL;
    for (size_t i = 0; xf && !slot && i < sizeof j->p->memo / sizeof *j->p->memo; i++)
        if (!atomic_exchange(&j->p->memo[i].busy, 1)) slot = &j->p->memo[i];
    if (slot && slot->xf != xf) { /* (filled by another transform) */
        pol__xf_memo_free(slot->m);
        slot->m = NULL;
    }
    if (slot && !slot->m) slot->m = pol__xf_memo_new(), slot->xf = xf;
    m = slot ? slot->m : xf ? pol__xf_memo_new() : NULL;
    for (size_t y = begin; y < end; y++) {
        float *row = j->px + y * j->w * (size_t)ch;
        for (size_t a = 0, b, first_xf = 1; a < j->k; a = b) {
            if (j->set[a].xf) {
                pol__xf_row(j->set[a].xf, row, j->w, ch, first_xf ? m : NULL);
                first_xf = 0;
                b = a + 1;
                continue;
            }
            for (b = a; b < j->k && !j->set[b].xf; b++) {}
            float *p = row;
            for (size_t x = 0; x < j->w; x++, p += ch)
                for (int c = 0; c < colour; c++) {
                    float v = p[c];
                    for (size_t i = a; i < b; i++)
                        v = pol__curve_eval(j->set[i].lut + (size_t)c * ((size_t)j->set[i].n + 1),
                                            j->set[i].n, v);
                    p[c] = v;
                }
        }
    }
    if (slot)
        atomic_store(&slot->busy, 0);
    else
        pol__xf_memo_free(m);
}

/* Records p->set[from, from + k) applied to the rows, in one pass over them. */
static void points_apply(const pol_run *run, pol__points *p, size_t from, size_t k, float *px,
                         size_t w, size_t rows, int ch)
{
    if (!k || !rows) return;
    points_job j = {p, p->set + from, k, px, w, ch};
    pol__parallel_for(run, rows, 8, points_rows, &j);
}

/* ---- reading -------------------------------------------------------------------------------- */

/* A source read row by row: one of the formats' row readers. */
typedef struct rows_src {
    pol__tiff_rows *tiff;
    pol__jpeg_rows *jpeg;
    pol__png_rows *png;
} rows_src;

static const char *format_of(const char *path)
{
    unsigned char head[64];
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return pol__image_sniff_format(head, n);
}

static pol_status src_open(pol_run *run, const char *path, pol__image **meta, rows_src *src)
{
    const char *fmt = format_of(path);
    memset(src, 0, sizeof *src);
    if (fmt && !strcmp(fmt, "tiff")) return pol__tiff_rows_open(run, path, meta, &src->tiff);
    if (fmt && !strcmp(fmt, "jpeg")) return pol__jpeg_rows_open(run, path, meta, &src->jpeg);
    if (fmt && !strcmp(fmt, "png")) return pol__png_rows_open(run, path, meta, &src->png);
    return pol__fail(run, POL_ERR_UNSUPPORTED, "this image format is not read row by row");
}

static pol_status src_read(pol_run *run, rows_src *src, float *dst, int n)
{
    return src->tiff   ? pol__tiff_rows_read(run, src->tiff, dst, n)
           : src->jpeg ? pol__jpeg_rows_read(run, src->jpeg, dst, n)
                       : pol__png_rows_read(run, src->png, dst, n);
}

static void src_close(rows_src *src)
{
    if (src->tiff) pol__tiff_rows_close(src->tiff);
    if (src->jpeg) pol__jpeg_rows_close(src->jpeg);
    if (src->png) pol__png_rows_close(src->png);
    memset(src, 0, sizeof *src);
}

typedef struct sreader {
    pol__chunk chunk;
    pol__strip strip;
    pol__image *meta;
    rows_src src;
    int w, h, ch;
    float *win; /* decoded rows [win_y, win_y + win_n), in order */
    int win_y, win_n, win_cap;
    int next; /* first row of the next core */
    char *path;
    pol__image *preview; /* pol__strip_preview's, made once */
    /* after pol__strip_preview_follows: the first chunk's rows as the following step left them
     * (a later step judging the preview checks nothing changed since) */
    float *synced;
    size_t synced_n;
    int synced_by_points; /* the point steps' curves made the synced rows */
    pol__measured measured;
    size_t noise_sets, detail_sets; /* the full-resolution measures are of the source through this many
                             of the recorded curves */
    pol__points pts;
    int groups, last_group, last_idx; /* point step groups; the last one's plan index */
    int no_reserve; /* a second reader of the same item (a re-measure): reserves nothing */
    /* the last chunk's rows through a point group, when its rows were the source's: the next
     * chunk's context rows are in it (each row goes through the curves and transforms once) */
    float *pwin;
    size_t pwin_cap;
    int pwin_y, pwin_n, pwin_group;
} sreader;


static void rd_close(void *p)
{
    sreader *r = p;
    if (!r) return;
    src_close(&r->src);
    pol__image_free_px(r->strip.px);
    pol__image_free(r->meta);
    pol__image_free(r->preview);
    points_free(&r->pts);
    free(r->synced);
    free(r->pwin);
    free(r->win);
    free(r->path);
    free(r);
}

static pol_status rd_open(pol_run *run, const char *path, void **out)
{
    *out = NULL;
    sreader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = src_open(run, path, &r->meta, &r->src);
    if (st) {
        rd_close(r);
        return st;
    }
    r->w = r->meta->width, r->h = r->meta->height, r->ch = r->meta->channels;
    r->strip.item = r->meta;
    r->strip.reader = r;
    r->last_idx = -1;
    if (!(r->path = strdup(path))) {
        rd_close(r);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *out = r;
    return POL_OK;
}

static pol_status decode(pol_run *run, sreader *r, float *dst, int n)
{
    return src_read(run, &r->src, dst, n);
}

/* What the item holds while it streams, reserved with its first strip (a reader opened only for
 * the header, as the writer's is, holds nothing; the row readers reserve nothing): the preview
 * (the picture itself below 2560 px) and its accumulators, and about a dozen strips'
 * rows (the decoded window with its halo, the chunk, the steps' spare and synced copies, the
 * measuring passes' batches). */
static pol_status reserve(pol_run *run, const sreader *r)
{
    int f = pol__preview_factor(r->w, r->h);
    uint64_t rowb = (uint64_t)r->w * (uint64_t)r->ch * sizeof(float);
    uint64_t pw = (uint64_t)(r->w / f + 1), ph = (uint64_t)(r->h / f + 1);
    uint64_t held = pw * ph * (uint64_t)r->ch * sizeof(float) + pw * (uint64_t)r->ch * sizeof(double) +
                    12 * (uint64_t)(STRIP_ROWS + 1) * rowb;
    char what[96];
    snprintf(what, sizeof what, "streaming the %dx%d %s", r->w, r->h, r->meta->format);
    return pol__mem_reserve(run, held, what);
}

static pol_status rd_read(pol_run *run, void *p, size_t halo, pol__chunk **out)
{
    sreader *r = p;
    *out = NULL;
    if (r->next >= r->h) return POL_OK;
    pol_status rs;
    if (!r->next && !r->win_n && !r->no_reserve && (rs = reserve(run, r))) return rs;
    int y = r->next, n = r->h - y < STRIP_ROWS ? r->h - y : STRIP_ROWS;
    int pre = (size_t)y < halo ? y : (int)halo;
    int post = (size_t)(r->h - y - n) < halo ? r->h - y - n : (int)halo;
    int lo = y - pre, hi = y + n + post;
    size_t rowlen = (size_t)r->w * (size_t)r->ch;
    if (r->win_n && lo > r->win_y) { /* rows no longer needed */
        int drop = lo - r->win_y < r->win_n ? lo - r->win_y : r->win_n;
        memmove(r->win, r->win + (size_t)drop * rowlen,
                (size_t)(r->win_n - drop) * rowlen * sizeof(float));
        r->win_y += drop;
        r->win_n -= drop;
    }
    if (!r->win_n) r->win_y = r->win_y > lo ? r->win_y : lo;
    if (r->win_y > lo) return pol__fail(run, POL_ERR_INTERNAL, "strip rows asked out of order");
    int need = hi - r->win_y;
    if (need > r->win_cap) {
        float *w = realloc(r->win, (size_t)need * rowlen * sizeof(float));
        if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory for %d rows", need);
        r->win = w;
        r->win_cap = need;
    }
    if (r->win_y + r->win_n < hi) {
        pol_status st = decode(run, r, r->win + (size_t)r->win_n * rowlen, hi - r->win_y - r->win_n);
        if (st) return st;
        r->win_n = hi - r->win_y;
    }
    /* the last chunk's buffer again when it is big enough: strip-sized buffers allocated and
     * freed on every chunk would leave glibc's arenas holding freed memory */
    float *px = pol__strip_buffer(&r->strip.px, (size_t)(hi - lo) * rowlen);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory for %d rows", hi - lo);
    memcpy(px, r->win + (size_t)(lo - r->win_y) * rowlen, (size_t)(hi - lo) * rowlen * sizeof(float));
    r->chunk.data = &r->strip;
    r->strip.channels = r->ch;
    pol__strip_replace(&r->chunk, px, r->w, r->h, (uint64_t)y, (size_t)pre, (size_t)n, (size_t)post);
    r->strip.src_px = r->win + (size_t)(lo - r->win_y) * rowlen;
    r->chunk.last = y + n >= r->h;
    r->next = y + n;
    *out = &r->chunk;
    return POL_OK;
}

/* ---- the preview the automatic steps judge on ---------------------------------------------- */


static int has_filter(const pol__points *p, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (p->set[i].filter) return 1;
    return 0;
}

/* Rows [a, b) of `c`'s rows through the filter of set `f`, made as the whole picture's are:
 * where the rows end with the picture they are mirrored as there, elsewhere `halo` rows of the
 * chunk are context only. *a, *b narrow to the rows made. */
static pol_status filter_chunk(pol_run *run, const struct pset *f, pol__chunk *c, size_t *a,
                               size_t *b)
{
    const pol__strip *s = pol__strip_of(c);
    size_t rows = c->pre + c->n + c->post, y0 = (size_t)c->start - c->pre;
    if (y0 > 0) *a += f->halo;
    if (y0 + rows < (size_t)s->height) *b = *b > f->halo ? *b - f->halo : 0;
    if (*b < *a) *b = *a;
    pol__image v = pol__strip_view(c);
    return f->filter(run, f->self, &v, (int)y0, (int)*a, (int)*b);
}

/* The full-resolution measures again, of the source through every step recorded since it was
 * measured, a step that needs neighbours among them (denoise): the source read in strips with
 * their context, each strip through the records in order, the cores measured in order. */
static pol_status remeasure_filtered(pol_run *run, sreader *r, size_t sets, pol__noise_acc *na,
                                     pol__detail_acc *da)
{
    /* only the detail asked for: the strips whose rows none of its bands reads are not filtered
     * (their rows go by unread) */
    int bands_only = !na;
    size_t halo = 0;
    for (size_t i = 0; i < sets; i++) halo += r->pts.set[i].halo;
    void *p = NULL;
    pol_status st = rd_open(run, r->path, &p);
    if (st) return st;
    sreader *t = p;
    t->no_reserve = 1;
    pol__chunk *c;
    while (!(st = rd_read(run, t, halo, &c)) && c) {
        pol__strip *s = pol__strip_of(c);
        size_t a = 0, b = c->pre + c->n + c->post, rowlen = (size_t)s->width * (size_t)s->channels;
        int skip = bands_only && !pol__detail_acc_reads(da, (int)c->start, (int)(c->start + c->n));
        if (skip) a = c->pre, b = c->pre + c->n;
        for (size_t i = 0, j; !st && !skip && i < sets; i = j) {
            if (r->pts.set[i].filter) {
                st = filter_chunk(run, &r->pts.set[i], c, &a, &b);
                j = i + 1;
                continue;
            }
            for (j = i; j < sets && !r->pts.set[j].filter; j++) {}
            points_apply(run, &r->pts, i, j - i, s->px + a * rowlen, (size_t)s->width, b - a,
                         s->channels);
        }
        if (!st && (a > c->pre || b < c->pre + c->n))
            st = pol__fail(run, POL_ERR_INTERNAL, "a strip's context is short of its filters'");
        for (size_t y = c->pre; !st && y < c->pre + c->n; y++) {
            if (na) pol__noise_acc_row(na, s->px + y * rowlen);
            if (da) pol__detail_acc_row(da, s->px + y * rowlen);
        }
    }
    rd_close(t);
    return st;
}

/* One pass over the source, row by row: the kind of picture and the noise and detail measures at
 * full resolution, exactly as on the whole picture, and the box-reduced preview. `again`
 * (POL__FULL_RES_NOISE, POL__FULL_RES_DETAIL): only those measures, of the source through the
 * steps recorded since (the picture as they leave it, which the whole path measures). */
static pol_status analyse(pol_run *run, sreader *r, int again)
{
    int want = again ? again : POL__FULL_RES_NOISE | POL__FULL_RES_DETAIL;
    pol__image *meta = NULL;
    rows_src src;
    pol_status st = src_open(run, r->path, &meta, &src);
    if (st) return st;
    int w = r->w, h = r->h, ch = r->ch, f = pol__preview_factor(w, h);
    int pw = w / f, ph = h / f;
    size_t rowlen = (size_t)w * (size_t)ch;
    pol__image *pv = again ? NULL : pol__image_new(pw > 0 ? pw : 1, ph > 0 ? ph : 1, ch);
    float *buf = malloc((size_t)(STRIP_ROWS + 1) * rowlen * sizeof(float));
    double *acc = again ? NULL : calloc((size_t)(pw > 0 ? pw : 1) * (size_t)ch, sizeof(double));
    pol__kind_acc *ka = again ? NULL : pol__kind_acc_new(w, h, ch);
    pol__noise_acc *na = want & POL__FULL_RES_NOISE ? pol__noise_acc_new(w, h, ch) : NULL;
    pol__detail_acc *da = want & POL__FULL_RES_DETAIL ? pol__detail_acc_new(w, h, ch) : NULL;
    size_t sets = r->pts.n;
    if ((!again && (!pv || !acc || !ka)) || !buf || (!na && (want & POL__FULL_RES_NOISE)) ||
        (!da && (want & POL__FULL_RES_DETAIL)))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int step = ka ? pol__kind_acc_step(ka) : 1, alpha = ch == 2 || ch == 4;
    pol__colour_init();
    int replay = again && has_filter(&r->pts, sets);
    if (!st && replay) {
        /* the row reader opened above is not used: the replay reads strips with context */
        st = remeasure_filtered(run, r, sets, na, da);
    }
    for (int y = 0; !st && !replay && y < h;) {
        int n = h - y < STRIP_ROWS ? h - y : STRIP_ROWS;
        /* row y - 1 stays in front of the batch: the kind's samples look one row down */
        float *rows = buf + rowlen;
        st = src_read(run, &src, rows, n);
        /* (on the first pass: what a step deciding from the metadata alone recorded) */
        if (!st && sets) points_apply(run, &r->pts, 0, sets, rows, (size_t)w, (size_t)n, ch);
        for (int i = 0; !st && i < n; i++, y++) {
            const float *row = rows + (size_t)i * rowlen;
            if (na) pol__noise_acc_row(na, row);
            if (da) pol__detail_acc_row(da, row);
            if (again) continue;
            if (y > 0 && (y - 1) % step == 0) pol__kind_acc_row(ka, row - rowlen, row);
            if (f == 1) { /* not reduced: the picture itself */
                memcpy(pol__image_row(pv, y), row, rowlen * sizeof(float));
            } else if (y / f < ph) {
                for (int x = 0; x < pw; x++)
                    for (int dx = 0; dx < f; dx++)
                        for (int k = 0; k < ch; k++) {
                            /* colours averaged in linear light, as the steps' own reductions do */
                            float v = row[((size_t)x * f + dx) * ch + k];
                            acc[(size_t)x * ch + k] += alpha && k == ch - 1 ? v : pol__to_linear_fast(v);
                        }
                if (y % f == f - 1) {
                    float *o = pol__image_row(pv, y / f);
                    for (size_t k = 0; k < (size_t)pw * ch; k++) {
                        float v = (float)(acc[k] / ((double)f * f));
                        o[k] = alpha && k % (size_t)ch == (size_t)ch - 1 ? v : pol__linear_to_srgb(v);
                        acc[k] = 0;
                    }
                }
            }
        }
        if (!st) memcpy(buf, rows + (size_t)(n - 1) * rowlen, rowlen * sizeof(float));
    }
    src_close(&src);
    pol__image_free(meta);
    free(buf);
    free(acc);
    if (!st) {
        pol__measured *m = &r->measured;
        if (na) {
            m->noise_sigma = pol__noise_acc_finish(na, &m->noise_conf, &m->noise_texture);
            r->noise_sets = sets;
        }
        if (da) {
            m->detail_ratio = pol__detail_acc_finish(da, &m->detail_fine, &m->detail_next);
            r->detail_sets = sets;
        }
        na = NULL, da = NULL;
    }
    if (!st && !again) {
        /* the item's metadata the steps read (colour profile, depth, format) */
        const pol__image *src = r->meta;
        pv->bit_depth = src->bit_depth;
        pv->orientation = src->orientation;
        pv->dpi = src->dpi;
        pv->srgb = src->srgb;
        pv->save = src->save;
        memcpy(pv->format, src->format, sizeof pv->format);
        if (src->icc && (pv->icc = malloc(src->icc_len))) {
            memcpy(pv->icc, src->icc, src->icc_len);
            pv->icc_len = src->icc_len;
        }
        r->measured.factor = f;
        pv->measured = &r->measured;
        pv->points = &r->pts;
        pol__kind_acc_finish(ka, pv);
        ka = NULL;
        r->preview = pv;
        pv = NULL;
    }
    pol__image dummy = {0};
    if (ka) pol__kind_acc_finish(ka, &dummy); /* only frees */
    if (na) pol__noise_acc_finish(na, &(double){0}, NULL);
    if (da) pol__detail_acc_finish(da, &(double){0}, &(double){0});
    pol__image_free(pv);
    return st;
}

pol_status pol__strip_preview(pol_run *run, const pol__chunk *c, int full_res, pol__image **out)
{
    *out = NULL;
    const pol__strip *s = pol__strip_of(c);
    sreader *r = s->reader;
    size_t rowlen = (size_t)s->width * (size_t)s->channels;
    size_t n = (c->pre + c->n + c->post) * rowlen;
    /* measured on the source: right only while every step before left every pixel as it was,
     * or (the picture itself, not its full-resolution measures) as a following step left it */
    int same = r && s->width == r->w && s->height == r->h && s->channels == r->ch && s->src_px &&
               !memcmp(s->px, s->src_px, n * sizeof(float));
    int followed = r && r->synced && r->synced_n == n && s->width == r->w && s->height == r->h &&
                   !memcmp(s->px, r->synced, n * sizeof(float));
    /* the full-resolution measures follow only the point steps' curves (measured again, on the
     * source through them) */
    int remeasure = followed && r->synced_by_points && r->pts.n && !r->pts.failed;
    if (r && r->pts.rotated)
        return pol__stream_want_whole(run, "an automatic step judges the picture after straighten "
                                           "rotated it: loaded whole");
    if (!same && !(followed && (!full_res || remeasure)))
        return pol__stream_want_whole(run, "an automatic step judges the picture as the steps "
                                           "before it changed it: loaded whole");
    if (!r->preview) {
        pol_status st = analyse(run, r, 0);
        if (st) return st;
    }
    int stale = (full_res & POL__FULL_RES_NOISE && r->noise_sets != r->pts.n ? POL__FULL_RES_NOISE : 0) |
                (full_res & POL__FULL_RES_DETAIL && r->detail_sets != r->pts.n ? POL__FULL_RES_DETAIL : 0);
    if (!same && stale) {
        /* through curves alone both measures cost little more than the decode: both are taken
         * (a step after may want the other); through a filter, only what is asked */
        if (!has_filter(&r->pts, r->pts.n)) stale = POL__FULL_RES_NOISE | POL__FULL_RES_DETAIL;
        pol_status st = analyse(run, r, stale);
        if (st) return st;
    }
    *out = r->preview;
    return POL_OK;
}

pol_status pol__strip_preview_follows(pol_run *run, const pol__chunk *c)
{
    const pol__strip *s = pol__strip_of(c);
    sreader *r = s->reader;
    if (!r) return POL_OK;
    size_t n = (c->pre + c->n + c->post) * (size_t)s->width * (size_t)s->channels;
    r->synced_by_points = 0;
    if (r->synced_n != n || !r->synced) {
        free(r->synced);
        r->synced_n = 0;
        if (!(r->synced = malloc(n * sizeof(float))))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    memcpy(r->synced, s->px, n * sizeof(float));
    r->synced_n = n;
    return POL_OK;
}

typedef struct preview_state {
    const pol_args *args;
    int judged;
    int idx;              /* the step's place in the run's plan, -1 unknown */
    int lead, group;      /* a point step: it applies its group's curves (lead) */
    size_t first;         /* its first curve */
} preview_state;

pol_status pol__preview_begin(pol_run *run, const pol_args *args, void **state)
{
    preview_state *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->args = args;
    s->idx = -1;
    for (size_t i = 0; i < run->plan_n; i++)
        if (run->plan_args[i] == args) s->idx = (int)i;
    *state = s;
    return POL_OK;
}

void pol__preview_free(void *state)
{
    free(state);
}

pol_status pol__preview_apply(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                              const char *name, int full_res)
{
    preview_state *s = state;
    if (s->judged) return POL_OK;
    s->judged = 1;
    pol__image *pv;
    pol_status st = pol__strip_preview(run, c, full_res, &pv);
    if (st) return st;
    pol_asset a = {.refs = 1, .domain = &pol__image_domain, .data = pv};
    st = fn(run, &a, s->args);
    if (st) return st;
    if (!run->declined) /* it changes pixels: as a whole picture (and judged on it again) */
        return pol__stream_want_whole(run, name);
    return POL_OK;
}

/* Are the steps of the plan strictly between a and b all point steps (which, declined or
 * applied, leave the strips as their curves say)? */
static int only_points_between(const pol_run *run, int a, int b)
{
    if (a < 0 || b <= a || (size_t)b > run->plan_n) return 0;
    for (int i = a + 1; i < b; i++) {
        const pol_op_stream *os = run->plan_ops[i]->stream;
        if (!os || os->begin != pol__point_begin) return 0;
    }
    return 1;
}

/* The item's profile made the preview's (a colour step converted it). */
static pol_status follow_profile(pol_run *run, pol__image *item, const pol__image *pv)
{
    item->srgb = pv->srgb;
    if (item->icc_len == pv->icc_len && (!pv->icc || !memcmp(item->icc, pv->icc, pv->icc_len)))
        return POL_OK;
    unsigned char *icc = pv->icc ? malloc(pv->icc_len) : NULL;
    if (pv->icc && !icc) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    if (icc) memcpy(icc, pv->icc, pv->icc_len);
    free(item->icc);
    item->icc = icc;
    item->icc_len = icc ? pv->icc_len : 0;
    return POL_OK;
}

pol_status pol__point_begin(pol_run *run, const pol_args *args, void **state)
{
    return pol__preview_begin(run, args, state);
}

/* A pixel of the item's metadata (profile, depth, format) for a step that decides from the
 * metadata alone (colour): it runs before the preview is made, so the preview and the
 * full-resolution measures are taken of the picture through what it recorded, in the one pass. */
static pol__image *probe_of(const pol__image *meta)
{
    pol__image *p = pol__image_new(1, 1, meta->channels);
    if (!p) return NULL;
    memset(p->px, 0, (size_t)meta->channels * sizeof(float));
    p->bit_depth = meta->bit_depth;
    p->srgb = meta->srgb;
    p->save = meta->save;
    memcpy(p->format, meta->format, sizeof p->format);
    if (meta->icc && (p->icc = malloc(meta->icc_len))) {
        memcpy(p->icc, meta->icc, meta->icc_len);
        p->icc_len = meta->icc_len;
    }
    if (meta->icc && !p->icc) {
        pol__image_free(p);
        return NULL;
    }
    return p;
}

static pol_status point_apply(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                              const char *name, int meta_only)
{
    preview_state *s = state;
    pol__strip *sp = pol__strip_of(c);
    sreader *r = sp->reader;
    size_t rows = c->pre + c->n + c->post;
    if (s->judged) { /* the group's curves, all in one pass */
        if (!s->lead) return POL_OK;
        size_t k = 0;
        while (s->first + k < r->pts.n && r->pts.set[s->first + k].group == s->group) k++;
        size_t rowlen = (size_t)sp->width * (size_t)sp->channels, from = 0;
        int lo = (int)(c->start - c->pre);
        int fresh = sp->src_px && sp->width == r->w && sp->height == r->h &&
                    !memcmp(sp->px, sp->src_px, rows * rowlen * sizeof(float));
        if (fresh && r->pwin_group == s->group && r->pwin_y <= lo && lo < r->pwin_y + r->pwin_n) {
            from = (size_t)(r->pwin_y + r->pwin_n - lo) < rows ? (size_t)(r->pwin_y + r->pwin_n - lo) : rows;
            memcpy(sp->px, r->pwin + (size_t)(lo - r->pwin_y) * rowlen, from * rowlen * sizeof(float));
        }
        points_apply(run, &r->pts, s->first, k, sp->px + from * rowlen, (size_t)sp->width,
                     rows - from, sp->channels);
        if (fresh && r->pwin_cap < rows * rowlen) {
            free(r->pwin);
            r->pwin_cap = (r->pwin = malloc(rows * rowlen * sizeof(float))) ? rows * rowlen : 0;
        }
        r->pwin_group = 0;
        if (fresh && r->pwin) {
            memcpy(r->pwin, sp->px, rows * rowlen * sizeof(float));
            r->pwin_y = lo, r->pwin_n = (int)rows, r->pwin_group = s->group;
        }
        return POL_OK;
    }
    s->judged = 1;
    if (!r) return pol__stream_want_whole(run, name);
    pol__image *pv, *probe = NULL;
    size_t n = rows * (size_t)sp->width * (size_t)sp->channels;
    pol_status st = POL_OK;
    if (meta_only && !r->preview && sp->src_px && sp->width == r->w && sp->height == r->h &&
        !memcmp(sp->px, sp->src_px, n * sizeof(float))) {
        if (!(pv = probe = probe_of(r->meta))) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        probe->points = &r->pts;
    } else if ((st = pol__strip_preview(run, c, 0, &pv))) {
        return st;
    }
    size_t first = r->pts.n;
    pol_asset a = {.refs = 1, .domain = &pol__image_domain, .data = pv};
    st = fn(run, &a, s->args);
    /* changed the preview other than by curves it left on record: as a whole picture */
    if (!st && !(run->declined && r->pts.n == first) &&
        (run->declined || r->pts.failed || r->pts.n == first))
        st = pol__stream_want_whole(run, name);
    /* a colour transform gives the picture a new profile: the writer embeds the preview's */
    if (!st && r->pts.n > first) st = follow_profile(run, r->meta, pv);
    pol__image_free(probe);
    if (st || r->pts.n == first) return st;
    int join = r->last_group && only_points_between(run, r->last_idx, s->idx);
    s->group = join ? r->last_group : ++r->groups;
    s->lead = !join;
    s->first = first;
    for (size_t i = first; i < r->pts.n; i++) r->pts.set[i].group = s->group;
    r->last_group = s->group;
    r->last_idx = s->idx;
    /* this first strip gets the step's own curves (the next steps of its group are not judged
     * yet); the steps after it judge the preview as it left it */
    points_apply(run, &r->pts, first, r->pts.n - first, sp->px, (size_t)sp->width, rows,
                 sp->channels);
    if ((st = pol__strip_preview_follows(run, c))) return st;
    r->synced_by_points = 1;
    return POL_OK;
}

pol_status pol__point_apply(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                            const char *name)
{
    return point_apply(run, state, c, fn, name, 0);
}

pol_status pol__point_apply_meta(pol_run *run, void *state, pol__chunk *c, pol__image_run_fn fn,
                                 const char *name)
{
    return point_apply(run, state, c, fn, name, 1);
}

pol_status pol__strip_judge_rotation(pol_run *run, const pol__chunk *c, int meta_only,
                                     pol__image_run_fn fn, const pol_args *args, double *tilt,
                                     int *crop)
{
    sreader *r = pol__strip_of(c)->reader;
    if (!r) return pol__stream_want_whole(run, "straighten judges the picture: loaded whole");
    pol__image *pv, *probe = NULL;
    pol_status st = POL_OK;
    if (meta_only) {
        if (!(pv = probe = probe_of(r->meta))) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        probe->points = &r->pts;
    } else if ((st = pol__strip_preview(run, c, 0, &pv))) {
        return st;
    }
    r->pts.rotated = 0;
    pol_asset a = {.refs = 1, .domain = &pol__image_domain, .data = pv};
    st = fn(run, &a, args);
    pol__image_free(probe);
    if (st || run->declined) {
        r->pts.rotated = 0;
        return st;
    }
    if (!r->pts.rotated)
        return pol__stream_want_whole(run, "straighten changed the picture other than by its "
                                           "rotation: loaded whole");
    *tilt = r->pts.rot_tilt;
    *crop = r->pts.rot_crop;
    return POL_OK;
}

pol_status pol__strip_filter(pol_run *run, pol__chunk *c, size_t halo, pol__rows_filter_fn fn,
                             const void *self)
{
    struct pset f = {.filter = fn, .self = (void *)self, .halo = halo};
    size_t a = 0, b = c->pre + c->n + c->post;
    return filter_chunk(run, &f, c, &a, &b);
}

pol_status pol__strip_filter_record(pol_run *run, const pol__chunk *c, size_t halo,
                                    pol__rows_filter_fn fn, void *self)
{
    sreader *r = pol__strip_of(c)->reader;
    if (!r || !points_room(&r->pts)) {
        free(self); /* (no record: a later full-resolution measure sends the item whole) */
    } else {
        r->pts.set[r->pts.n++] = (struct pset){.filter = fn, .self = self, .halo = halo};
    }
    pol_status st = pol__strip_preview_follows(run, c);
    if (!st && r) r->synced_by_points = 1;
    return st;
}

/* ---- writing -------------------------------------------------------------------------------- */

typedef struct swriter {
    FILE *f;
    pol__tiff_writer *tiff;
    pol__jpeg_writer *jpeg;
    pol__png_writer *png;
    int opened, rows, height;
    /* a JPEG written as a JPEG with no quality asked for: when no pixel changed, it is written
     * again from the source's coefficients (as pol__image_save_path does) */
    char *src;
    int changed, quality, sub_h, sub_v;
    pol__image_save set;
    pol__meta_out m;
    unsigned char *icc, *xmp;
    pol__image *png_src; /* a PNG's source metadata (no pixels), for its copy when unchanged */
    /* such a PNG's encoder is started only when a strip differs from the source (or its copy
     * cannot be made): nothing is written before, so an unchanged PNG's copy is written once */
    int png_held;
    pol__image png_im; /* its size, channels and depth (no pointers) */
    pol__image_save png_set;
    int width, ch;       /* the rows written */
} swriter;

static void wr_free(swriter *w)
{
    free(w->src);
    pol__image_free(w->png_src);
    free(w->icc);
    free(w->xmp);
    free(w->m.exif);
    free(w);
}

static pol_status wr_begin(pol_run *run, void *reader, FILE *f, void **out)
{
    (void)reader;
    swriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->f = f;
    *out = w;
    return POL_OK;
}

/* The encoder starts with the first strip: only then are the size and the save settings the
 * steps chose known. */
static pol_status wr_open(pol_run *run, swriter *w, const pol__strip *s)
{
    pol__image im = *s->item;
    im.width = s->width;
    im.height = s->height;
    im.channels = s->channels;
    im.px = NULL;
    const char *fmt = im.save.format[0] ? im.save.format : pol__image_writable(im.format);
    pol__image_save set = im.save;
    int keep = !strcmp(fmt, "jpeg") && !strcmp(im.format, "jpeg") && !set.quality && im.src_path;
    /* a PNG written as a PNG at its depth: when no pixel changed, its own chunks are copied (as
     * pol__image_save_path does), with what pol__png_copy compares the policy's metadata to */
    if (!strcmp(fmt, "png") && !strcmp(im.format, "png") && !set.quality && im.src_path &&
        (!set.bit_depth || set.bit_depth == im.bit_depth)) {
        keep = 1;
        pol__image *p = w->png_src = calloc(1, sizeof *p);
        if (!p || !(p->src_path = strdup(im.src_path)) ||
            (im.icc && !(p->icc = malloc(im.icc_len))) || (im.exif && !(p->exif = malloc(im.exif_len))) ||
            (im.xmp && !(p->xmp = malloc(im.xmp_len))))
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (im.icc) memcpy(p->icc, im.icc, p->icc_len = im.icc_len);
        if (im.exif) memcpy(p->exif, im.exif, p->exif_len = im.exif_len);
        if (im.xmp) memcpy(p->xmp, im.xmp, p->xmp_len = im.xmp_len);
        p->dpi = im.dpi;
    }
    w->set = set;
    /* the quality is reported once it is known whether pixels changed */
    pol__image_save_settings(keep ? NULL : run, &im, fmt, 0, &set);
    pol__meta_out m;
    pol_status st = pol__image_meta_prepare(run, &im, &m);
    if (st) return st;
    if (keep) { /* what the coefficient copy needs once the reader is gone */
        w->src = strdup(im.src_path);
        w->m = m;
        w->m.icc = w->icc = m.icc ? malloc(m.icc_len) : NULL;
        w->m.xmp = w->xmp = m.xmp ? malloc(m.xmp_len) : NULL;
        w->m.exif = m.exif ? malloc(m.exif_len) : NULL;
        if (!w->src || (m.icc && !w->icc) || (m.xmp && !w->xmp) || (m.exif && !w->m.exif)) {
            pol__image_meta_release(&m);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        if (m.icc) memcpy(w->icc, m.icc, m.icc_len);
        if (m.xmp) memcpy(w->xmp, m.xmp, m.xmp_len);
        if (m.exif) memcpy(w->m.exif, m.exif, m.exif_len);
        w->quality = set.quality;
        w->sub_h = set.sub_h, w->sub_v = set.sub_v;
    }
    errno = 0;
    if (w->png_src) {
        w->png_held = 1;
        w->png_im = (pol__image){.width = im.width, .height = im.height, .channels = im.channels,
                                 .bit_depth = im.bit_depth};
        w->png_set = set;
    } else if (!strcmp(fmt, "tiff"))
        st = pol__tiff_write_begin(run, &im, &set, &m, w->f, &w->tiff);
    else if (!strcmp(fmt, "jpeg"))
        st = pol__jpeg_write_begin(run, &im, &set, &m, w->f, &w->jpeg);
    else if (!strcmp(fmt, "png"))
        st = pol__png_write_begin(run, &im, &set, &m, w->f, &w->png);
    else
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "%s is not written row by row", fmt);
    pol__image_meta_release(&m);
    w->opened = !st;
    w->height = s->height;
    w->width = s->width, w->ch = s->channels;
    return st;
}

static pol_status io_error(pol_run *run, swriter *w, pol_status st)
{
    int e = errno;
    if (st && st != POL_ERR_NOMEM && (e == ENOSPC || e == EDQUOT || e == EFBIG || e == EIO || ferror(w->f)))
        return pol__fail(run, POL_ERR_IO, "cannot write: %s", strerror(e ? e : EIO));
    return st;
}

/* The held PNG encoder started, and rows [0, n) of the source PNG decoded again and encoded:
 * the rows it held back while no step had changed a pixel (they are the source's own). */
static pol_status png_encode_source(pol_run *run, swriter *w, int n)
{
    w->png_held = 0;
    pol_status st = pol__png_write_begin(run, &w->png_im, &w->png_set, &w->m, w->f, &w->png);
    if (st) return st;
    pol__image *meta = NULL;
    pol__png_rows *pr = NULL;
    st = pol__png_rows_open(run, w->png_src->src_path, &meta, &pr);
    size_t rowlen = (size_t)w->width * (size_t)w->ch;
    float *buf = st ? NULL : malloc((size_t)STRIP_ROWS * rowlen * sizeof(float));
    if (!st && !buf) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (int y = 0; !st && y < n; y += STRIP_ROWS) {
        int k = n - y < STRIP_ROWS ? n - y : STRIP_ROWS;
        if (!(st = pol__png_rows_read(run, pr, buf, k))) st = pol__png_write_rows(run, w->png, buf, k);
    }
    free(buf);
    pol__png_rows_close(pr);
    pol__image_free(meta);
    return st;
}

static pol_status wr_write(pol_run *run, void *p, const pol__chunk *c)
{
    swriter *w = p;
    const pol__strip *s = pol__strip_of(c);
    pol_status st = POL_OK;
    if (!w->opened && (st = wr_open(run, w, s))) return io_error(run, w, st);
    if (!c->n) return POL_OK;
    size_t rowlen = (size_t)s->width * (size_t)s->channels;
    const float *core = s->px + c->pre * rowlen;
    if (w->src && !w->changed &&
        (!s->src_px || memcmp(core, s->src_px + c->pre * rowlen, c->n * rowlen * sizeof(float)))) {
        w->changed = 1;
        /* a PNG's encoder starts with the first changed row: the rows before are the source's */
        if (w->png_held && (st = png_encode_source(run, w, w->rows))) return io_error(run, w, st);
    }
    if (w->png_held) { /* held back: copied with the file, or encoded at the end */
        w->rows += (int)c->n;
        return POL_OK;
    }
    errno = 0;
    st = w->tiff   ? pol__tiff_write_rows(run, w->tiff, core, (int)c->n)
         : w->jpeg ? pol__jpeg_write_rows(run, w->jpeg, core, (int)c->n)
                   : pol__png_write_rows(run, w->png, core, (int)c->n);
    w->rows += (int)c->n;
    return io_error(run, w, st);
}

static void wr_abort(void *p)
{
    swriter *w = p;
    if (!w) return;
    pol__tiff_write_abort(w->tiff);
    pol__jpeg_write_abort(w->jpeg);
    pol__png_write_abort(w->png);
    wr_free(w);
}

/* No step changed a PNG's pixels (its encoder still held): its own chunks are the output, when
 * the copy can be made (not damaged; pol__png_copy says, having written nothing otherwise). */
static pol_status png_copy_instead(pol_run *run, swriter *w, int *done)
{
    pol_status st = pol__png_copy(run, w->png_src, &w->m, w->set.metadata == POL_META_KEEP, w->f,
                                  done);
    if (!st && *done)
        pol__decide(run, "no step changed the pixels: the PNG's own image data was written "
                         "again, byte for byte");
    return st;
}

static pol_status wr_end(pol_run *run, void *p)
{
    swriter *w = p;
    pol_status st = POL_OK;
    if (!w->opened)
        st = pol__fail(run, POL_ERR_INTERNAL, "no rows were written");
    else if (w->rows != w->height)
        st = pol__fail(run, POL_ERR_INTERNAL, "%d of %d rows were written", w->rows, w->height);
    if (st) {
        wr_abort(w);
        return st;
    }
    errno = 0;
    if (w->png_held) { /* no step changed a pixel: the PNG's own chunks, else encoded */
        int copied = 0;
        st = png_copy_instead(run, w, &copied);
        if (!st && !copied) st = png_encode_source(run, w, w->height);
    }
    if (!w->png && !w->tiff && !w->jpeg) {
        /* (copied) */
    } else if (w->tiff) {
        st = st ? st : pol__tiff_write_end(run, w->tiff);
        w->tiff = NULL;
    } else if (w->jpeg) {
        st = pol__jpeg_write_end(run, w->jpeg);
        w->jpeg = NULL;
    } else if (st) {
        pol__png_write_abort(w->png);
        w->png = NULL;
    } else {
        st = pol__png_write_end(run, w->png);
        w->png = NULL;
    }
    st = io_error(run, w, st);
    if (w->png_src) {
        /* (a PNG: copied above, or encoded) */
    } else if (!st && w->src && !w->changed) {
        /* no step changed a pixel: the encoded rows give way to the source's own coefficients */
        if (fflush(w->f) != 0 || ftruncate(fileno(w->f), 0) != 0 || fseek(w->f, 0, SEEK_SET) != 0)
            st = pol__fail(run, POL_ERR_IO, "cannot write: %s", strerror(errno));
        else if (!(st = io_error(run, w, pol__jpeg_transcode(run, w->src, &w->set, &w->m, w->f))))
            pol__decide(run, "no step changed the pixels: the JPEG was written from its own "
                             "DCT coefficients, without loss");
    } else if (!st && w->src) {
        pol__decide(run, "JPEG written at the source's quality %d%s", w->quality,
                    w->sub_h == 1 && w->sub_v == 1   ? " and 4:4:4 chroma"
                    : w->sub_h == 2 && w->sub_v == 2 ? " and 4:2:0 chroma"
                    : w->sub_h == 2 && w->sub_v == 1 ? " and 4:2:2 chroma"
                                                     : "");
    }
    if (!st && (fflush(w->f) != 0 || ferror(w->f)))
        st = pol__fail(run, POL_ERR_IO, "cannot write: %s", strerror(errno));
    wr_free(w);
    return st;
}

/* ---- which items stream --------------------------------------------------------------------- */

/* Streams when the source is read row by row (TIFF's direct layouts, JPEG), upright, and is
 * written in its own format (the writers know no other conversion); anything else is loaded
 * whole, as before. */
static int accept(pol_run *run, const char *in, const char *out)
{
    const char *fmt = format_of(in);
    if (!fmt || (strcmp(fmt, "tiff") && strcmp(fmt, "jpeg") && strcmp(fmt, "png"))) return 0;
    const char *named = out ? pol__image_format_of_ext(pol__path_ext(out)) : NULL;
    if (named && strcmp(named, fmt)) return 0;
    for (size_t i = 0; run && i < run->plan_n; i++) {
        if (!(run->plan_ops[i]->flags & POL_OP_DELIVER)) continue;
        const char *f = pol__arg_str(run->plan_args[i], "format");
        if (f && strcmp(f, fmt)) return 0;
    }
    void *r = NULL;
    if (rd_open(NULL, in, &r)) return 0; /* a layout read only whole, or not upright */
    rd_close(r);
    return 1;
}

const pol__stream_io pol__image_stream_io = {
    .chunk_units = STRIP_ROWS,
    .open = rd_open,
    .read = rd_read,
    .close = rd_close,
    .write_begin = wr_begin,
    .write = wr_write,
    .write_end = wr_end,
    .write_abort = wr_abort,
    .accept = accept,
};
