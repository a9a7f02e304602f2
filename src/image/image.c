/* polish — the in-memory image: aligned, overflow-checked pixel buffers and deep copies. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "image/image_io.h"

#define V(i) ((float)(i) / 255.0f)
#define R4(b) V(b), V(b + 1), V(b + 2), V(b + 3)
#define R16(b) R4(b), R4(b + 4), R4(b + 8), R4(b + 12)
#define R64(b) R16(b), R16(b + 16), R16(b + 32), R16(b + 48)
const float pol__u8_to_float[256] = {R64(0), R64(64), R64(128), R64(192)};
#undef V

/* A few freed photo-sized buffers are kept for the next allocation: a new one would come from
 * the kernel zeroed page by page (a 12 MP float image is 144 MB), and a pipeline or a set of
 * deliveries frees and allocates images of similar sizes over and over. Bounded, thread-safe. */
#define POOL_SLOTS 4
#define HUGE_PAGE ((size_t)2 << 20)
#define POOL_MIN (4 * HUGE_PAGE)
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    void *p;
    size_t n;
} pool[POOL_SLOTS];

static void *pool_take(size_t bytes)
{
    void *p = NULL;
    pthread_mutex_lock(&pool_mu);
    int best = -1;
    for (int i = 0; i < POOL_SLOTS; i++)
        if (pool[i].p && pool[i].n >= bytes && pool[i].n / 2 <= bytes &&
            (best < 0 || pool[i].n < pool[best].n))
            best = i;
    if (best >= 0) {
        p = pool[best].p;
        pool[best].p = NULL;
    }
    pthread_mutex_unlock(&pool_mu);
    return p;
}

float *pol__image_alloc_px(int width, int height, int channels)
{
    if (width <= 0 || height <= 0 || channels <= 0 || channels > 4) return NULL;
    size_t n, bytes;
    if (!pol__mul_ok((size_t)width, (size_t)height, &n) || !pol__mul_ok(n, (size_t)channels, &n) ||
        !pol__mul_ok(n, sizeof(float), &bytes))
        return NULL;
    /* Photo-sized buffers go on 2 MB transparent huge pages: faulting 144 MB in 4 kB at a time
     * costs more than many an operation on it. */
    if (bytes >= POOL_MIN && bytes <= SIZE_MAX - HUGE_PAGE) {
        bytes = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        float *px = pool_take(bytes);
        if (px) return px;
        px = aligned_alloc(HUGE_PAGE, bytes);
        if (px) madvise(px, bytes, MADV_HUGEPAGE);
        return px;
    }
    /* aligned_alloc wants a multiple of the alignment; SIMD loops may read to the end of a line */
    if (bytes > SIZE_MAX - 63) return NULL;
    bytes = (bytes + 63) & ~(size_t)63;
    return aligned_alloc(64, bytes);
}

static int dup_blob(unsigned char **dst, const unsigned char *src, size_t len)
{
    *dst = NULL;
    if (!src || !len) return 1;
    *dst = malloc(len);
    if (!*dst) return 0;
    memcpy(*dst, src, len);
    return 1;
}

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src) return 1;
    *dst = strdup(src);
    return *dst != NULL;
}

/* Pixel buffers shared copy-on-write between an image and its delivery copies (domain.c's
 * data_clone): holders per buffer. Few at a time (one per delivery in flight), so a small table. */
#define SHARED_SLOTS 64
static struct {
    const float *px;
    int holders;
} shared[SHARED_SLOTS];

int pol__image_share_px(const float *px)
{
    int ok = 0;
    pthread_mutex_lock(&pool_mu);
    int free_slot = -1;
    for (int i = 0; i < SHARED_SLOTS && !ok; i++) {
        if (shared[i].px == px) {
            shared[i].holders++;
            ok = 1;
        } else if (!shared[i].px && free_slot < 0) {
            free_slot = i;
        }
    }
    if (!ok && free_slot >= 0) {
        shared[free_slot].px = px;
        shared[free_slot].holders = 2;
        ok = 1;
    }
    pthread_mutex_unlock(&pool_mu);
    return ok;
}

/* Drops one holder of a shared buffer; returns 1 when others still hold it (do not free). */
static int unshare(const float *px)
{
    int still = 0;
    pthread_mutex_lock(&pool_mu);
    for (int i = 0; i < SHARED_SLOTS; i++)
        if (shared[i].px == px) {
            still = 1;
            if (--shared[i].holders <= 1) shared[i].px = NULL; /* the last holder owns it */
            break;
        }
    pthread_mutex_unlock(&pool_mu);
    return still;
}

static int is_shared(const float *px)
{
    int yes = 0;
    pthread_mutex_lock(&pool_mu);
    for (int i = 0; i < SHARED_SLOTS && !yes; i++) yes = shared[i].px == px;
    pthread_mutex_unlock(&pool_mu);
    return yes;
}

int pol__image_own_px(pol__image *im)
{
    if (!im->px || !is_shared(im->px)) return 1;
    float *px = pol__image_alloc_px(im->width, im->height, im->channels);
    if (!px) return 0;
    memcpy(px, im->px, (size_t)im->width * (size_t)im->height * (size_t)im->channels * sizeof *px);
    pol__image_free_px(im->px); /* drops our hold */
    im->px = px;
    return 1;
}

pol__image *pol__image_clone_shared(const pol__image *src)
{
    if (!src || !pol__image_share_px(src->px)) return pol__image_clone(src);
    pol__image *im = malloc(sizeof *im);
    int ok = im != NULL;
    if (ok) {
        *im = *src;
        im->points = NULL;
        im->icc = im->exif = im->xmp = NULL;
        im->src_path = NULL;
        ok = dup_str(&im->src_path, src->src_path) && dup_blob(&im->icc, src->icc, src->icc_len) &&
             dup_blob(&im->exif, src->exif, src->exif_len) &&
             dup_blob(&im->xmp, src->xmp, src->xmp_len);
    }
    if (!ok) {
        if (im) im->px = NULL;
        pol__image_free(im);
        unshare(src->px);
        return NULL;
    }
    return im;
}

void pol__image_free_px(float *px)
{
    if (!px || unshare(px)) return;
    size_t n = malloc_usable_size(px);
    /* only buffers that keep the 64-byte alignment promise go back to the pool */
    if (n < POOL_MIN || (uintptr_t)px % 64 != 0) {
        free(px);
        return;
    }
    void *evict = px;
    pthread_mutex_lock(&pool_mu);
    int slot = -1;
    for (int i = 0; i < POOL_SLOTS; i++) {
        if (!pool[i].p) {
            slot = i;
            break;
        }
        if (pool[i].n < n && (slot < 0 || pool[i].n < pool[slot].n)) slot = i;
    }
    if (slot >= 0) {
        evict = pool[slot].p; /* NULL, or a smaller buffer than this one */
        pool[slot].p = px;
        pool[slot].n = n;
    }
    pthread_mutex_unlock(&pool_mu);
    free(evict);
}

pol__image *pol__image_new(int width, int height, int channels)
{
    pol__image *im = calloc(1, sizeof *im);
    if (!im) return NULL;
    im->px = pol__image_alloc_px(width, height, channels);
    if (!im->px) {
        free(im);
        return NULL;
    }
    im->width = width;
    im->height = height;
    im->channels = channels;
    im->bit_depth = 8;
    im->orientation = 1;
    im->save.keep_icc = 1;
    return im;
}

void pol__image_free(pol__image *im)
{
    if (!im) return;
    pol__image_free_px(im->px);
    free(im->icc);
    free(im->exif);
    free(im->xmp);
    free(im->src_path);
    free(im);
}

pol__image *pol__image_clone(const pol__image *src)
{
    if (!src) return NULL;
    pol__image *im = malloc(sizeof *im);
    if (!im) return NULL;
    *im = *src;
    im->px = NULL;
    im->points = NULL;
    im->icc = im->exif = im->xmp = NULL;
    im->src_path = NULL;
    size_t n = (size_t)src->width * (size_t)src->height * (size_t)src->channels;
    int ok = (im->px = pol__image_alloc_px(src->width, src->height, src->channels)) != NULL;
    if (ok) memcpy(im->px, src->px, n * sizeof(float));
    ok = ok && dup_blob(&im->icc, src->icc, src->icc_len);
    ok = ok && dup_blob(&im->exif, src->exif, src->exif_len);
    ok = ok && dup_blob(&im->xmp, src->xmp, src->xmp_len);
    ok = ok && dup_str(&im->src_path, src->src_path);
    if (!ok) {
        pol__image_free(im);
        return NULL;
    }
    return im;
}

void pol__image_replace_px(pol__image *im, float *px, int width, int height, int channels)
{
    if (im->px != px) pol__image_free_px(im->px);
    im->px = px;
    im->width = width;
    im->height = height;
    im->channels = channels;
}

pol__image *pol__image_with_channels(const pol__image *im, int channels)
{
    if (im->channels == channels) return (pol__image *)im;
    pol__image *out = pol__image_clone(im);
    if (!out) return NULL;
    float *px = pol__image_alloc_px(im->width, im->height, channels);
    if (!px) {
        pol__image_free(out);
        return NULL;
    }
    size_t n = (size_t)im->width * (size_t)im->height;
    int ic = im->channels, has_a = ic == 2 || ic == 4, want_a = channels == 2 || channels == 4;
    int icol = has_a ? ic - 1 : ic, ocol = want_a ? channels - 1 : channels;
    for (size_t i = 0; i < n; i++) {
        const float *s = im->px + i * (size_t)ic;
        float *d = px + i * (size_t)channels;
        float a = has_a ? s[ic - 1] : 1.0f;
        float c[3];
        if (icol == 1)
            c[0] = c[1] = c[2] = s[0];
        else
            c[0] = s[0], c[1] = s[1], c[2] = s[2];
        if (has_a && !want_a) /* flatten onto white so transparent areas do not turn black */
            for (int k = 0; k < 3; k++) c[k] = c[k] * a + (1.0f - a);
        if (ocol == 1)
            d[0] = icol == 1 ? c[0] : 0.2126f * c[0] + 0.7152f * c[1] + 0.0722f * c[2];
        else
            d[0] = c[0], d[1] = c[1], d[2] = c[2];
        if (want_a) d[channels - 1] = a;
    }
    pol__image_replace_px(out, px, im->width, im->height, channels);
    return out;
}

pol_status pol__image_check_limits(pol_run *run, const pol__image_load_opts *o, uint64_t w,
                                   uint64_t h, uint64_t frames, const char *format)
{
    pol_status st = pol__image_check_size(run, o, w, h, frames, format);
    if (st) return st;
    /* Decoded pixels are floats, up to four channels: reserve that before any decoder allocates. */
    char what[96];
    snprintf(what, sizeof what, "decoding the %llux%llu %s", (unsigned long long)w,
             (unsigned long long)h, format);
    return pol__mem_reserve(run, w * h * 4 * sizeof(float), what);
}

pol_status pol__image_check_size(pol_run *run, const pol__image_load_opts *o, uint64_t w,
                                 uint64_t h, uint64_t frames, const char *format)
{
    const pol_limits *l = o && o->limits ? o->limits : run && run->opt ? &run->opt->limits : NULL;
    if (w == 0 || h == 0)
        return pol__fail(run, POL_ERR_CORRUPT, "%s header gives an empty image (%llux%llu)", format,
                         (unsigned long long)w, (unsigned long long)h);
    if (w > INT32_MAX / 8 || h > INT32_MAX / 8)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s header claims %llux%llu pixels, beyond what can be "
                         "processed",
                         format, (unsigned long long)w, (unsigned long long)h);
    if (l && l->max_pixels && w * h > l->max_pixels)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s header claims %llux%llu = %llu pixels, over the "
                         "limit of %llu (--limit pixels=N)",
                         format, (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)(w * h), (unsigned long long)l->max_pixels);
    if (l && l->max_dimension && (w > l->max_dimension || h > l->max_dimension))
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s header claims %llux%llu pixels: a side over the limit of %llu "
                         "(--limit dimension=N)",
                         format, (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)l->max_dimension);
    if (l && l->max_frames && frames > l->max_frames)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s has %llu frames, over the limit of %llu "
                         "(--limit frames=N)",
                         format, (unsigned long long)frames, (unsigned long long)l->max_frames);
    return POL_OK;
}

pol_status pol__image_check_result(pol_run *run, uint64_t w, uint64_t h, const char *what)
{
    const pol_limits *l = run && run->opt ? &run->opt->limits : NULL;
    if (l && l->max_pixels && w * h > l->max_pixels)
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s would make %llux%llu = %llu pixels, over the limit of %llu "
                         "(--limit pixels=N)",
                         what, (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)(w * h), (unsigned long long)l->max_pixels);
    if (l && l->max_dimension && (w > l->max_dimension || h > l->max_dimension))
        return pol__fail(run, POL_ERR_LIMIT,
                         "%s would make %llux%llu pixels: a side over the limit of %llu "
                         "(--limit dimension=N)",
                         what, (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)l->max_dimension);
    char m[128];
    snprintf(m, sizeof m, "%s to %llux%llu", what, (unsigned long long)w, (unsigned long long)h);
    return pol__mem_reserve(run, w * h * 4 * sizeof(float), m);
}

/* ---- pixel hash ------------------------------------------------------------------------------ */

typedef struct hash_ctx {
    const pol__image *im;
    uint64_t *row; /* per row */
} hash_ctx;

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static void hash_rows(void *user, size_t begin, size_t end)
{
    hash_ctx *c = user;
    size_t n = (size_t)c->im->width * (size_t)c->im->channels;
    for (size_t y = begin; y < end; y++) {
        const float *p = pol__image_row(c->im, (int)y);
        /* four independent lanes keep the multiplies in flight */
        uint64_t h[4] = {y + 1, 0x9e3779b97f4a7c15ULL, 0xbf58476d1ce4e5b9ULL, 0x94d049bb133111ebULL};
        size_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++) {
                uint32_t v;
                memcpy(&v, p + i + k, 4);
                h[k] = (h[k] ^ v) * 0x100000001b3ULL;
            }
        for (; i < n; i++) {
            uint32_t v;
            memcpy(&v, p + i, 4);
            h[0] = (h[0] ^ v) * 0x100000001b3ULL;
        }
        c->row[y] = mix64(h[0]) ^ mix64(h[1] + 1) ^ mix64(h[2] + 2) ^ mix64(h[3] + 3);
    }
}

uint64_t pol__image_px_hash(const pol_run *run, const pol__image *im)
{
    if (!im || !im->px || im->height <= 0) return 0;
    hash_ctx c = {im, malloc(sizeof(uint64_t) * (size_t)im->height)};
    if (!c.row) return 0;
    pol__parallel_for(run, (size_t)im->height, 64, hash_rows, &c);
    uint64_t h = mix64(((uint64_t)im->width << 32) ^ ((uint64_t)im->height << 4) ^
                       (uint64_t)im->channels);
    for (int y = 0; y < im->height; y++) h = mix64(h ^ c.row[y]) + (uint64_t)y;
    free(c.row);
    return h ? h : 1;
}
