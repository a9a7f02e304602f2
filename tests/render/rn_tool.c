/* polish — render test helper: renders a small analytic scene (a ground plane, spheres, a box, a
 * sun with hard shadows, sky light, an emitter above 1) with its passes into EXR files, as Blender
 * names them or as a group of pass files, at 1 sample (aliased) or supersampled (the reference),
 * with Monte-Carlo sky light of N samples (noisy) for denoising; and scores results (PSNR, SSIM,
 * a blur of equal sharpness, energy, non-finite samples). */
#include <math.h>
#include <openexr.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- EXR ------------------------------------------------------------------------------------ */

static int write_exr(const char *path, int w, int h, int n, const char *const *names,
                     float *const *planes, int half)
{
    exr_context_t ex;
    int part;
    exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
    if (exr_start_write(&ex, path, EXR_WRITE_FILE_DIRECTLY, &init)) return 1;
    exr_add_part(ex, "main", EXR_STORAGE_SCANLINE, &part);
    exr_initialize_required_attr_simple(ex, part, w, h, EXR_COMPRESSION_ZIP);
    for (int i = 0; i < n; i++)
        exr_add_channel(ex, part, names[i], half ? EXR_PIXEL_HALF : EXR_PIXEL_FLOAT,
                        EXR_PERCEPTUALLY_LINEAR, 1, 1);
    if (exr_write_header(ex)) return 1;
    int32_t lines;
    exr_get_scanlines_per_chunk(ex, part, &lines);
    exr_encode_pipeline_t enc = EXR_ENCODE_PIPELINE_INITIALIZER;
    for (int y = 0; y < h; y += lines) {
        exr_chunk_info_t ci;
        exr_write_scanline_chunk_info(ex, part, y, &ci);
        if (y == 0) exr_encoding_initialize(ex, part, &ci, &enc);
        else exr_encoding_update(ex, part, &ci, &enc);
        for (int c = 0; c < enc.channel_count; c++)
            for (int i = 0; i < n; i++)
                if (!strcmp(enc.channels[c].channel_name, names[i])) {
                    enc.channels[c].encode_from_ptr = (const uint8_t *)(planes[i] + (size_t)y * w);
                    enc.channels[c].user_pixel_stride = 4;
                    enc.channels[c].user_line_stride = 4 * w;
                    enc.channels[c].user_data_type = EXR_PIXEL_FLOAT;
                    enc.channels[c].user_bytes_per_element = 4;
                }
        if (y == 0) exr_encoding_choose_default_routines(ex, part, &enc);
        if (exr_encoding_run(ex, part, &enc)) return 1;
    }
    exr_encoding_destroy(ex, &enc);
    return exr_finish(&ex) != 0;
}

/* One channel of part 0 as floats; NULL when the file has no such channel. */
static float *read_channel(const char *path, const char *name, int *W, int *H)
{
    exr_context_t ex;
    if (exr_start_read(&ex, path, NULL)) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    exr_attr_box2i_t dw;
    exr_get_data_window(ex, 0, &dw);
    int w = dw.max.x - dw.min.x + 1, h = dw.max.y - dw.min.y + 1;
    float *v = calloc((size_t)w * h, sizeof *v);
    int32_t lines;
    exr_get_scanlines_per_chunk(ex, 0, &lines);
    exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
    int found = 0;
    /* every channel into a plane of its own, a chunk at a time (OpenEXRCore 3.1 mixes up
     * interleaved half channels, and crashes decoding half channels when some have no place) */
    float *pl = NULL;
    int me = -1;
    for (int y = 0; y < h; y += lines) {
        exr_chunk_info_t ci;
        exr_read_scanline_chunk_info(ex, 0, dw.min.y + y, &ci);
        if (y == 0) exr_decoding_initialize(ex, 0, &ci, &dec);
        else exr_decoding_update(ex, 0, &ci, &dec);
        if (!pl) pl = malloc((size_t)w * lines * dec.channel_count * sizeof *pl);
        for (int c = 0; c < dec.channel_count; c++) {
            if (!strcmp(dec.channels[c].channel_name, name)) me = c, found = 1;
            dec.channels[c].decode_to_ptr = (uint8_t *)(pl + (size_t)c * w * lines);
            dec.channels[c].user_pixel_stride = 4;
            dec.channels[c].user_line_stride = 4 * w;
            dec.channels[c].user_data_type = EXR_PIXEL_FLOAT;
            dec.channels[c].user_bytes_per_element = 4;
        }
        if (y == 0) exr_decoding_choose_default_routines(ex, 0, &dec);
        exr_decoding_run(ex, 0, &dec);
        if (found) memcpy(v + (size_t)y * w, pl + (size_t)me * w * lines, (size_t)ci.height * w * sizeof *pl);
    }
    free(pl);
    exr_decoding_destroy(ex, &dec);
    exr_finish(&ex);
    if (!found) {
        free(v);
        return NULL;
    }
    *W = w, *H = h;
    return v;
}

/* Reads channels R, G, B (A when present, else 1) of part 0 into RGBA floats. */
static float *read_exr(const char *path, int *W, int *H)
{
    static const char *const nm[4] = {"R", "G", "B", "A"};
    float *v = NULL;
    for (int k = 0; k < 4; k++) {
        int w = 0, h = 0;
        float *p = read_channel(path, nm[k], &w, &h);
        if (!p && k < 3) {
            fprintf(stderr, "%s has no channel %s\n", path, nm[k]);
            exit(2);
        }
        if (k == 0) {
            *W = w, *H = h;
            v = malloc((size_t)w * h * 16);
        }
        for (size_t i = 0; i < (size_t)*W * *H; i++) v[4 * i + k] = p ? p[i] : 1;
        free(p);
    }
    return v;
}

/* ---- the scene ------------------------------------------------------------------------------ */

typedef struct hit { float t, n[3], alb[3], emit; } hit;
typedef struct sph { float c[3], r, alb[3], emit; } sph;
static const sph S[] = {
    {{-0.9f, 0.6f, 0.6f}, 0.6f, {0.8f, 0.2f, 0.15f}, 0},
    {{0.8f, 0.35f, -0.4f}, 0.35f, {0.2f, 0.6f, 0.85f}, 0},
    {{1.6f, 1.6f, 1.8f}, 0.25f, {1, 0.9f, 0.7f}, 30},  /* a lamp */
};
static int no_texture = 0;
static const float BOX_LO[3] = {0.2f, 0, 0.6f}, BOX_HI[3] = {1.2f, 1.1f, 1.4f};
static const float LDIR[3] = {-0.45f, 0.8f, -0.4f}; /* towards the sun (normalised at start) */
static float L[3];

static float dot3(const float *a, const float *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

static int trace(const float *o, const float *d, hit *hh)
{
    hit h = {1e30f, {0}, {0}, 0};
    int any = 0;
    if (d[1] < -1e-6f) { /* ground */
        float t = -o[1] / d[1];
        if (t > 1e-4f && t < h.t) {
            h.t = t, h.n[0] = 0, h.n[1] = 1, h.n[2] = 0, h.emit = 0;
            float x = o[0] + t * d[0], z = o[2] + t * d[2];
            int chk = no_texture ? 1 : ((int)floorf(x * 2) + (int)floorf(z * 2)) & 1; /* a checker */
            h.alb[0] = h.alb[1] = h.alb[2] = chk ? 0.7f : 0.25f;
            any = 1;
        }
    }
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        float oc[3] = {o[0] - S[i].c[0], o[1] - S[i].c[1], o[2] - S[i].c[2]};
        float b = dot3(oc, d), c = dot3(oc, oc) - S[i].r * S[i].r, disc = b * b - c;
        if (disc < 0) continue;
        float t = -b - sqrtf(disc);
        if (t > 1e-4f && t < h.t) {
            h.t = t;
            for (int k = 0; k < 3; k++) h.n[k] = (o[k] + t * d[k] - S[i].c[k]) / S[i].r, h.alb[k] = S[i].alb[k];
            h.emit = S[i].emit;
            any = 1;
        }
    }
    float t0 = -1e30f, t1 = 1e30f;
    int ax = -1;
    for (int k = 0; k < 3; k++) {
        float inv = 1 / (fabsf(d[k]) > 1e-9f ? d[k] : 1e-9f);
        float a = (BOX_LO[k] - o[k]) * inv, b = (BOX_HI[k] - o[k]) * inv;
        if (a > b) { float tt = a; a = b; b = tt; }
        if (a > t0) t0 = a, ax = k;
        if (b < t1) t1 = b;
    }
    if (t0 <= t1 && t0 > 1e-4f && t0 < h.t && ax >= 0) {
        h.t = t0;
        h.n[0] = h.n[1] = h.n[2] = 0;
        h.n[ax] = d[ax] > 0 ? -1 : 1;
        h.alb[0] = 0.85f, h.alb[1] = 0.8f, h.alb[2] = 0.6f;
        h.emit = 0;
        any = 1;
    }
    *hh = h;
    return any;
}

static uint32_t rng_state = 12345;
static float rnd(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 17, rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / 16777216.0f;
}

/* sky light at a point: `mc` random cosine-weighted directions (0: the converged value, 1024 samples
 * stratified 32 x 32) */
static float sky(const float *p, const float *n, int mc)
{
    if (mc < 0) return 0.75f + 0.25f * n[1]; /* no occlusion: smooth light only (fast) */
    int N = mc > 0 ? mc : 1024, vis = 0;
    float t[3], b[3];
    if (fabsf(n[0]) > 0.5f) t[0] = 0, t[1] = 1, t[2] = 0;
    else t[0] = 1, t[1] = 0, t[2] = 0;
    b[0] = n[1] * t[2] - n[2] * t[1], b[1] = n[2] * t[0] - n[0] * t[2], b[2] = n[0] * t[1] - n[1] * t[0];
    float bl = sqrtf(dot3(b, b));
    for (int k = 0; k < 3; k++) b[k] /= bl;
    t[0] = b[1] * n[2] - b[2] * n[1], t[1] = b[2] * n[0] - b[0] * n[2], t[2] = b[0] * n[1] - b[1] * n[0];
    for (int s = 0; s < N; s++) {
        float u1, u2;
        if (mc > 0) u1 = rnd(), u2 = rnd();
        else u1 = ((float)(s % 32) + 0.5f) / 32, u2 = ((float)(s / 32) + 0.5f) / 32;
        float r = sqrtf(u1), ph = 6.2831853f * u2;
        float x = r * cosf(ph), y = r * sinf(ph), z = sqrtf(1 - u1);
        float d[3] = {x * t[0] + y * b[0] + z * n[0], x * t[1] + y * b[1] + z * n[1], x * t[2] + y * b[2] + z * n[2]};
        float o[3] = {p[0] + 1e-3f * n[0], p[1] + 1e-3f * n[1], p[2] + 1e-3f * n[2]};
        hit hh;
        if (!trace(o, d, &hh)) vis++;
    }
    return (float)vis / (float)N;
}

typedef struct px { float rgb[3], a, z, n[3], alb[3]; } px;

static int edge_scene = 0;
static void shade(float sx, float sy, int w, int h, int mc, px *out)
{
    if (edge_scene) { /* a slanted edge and a disc, 0.05 and 0.8: the simplest aliasing */
        float v = (sy - 0.5f * h) < 0.21f * (sx - 0.5f * w) ? 0.8f : 0.05f;
        float dx = sx - 0.3f * w, dy = sy - 0.35f * h;
        if (dx * dx + dy * dy < 0.04f * w * w) v = 0.6f - v * 0.5f;
        out->rgb[0] = out->rgb[1] = out->rgb[2] = v;
        out->a = 1, out->z = 5, out->n[0] = out->n[1] = 0, out->n[2] = -1;
        out->alb[0] = out->alb[1] = out->alb[2] = v;
        return;
    }
    const float eye[3] = {0, 1.6f, -6.5f};
    float f = 0.5f * (float)w / tanf(39.6f * 3.14159265f / 360);
    /* camera looking along +z, tilted down a little */
    float tilt = -0.12f, ct = cosf(tilt), st = sinf(tilt);
    float cx = (sx - 0.5f * (float)w) / f, cy = -(sy - 0.5f * (float)h) / f;
    float d0[3] = {cx, cy * ct + st, -cy * st + ct};
    float dl = sqrtf(dot3(d0, d0));
    float d[3] = {d0[0] / dl, d0[1] / dl, d0[2] / dl};
    float fwd[3] = {0, st, ct};
    hit hh;
    if (!trace(eye, d, &hh)) {
        float s = 0.5f + 0.5f * d[1];
        out->rgb[0] = 0.35f * s, out->rgb[1] = 0.5f * s, out->rgb[2] = 0.9f * s;
        out->a = 1, out->z = 1e10f;
        out->n[0] = out->n[1] = out->n[2] = 0;
        out->alb[0] = out->alb[1] = out->alb[2] = 0;
        return;
    }
    float p[3] = {eye[0] + hh.t * d[0], eye[1] + hh.t * d[1], eye[2] + hh.t * d[2]};
    out->z = hh.t * dot3(d, fwd);
    memcpy(out->n, hh.n, sizeof hh.n);
    memcpy(out->alb, hh.alb, sizeof hh.alb);
    out->a = 1;
    if (hh.emit > 0) {
        for (int k = 0; k < 3; k++) out->rgb[k] = hh.emit * hh.alb[k];
        return;
    }
    float ndl = dot3(hh.n, L), sun = 0;
    if (ndl > 0) {
        float o[3] = {p[0] + 1e-3f * hh.n[0], p[1] + 1e-3f * hh.n[1], p[2] + 1e-3f * hh.n[2]};
        hit sh;
        sun = trace(o, L, &sh) ? 0 : 3.0f * ndl;
    }
    float amb = 0.6f * sky(p, hh.n, mc);
    for (int k = 0; k < 3; k++) out->rgb[k] = hh.alb[k] * (sun + amb * (k == 2 ? 1.1f : 1));
}

static int cmd_scene(int argc, char **argv)
{
    if (argc < 6) return 2;
    const char *out = argv[2];
    int w = atoi(argv[3]), h = atoi(argv[4]), spp = atoi(argv[5]);
    const char *layout = argc > 6 ? argv[6] : "blender";
    int half = 0, mc = -1, bad = 0;
    for (int i = 7; i < argc; i++) {
        if (!strcmp(argv[i], "half")) half = 1;
        else if (!strncmp(argv[i], "mc=", 3)) mc = atoi(argv[i] + 3);
        else if (!strcmp(argv[i], "bad")) bad = 1;
        else if (!strcmp(argv[i], "edge")) edge_scene = 1;
        else if (!strcmp(argv[i], "notex")) no_texture = 1;
    }
    float ll = sqrtf(dot3(LDIR, LDIR));
    for (int k = 0; k < 3; k++) L[k] = LDIR[k] / ll;
    size_t n = (size_t)w * h;
    float *pl[16];
    for (int i = 0; i < 16; i++) pl[i] = calloc(n, sizeof(float));
    int g = (int)sqrtf((float)spp);
    if (g < 1) g = 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float acc[4] = {0, 0, 0, 0};
            px c;
            shade((float)x + 0.5f, (float)y + 0.5f, w, h, mc, &c); /* passes: the pixel centre */
            for (int j = 0; j < g; j++)
                for (int k = 0; k < g; k++) {
                    px s;
                    if (g == 1) s = c;
                    else shade((float)x + ((float)k + 0.5f) / g, (float)y + ((float)j + 0.5f) / g, w, h, mc, &s);
                    for (int m = 0; m < 3; m++) acc[m] += s.rgb[m];
                    acc[3] += s.a;
                }
            for (int m = 0; m < 4; m++) pl[m][i] = acc[m] / (float)(g * g);
            pl[4][i] = c.z;
            for (int m = 0; m < 3; m++) pl[5 + m][i] = c.n[m], pl[8 + m][i] = c.alb[m];
            pl[11][i] = 0, pl[12][i] = 0; /* motion: a still frame */
        }
    if (bad) { /* NaN and Inf pixels in the beauty, as a broken shader gives */
        for (int k = 0; k < 3; k++) {
            size_t i = (size_t)(h / 2 + k * 7) * w + (size_t)(w / 3 + k * 11);
            pl[0][i] = NAN, pl[1][i] = INFINITY, pl[2][i] = -INFINITY;
            pl[0][i + 1] = INFINITY;
        }
    }
    int rc;
    if (!strcmp(layout, "blender")) {
        const char *nm[] = {"ViewLayer.Combined.R", "ViewLayer.Combined.G", "ViewLayer.Combined.B",
                            "ViewLayer.Combined.A", "ViewLayer.Depth.Z", "ViewLayer.Normal.X",
                            "ViewLayer.Normal.Y", "ViewLayer.Normal.Z", "ViewLayer.DiffCol.R",
                            "ViewLayer.DiffCol.G", "ViewLayer.DiffCol.B", "ViewLayer.Vector.X",
                            "ViewLayer.Vector.Y", "ViewLayer.Vector.Z", "ViewLayer.Vector.W",
                            "ViewLayer.Emit.R"};
        rc = write_exr(out, w, h, 16, nm, pl, half);
    } else if (!strcmp(layout, "plain")) {
        const char *nm[] = {"R", "G", "B", "A"};
        rc = write_exr(out, w, h, 4, nm, pl, half);
    } else if (!strcmp(layout, "group")) { /* OUT is a stem: STEM.beauty.exr, STEM.depth.exr, ... */
        char p[1024];
        const char *rgb[] = {"R", "G", "B", "A"}, *zc[] = {"Z"};
        snprintf(p, sizeof p, "%s.beauty.exr", out);
        rc = write_exr(p, w, h, 4, rgb, pl, half);
        snprintf(p, sizeof p, "%s.depth.exr", out);
        rc |= write_exr(p, w, h, 1, zc, pl + 4, 0);
        snprintf(p, sizeof p, "%s.normal.exr", out);
        rc |= write_exr(p, w, h, 3, rgb, pl + 5, half);
        snprintf(p, sizeof p, "%s.albedo.exr", out);
        rc |= write_exr(p, w, h, 3, rgb, pl + 8, half);
    } else {
        return 2;
    }
    for (int i = 0; i < 16; i++) free(pl[i]);
    return rc;
}

/* ---- scores --------------------------------------------------------------------------------- */

static float enc(float v) /* sRGB, clamped */
{
    if (!(v > 0)) return 0;
    if (v >= 1) return 1;
    return v <= 0.0031308f ? 12.92f * v : 1.055f * powf(v, 1 / 2.4f) - 0.055f;
}

static float *luma_enc(const float *v, int w, int h)
{
    float *l = malloc((size_t)w * h * 4);
    for (size_t i = 0; i < (size_t)w * h; i++)
        l[i] = 0.2126f * enc(v[4 * i]) + 0.7152f * enc(v[4 * i + 1]) + 0.0722f * enc(v[4 * i + 2]);
    return l;
}

static double psnr(const float *a, const float *b, int w, int h)
{
    double se = 0;
    for (size_t i = 0; i < (size_t)w * h; i++)
        for (int k = 0; k < 3; k++) {
            double d = enc(a[4 * i + k]) - enc(b[4 * i + k]);
            se += d * d;
        }
    se /= 3.0 * w * h;
    return se > 0 ? 10 * log10(1 / se) : 99;
}

/* SSIM on encoded luma, 7x7 box windows, every pixel */
static double ssim(const float *a, const float *b, int w, int h)
{
    float *x = luma_enc(a, w, h), *y = luma_enc(b, w, h);
    const double C1 = 0.0001, C2 = 0.0009;
    double s = 0;
    int n = 0;
    for (int j = 3; j + 3 < h; j++)
        for (int i = 3; i + 3 < w; i++) {
            double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
            for (int v = -3; v <= 3; v++)
                for (int u = -3; u <= 3; u++) {
                    double p = x[(size_t)(j + v) * w + i + u], q = y[(size_t)(j + v) * w + i + u];
                    mx += p, my += q, xx += p * p, yy += q * q, xy += p * q;
                }
            mx /= 49, my /= 49, xx = xx / 49 - mx * mx, yy = yy / 49 - my * my, xy = xy / 49 - mx * my;
            s += ((2 * mx * my + C1) * (2 * xy + C2)) / ((mx * mx + my * my + C1) * (xx + yy + C2));
            n++;
        }
    free(x), free(y);
    return s / n;
}

/* sharpness: mean gradient magnitude of encoded luma */
static double sharpness(const float *a, int w, int h)
{
    float *l = luma_enc(a, w, h);
    double s = 0;
    for (int j = 0; j + 1 < h; j++)
        for (int i = 0; i + 1 < w; i++) {
            double gx = l[(size_t)j * w + i + 1] - l[(size_t)j * w + i], gy = l[(size_t)(j + 1) * w + i] - l[(size_t)j * w + i];
            s += sqrt(gx * gx + gy * gy);
        }
    free(l);
    return s / ((double)(w - 1) * (h - 1));
}

static float *blur(const float *a, int w, int h, double sigma)
{
    int R = (int)ceil(3 * sigma);
    if (R < 1) R = 1;
    double *k = malloc(sizeof(double) * (2 * R + 1)), ks = 0;
    for (int t = -R; t <= R; t++) ks += k[t + R] = exp(-0.5 * t * t / (sigma * sigma));
    float *t1 = malloc((size_t)w * h * 16), *o = malloc((size_t)w * h * 16);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 4; c++) {
                double s = 0;
                for (int t = -R; t <= R; t++) {
                    int xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;
                    s += k[t + R] * a[((size_t)y * w + xx) * 4 + c];
                }
                t1[((size_t)y * w + x) * 4 + c] = (float)(s / ks);
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 4; c++) {
                double s = 0;
                for (int t = -R; t <= R; t++) {
                    int yy = y + t < 0 ? 0 : y + t >= h ? h - 1 : y + t;
                    s += k[t + R] * t1[((size_t)yy * w + x) * 4 + c];
                }
                o[((size_t)y * w + x) * 4 + c] = (float)(s / ks);
            }
    free(t1), free(k);
    return o;
}

/* ---- a moving scene: frames of a sequence with motion vectors -------------------------------- */

/* A textured background (a checker, thin diagonal lines) panning by BG_V pixels a frame at depth
 * 10, and in front of it a disc at depth 4 with thin lines of its own moving by FG_V a frame, so
 * its trailing edge uncovers background it hid (disocclusion). Point-sampled, so a pixel's sample
 * sits on a different place of the texture every frame: what temporal AA gathers. */
static const float BG_V[2] = {0.37f, 0.13f}, FG_V[2] = {1.43f, 0.61f}, FG_R = 0.16f; /* x h */

static void fg_centre(int w, int h, int t, float *c)
{
    c[0] = 0.3f * w + FG_V[0] * t, c[1] = 0.42f * h + FG_V[1] * t;
}

/* colour, depth and motion at (sx, sy) of frame t; returns 1 on the disc */
static int seq_shade(float sx, float sy, int w, int h, int t, float *rgb, float *z, float *mv)
{
    float c[2];
    fg_centre(w, h, t, c);
    float dx = sx - c[0], dy = sy - c[1], R = FG_R * h;
    if (dx * dx + dy * dy < R * R) { /* the disc: orange with two thin dark lines through it */
        float u = dx * 0.8f + dy * 0.6f;
        int line = fabsf(u) < 0.45f || fabsf(dx - 0.5f * dy - 7.3f) < 0.35f;
        rgb[0] = line ? 0.05f : 0.9f, rgb[1] = line ? 0.04f : 0.45f, rgb[2] = line ? 0.03f : 0.12f;
        *z = 4, mv[0] = FG_V[0], mv[1] = FG_V[1];
        return 1;
    }
    float u = sx - BG_V[0] * t, v = sy - BG_V[1] * t; /* texture coordinates */
    int chk = ((int)floorf(u / 7.0f) + (int)floorf(v / 7.0f)) & 1;
    float val = chk ? 0.6f : 0.12f;
    float d = fmodf(u + 0.45f * v, 11.0f);
    if (d < 0) d += 11.0f;
    if (d < 0.4f) val = 1.5f; /* a thin bright line */
    rgb[0] = val * 0.9f, rgb[1] = val, rgb[2] = val * 1.1f;
    *z = 10, mv[0] = BG_V[0], mv[1] = BG_V[1];
    return 0;
}

/* rn_tool seq DIR W H FRAMES: DIR/f.NNNN.exr (1 sample, with depth.Z and motion.X/Y: how far each
 * pixel moved since the frame before, y down) and DIR/ref.NNNN.exr (8x8 samples) */
static int cmd_seq(int argc, char **argv)
{
    if (argc < 6) return 2;
    int w = atoi(argv[3]), h = atoi(argv[4]), nf = atoi(argv[5]);
    size_t n = (size_t)w * h;
    float *pl[7];
    for (int i = 0; i < 7; i++) pl[i] = calloc(n, sizeof(float));
    int rc = 0;
    for (int t = 1; t <= nf && !rc; t++) {
        for (int ss = 0; ss < 2; ss++) {
            int g = ss ? 8 : 1;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    float acc[3] = {0, 0, 0}, rgb[3], z, mv[2];
                    for (int j = 0; j < g; j++)
                        for (int k = 0; k < g; k++) {
                            seq_shade((float)x + ((float)k + 0.5f) / g, (float)y + ((float)j + 0.5f) / g,
                                      w, h, t, rgb, &z, mv);
                            for (int m = 0; m < 3; m++) acc[m] += rgb[m];
                        }
                    for (int m = 0; m < 3; m++) pl[m][i] = acc[m] / (float)(g * g);
                    pl[3][i] = 1;
                    seq_shade((float)x + 0.5f, (float)y + 0.5f, w, h, t, rgb, &z, mv);
                    pl[4][i] = z, pl[5][i] = mv[0], pl[6][i] = mv[1];
                }
            char path[1024];
            snprintf(path, sizeof path, "%s/%s.%04d.exr", argv[2], ss ? "ref" : "f", t);
            const char *nm[] = {"R", "G", "B", "A", "depth.Z", "motion.X", "motion.Y"};
            rc |= write_exr(path, w, h, ss ? 4 : 7, nm, pl, 0);
        }
    }
    for (int i = 0; i < 7; i++) free(pl[i]);
    return rc;
}

/* rn_tool seqscore W H T OUT.exr REF.exr: PSNR and SSIM of the frame; then on the disc's trail
 * (pixels more than 1.5 pixels clear of the disc in frame T that it covered in any of the four
 * frames before: where a ghost would be) the mean absolute error (encoded), the ghost (how much
 * more orange than the reference the pixels are: the mean of (R - B) - (R - B)ref, linear; the
 * disc is +0.78, the background -0.1 v) and the pixel count */
static int cmd_seqscore(int argc, char **argv)
{
    if (argc != 7) return 2;
    int W = atoi(argv[2]), H = atoi(argv[3]), t = atoi(argv[4]), w, h, w2, h2;
    float *a = read_exr(argv[5], &w, &h), *b = read_exr(argv[6], &w2, &h2);
    if (w != W || h != H || w2 != W || h2 != H) return 3;
    double se = 0, ghost = 0;
    long cnt = 0;
    float rgb[3], z, mv[2], c[2];
    fg_centre(w, h, t, c);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float dx = (float)x + 0.5f - c[0], dy = (float)y + 0.5f - c[1];
            if (sqrtf(dx * dx + dy * dy) < FG_R * h + 1.5f) continue;
            int before = 0;
            for (int j = 0; j < 4; j++)
                for (int k = 0; k < 4; k++) {
                    float sx = (float)x + ((float)k + 0.5f) / 4, sy = (float)y + ((float)j + 0.5f) / 4;
                    for (int p = 1; p <= 4 && t - p >= 1; p++) before |= seq_shade(sx, sy, w, h, t - p, rgb, &z, mv);
                }
            if (!before) continue;
            const float *p = a + ((size_t)y * w + x) * 4, *q = b + ((size_t)y * w + x) * 4;
            for (int k = 0; k < 3; k++) se += fabs(enc(p[k]) - enc(q[k]));
            ghost += (p[0] - p[2]) - (q[0] - q[2]);
            cnt++;
        }
    printf("%.4f %.5f %.5f %.5f %ld\n", psnr(a, b, w, h), ssim(a, b, w, h), cnt ? se / (3.0 * cnt) : 0,
           cnt ? ghost / cnt : 0, cnt);
    free(a), free(b);
    return 0;
}

/* ---- AO against Cycles ---------------------------------------------------------------------- */

typedef struct corr_acc {
    double n, sa, sb, saa, sbb, sab, sad;
} corr_acc;

static void corr_add(corr_acc *a, double x, double y)
{
    a->n++, a->sa += x, a->sb += y, a->saa += x * x, a->sbb += y * y, a->sab += x * y;
    a->sad += fabs(x - y);
}

static void corr_print(const char *what, const corr_acc *a)
{
    double n = a->n > 0 ? a->n : 1, ma = a->sa / n, mb = a->sb / n;
    double va = a->saa / n - ma * ma, vb = a->sbb / n - mb * mb, cv = a->sab / n - ma * mb;
    printf("%s pixels %.0f cycles_mean %.4f polish_mean %.4f mae %.4f corr %.4f\n", what, a->n, ma,
           mb, a->sad / n, va > 0 && vb > 0 ? cv / sqrt(va * vb) : 0);
}

/* rn_tool aocompare CYCLES.exr POLISH.exr: Cycles' AO pass (ViewLayer.AO.R) against polish's AO
 * (the R channel of a frame whose beauty was 1 before `render ao --strength 1`): correlation and
 * mean absolute error over the geometry, on the floor near contacts (world normal up, Cycles
 * below 0.9) and on open floor (Cycles above 0.98) */
static int cmd_aocompare(int argc, char **argv)
{
    if (argc != 4) return 2;
    int w, h, w2, h2;
    float *ao = read_channel(argv[2], "ViewLayer.AO.R", &w, &h);
    float *z = read_channel(argv[2], "ViewLayer.Depth.Z", &w, &h);
    float *nz = read_channel(argv[2], "ViewLayer.Normal.Z", &w, &h);
    float *po = read_channel(argv[3], "R", &w2, &h2);
    if (!ao || !z || !nz || !po || w != w2 || h != h2) return 3;
    corr_acc all = {0}, contact = {0}, open = {0};
    for (size_t i = 0; i < (size_t)w * h; i++) {
        if (!(z[i] < 1e9f)) continue; /* the sky */
        corr_add(&all, ao[i], po[i]);
        if (nz[i] > 0.99f && ao[i] < 0.9f) corr_add(&contact, ao[i], po[i]);
        if (nz[i] > 0.99f && ao[i] > 0.98f) corr_add(&open, ao[i], po[i]);
    }
    corr_print("all", &all);
    corr_print("floor_contact", &contact);
    corr_print("floor_open", &open);
    free(ao), free(z), free(nz), free(po);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "aocompare")) return cmd_aocompare(argc, argv);
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "scene")) return cmd_scene(argc, argv);
    if (!strcmp(argv[1], "seq")) return cmd_seq(argc, argv);
    if (!strcmp(argv[1], "seqscore")) return cmd_seqscore(argc, argv);
    int w, h, w2, h2;
    if (!strcmp(argv[1], "compare") && argc == 4) { /* psnr ssim maxdiff */
        float *a = read_exr(argv[2], &w, &h), *b = read_exr(argv[3], &w2, &h2);
        if (w != w2 || h != h2) return 3;
        double md = 0;
        for (size_t i = 0; i < (size_t)w * h * 4; i++) {
            if ((i & 3) == 3) continue;
            double d = fabs((double)a[i] - b[i]);
            if (!(d <= md)) md = d;
        }
        printf("%.4f %.5f %.3g\n", psnr(a, b, w, h), ssim(a, b, w, h), md);
        free(a), free(b);
        return 0;
    }
    if (!strcmp(argv[1], "blurmatch") && argc == 5) {
        /* aliased, aa, reference: the blur of the aliased frame as sharp as the AA result */
        float *al = read_exr(argv[2], &w, &h), *aa = read_exr(argv[3], &w2, &h2), *ref = read_exr(argv[4], &w2, &h2);
        double target = sharpness(aa, w, h), lo = 0.05, hi = 3;
        for (int it = 0; it < 20; it++) {
            double mid = 0.5 * (lo + hi);
            float *b = blur(al, w, h, mid);
            double s = sharpness(b, w, h);
            free(b);
            if (s > target) lo = mid;
            else hi = mid;
        }
        double sg = 0.5 * (lo + hi);
        float *b = blur(al, w, h, sg);
        printf("%.4f %.5f %.4f %.5f %.4f %.5f %.3f %.5f %.5f\n", psnr(aa, ref, w, h), ssim(aa, ref, w, h),
               psnr(b, ref, w, h), ssim(b, ref, w, h), psnr(al, ref, w, h), ssim(al, ref, w, h), sg,
               target, sharpness(b, w, h));
        free(al), free(aa), free(ref), free(b);
        return 0;
    }
    if (!strcmp(argv[1], "stats") && argc == 3) { /* nonfinite min max luma_sum */
        float *a = read_exr(argv[2], &w, &h);
        long bad = 0;
        double mn = 1e30, mx = -1e30, s = 0;
        for (size_t i = 0; i < (size_t)w * h; i++) {
            for (int k = 0; k < 4; k++) {
                float v = a[4 * i + k];
                if (!isfinite(v)) { bad++; continue; }
                if (k < 3) mn = v < mn ? v : mn, mx = v > mx ? v : mx;
            }
            s += 0.2126 * a[4 * i] + 0.7152 * a[4 * i + 1] + 0.0722 * a[4 * i + 2];
        }
        printf("%ld %.6g %.6g %.8g\n", bad, mn, mx, s);
        free(a);
        return 0;
    }
    if (!strcmp(argv[1], "pixel") && argc == 5) { /* R G B A at x y */
        float *a = read_exr(argv[2], &w, &h);
        int x = atoi(argv[3]), y = atoi(argv[4]);
        const float *p = a + ((size_t)y * w + x) * 4;
        printf("%.6g %.6g %.6g %.6g\n", p[0], p[1], p[2], p[3]);
        free(a);
        return 0;
    }
    if (!strcmp(argv[1], "region") && argc == 7) { /* mean luma of x0 y0 x1 y1 */
        float *a = read_exr(argv[2], &w, &h);
        int x0 = atoi(argv[3]), y0 = atoi(argv[4]), x1 = atoi(argv[5]), y1 = atoi(argv[6]);
        double s = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                const float *p = a + ((size_t)y * w + x) * 4;
                s += 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            }
        printf("%.6g\n", s / ((double)(x1 - x0) * (y1 - y0)));
        free(a);
        return 0;
    }
    return 2;
}
