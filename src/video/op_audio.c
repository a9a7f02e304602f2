/* polish — video.audio: the audio domain's automatic fix on the soundtrack (rumble, hum, noise,
 * level, loudness for the web), each op measuring the soundtrack first and declining what is not
 * needed, then applied block by block while the video renders. */
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

static const pol_param_desc params[] = {
    {"steps", POL_PARAM_STR, "highpass,dehum,denoise,level,loudness", 0, -1, NULL,
     "The audio domain's ops to run on the soundtrack, in order (comma-separated)."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    if (!v->in.has_audio) {
        pol__decline(run, "the video has no soundtrack");
        return POL_OK;
    }
    const char *steps = pol__arg_str(args, "steps");
    char *list = pol__strdup(steps);
    if (!list) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (char *s = strtok(list, ", "); s; s = strtok(NULL, ", ")) {
        const pol_op_desc *op = pol_op_find("audio", s);
        if (!op || !op->stream || (op->flags & POL_OP_DELIVER)) {
            pol_status st = pol__fail(run, POL_ERR_ARG, "--steps: '%s' is not a streamed audio op", s);
            free(list);
            return st;
        }
        if (++n > 12) {
            free(list);
            return pol__fail(run, POL_ERR_ARG, "--steps: at most 12 audio ops");
        }
    }
    free(list);
    pol_status st = pol__vaudio_plan_list(run, v, steps);
    if (st) return st;
    pol__decide(run, "%zu audio op%s on the %d Hz soundtrack (see the audio steps)", n, n == 1 ? "" : "s", v->in.arate);
    return POL_OK;
}

const pol_op_desc pol__video_op_audio = {
    .domain = "video",
    .name = "audio",
    .summary = "The audio domain's fix on the soundtrack: rumble, hum, noise, level, loudness",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
