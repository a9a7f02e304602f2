/* polish — track.export: the output format (GPX, CSV, GeoJSON, KML); lossless where the format
 * can hold what the source had. */
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"format", POL_PARAM_ENUM, NULL, 0, -1, "gpx|csv|geojson|kml",
     "Output format; default: from the output name, else the input's (NMEA is written as GPX)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    const char *f = pol__arg_str(args, "format");
    if (!f) {
        pol__decline(run, "format kept");
        return POL_OK;
    }
    t->save_format = pol__tfmt_from_name(f);
    if (t->save_format == (int)t->format) {
        pol__decline(run, "already %s", f);
        return POL_OK;
    }
    pol__decide(run, "writing %s", f);
    return POL_OK;
}

/* The writer is chosen before the track is read (streamed or whole): the format goes to it as
 * a reader option. */
static void hint(const pol_args *args, int w, int h, pol_load_hint *out)
{
    (void)w, (void)h;
    const char *f = pol__arg_str(args, "format");
    if (f) out->options[0] = (pol_load_option){"format", f};
}

const pol_op_desc pol__track_op_export = {
    .domain = "track",
    .name = "export",
    .summary = "Choose the output format",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DELIVER,
    .hint = hint,
    .stream = &pol__track_stream_export,
};
