/* polish — OpenEXR through OpenEXRCore (the C API of OpenEXR 3): every part and channel read, the
 * channels sorted into beauty and passes by their names; written as one scanline part. */
#include <openexr.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "render/render.h"

int pol__exr_sniff(const unsigned char *h, size_t n)
{
    return n >= 4 && h[0] == 0x76 && h[1] == 0x2f && h[2] == 0x31 && h[3] == 0x01;
}

static void quiet(exr_const_context_t c, exr_result_t code, const char *msg)
{
    (void)c, (void)code, (void)msg; /* errors are reported by the caller with their codes */
}

/* ---- channel names -------------------------------------------------------------------------- */

/* What a channel is: -1 beauty, POL_RP_* a pass, -2 something else; *comp its component index. */
typedef struct chan_map {
    int part;
    const char *name;  /* the channel's name inside the part */
    char prefix[128];  /* part name + layer/pass, without the component */
    int kind, comp;
    int type;          /* EXR_PIXEL_* */
} chan_map;

enum { COMP_LUMA = 4 }; /* a beauty's Y: its grey when it has no R, G or B (resolve_luma) */

static int comp_of(const char *c, int kind)
{
    if (kind == POL_RP_DEPTH || kind == POL_RP_AO) /* one channel, however it is named */
        return (!strcasecmp(c, "Z") || !strcasecmp(c, "R") || !strcasecmp(c, "V") ||
                !strcasecmp(c, "Y") || !strcasecmp(c, "L") || !strcasecmp(c, "X") ||
                !strcasecmp(c, "depth") || !strcasecmp(c, "distance")) ? 0 : -1;
    if (kind == -1) { /* colour: R, G, B, A; Y is luminance, read only where there is no colour */
        if (!strcasecmp(c, "R") || !strcasecmp(c, "red")) return 0;
        if (!strcasecmp(c, "G") || !strcasecmp(c, "green")) return 1;
        if (!strcasecmp(c, "B") || !strcasecmp(c, "blue")) return 2;
        if (!strcasecmp(c, "A") || !strcasecmp(c, "alpha")) return 3;
        return !strcasecmp(c, "Y") ? COMP_LUMA : -1;
    }
    if (!strcasecmp(c, "R") || !strcasecmp(c, "X") || !strcasecmp(c, "red")) return 0;
    if (!strcasecmp(c, "G") || !strcasecmp(c, "Y") || !strcasecmp(c, "green")) return 1;
    if (!strcasecmp(c, "B") || !strcasecmp(c, "Z") || !strcasecmp(c, "blue")) return 2;
    if (!strcasecmp(c, "A") || !strcasecmp(c, "alpha")) return 9;
    if (!strcasecmp(c, "W")) return 9; /* Blender's Vector.W (motion to the next frame) */
    return -1;
}

static int name_is(const char *pass, const char *const *list)
{
    for (; *list; list++)
        if (!strcasecmp(pass, *list)) return 1;
    return 0;
}

/* Sorts one channel by its pass name (the component before the last dot). */
static void classify(chan_map *m)
{
    static const char *const beauty[] = {"", "Combined", "rgba", "beauty", "Image", "color",
                                         "colour", "main", "rgb", NULL};
    static const char *const depth[] = {"Depth", "Z", "depth", "zdepth", "Z_depth", "P_z",
                                        "distance", NULL};
    static const char *const normal[] = {"Normal", "N", "normals", "nrm", "Denoising Normal",
                                         "normal_world", NULL};
    static const char *const albedo[] = {"DiffCol", "Denoising Albedo", "albedo", "diffuse_color",
                                         "basecolor", "base_color", "diffuse_albedo", NULL};
    static const char *const motion[] = {"Vector", "motion", "velocity", "mv", "motionvector",
                                         "motion_vectors", NULL};
    static const char *const ao[] = {"AO", "occlusion", "ambient_occlusion", NULL};
    const char *dot = strrchr(m->prefix, '.');
    char chan[64];
    /* prefix holds the full name for now: split off the component */
    if (dot) {
        snprintf(chan, sizeof chan, "%s", dot + 1);
        m->prefix[dot - m->prefix] = '\0';
    } else {
        snprintf(chan, sizeof chan, "%.60s", m->prefix);
        m->prefix[0] = '\0';
    }
    const char *pd = strrchr(m->prefix, '.');
    const char *pass = pd ? pd + 1 : m->prefix;
    m->kind = -2;
    m->comp = -1;
    if (!*m->prefix && (!strcasecmp(chan, "Z") || !strcasecmp(chan, "depth"))) {
        m->kind = POL_RP_DEPTH;
        m->comp = 0;
        snprintf(m->prefix, sizeof m->prefix, "Z");
        return;
    }
    if (name_is(pass, beauty)) m->kind = -1;
    else if (name_is(pass, depth)) m->kind = POL_RP_DEPTH;
    else if (name_is(pass, normal)) m->kind = POL_RP_NORMAL;
    else if (name_is(pass, albedo)) m->kind = POL_RP_ALBEDO;
    else if (name_is(pass, motion)) m->kind = POL_RP_MOTION;
    else if (name_is(pass, ao)) m->kind = POL_RP_AO;
    if (m->kind == -2) return;
    m->comp = comp_of(chan, m->kind);
    if (m->comp < 0) m->kind = -2;                          /* unknown component: not used */
    else if (m->kind >= 0 && m->comp >= pol__rp_channels(m->kind)) m->kind = -4; /* extra */
    else if (m->kind == -1 && m->comp > 3 && m->comp != COMP_LUMA) m->kind = -4;
}

/* A beauty's luminance channel: its grey when its layer has no R, G or B (it is then read as
 * R and copied into G and B), else an extra channel beside the colour, not used (an RGB file
 * with a Y had its G replaced by Y). */
static void resolve_luma(chan_map *maps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        chan_map *y = &maps[i];
        if (y->kind != -1 || y->comp != COMP_LUMA) continue;
        int colour = 0;
        for (size_t j = 0; j < n && !colour; j++)
            colour = maps[j].kind == -1 && maps[j].comp <= 2 && maps[j].part == y->part &&
                     !strcmp(maps[j].prefix, y->prefix);
        if (colour) { /* named in the report's "not used" */
            y->kind = -2;
            snprintf(y->prefix, sizeof y->prefix, "%s", y->name);
        } else
            y->comp = 0;
    }
}

/* ---- reading -------------------------------------------------------------------------------- */

typedef struct part_info {
    int storage;
    exr_attr_box2i_t dw;
    int32_t chunks;
    int32_t lines;           /* scanlines per chunk */
    uint32_t tx, ty;         /* tile size */
    int tiles_x, tiles_y;
} part_info;

typedef struct read_ctx {
    pol_run *run;
    exr_context_t ex;
    int part;
    const part_info *pi;
    int w, h, x0, y0;
    chan_map *maps;
    size_t n_maps;
    float *dst[POL_RP_COUNT + 1]; /* [0] beauty (4 ch), [1 + p] pass p */
    int dst_ch[POL_RP_COUNT + 1];
    exr_result_t err;
    int err_y;
} read_ctx;

static float **dst_of(read_ctx *c, int kind, int *ch)
{
    int k = kind == -1 ? 0 : kind + 1;
    *ch = c->dst_ch[k];
    return &c->dst[k];
}

static void decode_chunks(void *user, size_t b, size_t e)
{
    read_ctx *c = user;
    exr_decode_pipeline_t dec = EXR_DECODE_PIPELINE_INITIALIZER;
    int inited = 0;
    float *scratch = NULL;
    size_t scratch_n = 0;
    for (size_t k = b; k < e && !c->err; k++) {
        exr_chunk_info_t ci;
        exr_result_t rv;
        int sx = 0, sy = 0;
        if (c->pi->storage == EXR_STORAGE_TILED) {
            int tx = (int)(k % (size_t)c->pi->tiles_x), ty = (int)(k / (size_t)c->pi->tiles_x);
            rv = exr_read_tile_chunk_info(c->ex, c->part, tx, ty, 0, 0, &ci);
            /* a tile's start is given as tile indices: in pixels */
            sx = c->x0 + tx * (int)c->pi->tx;
            sy = c->y0 + ty * (int)c->pi->ty;
        } else {
            rv = exr_read_scanline_chunk_info(c->ex, c->part,
                                              c->pi->dw.min.y + (int)k * c->pi->lines, &ci);
            sx = ci.start_x, sy = ci.start_y;
        }
        if (!rv) rv = inited ? exr_decoding_update(c->ex, c->part, &ci, &dec)
                             : exr_decoding_initialize(c->ex, c->part, &ci, &dec);
        if (rv) {
            c->err = rv;
            c->err_y = c->pi->dw.min.y + (int)k * c->pi->lines;
            break;
        }
        /* each channel decoded to a plane of its own, then scattered: OpenEXRCore 3.1's
         * interleaved half-to-float unpackers put the channels in the wrong places */
        size_t cpx = (size_t)ci.width * (size_t)ci.height;
        if (cpx * (size_t)dec.channel_count > scratch_n) {
            free(scratch);
            scratch_n = cpx * (size_t)dec.channel_count;
            if (!(scratch = malloc(scratch_n * sizeof(float)))) {
                c->err = EXR_ERR_OUT_OF_MEMORY;
                break;
            }
        }
        int any = 0;
        float *dst[128];
        int dch[128];
        for (int16_t i = 0; i < dec.channel_count && i < 128; i++) {
            exr_coding_channel_info_t *ch = &dec.channels[i];
            ch->decode_to_ptr = NULL;
            dst[i] = NULL;
            for (size_t m = 0; m < c->n_maps; m++) {
                chan_map *cm = &c->maps[m];
                if (cm->part != c->part || strcmp(cm->name, ch->channel_name) || cm->kind < -1)
                    continue;
                if (ch->x_samples != 1 || ch->y_samples != 1 || ch->height != ci.height ||
                    ch->width != ci.width)
                    break;
                int nch;
                float **d = dst_of(c, cm->kind, &nch);
                if (!*d) break;
                size_t off = ((size_t)(sy - c->y0) * (size_t)c->w +
                              (size_t)(sx - c->x0)) * (size_t)nch + (size_t)cm->comp;
                dst[i] = *d + off;
                dch[i] = nch;
                ch->decode_to_ptr = (uint8_t *)(scratch + (size_t)i * cpx);
                ch->user_pixel_stride = 4;
                ch->user_line_stride = ci.width * 4;
                ch->user_data_type = EXR_PIXEL_FLOAT;
                ch->user_bytes_per_element = 4;
                any = 1;
                break;
            }
        }
        if (!any) continue;
        if (!inited) {
            rv = exr_decoding_choose_default_routines(c->ex, c->part, &dec);
            inited = 1;
            if (rv) {
                c->err = rv;
                break;
            }
        }
        rv = exr_decoding_run(c->ex, c->part, &dec);
        if (rv) {
            c->err = rv;
            c->err_y = sy;
            break;
        }
        for (int16_t i = 0; i < dec.channel_count && i < 128; i++) {
            if (!dst[i]) continue;
            const float *pl = scratch + (size_t)i * cpx;
            for (int yy = 0; yy < ci.height; yy++) {
                float *d = dst[i] + (size_t)yy * c->w * dch[i];
                const float *sp = pl + (size_t)yy * ci.width;
                for (int xx = 0; xx < ci.width; xx++) d[(size_t)xx * dch[i]] = sp[xx];
            }
        }
    }
    free(scratch);
    exr_decoding_destroy(c->ex, &dec);
}

static pol_status exr_fail(pol_run *run, exr_result_t rv, const char *what)
{
    pol_status code = rv == EXR_ERR_OUT_OF_MEMORY ? POL_ERR_NOMEM : POL_ERR_CORRUPT;
    return pol__fail(run, code, "EXR %s: %s", what, exr_get_default_error_message(rv));
}

pol_status pol__exr_read(pol_run *run, const char *path, int want_beauty, pol__render **out)
{
    *out = NULL;
    exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
    init.error_handler_fn = quiet;
    init.flags = EXR_CONTEXT_FLAG_SILENT_HEADER_PARSE;
    exr_context_t ex = NULL;
    exr_result_t rv = exr_start_read(&ex, path, &init);
    if (rv) {
        exr_finish(&ex);
        if (rv == EXR_ERR_FILE_BAD_HEADER || rv == EXR_ERR_READ_IO)
            return pol__fail(run, POL_ERR_CORRUPT, "the EXR header cannot be read (%s): the file is "
                             "truncated or damaged", exr_get_default_error_message(rv));
        return exr_fail(run, rv, "header");
    }
    pol_status st = POL_OK;
    pol__render *r = NULL;
    chan_map *maps = NULL;
    size_t n_maps = 0, cap = 0;
    int nparts = 0;
    exr_get_count(ex, &nparts);
    part_info *pis = calloc((size_t)(nparts > 0 ? nparts : 1), sizeof *pis);
    if (!pis) {
        exr_finish(&ex);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    int W = 0, H = 0, X0 = 0, Y0 = 0, have_dw = 0;
    for (int p = 0; p < nparts && !st; p++) {
        part_info *pi = &pis[p];
        exr_storage_t sto;
        exr_get_storage(ex, p, &sto);
        pi->storage = (int)sto;
        if (sto != EXR_STORAGE_SCANLINE && sto != EXR_STORAGE_TILED) continue; /* deep: skipped */
        exr_compression_t comp = EXR_COMPRESSION_NONE;
        if (!exr_get_compression(ex, p, &comp) &&
            (comp == EXR_COMPRESSION_DWAA || comp == EXR_COMPRESSION_DWAB)) {
            /* OpenEXRCore 3.1 has no DWA decoder: said so, not "truncated" at the first chunk */
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "EXR compressed with %s, which this OpenEXR "
                           "library cannot decode; write it with ZIP, PIZ or no compression "
                           "(oiiotool IN --compression zip -o OUT)",
                           comp == EXR_COMPRESSION_DWAA ? "DWAA" : "DWAB");
            break;
        }
        if ((rv = exr_get_data_window(ex, p, &pi->dw))) {
            st = exr_fail(run, rv, "data window");
            break;
        }
        int64_t w = (int64_t)pi->dw.max.x - pi->dw.min.x + 1, h = (int64_t)pi->dw.max.y - pi->dw.min.y + 1;
        if (w <= 0 || h <= 0) {
            st = pol__fail(run, POL_ERR_CORRUPT, "EXR data window is empty (%lldx%lld)",
                           (long long)w, (long long)h);
            break;
        }
        if (!have_dw) {
            W = (int)(w > INT32_MAX ? INT32_MAX : w), H = (int)(h > INT32_MAX ? INT32_MAX : h);
            X0 = pi->dw.min.x, Y0 = pi->dw.min.y, have_dw = 1;
            if ((st = pol__render_check_size(run, (uint64_t)w, (uint64_t)h, 4, "EXR")))
                break;
        } else if (pi->dw.min.x != X0 || pi->dw.min.y != Y0 || w != W || h != H) {
            continue; /* a part of another size: not a pass of this frame */
        }
        exr_get_chunk_count(ex, p, &pi->chunks);
        if (sto == EXR_STORAGE_TILED) {
            exr_get_tile_sizes(ex, p, 0, 0, (int32_t *)&pi->tx, (int32_t *)&pi->ty);
            if (pi->tx == 0 || pi->ty == 0) continue;
            pi->tiles_x = (int)((w + pi->tx - 1) / pi->tx);
            pi->tiles_y = (int)((h + pi->ty - 1) / pi->ty);
        } else {
            exr_get_scanlines_per_chunk(ex, p, &pi->lines);
            if (pi->lines <= 0) continue;
        }
        const exr_attr_chlist_t *cl = NULL;
        if (exr_get_channels(ex, p, &cl) || !cl) continue;
        const char *pname = NULL;
        if (nparts > 1) exr_get_name(ex, p, &pname);
        for (int i = 0; i < cl->num_channels; i++) {
            if (n_maps == cap) {
                cap = cap ? cap * 2 : 32;
                chan_map *v = realloc(maps, cap * sizeof *v);
                if (!v) {
                    st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                    break;
                }
                maps = v;
            }
            chan_map *m = &maps[n_maps++];
            memset(m, 0, sizeof *m);
            m->part = p;
            m->name = cl->entries[i].name.str;
            m->type = cl->entries[i].pixel_type;
            /* a multi-part file names its layers by part ("beauty", "depth") when the channels
             * are plain R, G, B, Z */
            if (pname && !strchr(m->name, '.'))
                snprintf(m->prefix, sizeof m->prefix, "%s.%s", pname, m->name);
            else
                snprintf(m->prefix, sizeof m->prefix, "%s", m->name);
            classify(m);
            if (m->kind == -2 && pname && !strchr(m->name, '.')) { /* the part's name says nothing */
                snprintf(m->prefix, sizeof m->prefix, "%s", m->name);
                classify(m);
            }
            if (cl->entries[i].x_sampling != 1 || cl->entries[i].y_sampling != 1) m->kind = -2;
            if (m->type == EXR_PIXEL_UINT) m->kind = -2; /* object ids, sample counts */
        }
    }
    if (!st && !have_dw)
        st = pol__fail(run, POL_ERR_UNSUPPORTED, "EXR has no scanline or tiled part (deep data "
                       "is not read)");
    if (!st) resolve_luma(maps, n_maps);
    /* one source per kind: the first layer that gives it (a view layer with Combined first) */
    if (!st) {
        char chosen[POL_RP_COUNT + 1][128];
        memset(chosen, 0, sizeof chosen);
        int have[POL_RP_COUNT + 1] = {0};
        for (size_t i = 0; i < n_maps; i++) {
            chan_map *m = &maps[i];
            if (m->kind < -1) continue;
            int k = m->kind == -1 ? 0 : m->kind + 1;
            if (!have[k]) {
                have[k] = 1;
                snprintf(chosen[k], sizeof chosen[k], "%s", m->prefix);
            } else if (strcmp(chosen[k], m->prefix) != 0) {
                m->kind = -3; /* the same pass again, from another layer */
            }
        }
        if (want_beauty && !have[0]) {
            char list[200] = "";
            for (size_t i = 0; i < n_maps && strlen(list) < 150; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         maps[i].name);
            st = pol__fail(run, POL_ERR_FORMAT, "EXR has no beauty pass (no R, G, B or "
                           "Combined channels); channels: %s", n_maps ? list : "none");
        }
        if (!st && !(r = pol__render_new(W, H))) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (!st) {
            size_t n = (size_t)W * H;
            for (size_t i = 0; i < n; i++) {
                r->rgba[4 * i] = r->rgba[4 * i + 1] = r->rgba[4 * i + 2] = 0;
                r->rgba[4 * i + 3] = 1;
            }
            snprintf(r->beauty_src, sizeof r->beauty_src, "%.63s",
                     have[0] ? (chosen[0][0] ? chosen[0] : "R,G,B") : "");
            for (int p = 0; p < POL_RP_COUNT && !st; p++)
                if (have[p + 1]) {
                    if ((st = pol__mem_reserve(run, (uint64_t)n * pol__rp_channels(p) * 4, "a pass")))
                        break;
                    if (!pol__render_add_pass(r, p)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                    snprintf(r->pass_src[p], sizeof r->pass_src[p], "%.63s", chosen[p + 1]);
                }
            /* alpha present? half beauty? ignored layers */
            for (size_t i = 0; i < n_maps; i++) {
                chan_map *m = &maps[i];
                if (m->kind == -1 && m->comp == 3) r->has_alpha = 1;
                if (m->kind == -1 && m->type == EXR_PIXEL_HALF) r->src_half = 1;
                if (m->kind == -2 || m->kind == -3) {
                    char pfx[128];
                    snprintf(pfx, sizeof pfx, "%s", *m->prefix ? m->prefix : m->name);
                    if (!strstr(r->ignored, pfx) && strlen(r->ignored) + strlen(pfx) + 3 < sizeof r->ignored)
                        snprintf(r->ignored + strlen(r->ignored), sizeof r->ignored - strlen(r->ignored),
                                 "%s%s", *r->ignored ? ", " : "", pfx);
                }
            }
            /* a beauty without G/B (a grey render) keeps R in all three after decoding */
        }
        if (!st && want_beauty) {
            int comps[4] = {0};
            for (size_t i = 0; i < n_maps; i++)
                if (maps[i].kind == -1 && maps[i].comp < 4) comps[maps[i].comp] = 1;
            if (!comps[0] || (!comps[1] && comps[2]) || (comps[1] && !comps[2])) {
                /* a luminance-only beauty is read as grey below */
                if (!comps[0] && !comps[1] && !comps[2])
                    st = pol__fail(run, POL_ERR_FORMAT, "EXR beauty '%s' has no colour channels",
                                   r->beauty_src);
            }
        }
        for (int p = 0; p < nparts && !st; p++) {
            part_info *pi = &pis[p];
            if ((pi->storage != EXR_STORAGE_SCANLINE && pi->storage != EXR_STORAGE_TILED) ||
                pi->dw.min.x != X0 || pi->dw.min.y != Y0 || pi->dw.max.x - X0 + 1 != W ||
                pi->dw.max.y - Y0 + 1 != H)
                continue;
            size_t n_chunks = pi->storage == EXR_STORAGE_TILED
                                  ? (size_t)pi->tiles_x * (size_t)pi->tiles_y
                                  : pi->lines > 0 ? (size_t)((H + pi->lines - 1) / pi->lines) : 0;
            read_ctx c = {.run = run, .ex = ex, .part = p, .pi = pi, .w = W, .h = H, .x0 = X0,
                          .y0 = Y0, .maps = maps, .n_maps = n_maps};
            c.dst[0] = r->rgba;
            c.dst_ch[0] = 4;
            for (int q = 0; q < POL_RP_COUNT; q++) {
                c.dst[q + 1] = r->pass[q];
                c.dst_ch[q + 1] = pol__rp_channels(q);
            }
            pol__parallel_for(run, n_chunks, 4, decode_chunks, &c);
            if (c.err) {
                if (c.err == EXR_ERR_OUT_OF_MEMORY)
                    st = pol__fail(run, POL_ERR_NOMEM, "out of memory decoding the EXR");
                else
                    st = pol__fail(run, POL_ERR_CORRUPT, "EXR pixel data near line %d cannot be read "
                                   "(%s): the file is truncated or damaged", c.err_y,
                                   exr_get_default_error_message(c.err));
            }
        }
        if (!st && want_beauty) {
            int comps[4] = {0};
            for (size_t i = 0; i < n_maps; i++)
                if (maps[i].kind == -1 && maps[i].comp < 4) comps[maps[i].comp] = 1;
            if (!comps[1] || !comps[2]) { /* grey: one channel into three */
                int from = comps[0] ? 0 : comps[1] ? 1 : 2;
                size_t n = (size_t)W * H;
                for (size_t i = 0; i < n; i++)
                    r->rgba[4 * i] = r->rgba[4 * i + 1] = r->rgba[4 * i + 2] = r->rgba[4 * i + from];
            }
        }
    }
    free(maps);
    free(pis);
    exr_finish(&ex);
    if (st) {
        pol__render_free(r);
        return st;
    }
    snprintf(r->src_format, sizeof r->src_format, "exr");
    *out = r;
    return POL_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

static int64_t write_fd(exr_const_context_t c, void *user, const void *buf, uint64_t sz,
                        uint64_t off, exr_stream_error_func_ptr_t err_cb)
{
    int fd = *(int *)user;
    const char *p = buf;
    uint64_t done = 0;
    while (done < sz) {
        ssize_t w = pwrite(fd, p + done, (size_t)(sz - done), (off_t)(off + done));
        if (w <= 0) {
            if (err_cb) err_cb(c, EXR_ERR_WRITE_IO, "write failed");
            return -1;
        }
        done += (uint64_t)w;
    }
    return (int64_t)sz;
}

typedef struct out_chan {
    char name[80];
    const float *base;
    int stride; /* floats a pixel */
} out_chan;

pol_status pol__exr_write(pol_run *run, const pol__render *r, int fd, int use_float)
{
    out_chan oc[4 + 12];
    int n = 0;
    static const char *const rgba[4] = {"R", "G", "B", "A"};
    for (int c = 0; c < (r->has_alpha ? 4 : 3); c++) {
        snprintf(oc[n].name, sizeof oc[n].name, "%s", rgba[c]);
        oc[n].base = r->rgba + c;
        oc[n++].stride = 4;
    }
    if (r->save_passes) {
        static const char *const comp[POL_RP_COUNT][3] = {
            {"Z"}, {"X", "Y", "Z"}, {"R", "G", "B"}, {"X", "Y"}, {"R"}};
        static const char *const layer[POL_RP_COUNT] = {"Depth", "Normal", "DiffCol", "Vector", "AO"};
        for (int p = 0; p < POL_RP_COUNT; p++) {
            if (!r->pass[p]) continue;
            for (int c = 0; c < pol__rp_channels(p); c++) {
                snprintf(oc[n].name, sizeof oc[n].name, "%s.%s", layer[p], comp[p][c]);
                oc[n].base = r->pass[p] + c;
                oc[n++].stride = pol__rp_channels(p);
            }
        }
    }
    exr_context_initializer_t init = EXR_DEFAULT_CONTEXT_INITIALIZER;
    init.error_handler_fn = quiet;
    init.user_data = &fd;
    init.write_fn = write_fd;
    exr_context_t ex = NULL;
    int part = 0;
    exr_result_t rv = exr_start_write(&ex, "polish-output.exr", EXR_WRITE_FILE_DIRECTLY, &init);
    if (!rv) rv = exr_add_part(ex, "beauty", EXR_STORAGE_SCANLINE, &part);
    if (!rv) rv = exr_initialize_required_attr_simple(ex, part, r->w, r->h, EXR_COMPRESSION_ZIP);
    for (int i = 0; i < n && !rv; i++)
        rv = exr_add_channel(ex, part, oc[i].name, use_float ? EXR_PIXEL_FLOAT : EXR_PIXEL_HALF,
                             EXR_PERCEPTUALLY_LINEAR, 1, 1);
    if (!rv) rv = exr_write_header(ex);
    int32_t lines = 1;
    if (!rv) rv = exr_get_scanlines_per_chunk(ex, part, &lines);
    exr_encode_pipeline_t enc = EXR_ENCODE_PIPELINE_INITIALIZER;
    int inited = 0;
    /* each channel's lines copied to a plane of its own: OpenEXRCore 3.1's packers mix up
     * interleaved channels when converting to half */
    float *planes = rv ? NULL : malloc((size_t)n * (size_t)lines * (size_t)r->w * sizeof(float));
    if (!rv && !planes) rv = EXR_ERR_OUT_OF_MEMORY;
    for (int y = 0; !rv && y < r->h; y += lines) {
        exr_chunk_info_t ci;
        rv = exr_write_scanline_chunk_info(ex, part, y, &ci);
        if (!rv) rv = inited ? exr_encoding_update(ex, part, &ci, &enc)
                             : exr_encoding_initialize(ex, part, &ci, &enc);
        int rows = r->h - y < lines ? r->h - y : lines;
        for (int16_t i = 0; !rv && i < enc.channel_count; i++) {
            exr_coding_channel_info_t *ch = &enc.channels[i];
            for (int k = 0; k < n; k++)
                if (!strcmp(oc[k].name, ch->channel_name)) {
                    float *pl = planes + (size_t)k * lines * r->w;
                    const float *src = oc[k].base + (size_t)y * r->w * oc[k].stride;
                    for (size_t j = 0; j < (size_t)rows * r->w; j++) pl[j] = src[j * oc[k].stride];
                    ch->encode_from_ptr = (const uint8_t *)pl;
                    ch->user_pixel_stride = 4;
                    ch->user_line_stride = r->w * 4;
                    ch->user_data_type = EXR_PIXEL_FLOAT;
                    ch->user_bytes_per_element = 4;
                }
        }
        if (!rv && !inited) rv = exr_encoding_choose_default_routines(ex, part, &enc);
        inited = 1;
        if (!rv) rv = exr_encoding_run(ex, part, &enc);
        if (!rv && pol__cancelled(run)) {
            free(planes);
            exr_encoding_destroy(ex, &enc);
            exr_finish(&ex);
            return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
        }
    }
    free(planes);
    if (inited) exr_encoding_destroy(ex, &enc);
    exr_result_t fv = exr_finish(&ex);
    if (!rv) rv = fv;
    if (rv)
        return pol__fail(run, rv == EXR_ERR_OUT_OF_MEMORY ? POL_ERR_NOMEM : POL_ERR_IO,
                         "writing EXR: %s", exr_get_default_error_message(rv));
    return POL_OK;
}
