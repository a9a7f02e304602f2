/* polish — the render domain: recognise EXR and Radiance HDR by content (PNG/TIFF/JPEG only when
 * a render op names the file), load single files and groups of pass files, save display-referred
 * PNG/JPEG/TIFF or scene-referred EXR/HDR, inspect passes and ranges. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "image/image.h"
#include "image/image_io.h"
#include "render/render.h"

/* PNG, TIFF and JPEG are listed so a file named to a render op is read here; automatic routing
 * gives them to the image domain (it recognises them with more confidence). */
static const char *const extensions[] = {"exr", "hdr", "pic", "png", "tif", "tiff", "jpg", "jpeg", NULL};

static int sniff(const unsigned char *head, size_t n, const char *path)
{
    (void)path;
    if (pol__exr_sniff(head, n) || pol__hdr_sniff(head, n)) return 95;
    const char *f = pol__image_sniff_format(head, n);
    if (f && (!strcmp(f, "png") || !strcmp(f, "tiff") || !strcmp(f, "jpeg"))) return 10;
    return 0;
}

/* 8/16-bit pictures: sRGB-encoded values to linear light, alpha premultiplied. */
static pol_status load_picture(pol_run *run, const char *path, const char *fmt, pol__render **out)
{
    pol__image_load_opts o = {.shrink = 1, .lenient = 0, .limits = &run->opt->limits};
    pol__image *im = NULL;
    pol_status st = !strcmp(fmt, "png")    ? pol__png_load(run, path, &o, &im)
                    : !strcmp(fmt, "tiff") ? pol__tiff_load(run, path, &o, &im)
                                           : pol__jpeg_load(run, path, &o, &im);
    if (st) return st;
    if (im->orientation > 1) pol__image_orient(run, im);
    pol__render *r = NULL;
    if ((st = pol__mem_reserve(run, (uint64_t)im->width * im->height * 16, "a linear frame")) ||
        !(r = pol__render_new(im->width, im->height))) {
        pol__image_free(im);
        return st ? st : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    int ch = im->channels;
    size_t n = (size_t)im->width * im->height;
    for (size_t i = 0; i < n; i++) {
        const float *s = im->px + i * ch;
        float *d = r->rgba + 4 * i;
        float a = ch == 2 || ch == 4 ? s[ch - 1] : 1.0f;
        for (int k = 0; k < 3; k++) d[k] = pol__rn_srgb_decode(ch >= 3 ? s[k] : s[0]) * a;
        d[3] = a;
    }
    r->has_alpha = ch == 2 || ch == 4;
    r->src_bits = im->bit_depth;
    snprintf(r->src_format, sizeof r->src_format, "%s", fmt);
    snprintf(r->beauty_src, sizeof r->beauty_src, "%s (sRGB, decoded to linear)", fmt);
    pol__image_free(im);
    *out = r;
    return POL_OK;
}

static pol_status read_head(pol_run *run, const char *path, unsigned char *head, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open");
    *n = fread(head, 1, 64, fp);
    fclose(fp);
    return POL_OK;
}

static pol_status load_file(pol_run *run, const char *path, int want_beauty, pol__render **out)
{
    unsigned char head[64];
    size_t n = 0;
    pol_status st = read_head(run, path, head, &n);
    if (st) return st;
    if (pol__exr_sniff(head, n)) return pol__exr_read(run, path, want_beauty, out);
    if (pol__hdr_sniff(head, n)) return pol__hdr_read(run, path, out);
    const char *f = pol__image_sniff_format(head, n);
    if (f && (!strcmp(f, "png") || !strcmp(f, "tiff") || !strcmp(f, "jpeg")))
        return load_picture(run, path, f, out);
    return pol__fail(run, POL_ERR_FORMAT, "not a render frame: expected OpenEXR, Radiance HDR, "
                     "PNG, TIFF or JPEG");
}

static void describe_passes(pol_run *run, pol__render *r, int say)
{
    char found[400] = "";
    size_t k = 0;
    k += (size_t)snprintf(found + k, sizeof found - k, "beauty (%s)", r->beauty_src);
    for (int p = 0; p < POL_RP_COUNT && k < sizeof found; p++)
        if (r->pass[p])
            k += (size_t)snprintf(found + k, sizeof found - k, ", %s (%s)", pol__rp_name(p),
                                  r->pass_src[p]);
    pol__measure_str(run, "passes", found);
    if (*r->ignored) pol__measure_str(run, "passes_ignored", r->ignored);
    /* said on the command line too: which passes the steps can use decides what they do */
    if (say && run->item)
        pol__warn(run, "passes found: %s%s%s", found, *r->ignored ? "; not used: " : "", r->ignored);
}

static pol_status finish(pol_run *run, pol__render *r, const char *path, pol_asset **out)
{
    long long nan = 0, inf = 0;
    long long bad = pol__render_repair(run, r, &nan, &inf);
    if (bad < 0) {
        pol__render_free(r);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    r->bad_in = bad, r->nan_in = nan, r->inf_in = inf;
    if (bad && run->item)
        pol__warn(run, "%lld NaN and %lld Inf samples in %lld pixels replaced by the mean of their "
                  "finite neighbours, so no step spreads them", nan, inf, bad);
    describe_passes(run, r, 1);
    pol__render_keep_before(run, r);
    *out = pol__asset_new(&pol__render_domain, r, path);
    if (!*out) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    pol__render *r = NULL;
    pol_status st = load_file(run, path, 1, &r);
    if (st) return st;
    return finish(run, r, path, out);
}

/* The role a file of a group plays, from the word before its extension ("frame.0001.depth.exr"). */
static int role_of(const char *path)
{
    const char *b = pol__path_base(path);
    const char *e = strrchr(b, '.');
    if (!e) return -2;
    const char *s = e;
    while (s > b && s[-1] != '.') s--;
    size_t n = (size_t)(e - s);
    char w[32];
    if (n == 0 || n >= sizeof w) return -2;
    memcpy(w, s, n);
    w[n] = '\0';
    static const struct { const char *w; int role; } t[] = {
        {"beauty", -1}, {"combined", -1}, {"rgba", -1}, {"color", -1}, {"colour", -1},
        {"image", -1}, {"main", -1}, {"depth", POL_RP_DEPTH}, {"z", POL_RP_DEPTH},
        {"zdepth", POL_RP_DEPTH}, {"normal", POL_RP_NORMAL}, {"normals", POL_RP_NORMAL},
        {"n", POL_RP_NORMAL}, {"albedo", POL_RP_ALBEDO}, {"diffcol", POL_RP_ALBEDO},
        {"basecolor", POL_RP_ALBEDO}, {"motion", POL_RP_MOTION}, {"vector", POL_RP_MOTION},
        {"velocity", POL_RP_MOTION}, {"mv", POL_RP_MOTION}, {"ao", POL_RP_AO},
        {"occlusion", POL_RP_AO},
    };
    for (size_t i = 0; i < POL_ARRAY_LEN(t); i++)
        if (!strcasecmp(w, t[i].w)) return t[i].role;
    return -2;
}

static pol_status load_group(pol_run *run, const char *const *paths, size_t n, pol_asset **out)
{
    *out = NULL;
    pol__render *base = NULL;
    pol__render **f = calloc(n, sizeof *f);
    int *role = calloc(n, sizeof *role);
    pol_status st = f && role ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        role[i] = role_of(paths[i]);
        if ((st = load_file(run, paths[i], role[i] == -1, &f[i]))) break;
    }
    /* the beauty: the file named so, else the first that has one, else the first */
    size_t bi = n;
    for (size_t i = 0; i < n && !st && bi == n; i++)
        if (role[i] == -1) bi = i;
    for (size_t i = 0; i < n && !st && bi == n; i++)
        if (role[i] == -2 && *f[i]->beauty_src) bi = i;
    if (!st && bi == n)
        st = pol__fail(run, POL_ERR_FORMAT, "the group %s ... has no beauty file (name one "
                       "NAME.beauty.exr or give a file with R, G, B channels)", paths[0]);
    if (!st) {
        base = f[bi];
        f[bi] = NULL;
        if (!*base->beauty_src)
            st = pol__fail(run, POL_ERR_FORMAT, "%s: no beauty channels (R, G, B or Combined)",
                           paths[bi]);
    }
    for (size_t i = 0; i < n && !st; i++) {
        pol__render *x = f[i];
        if (!x) continue;
        if (x->w != base->w || x->h != base->h) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s is %dx%d but the beauty is %dx%d", paths[i],
                           x->w, x->h, base->w, base->h);
            break;
        }
        const char *fb = pol__path_base(paths[i]);
        for (int p = 0; p < POL_RP_COUNT; p++) /* passes the file names itself */
            if (x->pass[p] && !base->pass[p]) {
                base->pass[p] = x->pass[p];
                x->pass[p] = NULL;
                snprintf(base->pass_src[p], sizeof base->pass_src[p], "%.30s:%.30s", fb, x->pass_src[p]);
            }
        int p = role[i];
        if (p >= 0 && !base->pass[p] && *x->beauty_src) { /* a pass written as plain R, G, B */
            if (!pol__render_add_pass(base, p)) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            int c = pol__rp_channels(p);
            size_t np = (size_t)base->w * base->h;
            for (size_t k = 0; k < np; k++)
                for (int j = 0; j < c; j++) base->pass[p][k * c + j] = x->rgba[4 * k + j];
            snprintf(base->pass_src[p], sizeof base->pass_src[p], "%.60s", fb);
        } else if (p >= 0 && !base->pass[p]) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s should hold the %s pass but has no channels "
                           "that give it", paths[i], pol__rp_name(p));
        }
    }
    for (size_t i = 0; i < n && f; i++) pol__render_free(f[i]);
    free(f);
    free(role);
    if (st) {
        pol__render_free(base);
        return st;
    }
    return finish(run, base, paths[0], out);
}

/* ---- saving --------------------------------------------------------------------------------- */

static const char *format_for(const pol__render *r, const char *path)
{
    if (*r->save_format) return r->save_format;
    const char *e = pol__path_ext(path);
    if (!strcasecmp(e, "exr")) return "exr";
    if (!strcasecmp(e, "hdr") || !strcasecmp(e, "pic")) return "hdr";
    if (!strcasecmp(e, "tif") || !strcasecmp(e, "tiff")) return "tiff";
    if (!strcasecmp(e, "jpg") || !strcasecmp(e, "jpeg")) return "jpeg";
    return "png";
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    pol__render *r = pol__render_get(run, a);
    const char *fmt = format_for(r, path);
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    if (!strcmp(fmt, "exr")) {
        int fl = r->save_float >= 0 ? r->save_float : !r->src_half && !strcmp(r->src_format, "exr");
        fflush(of.fp);
        st = pol__exr_write(run, r, of.fd, fl);
        if (!st && fseeko(of.fp, 0, SEEK_END)) st = pol__fail(run, POL_ERR_IO, "seek failed");
    } else if (!strcmp(fmt, "hdr")) {
        st = pol__hdr_write(run, r, of.fp);
    } else {
        int ch = 3;
        float *px = pol__render_display(run, r, &ch);
        pol__image *im = px ? pol__image_new(1, 1, ch) : NULL;
        if (!im) {
            pol__image_free_px(px);
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        } else {
            pol__image_replace_px(im, px, r->w, r->h, ch);
            if (!strcmp(fmt, "jpeg") && ch == 4) { /* JPEG has no alpha: over black, premultiplied */
                pol__image *c3 = pol__image_with_channels(im, 3);
                if (c3 != im) pol__image_free(im);
                im = c3;
            }
            pol__image_save sv;
            memset(&sv, 0, sizeof sv);
            sv.bit_depth = r->save_bits ? r->save_bits
                           : (!strcmp(r->src_format, "png") || !strcmp(r->src_format, "tiff")) &&
                                     r->src_bits == 16 ? 16 : 8;
            if (!strcmp(fmt, "jpeg")) sv.bit_depth = 8;
            sv.quality = r->save_quality ? r->save_quality : 92;
            im->bit_depth = sv.bit_depth;
            snprintf(sv.format, sizeof sv.format, "%s", fmt);
            pol__meta_out m;
            memset(&m, 0, sizeof m);
            if (!im) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            else if (!strcmp(fmt, "png")) st = pol__png_save(run, im, &sv, &m, of.fp);
            else if (!strcmp(fmt, "tiff")) st = pol__tiff_save(run, im, &sv, &m, of.fp);
            else st = pol__jpeg_save(run, im, &sv, &m, of.fp);
            pol__image_free(im);
            if (!st && run->item && !r->display)
                pol__jv_set(run->item, "view", pol__jv_str("sRGB transfer, no tone map (values "
                                                           "above 1 clipped)"));
            else if (!st && run->item)
                pol__jv_set(run->item, "view", pol__jv_str(r->view));
        }
    }
    if (!st) st = pol__out_commit(run, &of);
    pol__out_abort(&of);
    return st;
}

static const char *out_ext(pol_asset *a)
{
    pol__render *r = pol__render_of(a);
    if (*r->save_format) return !strcmp(r->save_format, "jpeg") ? "jpg" : !strcmp(r->save_format, "tiff") ? "tif" : r->save_format;
    if (r->display) return "png"; /* a view transform ran: display-referred */
    return NULL;
}

/* ---- inspect -------------------------------------------------------------------------------- */

static void range_of(pol_run *run, const char *name, const float *v, size_t n, int ch, int skip_alpha)
{
    pol__jv *o = pol__jv_obj();
    pol__jv *mn = pol__jv_arr(), *mx = pol__jv_arr(), *mean = pol__jv_arr();
    for (int k = 0; k < ch; k++) {
        if (skip_alpha && k == 3) continue;
        double lo = INFINITY, hi = -INFINITY, s = 0;
        for (size_t i = 0; i < n; i++) {
            float x = v[i * ch + k];
            lo = x < lo ? x : lo, hi = x > hi ? x : hi, s += x;
        }
        pol__jv_push(mn, pol__jv_num(lo));
        pol__jv_push(mx, pol__jv_num(hi));
        pol__jv_push(mean, pol__jv_num(n ? s / (double)n : 0));
    }
    pol__jv_set(o, "min", mn);
    pol__jv_set(o, "max", mx);
    pol__jv_set(o, "mean", mean);
    pol__measure_jv(run, name, o);
}

static pol_status inspect(pol_run *run, pol_asset *a)
{
    pol__render *r = pol__render_get(run, a);
    size_t n = (size_t)r->w * r->h;
    pol__measure_str(run, "format", r->src_format);
    pol__measure_int(run, "width", r->w);
    pol__measure_int(run, "height", r->h);
    if (!strcmp(r->src_format, "exr")) pol__measure_str(run, "sample_type", r->src_half ? "half" : "float");
    pol__measure_bool(run, "alpha", r->has_alpha);
    describe_passes(run, r, 0);
    pol__jv *pl = pol__jv_arr();
    pol__jv_push(pl, pol__jv_str("beauty"));
    for (int p = 0; p < POL_RP_COUNT; p++)
        if (r->pass[p]) pol__jv_push(pl, pol__jv_str(pol__rp_name(p)));
    pol__measure_jv(run, "passes_found", pl);
    pol__measure_int(run, "nan", r->nan_in);
    pol__measure_int(run, "inf", r->inf_in);
    pol__measure_int(run, "bad_pixels", r->bad_in);
    range_of(run, "beauty_range", r->rgba, n, 4, 0);
    size_t over = 0;
    for (size_t i = 0; i < n; i++) over += pol__rn_luma(r->rgba + 4 * i) > 1.0f;
    pol__measure(run, "above_1_fraction", (double)over / (double)n);
    for (int p = 0; p < POL_RP_COUNT; p++)
        if (r->pass[p]) {
            char key[32];
            snprintf(key, sizeof key, "%s_range", pol__rp_name(p));
            range_of(run, key, r->pass[p], n, pol__rp_channels(p), 0);
        }
    return POL_OK;
}

static pol_status thumbnail(pol_run *run, pol_asset *a, int max_dim, unsigned char **jpeg, size_t *len)
{
    pol__render *r = pol__render_get(run, a);
    int ch;
    float *px = pol__render_display(run, r, &ch);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__image full = {.width = r->w, .height = r->h, .channels = ch, .px = px};
    pol__image *c3 = pol__image_with_channels(&full, 3);
    int m = r->w > r->h ? r->w : r->h, ow = r->w, oh = r->h;
    if (m > max_dim) ow = r->w * max_dim / m, oh = r->h * max_dim / m;
    ow = ow < 1 ? 1 : ow, oh = oh < 1 ? 1 : oh;
    float *sm = c3 ? pol__resample(run, c3, ow, oh, POL_KERNEL_LINEAR) : NULL;
    pol_status st;
    if (sm) {
        pol__image small = {.width = ow, .height = oh, .channels = 3, .px = sm};
        st = pol__jpeg_encode_mem(run, &small, 80, jpeg, len);
        pol__image_free_px(sm);
    } else {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (c3 && c3 != &full) pol__image_free(c3);
    pol__image_free_px(px);
    return st;
}

static const char *const auto_steps[] = {"ao", "aa", "bloom", "tonemap", NULL};

const pol__domain pol__render_domain = {
    .name = "render",
    .summary = "Rendered frames and their passes (OpenEXR, Radiance HDR): AO, AA, bloom, tone map, grade",
    .ops = pol__render_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .thumbnail = thumbnail,
    .data_free = pol__render_free,
    .data_clone = pol__render_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .load_group = load_group,
    .sequences = 1, /* numbered frames run in order: aa's temporal mode reads the frame before */
};
