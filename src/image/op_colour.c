/* polish — image.colour: convert pixels from the embedded ICC profile to sRGB (lcms2). */
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

void pol__xf_row(void *xf, float *row, size_t w, int ch, pol__xf_memo *m)
{
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
    cmsHTRANSFORM xf;
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
    cmsCloseProfile(in);
    if (outp) cmsCloseProfile(outp);
    if (!xf || !new_icc) {
        if (xf) cmsDeleteTransform(xf);
        free(new_icc);
        return pol__fail(run, POL_ERR_INTERNAL, "cannot build a colour transform from '%s' to sRGB",
                         desc);
    }
    if (!pol__image_own_px(im)) {
        cmsDeleteTransform(xf);
        free(new_icc);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    xf_job j = {xf, im};
    pol__parallel_for(run, (size_t)im->height, 32, xf_rows, &j);
    if (im->points) /* a streamed item's preview: the strips get the same transform */
        pol__points_record_transform(im->points, xf);
    else
        cmsDeleteTransform(xf);
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
