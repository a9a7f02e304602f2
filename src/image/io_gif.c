/* polish — GIF read with giflib: the first frame on the logical screen, its transparency kept;
 * an animation is counted (limits) and named in a warning. */
#include <stdlib.h>
#include <string.h>
#include <gif_lib.h>
#include "image/image_io.h"

/* Skips the LZW data of a frame that is not decoded. */
static int skip_frame(GifFileType *g)
{
    int code_size;
    GifByteType *block;
    if (DGifGetCode(g, &code_size, &block) != GIF_OK) return 0;
    while (block)
        if (DGifGetCodeNext(g, &block) != GIF_OK) return 0;
    return 1;
}

/* Reads the frame's index rows (interlaced ones in their four passes) into idx (fw x fh). */
static int read_indices(GifFileType *g, GifByteType *idx, int fw, int fh)
{
    if (!g->Image.Interlace) {
        for (int y = 0; y < fh; y++)
            if (DGifGetLine(g, idx + (size_t)y * fw, fw) != GIF_OK) return 0;
        return 1;
    }
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    for (int pass = 0; pass < 4; pass++)
        for (int y = start[pass]; y < fh; y += step[pass])
            if (DGifGetLine(g, idx + (size_t)y * fw, fw) != GIF_OK) return 0;
    return 1;
}

static pol_status gif_error(pol_run *run, GifFileType *g)
{
    int e = g ? g->Error : 0;
    return pol__fail(run, e == D_GIF_ERR_NOT_ENOUGH_MEM ? POL_ERR_NOMEM : POL_ERR_CORRUPT,
                     "damaged GIF: %s", GifErrorString(e) ? GifErrorString(e) : "unreadable");
}

pol_status pol__gif_load(pol_run *run, const char *path, const pol__image_load_opts *o,
                         pol__image **out)
{
    *out = NULL;
    int err = 0;
    GifFileType *g = DGifOpenFileName(path, &err);
    if (!g)
        return pol__fail(run, err == D_GIF_ERR_OPEN_FAILED ? POL_ERR_IO : POL_ERR_CORRUPT,
                         "cannot read GIF: %s", GifErrorString(err) ? GifErrorString(err) : "?");
    pol_status st = POL_OK;
    pol__image *im = NULL;
    GifByteType *idx = NULL;
    ColorMapObject *map = NULL;
    int sw = g->SWidth, sh = g->SHeight;
    if ((st = pol__image_check_limits(run, o, (uint64_t)(sw > 0 ? sw : 0),
                                      (uint64_t)(sh > 0 ? sh : 0), 1, "GIF")))
        goto done;
    int transparent = -1, have_gce = 0;
    unsigned long frames = 0;
    int frame_left = 0, frame_top = 0, fw = 0, fh = 0;
    GifRecordType rt;
    do {
        if (DGifGetRecordType(g, &rt) != GIF_OK) {
            if (frames > 0) break; /* a damaged tail after the first frame: the frame is kept */
            st = gif_error(run, g);
            goto done;
        }
        if (rt == EXTENSION_RECORD_TYPE) {
            int code;
            GifByteType *ext;
            if (DGifGetExtension(g, &code, &ext) != GIF_OK) {
                if (frames > 0) break;
                st = gif_error(run, g);
                goto done;
            }
            /* The graphic control block before the first frame gives its transparent index. */
            if (frames == 0 && code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4 && !have_gce) {
                GraphicsControlBlock gcb;
                if (DGifExtensionToGCB(ext[0], ext + 1, &gcb) == GIF_OK)
                    transparent = gcb.TransparentColor;
                have_gce = 1;
            }
            while (ext)
                if (DGifGetExtensionNext(g, &ext) != GIF_OK) {
                    ext = NULL;
                    if (frames == 0) {
                        st = gif_error(run, g);
                        goto done;
                    }
                    rt = TERMINATE_RECORD_TYPE;
                }
        } else if (rt == IMAGE_DESC_RECORD_TYPE) {
            if (DGifGetImageDesc(g) != GIF_OK) {
                if (frames > 0) break;
                st = gif_error(run, g);
                goto done;
            }
            frames++;
            if (frames > 1) {
                /* counted up to one over the limit, which refuses it below */
                if (o && o->limits && o->limits->max_frames && frames > o->limits->max_frames)
                    break;
                if (!skip_frame(g)) break;
                continue;
            }
            frame_left = g->Image.Left;
            frame_top = g->Image.Top;
            fw = g->Image.Width;
            fh = g->Image.Height;
            map = g->Image.ColorMap ? g->Image.ColorMap : g->SColorMap;
            if (!map || fw <= 0 || fh <= 0 || frame_left < 0 || frame_top < 0) {
                st = pol__fail(run, POL_ERR_CORRUPT, "damaged GIF: %s",
                               map ? "empty first frame" : "no colour table");
                goto done;
            }
            if ((st = pol__image_check_limits(run, o, (uint64_t)fw, (uint64_t)fh, 1, "GIF frame")))
                goto done;
            idx = malloc((size_t)fw * (size_t)fh);
            if (!idx) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory for a %dx%d GIF frame", fw, fh);
                goto done;
            }
            if (!read_indices(g, idx, fw, fh)) {
                st = gif_error(run, g);
                goto done;
            }
            /* The palette is copied: giflib frees a local map with the next descriptor. */
            ColorMapObject *copy = GifMakeMapObject(map->ColorCount, map->Colors);
            if (!copy) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                goto done;
            }
            map = copy;
        }
    } while (rt != TERMINATE_RECORD_TYPE);
    if (frames == 0) {
        st = pol__fail(run, POL_ERR_CORRUPT, "damaged GIF: no image in it");
        goto done;
    }
    if ((st = pol__image_check_limits(run, o, (uint64_t)sw, (uint64_t)sh, frames, "GIF")))
        goto done;
    if (frames > 1)
        pol__warn(run, "animated GIF with %lu frames; only the first is read (the animation is "
                       "not in the output)",
                  frames);
    /* The canvas: the logical screen (at least the frame). Where the first frame does not
     * cover it, or its transparent index shows, the picture is transparent, as viewers show it. */
    int cw = sw, chh = sh;
    if (frame_left + fw > cw) cw = frame_left + fw;
    if (frame_top + fh > chh) chh = frame_top + fh;
    if (cw != sw || chh != sh)
        if ((st = pol__image_check_limits(run, o, (uint64_t)cw, (uint64_t)chh, 1, "GIF")))
            goto done;
    int uses_clear = 0;
    if (transparent >= 0)
        for (size_t i = 0; i < (size_t)fw * fh && !uses_clear; i++) uses_clear = idx[i] == transparent;
    int covers = frame_left == 0 && frame_top == 0 && fw == cw && fh == chh;
    int ch = uses_clear || !covers ? 4 : 3;
    im = pol__image_new(cw, chh, ch);
    if (!im) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory for %dx%d pixels", cw, chh);
        goto done;
    }
    for (int y = 0; y < chh; y++) {
        float *row = pol__image_row(im, y);
        for (int x = 0; x < cw; x++) {
            float *p = row + (size_t)x * ch;
            int fx = x - frame_left, fy = y - frame_top;
            if (fx < 0 || fy < 0 || fx >= fw || fy >= fh) {
                memset(p, 0, sizeof(float) * (size_t)ch);
                continue;
            }
            int i = idx[(size_t)fy * fw + fx];
            if (i == transparent) {
                memset(p, 0, sizeof(float) * (size_t)ch);
                continue;
            }
            /* an index past the table (a damaged file) reads as its first colour */
            const GifColorType *c = &map->Colors[i < map->ColorCount ? i : 0];
            p[0] = pol__u8_to_float[c->Red];
            p[1] = pol__u8_to_float[c->Green];
            p[2] = pol__u8_to_float[c->Blue];
            if (ch == 4) p[3] = 1.0f;
        }
    }
    memcpy(im->format, "gif", 4);
    im->bit_depth = 8;
    im->orientation = 1;
    im->srgb = 1;
    *out = im;
    im = NULL;
done:
    if (map && map != g->SColorMap && map != g->Image.ColorMap) GifFreeMapObject(map);
    free(idx);
    pol__image_free(im);
    DGifCloseFile(g, &err);
    return st;
}
