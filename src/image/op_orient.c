/* polish — image.orient: apply the EXIF orientation to the pixels so every viewer shows it upright.
 */
#include <string.h>
#include "image/image_io.h"

static pol_status run_orient(pol_run *run, pol_asset *asset, const pol_args *args);

static const pol_op_stream preview_stream;
const pol_op_desc pol__image_op_orient = {
    .domain = "image",
    .name = "orient",
    .summary = "Rotate/flip the pixels as the EXIF orientation tag says, then set it to 1",
    .params = NULL,
    .n_params = 0,
    .stream = &preview_stream,
    .run = run_orient,
    .flags = POL_OP_AUTO | POL_OP_SCALE_SAFE,
};

typedef struct orient_job {
    const pol__image *src;
    float *dst;
    int o, ow; /* orientation, output width */
} orient_job;

/* Output pixel (x, y) of the upright picture comes from source pixel (sx, sy); EXIF numbering. */
static void orient_rows(void *user, size_t begin, size_t end)
{
    const orient_job *j = user;
    const pol__image *s = j->src;
    int W = s->width, H = s->height, c = s->channels;
    for (size_t yy = begin; yy < end; yy++) {
        int y = (int)yy;
        float *d = j->dst + yy * (size_t)j->ow * (size_t)c;
        for (int x = 0; x < j->ow; x++, d += c) {
            int sx, sy;
            switch (j->o) {
            case 2:
                sx = W - 1 - x, sy = y;
                break; /* mirrored */
            case 3:
                sx = W - 1 - x, sy = H - 1 - y;
                break; /* upside down */
            case 4:
                sx = x, sy = H - 1 - y;
                break; /* flipped */
            case 5:
                sx = y, sy = x;
                break; /* transposed */
            case 6:
                sx = y, sy = H - 1 - x;
                break; /* needs 90 degrees clockwise */
            case 7:
                sx = W - 1 - y, sy = H - 1 - x;
                break; /* transversed */
            case 8:
                sx = W - 1 - y, sy = x;
                break; /* needs 90 degrees anticlockwise */
            default:
                sx = x, sy = y;
                break;
            }
            memcpy(d, s->px + ((size_t)sy * (size_t)W + (size_t)sx) * (size_t)c,
                   (size_t)c * sizeof *d);
        }
    }
}

pol_status pol__image_orient(pol_run *run, pol__image *im)
{
    static const char *const what[9] = {"",
                                        "upright",
                                        "mirrored",
                                        "rotated 180 degrees",
                                        "flipped vertically",
                                        "transposed",
                                        "rotated 90 degrees clockwise",
                                        "transversed",
                                        "rotated 90 degrees anticlockwise"};
    int o = im->orientation;
    pol__measure_int(run, "orientation", o);
    if (o < 2 || o > 8) {
        im->orientation = 1;
        pol__decline(run, "already upright (EXIF orientation %d)", o);
        return POL_OK;
    }
    int ow = o >= 5 ? im->height : im->width, oh = o >= 5 ? im->width : im->height;
    float *px = pol__image_alloc_px(ow, oh, im->channels);
    if (!px) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    orient_job j = {im, px, o, ow};
    pol__parallel_for(run, (size_t)oh, 64, orient_rows, &j);
    pol__image_replace_px(im, px, ow, oh, im->channels);
    im->orientation = 1;
    pol__decide(run, "EXIF orientation %d: pixels %s; tag set to 1", o,
                o == 2 || o == 4 || o == 5 || o == 7 ? "mirrored/rotated to upright"
                                                     : "rotated to upright");
    pol__measure_str(run, "stored_as", what[o]);
    return POL_OK;
}

static pol_status run_orient(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)args;
    return pol__image_orient(run, pol__image_of(asset));
}

POL__PREVIEW_STREAM(preview_stream, run_orient, "orient turns the picture: the item is loaded whole", 0);
