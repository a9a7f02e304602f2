/* polish — render.grade: white balance, ASC-CDL (slope, offset, power, saturation), saturation and
 * a .cube LUT (1D, 3D or both; tetrahedral or trilinear), in one pass. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "render/cube.h"
#include "render/render.h"

static const pol_param_desc params[] = {
    {"lut", POL_PARAM_STR, NULL, 0, -1, NULL,
     "A .cube LUT applied last; its output is written as it is (a display LUT needs no further "
     "transform).", .flags = POL_PARAM_PATH},
    {"interpolation", POL_PARAM_ENUM, "tetrahedral", 0, -1, "tetrahedral|trilinear",
     "How a 3D LUT is interpolated between its entries."},
    {"slope", POL_PARAM_STR, "1", 0, -1, NULL, "ASC-CDL slope: one number or R,G,B."},
    {"offset", POL_PARAM_STR, "0", 0, -1, NULL, "ASC-CDL offset: one number or R,G,B."},
    {"power", POL_PARAM_STR, "1", 0, -1, NULL, "ASC-CDL power: one number or R,G,B."},
    {"cdl-saturation", POL_PARAM_NUM, "1", 0, 4, NULL, "ASC-CDL saturation (Rec.709 luma)."},
    {"temperature", POL_PARAM_NUM, "6504", 1700, 25000, NULL,
     "The light the frame was lit with: warmer numbers are corrected towards neutral.", .unit = "K"},
    {"tint", POL_PARAM_NUM, "0", -1, 1, NULL, "Green (+) or magenta (-) cast to remove."},
    {"saturation", POL_PARAM_NUM, "1", 0, 4, NULL, "Saturation around luminance."},
};

static int triple(const char *s, float v[3])
{
    float a, b, c;
    int n = sscanf(s, "%f , %f , %f", &a, &b, &c);
    if (n == 1) v[0] = v[1] = v[2] = a;
    else if (n == 3) v[0] = a, v[1] = b, v[2] = c;
    else return 0;
    return isfinite(v[0]) && isfinite(v[1]) && isfinite(v[2]);
}

/* Linear sRGB of a blackbody-like white at temperature T (Kang et al. Planckian locus fit). */
static void white_of(double T, double tint, float rgb[3])
{
    double x, y, t = 1e3 / T;
    if (T <= 4000) x = -0.2661239 * t * t * t - 0.2343589 * t * t + 0.8776956 * t + 0.179910;
    else x = -3.0258469 * t * t * t + 2.1070379 * t * t + 0.2226347 * t + 0.240390;
    if (T <= 2222) y = -1.1063814 * x * x * x - 1.34811020 * x * x + 2.18555832 * x - 0.20219683;
    else if (T <= 4000) y = -0.9549476 * x * x * x - 1.37418593 * x * x + 2.09137015 * x - 0.16748867;
    else y = 3.0817580 * x * x * x - 5.87338670 * x * x + 3.75112997 * x - 0.37001483;
    y += tint * 0.02;
    double X = x / y, Y = 1, Z = (1 - x - y) / y;
    rgb[0] = (float)(3.2404542 * X - 1.5371385 * Y - 0.4985314 * Z);
    rgb[1] = (float)(-0.9692660 * X + 1.8760108 * Y + 0.0415560 * Z);
    rgb[2] = (float)(0.0556434 * X - 0.2040259 * Y + 1.0572252 * Z);
}

typedef struct gr_ctx {
    pol__cube *lut;
    int tetra, cdl, wb;
    float gain[3], slope[3], offset[3], power[3], cdl_sat, sat;
} gr_ctx;

static void gr_free(void *u)
{
    gr_ctx *c = u;
    pol__cube_free(c->lut);
    free(c);
}

/* n unpremultiplied pixels in planes (a deferred step, run in the frame's fused pointwise pass) */
static void gr_px(void *u, float *R, float *G, float *B, const float *rgba, int n, int x0, int y)
{
    const gr_ctx *c = u;
    (void)rgba, (void)x0, (void)y;
    for (int i = 0; i < n && (c->wb || c->cdl || c->sat != 1); i++) {
        float v[3] = {R[i], G[i], B[i]};
        if (c->wb)
            for (int j = 0; j < 3; j++) v[j] *= c->gain[j];
        if (c->cdl) {
            for (int j = 0; j < 3; j++) {
                float x = v[j] * c->slope[j] + c->offset[j];
                v[j] = x > 0 ? (c->power[j] != 1 ? powf(x, c->power[j]) : x) : 0; /* ASC: clamp below 0 */
            }
            if (c->cdl_sat != 1) {
                float L = pol__rn_luma(v);
                for (int j = 0; j < 3; j++) v[j] = L + c->cdl_sat * (v[j] - L);
            }
        }
        if (c->sat != 1) {
            float L = pol__rn_luma(v);
            for (int j = 0; j < 3; j++) v[j] = L + c->sat * (v[j] - L);
        }
        R[i] = v[0], G[i] = v[1], B[i] = v[2];
    }
    if (c->lut) pol__cube_apply(c->lut, R, G, B, n, c->tetra);
}

/* The last LUT parsed, kept for the process (with a reference of its own): the frames of a
 * sequence or a batch name the same file, which is then parsed once. A file is the same by its
 * identity (device, inode, size, modification and change times, taken before it is read), so a
 * file edited or replaced in between is read again. */
static struct {
    pthread_mutex_t mu;
    struct stat st;
    pol__cube *c;
} cube_cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

pol_status pol__render_load_cube(pol_run *run, const char *path, pol__cube **out)
{
    unsigned char *text = NULL;
    size_t len = 0;
    *out = NULL;
    struct stat st;
    int known = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    if (known) {
        pthread_mutex_lock(&cube_cache.mu);
        if (cube_cache.c && same_file(&cube_cache.st, &st)) {
            *out = cube_cache.c;
            __atomic_add_fetch(&cube_cache.c->refs, 1, __ATOMIC_ACQ_REL);
        }
        pthread_mutex_unlock(&cube_cache.mu);
        if (*out) return POL_OK;
    }
    pol_status st2 = pol__read_file(run, path, 256u << 20, &text, &len);
    if (st2) return st2;
    char err[200];
    *out = pol__cube_parse((const char *)text, len, err, sizeof err);
    free(text);
    if (!*out) return pol__fail(run, POL_ERR_FORMAT, "LUT %s: %s", path, err);
    if (known) {
        pthread_mutex_lock(&cube_cache.mu);
        pol__cube *old = cube_cache.c;
        cube_cache.c = *out, cube_cache.st = st;
        __atomic_add_fetch(&(*out)->refs, 1, __ATOMIC_ACQ_REL);
        pthread_mutex_unlock(&cube_cache.mu);
        pol__cube_free(old);
    }
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__render *r = pol__render_of(asset); /* the pixels are not read here: earlier deferred
                                                steps stay deferred and run with this one */
    gr_ctx c = {.tetra = pol__arg_choice(args, "interpolation") == 0};
    if (!triple(pol__arg_str(args, "slope"), c.slope) || !triple(pol__arg_str(args, "offset"), c.offset) ||
        !triple(pol__arg_str(args, "power"), c.power))
        return pol__fail(run, POL_ERR_ARG, "slope, offset and power take one number or three "
                         "separated by commas (1.1,1,0.9)");
    for (int j = 0; j < 3; j++)
        if (c.power[j] <= 0) return pol__fail(run, POL_ERR_ARG, "a CDL power must be above 0");
    c.cdl_sat = (float)pol__arg_num(args, "cdl-saturation");
    c.sat = (float)pol__arg_num(args, "saturation");
    for (int j = 0; j < 3; j++)
        if (c.slope[j] != 1 || c.offset[j] != 0 || c.power[j] != 1) c.cdl = 1;
    if (c.cdl_sat != 1) c.cdl = 1;
    double T = pol__arg_num(args, "temperature"), tint = pol__arg_num(args, "tint");
    if (fabs(T - 6504) > 1 || tint != 0) {
        float w[3], d[3];
        white_of(T, tint, w);
        white_of(6504, 0, d);
        for (int j = 0; j < 3; j++) c.gain[j] = w[j] > 1e-6f ? d[j] / w[j] : 1;
        float gl = pol__rn_luma(c.gain); /* keep luminance */
        for (int j = 0; j < 3; j++) c.gain[j] /= gl;
        c.wb = 1;
        pol__measure(run, "wb_gain_r", c.gain[0]);
        pol__measure(run, "wb_gain_b", c.gain[2]);
    }
    pol__cube *lut = NULL;
    const char *lp = pol__arg_str(args, "lut");
    if (lp) {
        pol_status st = pol__render_load_cube(run, lp, &lut);
        if (st) return st;
        c.lut = lut;
        pol__measure_int(run, "lut_1d_size", lut->size1);
        pol__measure_int(run, "lut_3d_size", lut->size3);
    }
    if (!c.cdl && !c.wb && c.sat == 1 && !lut) {
        pol__decline(run, "no LUT, CDL, white balance or saturation given: nothing to grade");
        return POL_OK;
    }
    gr_ctx *cp = malloc(sizeof *cp);
    if (!cp) {
        pol__cube_free(lut);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *cp = c;
    pol__render_defer(run, r, gr_px, cp, gr_free); /* owns lut from here on */
    if (pol__want_figures(run)) pol__render_flush(run, r);
    char what[200] = "";
    if (c.wb) snprintf(what + strlen(what), sizeof what - strlen(what), "white balance from %.0f K; ", T);
    if (c.cdl) snprintf(what + strlen(what), sizeof what - strlen(what), "ASC-CDL; ");
    if (c.sat != 1) snprintf(what + strlen(what), sizeof what - strlen(what), "saturation x%.2f; ", c.sat);
    if (lut) {
        snprintf(what + strlen(what), sizeof what - strlen(what), "LUT %s (%s)", pol__path_base(lp),
                 c.tetra ? "tetrahedral" : "trilinear");
        r->display = 1; /* the LUT's output is written as it is */
        snprintf(r->view, sizeof r->view, "LUT %.26s", pol__path_base(lp));
    }
    pol__decide(run, "%s", what);
    pol__render_figure(run, r, "before | after (grade)");
    return POL_OK;
}

const pol_op_desc pol__render_op_grade = {
    .domain = "render",
    .name = "grade",
    .summary = "Grade: white balance, ASC-CDL, saturation and .cube LUTs (tetrahedral)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_SCALE_SAFE,
};
