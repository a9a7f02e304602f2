/* polish — video.export: the delivery: platform presets (size, codec settings), container, codec
 * quality. A preset of another aspect than the picture reframes it (subject-following, never
 * letterboxed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

int pol__video_parse_aspect(const char *s, double *out);
void pol__video_window(const pol__video *v, double r, int *cw, int *ch);

static const pol_param_desc params[] = {
    {"preset", POL_PARAM_ENUM, NULL, 0, -1, "youtube-1080p|reels|tiktok|instagram-square|linkedin|web-mp4",
     "A platform's format.", .choice_help = (const char *const[]){
         "youtube-1080p: 1920x1080 H.264 CRF 18, AAC 192k", "reels: 1080x1920 H.264 CRF 20, AAC 128k",
         "tiktok: 1080x1920 H.264 CRF 20, AAC 128k", "instagram-square: 1080x1080 H.264 CRF 20",
         "linkedin: 1920x1080 H.264 CRF 20", "web-mp4: at most 1280 wide, H.264 CRF 23, AAC 128k, +faststart", NULL}},
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "mp4|mov|mkv|webm", "Container (webm: VP9 + Opus); default the output's extension."},
    {"codec", POL_PARAM_ENUM, NULL, 0, -1, "h264|vp9|av1",
     "Video encoder; default H.264, VP9 in WebM.", .choice_help = (const char *const[]){
         "h264: libx264", "vp9: libvpx-vp9, realtime speed 8",
         "av1: SVT-AV1 (libsvtav1), preset 10 for veryfast; at least 64x64", NULL}},
    {"audio-codec", POL_PARAM_ENUM, NULL, 0, -1, "aac|opus", "Audio encoder; default AAC, Opus in WebM."},
    {"crf", POL_PARAM_INT, "0", 0, 63, NULL,
     "Quality in the encoder's own scale, lower is better (x264 0-51, VP9/AV1 0-63); 0 = the preset's or 20 "
     "(x264's figure; VP9 and AV1 get that figure + 12, about the same quality)."},
    {"x264-preset", POL_PARAM_ENUM, NULL, 0, -1, "ultrafast|superfast|veryfast|faster|fast|medium|slow",
     "Encoder speed; default veryfast (AV1: SVT-AV1 presets 12 to 6)."},
    {"audio-bitrate", POL_PARAM_INT, "0", 0, 512, NULL, "AAC/Opus bit rate; 0 = the preset's or 128.", .unit = "kbit/s"},
    {"width", POL_PARAM_INT, "0", 0, 8192, NULL, "Picture width; 0 = the preset's or the picture's (the height follows its aspect when not given).", .unit = "px"},
    {"height", POL_PARAM_INT, "0", 0, 8192, NULL, "Picture height; 0 = the preset's or from the width.", .unit = "px"},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    pol__vexport *ex = &v->ex;
    int p = pol__arg_choice(args, "preset");
    static const struct { int w, h, crf, ab; } pre[] = {
        {1920, 1080, 18, 192}, {1080, 1920, 20, 128}, {1080, 1920, 20, 128}, {1080, 1080, 20, 128},
        {1920, 1080, 20, 128}, {1280, 0, 23, 128}};
    int any = 0;
    if (p >= 0) {
        any = 1;
        int cw = v->crop_w ? v->crop_w : v->in.width, ch = v->crop_h ? v->crop_h : v->in.height;
        int w = pre[p].w, h = pre[p].h;
        if (!h) { /* web: keep the aspect, at most 1280 wide */
            if (cw < w) w = cw;
            h = (int)lround((double)w * ch / cw) & ~1;
        } else if (fabs((double)cw / ch - (double)w / h) > 0.01) {
            /* another aspect: reframe to it, following the subject */
            int nw, nh;
            pol__video_window(v, (double)w / h, &nw, &nh);
            pol_status st = pol__video_reframe_path(run, v, nw, nh, atof(POL__VIDEO_SMOOTH), atof(POL__VIDEO_MAX_SPEED),
                                                    atof(POL__VIDEO_MAX_ACCEL));
            if (st) return st;
            pol__decide(run, "reframed to %d:%d for the preset (subject-following)", w, h);
        }
        ex->width = w & ~1;
        ex->height = h & ~1;
        ex->crf = pre[p].crf;
        ex->crf_own = 0;
        ex->abitrate = pre[p].ab;
        snprintf(ex->container, sizeof ex->container, "mp4");
    }
    int f = pol__arg_choice(args, "format");
    if (f >= 0) {
        static const char *fm[] = {"mp4", "mov", "mkv", "webm"};
        snprintf(ex->container, sizeof ex->container, "%s", fm[f]);
        any = 1;
    }
    int c = pol__arg_choice(args, "codec");
    if (c >= 0) { ex->codec = POL__VC_H264 + c; any = 1; }
    int ac = pol__arg_choice(args, "audio-codec");
    if (ac >= 0) { ex->acodec = POL__VA_AAC + ac; any = 1; }
    long W = pol__arg_int(args, "width"), H = pol__arg_int(args, "height");
    if (W > 0 || H > 0) {
        int cw = v->crop_w ? v->crop_w : v->in.width, ch = v->crop_h ? v->crop_h : v->in.height;
        if (W <= 0) W = lround((double)H * cw / ch);
        if (H <= 0) H = lround((double)W * ch / cw);
        if (fabs((double)W / H - (double)cw / ch) > 0.02 * cw / ch)
            return pol__fail(run, POL_ERR_ARG, "--width %ld --height %ld is another aspect than the picture's %dx%d: "
                             "reframe first (polish never letterboxes)", W, H, cw, ch);
        ex->width = (int)W & ~1;
        ex->height = (int)H & ~1;
        any = 1;
    }
    if (pol__arg_int(args, "crf") > 0) {
        ex->crf = (int)pol__arg_int(args, "crf");
        ex->crf_own = 1;
        any = 1;
    }
    if (pol__arg_int(args, "audio-bitrate") > 0) { ex->abitrate = (int)pol__arg_int(args, "audio-bitrate"); any = 1; }
    const char *xp = pol__arg_str(args, "x264-preset");
    if (xp) { snprintf(ex->preset, sizeof ex->preset, "%s", xp); any = 1; }
    if (!any) {
        pol__decline(run, "no preset or format: H.264 (CRF 20, veryfast) with AAC, the output's container");
        return POL_OK;
    }
    static const char *const vc[] = {"", " H.264", " VP9", " AV1"}, *const acn[] = {"", " AAC", " Opus"};
    char size[40] = "";
    if (ex->width) snprintf(size, sizeof size, " %dx%d", ex->width, ex->height);
    pol__decide(run, "%s%s%s%s%s%s%s", p >= 0 ? "preset " : "", p >= 0 ? pol__arg_str(args, "preset") : "", size,
                vc[ex->codec], acn[ex->acodec], ex->container[0] ? " in " : "", ex->container);
    return POL_OK;
}

const pol_op_desc pol__video_op_export = {
    .domain = "video",
    .name = "export",
    .summary = "Delivery: platform presets, container, quality",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DELIVER,
};
