/* polish — track.privacy: the start and end of each track inside a privacy zone (home, work)
 * are cut, so the recording does not lead to the door. Zones are a declared input: a CSV of
 * "lat,lon[,radius_m]" lines (a header line is allowed). */
#include <stdlib.h>
#include <string.h>
#include "track/track.h"

static const pol_param_desc params[] = {
    {"radius", POL_PARAM_NUM, "200", 1, 100000, NULL,
     "Radius of a zone whose line gives none.", .unit = "m"},
};

static const pol_port_desc inputs[] = {
    {"zones", POL_PORT_FILE, NULL, "csv|txt", POL_PORT_SHARED,
     "Places to hide: a CSV of lat,lon[,radius_m] lines; without it nothing is cut."},
};

typedef struct zone {
    double lat, lon, r;
} zone;

static pol_status read_zones(pol_run *run, const char *path, double radius, zone **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return pol__fail(run, POL_ERR_IO, "--zones: cannot open %s", path);
    char line[512];
    size_t cap = 0, ln = 0;
    pol_status st = POL_OK;
    while (fgets(line, sizeof line, f)) {
        ln++;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '\n' || *p == '\r' || *p == '#') continue;
        double la, lo, r = radius;
        char *e;
        la = strtod(p, &e);
        if (e == p) {
            if (ln == 1) continue; /* a header */
            st = pol__fail(run, POL_ERR_FORMAT, "--zones %s line %zu: not lat,lon[,radius]", path, ln);
            break;
        }
        p = e;
        while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t') p++;
        lo = strtod(p, &e);
        if (e == p || !(la >= -90 && la <= 90) || !(lo >= -180 && lo <= 180)) {
            st = pol__fail(run, POL_ERR_FORMAT, "--zones %s line %zu: not lat,lon[,radius]", path, ln);
            break;
        }
        p = e;
        while (*p == ' ' || *p == ',' || *p == ';' || *p == '\t') p++;
        double rv = strtod(p, &e);
        if (e != p && rv > 0) r = rv;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            zone *nz = realloc(*out, cap * sizeof *nz);
            if (!nz) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            *out = nz;
        }
        (*out)[(*n)++] = (zone){la, lo, r};
    }
    fclose(f);
    if (!st && !*n) st = pol__fail(run, POL_ERR_FORMAT, "--zones %s holds no zone", path);
    if (st) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static int inside(const zone *z, size_t nz, const pol__tpt *p)
{
    for (size_t k = 0; k < nz; k++)
        if (pol__geo_dist(z[k].lat, z[k].lon, p->lat, p->lon) <= z[k].r) return 1;
    return 0;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    if (!pol__input_count(args, "zones")) {
        pol__decline(run, "no privacy zones given (--zones)");
        return POL_OK;
    }
    zone *z;
    size_t nz;
    pol_status st = read_zones(run, pol__input_path(args, "zones", 0), pol__arg_num(args, "radius"),
                               &z, &nz);
    if (st) return st;
    pol__measure_int(run, "zones", (long long)nz);
    size_t cut = 0, tracks = 0;
    /* Per track: from the start while inside, from the end while inside. */
    size_t i = 0;
    while (i < t->n) {
        if (t->seg[t->pt[i].seg].kind != POL_SEG_TRK) {
            i++;
            continue;
        }
        uint32_t trk = t->seg[t->pt[i].seg].track;
        size_t end = i;
        while (end < t->n && t->seg[t->pt[end].seg].track == trk &&
               t->seg[t->pt[end].seg].kind == POL_SEG_TRK)
            end++;
        size_t c0 = cut;
        for (size_t k = i; k < end; k++) {
            if (!pol__tp_live(t, k)) continue;
            if (!inside(z, nz, &t->pt[k])) break;
            t->pt[k].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
            cut++;
        }
        for (size_t k = end; k-- > i;) {
            if (!pol__tp_live(t, k)) continue;
            if (!inside(z, nz, &t->pt[k])) break;
            t->pt[k].flags |= POL_TP_DELETED | POL_TP_PRIVATE;
            cut++;
        }
        tracks += cut > c0;
        i = end;
    }
    free(z);
    pol__measure_int(run, "points_cut", (long long)cut);
    if (!cut) {
        pol__decline(run, "no track starts or ends inside a zone");
        return POL_OK;
    }
    pol__decide(run, "cut %zu points inside privacy zones at the ends of %zu tracks", cut, tracks);
    pol_status fs = pol__track_figure(run, t, "privacy");
    if (fs) return fs;
    return POL_OK;
}

const pol_op_desc pol__track_op_privacy = {
    .domain = "track",
    .name = "privacy",
    .summary = "Cut the start and end of tracks inside privacy zones",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
