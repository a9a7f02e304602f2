/* polish — video.title: a title card (centred) and/or a lower third (bottom left), text on a box in
 * a given font and colour, each for a span of output time; drawn by libass in the render's one
 * pass, with the captions; a logo (PNG with alpha) composited with them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cairo.h>
#include "video/video.h"

static const pol_param_desc params[] = {
    {"text", POL_PARAM_STR, NULL, 0, -1, NULL, "The title card's text, centred (\\n breaks a line)."},
    {"at", POL_PARAM_NUM, "0", 0, 86400, NULL, "When the title card appears (output time).", .unit = "s"},
    {"duration", POL_PARAM_NUM, "4", 0.1, 3600, NULL, "How long the title card shows.", .unit = "s"},
    {"lower-third", POL_PARAM_STR, NULL, 0, -1, NULL, "The lower third's text (a name, a place), bottom left."},
    {"lower-third-at", POL_PARAM_NUM, "0", 0, 86400, NULL, "When the lower third appears (output time).", .unit = "s"},
    {"lower-third-duration", POL_PARAM_NUM, "5", 0.1, 3600, NULL, "How long the lower third shows.", .unit = "s"},
    {"font", POL_PARAM_STR, "DejaVu Sans", 0, -1, NULL, "Font family (fontconfig name)."},
    {"colour", POL_PARAM_STR, "FFFFFF", 0, -1, NULL, "Text colour, RRGGBB in hex."},
    {"size", POL_PARAM_NUM, "1", 0.3, 3, NULL, "Text size relative to the default (title 9%, lower third 5% of the shorter side)."},
    {"box", POL_PARAM_NUM, "0.6", 0, 1, NULL, "Opacity of the dark box behind the text (0 = none)."},
    {"logo", POL_PARAM_STR, NULL, 0, -1, NULL, "A logo (PNG, its transparency kept): centred above the title card, bottom right with the lower third."},
    {"logo-size", POL_PARAM_NUM, "0.2", 0.02, 0.5, NULL, "The logo's height, a share of the picture's shorter side."},
};

static char *with_breaks(const char *s)
{
    /* "\n" as written on a command line or in a recipe is a line break */
    char *o = malloc(strlen(s) + 1), *w = o;
    if (!o) return NULL;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] == 'n') {
            *w++ = '\n';
            s++;
        } else {
            *w++ = *s;
        }
    }
    *w = 0;
    return o;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    const char *text = pol__arg_str(args, "text"), *lower = pol__arg_str(args, "lower-third");
    if (text && !*text) text = NULL;
    if (lower && !*lower) lower = NULL;
    if (!text && !lower) return pol__fail(run, POL_ERR_ARG, "give --text (a title card) or --lower-third (or both)");
    const char *col = pol__arg_str(args, "colour");
    if (col[0] == '#') col++;
    char *end = NULL;
    unsigned long rgb = strtoul(col, &end, 16);
    if (strlen(col) != 6 || *end || rgb > 0xFFFFFF)
        return pol__fail(run, POL_ERR_ARG, "--colour '%s' is not a colour: give RRGGBB in hex (FFFFFF is white)",
                         pol__arg_str(args, "colour"));
    const char *logo = pol__arg_str(args, "logo");
    if (logo && !*logo) logo = NULL;
    int lw = 0, lh = 0;
    if (logo) { /* read now, so a bad logo is an error before the render */
        cairo_surface_t *ls = cairo_image_surface_create_from_png(logo);
        cairo_status_t cs = cairo_surface_status(ls);
        if (cs == CAIRO_STATUS_SUCCESS) {
            lw = cairo_image_surface_get_width(ls);
            lh = cairo_image_surface_get_height(ls);
        }
        cairo_surface_destroy(ls);
        if (cs != CAIRO_STATUS_SUCCESS)
            return pol__fail(run, cs == CAIRO_STATUS_FILE_NOT_FOUND ? POL_ERR_IO : POL_ERR_FORMAT,
                             "--logo '%s': %s", logo,
                             cs == CAIRO_STATUS_FILE_NOT_FOUND ? "cannot read the file" : "not a PNG image");
        if (lw < 1 || lh < 1 || lw > 8192 || lh > 8192)
            return pol__fail(run, POL_ERR_LIMIT, "--logo '%s': %dx%d pixels (at most 8192 a side)", logo, lw, lh);
    }
    double dur = pol__video_out_duration(v);
    pol__vtitle t = {0};
    t.t0 = pol__arg_num(args, "at");
    t.t1 = t.t0 + pol__arg_num(args, "duration");
    t.lt0 = pol__arg_num(args, "lower-third-at");
    t.lt1 = t.lt0 + pol__arg_num(args, "lower-third-duration");
    if (text && dur > 0 && t.t0 >= dur)
        return pol__fail(run, POL_ERR_ARG, "--at %g s is after the clip's end (%.2f s)", t.t0, dur);
    if (lower && dur > 0 && t.lt0 >= dur)
        return pol__fail(run, POL_ERR_ARG, "--lower-third-at %g s is after the clip's end (%.2f s)", t.lt0, dur);
    t.rgb = (uint32_t)rgb;
    t.size = pol__arg_num(args, "size");
    t.box = pol__arg_num(args, "box");
    t.text = text ? with_breaks(text) : NULL;
    t.lower = lower ? with_breaks(lower) : NULL;
    t.font = pol__strdup(pol__arg_str(args, "font"));
    t.logo = logo ? pol__strdup(logo) : NULL;
    t.logo_size = pol__arg_num(args, "logo-size");
    if ((text && !t.text) || (lower && !t.lower) || !t.font || (logo && !t.logo)) {
        free(t.text);
        free(t.lower);
        free(t.font);
        free(t.logo);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    free(v->title.text);
    free(v->title.lower);
    free(v->title.font);
    free(v->title.logo);
    v->title = t;
    if (logo) {
        pol__measure_int(run, "logo_width", lw);
        pol__measure_int(run, "logo_height", lh);
    }
    if (text) {
        pol__measure(run, "title_from_s", t.t0);
        pol__measure(run, "title_to_s", dur > 0 ? fmin(t.t1, dur) : t.t1);
    }
    if (lower) {
        pol__measure(run, "lower_third_from_s", t.lt0);
        pol__measure(run, "lower_third_to_s", dur > 0 ? fmin(t.lt1, dur) : t.lt1);
    }
    if (dur > 0 && ((text && t.t1 > dur) || (lower && t.lt1 > dur)))
        pol__warn(run, "the clip ends at %.2f s, before the text's end", dur);
    pol__decide(run, "%s%s%s burned in (%s, #%06lX)%s", text ? "title card" : "", text && lower ? " and " : "",
                lower ? "lower third" : "", t.font, rgb, logo ? ", with the logo" : "");
    return POL_OK;
}

const pol_op_desc pol__video_op_title = {
    .domain = "video",
    .name = "title",
    .summary = "Title card and lower third: text on a box, in a font and colour, for a span of time",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
};
