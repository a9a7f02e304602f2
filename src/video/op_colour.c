/* polish — video.colour: white balance and exposure per shot with the image domain's estimators
 * (the colour of the light from gray-edge/white-patch/gray-world, the key from the tone
 * statistics), measured twice a second, smoothed over 2 s inside each shot (so it never flickers)
 * and applied as gains in linear light. Declines when no shot needs it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"
#include "video/video.h"

static const pol_param_desc params[] = {
    {"strength", POL_PARAM_NUM, "0.8", 0, 1, NULL, "Share of the measured correction applied."},
    {"min-cast", POL_PARAM_NUM, "0.04", 0, 1, NULL, "Casts smaller than this (log-chromaticity) are left alone."},
    {"max-ev", POL_PARAM_NUM, "1", 0, 3, NULL, "Largest exposure change.", .unit = "EV"},
};

static void smooth(double *x, size_t n, double sigma, double *tmp)
{
    int r = (int)ceil(3 * sigma);
    for (size_t i = 0; i < n; i++) {
        double s = 0, w = 0;
        for (int k = -r; k <= r; k++) {
            long j = (long)i + k;
            if (j < 0 || j >= (long)n) continue;
            double g = exp(-0.5 * k * k / (sigma * sigma));
            s += g * x[j];
            w += g;
        }
        tmp[i] = s / w;
    }
    memcpy(x, tmp, n * sizeof *x);
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__video *v = pol__video_of(asset);
    pol_status st = pol__video_analyse(run, v);
    if (st) return st;
    const pol__vanalysis *a = v->ana;
    double k = pol__arg_num(args, "strength"), min_cast = pol__arg_num(args, "min-cast"), max_ev = pol__arg_num(args, "max-ev");
    size_t n = a->n, ns = 0, *shots = pol__video_shots(a, &ns);
    double *u = malloc(n * sizeof *u), *vv = malloc(n * sizeof *vv), *ev = malloc(n * sizeof *ev),
           *tmp = malloc(n * sizeof *tmp);
    float *g = malloc(n * 3 * sizeof *g);
    if (!u || !vv || !ev || !tmp || !g || !shots) {
        free(u); free(vv); free(ev); free(tmp); free(g); free(shots);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    int shots_changed = 0, shots_graphic = 0;
    double worst_cast = 0, worst_ev = 0;
    for (size_t s = 0; s < ns; s++) {
        size_t b = shots[s], e = s + 1 < ns ? shots[s + 1] : n;
        /* samples of the shot, held between them; weak estimates count for less */
        double su = 0, sv = 0, sk = 0, sw = 0, ku = 0, kv = 0, kk = 0, have = 0, graphic = 0;
        for (size_t i = b; i < e; i++)
            if (a->f[i].wb_conf >= 0) {
                graphic += a->f[i].graphic;
                double w = a->f[i].wb_conf;
                su += w * a->f[i].wb_u;
                sv += w * a->f[i].wb_v;
                sw += w;
                sk += log(fmax(a->f[i].key, 1e-4));
                have++;
            }
        double mu = sw > 0 ? su / sw : 0, mv = sw > 0 ? sv / sw : 0, conf = have ? sw / have : 0;
        double mk = have ? exp(sk / have) : 0.18;
        (void)ku; (void)kv; (void)kk;
        for (size_t i = b; i < e; i++) {
            if (a->f[i].wb_conf >= 0) {
                double w = a->f[i].wb_conf;
                /* a weak estimate leans to the shot's mean */
                u[i] = w * a->f[i].wb_u + (1 - w) * mu;
                vv[i] = w * a->f[i].wb_v + (1 - w) * mv;
                ev[i] = log(fmax(a->f[i].key, 1e-4));
            } else {
                u[i] = i > b ? u[i - 1] : mu;
                vv[i] = i > b ? vv[i - 1] : mv;
                ev[i] = i > b ? ev[i - 1] : log(mk);
            }
        }
        double sigma = 2.0 * v->in.fps;
        smooth(u + b, e - b, sigma, tmp);
        smooth(vv + b, e - b, sigma, tmp);
        smooth(ev + b, e - b, sigma, tmp);
        double cast = hypot(mu, mv);
        int drawn = have > 0 && graphic * 2 > have; /* slides, a screen recording */
        shots_graphic += drawn;
        int do_wb = cast >= min_cast && conf >= 0.3 && !drawn;
        /* exposure: the key (median luminance, linear) toward 0.18, only when clearly off */
        double ev_shot = log2(0.18 / fmax(mk, 1e-4));
        int do_ev = fabs(ev_shot) > 0.5 && !drawn;
        if (cast > worst_cast) worst_cast = cast;
        if (fabs(ev_shot) > fabs(worst_ev)) worst_ev = ev_shot;
        shots_changed += do_wb || do_ev;
        for (size_t i = b; i < e; i++) {
            double gu = do_wb ? exp(-k * u[i]) : 1, gv = do_wb ? exp(-k * vv[i]) : 1;
            double e2 = do_ev ? k * 0.6 * log2(0.18 / exp(ev[i])) : 0;
            if (e2 > max_ev) e2 = max_ev;
            if (e2 < -max_ev) e2 = -max_ev;
            double m = pow(2, e2);
            /* keep the luminance of grey when balancing */
            double y = 0.2126 * gu + 0.7152 + 0.0722 * gv;
            g[3 * i] = (float)(m * gu / y);
            g[3 * i + 1] = (float)(m / y);
            g[3 * i + 2] = (float)(m * gv / y);
        }
    }
    free(u); free(vv); free(ev); free(tmp); free(shots);
    pol__measure_int(run, "shots", (long long)ns);
    pol__measure(run, "largest_cast", round(worst_cast * 1000) / 1000);
    pol__measure(run, "largest_exposure_error_ev", round(worst_ev * 100) / 100);
    pol__measure_int(run, "shots_corrected", shots_changed);
    pol__measure_int(run, "shots_graphic", shots_graphic);
    if (!shots_changed) {
        free(g);
        if (shots_graphic * 2 > (int)ns) {
            pol__decline(run, "%d of %zu shots are drawn pictures (slides, a screen): photographic corrections would harm them", shots_graphic, ns);
            return POL_OK;
        }
        pol__decline(run, "no shot has a cast of %.3f or more with a confident estimate, nor an exposure 0.5 EV off", min_cast);
        return POL_OK;
    }
    free(v->gain);
    v->gain = g;
    v->n_gain = n;
    pol__decide(run, "%d of %zu shots balanced/exposed, smoothed over 2 s", shots_changed, ns);
    return POL_OK;
}

const pol_op_desc pol__video_op_colour = {
    .domain = "video",
    .name = "colour",
    .summary = "White balance and exposure per shot, smoothed over time (the image domain's estimators)",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
};
