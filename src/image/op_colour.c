/* polish — image.colour: convert pixels from the embedded ICC profile to sRGB (lcms2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lcms2.h>
#include "image/image_io.h"

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

typedef struct xf_job {
    cmsHTRANSFORM xf;
    pol__image *im;
} xf_job;

static void xf_rows(void *user, size_t begin, size_t end)
{
    xf_job *j = user;
    for (size_t y = begin; y < end; y++) {
        float *row = pol__image_row(j->im, (int)y);
        cmsDoTransform(j->xf, row, row, (cmsUInt32Number)j->im->width);
        /* float transforms are unbounded: colours outside sRGB come out below 0 or above 1 */
        size_t n = (size_t)j->im->width * (size_t)j->im->channels;
        for (size_t i = 0; i < n; i++) row[i] = row[i] < 0 ? 0 : row[i] > 1 ? 1 : row[i];
    }
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

POL__PREVIEW_STREAM(preview_stream, run_colour, "colour converts the profile to sRGB: the item is loaded whole", 0);
