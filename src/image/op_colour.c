/* polish — image.colour: convert pixels from the embedded ICC profile to sRGB (lcms2). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lcms2.h>
#include "image/image_io.h"
#include "image/quality.h"

static const pol_param_desc params[] = {
    {"intent", POL_PARAM_ENUM, "perceptual", 1, 0, "perceptual|relative|saturation|absolute",
     "ICC rendering intent used for the conversion to sRGB."},
    {"black-point", POL_PARAM_BOOL, "true", 1, 0, NULL,
     "Use black point compensation (keeps shadow detail with relative intent)."},
};

static pol_status run_colour(pol_run *run, pol_asset *asset, const pol_args *args);

static const pol_op_stream preview_stream;
const pol_op_desc pol__image_op_colour = {
    .domain = "image",
    .name = "colour",
    .summary = "Convert from the embedded ICC colour profile to sRGB; keeps alpha",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .stream = &preview_stream,
    .run = run_colour,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};

/* A float transform evaluates its curves with pow() for every sample (about 170 ns a pixel);
 * a photo's pixels repeat (8-bit sources have few distinct colours in an area), so each run of
 * rows remembers the colours it converted, in a direct-mapped table, and converts only the new
 * ones, in one call. The same input gives lcms2 the same output wherever it is (the transform has
 * no cache of its own), so the rows come out as one call over them would give. */
#define MEMO_BITS 14
typedef struct memo_entry {
    uint32_t key[3];
    float out[3];
} memo_entry;

struct pol__xf_memo {
    memo_entry tab[1u << MEMO_BITS];
    float *buf;   /* the row's new colours, packed */
    size_t *at;   /* their places in the row */
    size_t cap;
};

pol__xf_memo *pol__xf_memo_new(void)
{
    pol__xf_memo *m = malloc(sizeof *m);
    if (!m) return NULL;
    /* a key no sample has: a NaN pattern the decoders never make */
    for (size_t i = 0; i < (1u << MEMO_BITS); i++)
        m->tab[i].key[0] = m->tab[i].key[1] = m->tab[i].key[2] = 0xffffffffu;
    m->buf = NULL, m->at = NULL, m->cap = 0;
    return m;
}

void pol__xf_memo_free(pol__xf_memo *m)
{
    if (!m) return;
    free(m->buf);
    free(m->at);
    free(m);
}

static memo_entry *memo_slot(pol__xf_memo *m, const uint32_t k[3])
{
    uint32_t h = (k[0] * 0x9E3779B1u) ^ (k[1] * 0x85EBCA77u) ^ (k[2] * 0xC2B2AE3Du);
    return &m->tab[(h ^ h >> 15) & ((1u << MEMO_BITS) - 1)];
}

/*
 * A matrix-shaper RGB profile to sRGB (the usual camera and display profiles: Display P3, Adobe
 * RGB, ProPhoto), made without lcms2 per pixel: the source's tone curves, evaluated by lcms2
 * once for each 8-bit code (and for any other input as lcms2 evaluates them), the colorant
 * matrices joined into one, then the sRGB encoding from a table interpolated in sqrt(v). Checked against lcms2's own transform of the same profiles on a set of colours
 * when it is made (within 1e-5, a 16-bit step: else lcms2 converts), so the whole picture and
 * its strips convert with the same function, about ten times faster than lcms2's float pipeline
 * (which calls pow() twice for every sample).
 */
#define ENC_N 4096
typedef struct fast_xf {
    cmsToneCurve *trc[3]; /* the source's curves (copies) */
    float in8[3][256];    /* their values at k/255 */
    float m[3][3];        /* linear source RGB -> linear sRGB (joined in double) */
    /* the sRGB encoding of linear v at sqrt(v) = i / ENC_N (smooth in sqrt(v): a small table,
     * in the first level of cache, interpolates within 2e-7), one spare entry */
    float enc[ENC_N + 2];
} fast_xf;

struct pol__xf {
    cmsHTRANSFORM lcms;
    fast_xf *fast; /* NULL: lcms2 converts */
};

void pol__xf_free(void *p)
{
    struct pol__xf *x = p;
    if (!x) return;
    if (x->fast)
        for (int k = 0; k < 3; k++) cmsFreeToneCurve(x->fast->trc[k]);
    free(x->fast);
    cmsDeleteTransform(x->lcms);
    free(x);
}

static float srgb_encode(double v)
{
    return (float)(v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055);
}

static inline void fast_px(const fast_xf *f, const float *in, float *out)
{
    float lin[3];
    for (int k = 0; k < 3; k++) {
        float v = in[k];
        int i = (int)(v * 255.0f + 0.5f);
        /* an 8-bit code exactly (as the decoders make them): from the table */
        lin[k] = i >= 0 && i <= 255 && pol__u8_to_float[i] == v ? f->in8[k][i]
                                                               : cmsEvalToneCurveFloat(f->trc[k], v);
    }
    for (int c = 0; c < 3; c++) {
        float v = f->m[c][0] * lin[0] + f->m[c][1] * lin[1] + f->m[c][2] * lin[2];
        /* (clamped before encoding: what falls outside 0..1 is clamped after it anyway) */
        float t = sqrtf(v <= 0 ? 0 : v >= 1 ? 1 : v) * (float)ENC_N;
        int i = (int)t;
        float r = t - (float)i;
        out[c] = f->enc[i] + r * (f->enc[i + 1] - f->enc[i]);
    }
}

/* The 3x3 matrix of a matrix-shaper profile's colorants (columns; PCS XYZ D50). */
static int colorants(cmsHPROFILE h, double m[3][3])
{
    static const cmsTagSignature tags[3] = {cmsSigRedColorantTag, cmsSigGreenColorantTag,
                                            cmsSigBlueColorantTag};
    for (int j = 0; j < 3; j++) {
        const cmsCIEXYZ *c = cmsReadTag(h, tags[j]);
        if (!c) return 0;
        m[0][j] = c->X, m[1][j] = c->Y, m[2][j] = c->Z;
    }
    return 1;
}

static int invert3(const double a[3][3], double o[3][3])
{
    double d = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
               a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
               a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if (fabs(d) < 1e-12) return 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
            o[i][j] = (a[i1][j1] * a[i2][j2] - a[i1][j2] * a[i2][j1]) / d;
        }
    return 1;
}

/* The fast form of `lcms` (in -> sRGB, RGB or RGBA float, `intent`), or NULL when the profiles
 * are not both matrix-shaper RGB or it does not agree with lcms2. */
static fast_xf *fast_new(cmsHPROFILE in, cmsHPROFILE out, int intent, cmsHTRANSFORM lcms, int ch)
{
    static const cmsTagSignature trcs[3] = {cmsSigRedTRCTag, cmsSigGreenTRCTag, cmsSigBlueTRCTag};
    if ((intent != INTENT_PERCEPTUAL && intent != INTENT_RELATIVE_COLORIMETRIC) ||
        cmsGetColorSpace(in) != cmsSigRgbData || !cmsIsMatrixShaper(in) || !cmsIsMatrixShaper(out))
        return NULL;
    fast_xf *f = calloc(1, sizeof *f);
    double mi[3][3], mo[3][3], mo_inv[3][3];
    if (!f || !colorants(in, mi) || !colorants(out, mo) || !invert3(mo, mo_inv)) {
        free(f);
        return NULL;
    }
    int ok = 1;
    for (int k = 0; k < 3; k++) {
        const cmsToneCurve *t = cmsReadTag(in, trcs[k]);
        if (!t || !(f->trc[k] = cmsDupToneCurve(t))) ok = 0;
        for (int i = 0; ok && i < 256; i++) f->in8[k][i] = cmsEvalToneCurveFloat(f->trc[k], pol__u8_to_float[i]);
    }
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            f->m[i][j] = (float)(mo_inv[i][0] * mi[0][j] + mo_inv[i][1] * mi[1][j] + mo_inv[i][2] * mi[2][j]);
    for (int i = 0; i <= ENC_N; i++) f->enc[i] = srgb_encode((double)i * i / ((double)ENC_N * ENC_N));
    f->enc[ENC_N + 1] = f->enc[ENC_N];
    /* the check: colours over the cube, dark ones (where the curves are steepest) and 8-bit ones */
    enum { N = 9 * 9 * 9 + 64 };
    float a[N * 4], b[N * 4], o[3];
    size_t n = 0;
    for (int r = 0; r < 9; r++)
        for (int g = 0; g < 9; g++)
            for (int bb = 0; bb < 9; bb++, n++) {
                float v[3] = {r / 8.0f, g / 8.0f, bb / 8.0f};
                for (int k = 0; k < ch; k++) a[n * ch + k] = k < 3 ? v[k] : 1;
            }
    for (int i = 0; i < 64; i++, n++)
        for (int k = 0; k < ch; k++) a[n * ch + k] = k < 3 ? pol__u8_to_float[(i * 7 + k * 3) % 40] : 1;
    cmsDoTransform(lcms, a, b, (cmsUInt32Number)n);
    pol__clamp_unit(b, n * ch);
    for (size_t i = 0; ok && i < n; i++) {
        fast_px(f, a + i * ch, o);
        for (int k = 0; k < 3; k++)
            if (fabsf(o[k] - b[i * ch + k]) > 1e-5f) ok = 0;
    }
    if (!ok) {
        for (int k = 0; k < 3; k++) cmsFreeToneCurve(f->trc[k]);
        free(f);
        return NULL;
    }
    return f;
}

void pol__xf_row(void *xp, float *row, size_t w, int ch, pol__xf_memo *m)
{
    const struct pol__xf *x = xp;
    if (x->fast && ch >= 3) {
        for (size_t i = 0; i < w; i++) fast_px(x->fast, row + i * (size_t)ch, row + i * (size_t)ch);
        pol__clamp_unit(row, w * (size_t)ch);
        return;
    }
    void *xf = x->lcms;
    int colour = ch >= 3 ? 3 : 1;
    if (m && m->cap < w) {
        float *b = realloc(m->buf, w * (size_t)ch * sizeof(float));
        if (b) m->buf = b;
        size_t *a = b ? realloc(m->at, w * sizeof(size_t)) : NULL;
        if (a) m->at = a, m->cap = w;
    }
    if (!m || m->cap < w) { /* no memory for the table's work: the whole row in one call */
        cmsDoTransform(xf, row, row, (cmsUInt32Number)w);
    } else {
        size_t miss = 0;
        for (size_t x = 0; x < w; x++) {
            float *p = row + x * (size_t)ch;
            uint32_t k[3] = {0, 0, 0};
            memcpy(k, p, (size_t)colour * sizeof(float));
            memo_entry *e = memo_slot(m, k);
            if (e->key[0] == k[0] && e->key[1] == k[1] && e->key[2] == k[2]) {
                memcpy(p, e->out, (size_t)colour * sizeof(float));
            } else {
                memcpy(m->buf + miss * (size_t)ch, p, (size_t)ch * sizeof(float));
                m->at[miss++] = x;
            }
        }
        if (miss) cmsDoTransform(xf, m->buf, m->buf, (cmsUInt32Number)miss);
        for (size_t i = 0; i < miss; i++) {
            float *p = row + m->at[i] * (size_t)ch, *o = m->buf + i * (size_t)ch;
            uint32_t k[3] = {0, 0, 0};
            memcpy(k, p, (size_t)colour * sizeof(float));
            memo_entry *e = memo_slot(m, k);
            memcpy(e->key, k, sizeof k);
            memcpy(e->out, o, (size_t)colour * sizeof(float));
            memcpy(p, o, (size_t)ch * sizeof(float));
        }
    }
    /* float transforms are unbounded: colours outside sRGB come out below 0 or above 1 */
    pol__clamp_unit(row, w * (size_t)ch);
}

typedef struct xf_job {
    struct pol__xf *xf;
    pol__image *im;
} xf_job;

static void xf_rows(void *user, size_t begin, size_t end)
{
    xf_job *j = user;
    pol__xf_memo *m = pol__xf_memo_new();
    for (size_t y = begin; y < end; y++)
        pol__xf_row(j->xf, pol__image_row(j->im, (int)y), (size_t)j->im->width, j->im->channels, m);
    pol__xf_memo_free(m);
}

/* Grey stays grey: the target is a grey profile with the sRGB curve. */
static cmsHPROFILE grey_srgb_profile(void)
{
    cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    cmsToneCurve *c = cmsBuildParametricToneCurve(NULL, 4, p);
    if (!c) return NULL;
    cmsHPROFILE h = cmsCreateGrayProfile(cmsD50_xyY(), c);
    cmsFreeToneCurve(c);
    return h;
}

static unsigned char *save_profile(cmsHPROFILE h, size_t *len)
{
    cmsUInt32Number n = 0;
    unsigned char *buf = NULL;
    *len = 0;
    if (cmsSaveProfileToMem(h, NULL, &n) && n && (buf = malloc(n)) &&
        !cmsSaveProfileToMem(h, buf, &n)) {
        free(buf);
        return NULL;
    }
    if (buf) *len = n;
    return buf;
}

/* Why nothing was converted: the step's answer when it is image.colour, a note when another
 * step (a delivery preset) asked for sRGB. */
static void no_change(pol_run *run, int as_step, const char *why)
{
    if (as_step)
        pol__decline(run, "%s", why);
    else
        pol__decide(run, "colour: %s", why);
}

pol_status pol__image_to_srgb(pol_run *run, pol__image *im, int intent, int black_point, int as_step)
{
    char why[400];
    if (!im->icc) {
        no_change(run, as_step, "no embedded colour profile: the pixels are taken as sRGB");
        im->srgb = 1;
        return POL_OK;
    }
    char desc[256] = "";
    pol__icc_describe(im->icc, im->icc_len, desc, sizeof desc);
    pol__measure_str(run, "profile", desc[0] ? desc : "(no description)");
    if (pol__icc_is_srgb(im->icc, im->icc_len)) {
        snprintf(why, sizeof why, "the profile '%s' is already sRGB", desc);
        no_change(run, as_step, why);
        im->srgb = 1;
        return POL_OK;
    }
    cmsHPROFILE in = pol__icc_open(im->icc, im->icc_len);
    if (!in) {
        pol__warn(run, "the embedded colour profile cannot be read; pixels left as they are");
        no_change(run, as_step, "unreadable colour profile");
        return POL_OK;
    }
    int grey = im->channels <= 2, alpha = im->channels == 2 || im->channels == 4;
    cmsColorSpaceSignature cs = cmsGetColorSpace(in);
    if ((grey && cs != cmsSigGrayData) || (!grey && cs != cmsSigRgbData)) {
        cmsCloseProfile(in);
        pol__warn(run, "the profile '%s' does not match the %s pixels; ignored", desc,
                  grey ? "grey" : "RGB");
        no_change(run, as_step, "profile colour space does not match the pixels");
        return POL_OK;
    }
    cmsHPROFILE outp = grey ? grey_srgb_profile() : cmsCreate_sRGBProfile();
    cmsUInt32Number fmt =
        grey ? (alpha ? TYPE_GRAYA_FLT : TYPE_GRAY_FLT) : (alpha ? TYPE_RGBA_FLT : TYPE_RGB_FLT);
    cmsUInt32Number flags = cmsFLAGS_NOCACHE | (alpha ? cmsFLAGS_COPY_ALPHA : 0) |
                            (black_point ? cmsFLAGS_BLACKPOINTCOMPENSATION : 0);
    cmsHTRANSFORM xf =
        outp ? cmsCreateTransform(in, fmt, outp, fmt, (cmsUInt32Number)intent, flags) : NULL;
    size_t new_len = 0;
    unsigned char *new_icc = NULL;
    if (xf) new_icc = grey ? save_profile(outp, &new_len) : pol__icc_srgb(&new_len);
    struct pol__xf *x = xf && new_icc ? calloc(1, sizeof *x) : NULL;
    if (x) {
        x->lcms = xf;
        x->fast = fast_new(in, outp, intent, xf, im->channels);
    }
    cmsCloseProfile(in);
    if (outp) cmsCloseProfile(outp);
    if (!x) {
        if (xf) cmsDeleteTransform(xf);
        free(new_icc);
        return pol__fail(run, POL_ERR_INTERNAL, "cannot build a colour transform from '%s' to sRGB",
                         desc);
    }
    if (!pol__image_own_px(im)) {
        pol__xf_free(x);
        free(new_icc);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    pol__measure_str(run, "transform", x->fast ? "matrix-shaper tables" : "lcms2 float pipeline");
    xf_job j = {x, im};
    pol__parallel_for(run, (size_t)im->height, 32, xf_rows, &j);
    if (im->points) /* a streamed item's preview: the strips get the same transform */
        pol__points_record_transform(im->points, x);
    else
        pol__xf_free(x);
    free(im->icc);
    im->icc = new_icc;
    im->icc_len = new_len;
    im->srgb = 1;
    static const char *const intents[] = {"perceptual", "relative colorimetric", "saturation",
                                          "absolute colorimetric"};
    pol__decide(run, "converted from '%s' to sRGB (%s intent%s)", desc,
                intents[intent >= 0 && intent < 4 ? intent : 0],
                black_point ? ", black point compensation" : "");
    return POL_OK;
}

static pol_status run_colour(pol_run *run, pol_asset *asset, const pol_args *args)
{
    const char *intent = pol__arg_str(args, "intent");
    int i = !strcmp(intent, "relative")     ? INTENT_RELATIVE_COLORIMETRIC
            : !strcmp(intent, "saturation") ? INTENT_SATURATION
            : !strcmp(intent, "absolute")   ? INTENT_ABSOLUTE_COLORIMETRIC
                                            : INTENT_PERCEPTUAL;
    return pol__image_to_srgb(run, pol__image_of(asset), i, pol__arg_bool(args, "black-point"), 1);
}

POL__POINT_STREAM_META(preview_stream, run_colour, "colour changed the pixels other than by its transform: the item is loaded whole");
