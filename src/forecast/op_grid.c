/* polish — forecast.calibrate-grid: EMOS per grid point (or per box of grid points) of a gridded
 * ensemble, tile by tile. The forecast file is the streamed item (bands of rows through the
 * engine's chunked access, src/core/stream.c); each band's training forecasts and observations are
 * read from --train (and --obs) for the same rows, fitted, applied and written before the next
 * band is read, so memory is a band whatever the grid.
 * `polish forecast calibrate-grid fc.nc --train train.nc -o out/`. */
#include <eccodes.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/comm.h"
#include "core/stream.h"
#include "forecast/gridfile.h"
#include "forecast/op_common.h"

#define GRID_TYPES "grib|grib2|grb|grb2|nc|nc4"

static const pol_param_desc params[] = {
    {"variable", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The forecast variable (GRIB shortName, NetCDF name or standard name; default: the file's only "
     "gridded variable)."},
    {"obs-variable", POL_PARAM_STR, "obs", 0, -1, NULL,
     "NetCDF: the observation (analysis) variable of the training file (time, lat, lon), or of "
     "--obs; GRIB --obs: its shortName (default: the forecast's)."},
    {"distribution", POL_PARAM_ENUM, "gaussian", 0, -1, "gaussian|truncnormal|clogistic",
     "EMOS predictive distribution."},
    {"estimator", POL_PARAM_ENUM, "crps", 0, -1, "crps|mle", "Minimum CRPS or maximum likelihood."},
    {"scope", POL_PARAM_ENUM, "local", 0, -1, "local|regional|global",
     "One model per grid point, per box of --box x --box grid points (pooling their cases), or "
     "one for the whole grid (pooling every point's cases; in a plan of several shards its tiles "
     "must communicate: an MPI job, docs/SCALE.md)."},
    {"box", POL_PARAM_INT, "4", 1, 1000, NULL, "Regional boxes: grid points on a side.",
     .when = "scope=regional"},
    {"min-train", POL_PARAM_INT, "10", 3, 1e9, NULL,
     "Fewest training cases for a fit; a point (box) with fewer passes its raw ensemble through "
     "(flagged in <var>_calibrated)."},
    {"tile", POL_PARAM_INT, "8192", 1, 1e8, NULL,
     "Grid points per band (whole rows, whole boxes): what is held in memory at once.",
     .unit = "points"},
    FC_OUT_PARAMS,
};

static const pol_port_desc inputs[] = {
    {"train", POL_PORT_FILE, NULL, GRID_TYPES, POL_PORT_REQUIRED,
     "Training forecasts on the same grid (time = training days, member, lat, lon); a NetCDF file "
     "may hold the observations too (--obs-variable)."},
    {"obs", POL_PORT_FILE, NULL, GRID_TYPES, 0,
     "Observations (analyses) on the same grid, one field per training time (matched by valid time "
     "for GRIB, by index for NetCDF). Default: the training file's --obs-variable."},
};

/* ---- what the plan asks (the writer defines its variables before the first band) ------------- */

typedef struct gopts {
    const char *var;
    double q[64], thr[64];
    size_t nq, nthr;
    int ecc, regional, global;
    size_t box, tile;
} gopts;

extern const pol_op_desc pol__forecast_op_calibrate_grid;

/* The options of one calibrate-grid step (a NULL: the defaults). */
static pol_status args_opts(pol_run *run, const pol_args *a, gopts *o)
{
    memset(o, 0, sizeof *o);
    o->box = 1;
    o->tile = 8192;
    if (!a) return POL_OK;
    fc_output out;
    pol_status st = fc_output_from_args(run, a, o->q, o->thr, &out);
    if (st) return st;
    o->nq = out.n_q;
    o->nthr = out.n_thr;
    o->ecc = out.ecc;
    o->var = pol__arg_str(a, "variable");
    o->regional = pol__arg_choice(a, "scope") == 1;
    o->global = pol__arg_choice(a, "scope") == 2;
    if (o->regional) o->box = (size_t)pol__arg_int(a, "box");
    o->tile = (size_t)pol__arg_int(a, "tile");
    return POL_OK;
}

static pol_status plan_opts(pol_run *run, gopts *o)
{
    for (size_t i = 0; i < run->plan_n; i++)
        if (run->plan_ops[i] == &pol__forecast_op_calibrate_grid)
            return args_opts(run, run->plan_args[i], o);
    return args_opts(run, NULL, o);
}

/* ---- the streamed item: bands of rows of the forecast file ------------------------------------ */

typedef struct gchunk {
    size_t r0, nr, np, nt, nm, grid_rows, grid_cols;
    float *ens;          /* nt x nm x np */
    float *mu, *sigma;   /* nt x np */
    float *q, *pex;      /* nt x nq x np, nt x nthr x np */
    float *ecc;          /* nt x nm x np: the members, calibrated in place (= ens) */
    signed char *model;  /* np: 1 calibrated, 0 raw ensemble passed through, -1 no members */
    const gopts *o;
    int done; /* calibrated already (read back from a tile stage's file): nothing to fit */
} gchunk;

typedef struct greader {
    fc_gridfile g;
    gopts o;
    gchunk c;
    pol__chunk pc;
    size_t next_row, rows_per;
    /* the join stage of a plan in tiles: the calibrated bands read back from the tiles' files */
    FILE *tile;
    size_t tile_part;
} greader;

static void gchunk_free(gchunk *c)
{
    free(c->ens);
    free(c->mu);
    free(c->model);
}

static void g_close(void *p)
{
    greader *r = p;
    if (!r) return;
    fc_gridfile_close(&r->g);
    gchunk_free(&r->c);
    if (r->tile) fclose(r->tile);
    free(r);
}

/* Rows of a band: about --tile points, whole rows and boxes. */
static size_t band_rows(const gopts *o, size_t nrows, size_t ncols)
{
    size_t rows = o->tile / (ncols ? ncols : 1);
    if (rows < 1) rows = 1;
    if (o->regional) rows = (rows + o->box - 1) / o->box * o->box;
    if (rows > nrows) rows = nrows;
    return rows ? rows : 1;
}

/* The reader of `path` with the options of step `a` (NULL: the item's plan's). */
static pol_status g_open_args(pol_run *run, const char *path, const pol_args *a, void **out)
{
    *out = NULL;
    greader *r = calloc(1, sizeof *r);
    if (!r) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = a ? args_opts(run, a, &r->o) : plan_opts(run, &r->o);
    if (!st) st = fc_gridfile_open(run, path, r->o.var, &r->g);
    if (st) {
        g_close(r);
        return st;
    }
    const fc_gridfile *g = &r->g;
    size_t rows = band_rows(&r->o, g->nrows, g->ncols);
    r->rows_per = rows;
    size_t np = rows * g->ncols, nt = g->nt, nm = g->nm;
    size_t outs = nt * np * (2 + r->o.nq + r->o.nthr);
    /* the band's members (calibrated in place: ECC writes over them), its outputs and flags;
     * GRIB: one decoded field (double) and its float copy while the fields are decoded */
    uint64_t bytes = (uint64_t)(nt * nm * np + outs) * sizeof(float) + np;
    if (g->kind == 1) bytes += (uint64_t)g->nrows * g->ncols * (sizeof(double) + sizeof(float));
    pol_status ms = pol__mem_reserve(run, bytes, "a band of the forecast grid");
    if (ms) {
        g_close(r);
        return ms;
    }
    gchunk *c = &r->c;
    c->ens = malloc(nt * nm * np * sizeof(float));
    c->mu = malloc(outs * sizeof(float));
    c->model = malloc(np);
    if (!c->ens || !c->mu || !c->model) {
        g_close(r);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    c->ecc = c->ens;
    c->sigma = c->mu + nt * np;
    c->q = c->sigma + nt * np;
    c->pex = c->q + nt * r->o.nq * np;
    c->o = &r->o;
    *out = r;
    return POL_OK;
}

static pol_status g_open(pol_run *run, const char *path, void **out)
{
    return g_open_args(run, path, NULL, out);
}

/* ---- a plan in tiles (polish plan, docs/SCALE.md): stage 1 "tiles", one part per shard, fits
 * and applies its share of the bands (whole bands, as one process cuts them) and writes them to
 * its file; stage 2 "join" writes the output as one process does, its bands read back from the
 * tiles' files in order. So the file is one process's, byte for byte. ------------------------- */

#define TILE_MAGIC "polish-forecast-tile 1\n"

typedef struct tile_head {
    uint64_t r0, nr, np, nt, nm, nout;
} tile_head;

/* Floats of a band's outputs after mu (mu, sigma, quantiles, probabilities: contiguous). */
static size_t band_outs(const gchunk *c)
{
    return c->nt * c->np * (2 + c->o->nq + c->o->nthr);
}

static size_t band_of_part(size_t bands, size_t part, size_t parts)
{
    return (size_t)((uint64_t)bands * part / (parts ? parts : 1));
}

/* The next band from the tiles' files into r->c (r->next_row is where it must start). */
static pol_status tile_read(pol_run *run, greader *r)
{
    const pol_stage *sg = run->stage;
    gchunk *c = &r->c;
    tile_head h;
    for (;;) {
        if (!r->tile) {
            if (r->tile_part >= (sg->shards ? sg->shards : 1))
                return pol__fail(run, POL_ERR_FORMAT, "the tiles end before row %zu", r->next_row);
            char *path = pol__stage_file(sg, 1, r->tile_part);
            if (!path) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            r->tile = fopen(path, "rb");
            char magic[sizeof TILE_MAGIC];
            int ok = r->tile && fread(magic, 1, strlen(TILE_MAGIC), r->tile) == strlen(TILE_MAGIC) &&
                     !memcmp(magic, TILE_MAGIC, strlen(TILE_MAGIC));
            pol_status st = ok ? POL_OK
                               : pol__fail(run, r->tile ? POL_ERR_FORMAT : POL_ERR_NOT_FOUND,
                                           "%s: %s", path, r->tile ? "not a polish forecast tile"
                                                                   : "missing (its tiles stage has "
                                                                     "not run)");
            free(path);
            if (st) return st;
        }
        if (fread(&h, sizeof h, 1, r->tile) == 1) break;
        fclose(r->tile); /* this part's bands are done: the next part's follow */
        r->tile = NULL;
        r->tile_part++;
    }
    if (h.r0 != c->r0 || h.nr != c->nr || h.np != c->np || h.nt != c->nt || h.nm != c->nm ||
        h.nout != band_outs(c))
        return pol__fail(run, POL_ERR_FORMAT, "tile %zu: band at row %llu, %llu rows, where row %zu, "
                         "%zu rows was expected (made from another plan?)", r->tile_part,
                         (unsigned long long)h.r0, (unsigned long long)h.nr, c->r0, c->nr);
    size_t ne = c->nt * c->nm * c->np;
    if (fread(c->ens, sizeof(float), ne, r->tile) != ne ||
        fread(c->mu, sizeof(float), h.nout, r->tile) != h.nout ||
        fread(c->model, 1, c->np, r->tile) != c->np)
        return pol__fail(run, POL_ERR_FORMAT, "tile %zu: cut short", r->tile_part);
    c->done = 1;
    return POL_OK;
}

static pol_status g_read(pol_run *run, void *p, size_t halo, pol__chunk **out)
{
    (void)halo;
    greader *r = p;
    *out = NULL;
    fc_gridfile *g = &r->g;
    if (r->next_row >= g->nrows) return POL_OK;
    gchunk *c = &r->c;
    size_t nr = r->rows_per;
    if (r->next_row + nr > g->nrows) nr = g->nrows - r->next_row;
    size_t np = nr * g->ncols, rows_np = r->rows_per * g->ncols;
    /* the outputs keep the layout of a full band; a short last band uses its first np points */
    c->r0 = r->next_row;
    c->nr = nr;
    c->np = np;
    c->nt = g->nt;
    c->nm = g->nm;
    c->grid_rows = g->nrows;
    c->grid_cols = g->ncols;
    c->ecc = c->ens;
    c->sigma = c->mu + g->nt * np;
    c->q = c->sigma + g->nt * np;
    c->pex = c->q + g->nt * r->o.nq * np;
    (void)rows_np;
    pol_status st;
    c->done = 0;
    if (run->stage && run->stage->n_stages > 1 && !strcmp(run->stage->name, "join")) {
        st = tile_read(run, r);
    } else {
        st = fc_gridfile_rows(run, g, c->r0, nr, c->ens);
        size_t outs = g->nt * np * (2 + r->o.nq + r->o.nthr);
        for (size_t i = 0; i < outs; i++) c->mu[i] = NAN;
        memset(c->model, 0, np);
    }
    if (st) return st;
    r->pc = (pol__chunk){.data = c, .start = (uint64_t)c->r0 * g->ncols, .n = np, .pre = 0,
                         .post = 0, .last = c->r0 + nr == g->nrows};
    r->next_row += nr;
    *out = &r->pc;
    return POL_OK;
}

/* ---- writing: NetCDF-CF or GRIB (the calibrated members in the input's messages, then mu,
 * sigma, quantiles and probabilities as GRIB2 products) ----------------------------------------- */

typedef struct gwriter {
    int kind;
    gopts o;
    char var[128];
    size_t nt, nm, nrows, ncols;
    /* NetCDF */
    int nc, v_ens, v_mu, v_sigma, v_q, v_p, v_model;
    int defined;
    /* GRIB: calibrated members, then mu ... probabilities, spilled to a temporary file (float,
     * field-major), then written into copies of the input's messages at the end */
    FILE *spill, *in, *out;
    long *off;
    size_t *len;
} gwriter;

static pol_status nc_check(pol_run *run, int rc, const char *what)
{
    if (rc == NC_NOERR) return POL_OK;
    return pol__fail(run, POL_ERR_IO, "writing NetCDF (%s): %s", what, nc_strerror(rc));
}

static pol_status define_netcdf(pol_run *run, gwriter *w, const fc_gridfile *g)
{
    int rc = NC_NOERR, dt, dm, dq = -1, dp = -1, dy, dx;
    char name[160];
    rc |= nc_def_dim(w->nc, "time", g->nt, &dt);
    rc |= nc_def_dim(w->nc, "member", g->nm, &dm);
    if (w->o.nq) rc |= nc_def_dim(w->nc, "quantile", w->o.nq, &dq);
    if (w->o.nthr) rc |= nc_def_dim(w->nc, "threshold", w->o.nthr, &dp);
    rc |= nc_def_dim(w->nc, "lat", g->nrows, &dy);
    rc |= nc_def_dim(w->nc, "lon", g->ncols, &dx);
    if (rc) return nc_check(run, NC_EINVAL, "dimensions");
    int vlat, vlon, vtime = -1, vmem, vq = -1, vp = -1;
    rc |= nc_def_var(w->nc, "lat", NC_DOUBLE, 1, &dy, &vlat);
    rc |= nc_put_att_text(w->nc, vlat, "units", 13, "degrees_north");
    rc |= nc_def_var(w->nc, "lon", NC_DOUBLE, 1, &dx, &vlon);
    rc |= nc_put_att_text(w->nc, vlon, "units", 12, "degrees_east");
    if (g->time) {
        rc |= nc_def_var(w->nc, "time", NC_DOUBLE, 1, &dt, &vtime);
        if (*g->time_units)
            rc |= nc_put_att_text(w->nc, vtime, "units", strlen(g->time_units), g->time_units);
    }
    rc |= nc_def_var(w->nc, "member", NC_INT, 1, &dm, &vmem);
    if (dq >= 0) rc |= nc_def_var(w->nc, "quantile", NC_DOUBLE, 1, &dq, &vq);
    if (dp >= 0) rc |= nc_def_var(w->nc, "threshold", NC_DOUBLE, 1, &dp, &vp);
    int d4[4] = {dt, dm, dy, dx}, d3[3] = {dt, dy, dx};
    w->v_ens = w->v_q = w->v_p = -1;
    if (w->o.ecc) {
        rc |= nc_def_var(w->nc, w->var, NC_FLOAT, 4, d4, &w->v_ens);
        const char *ln = "calibrated members (EMOS quantiles in the raw members' order: ECC-Q)";
        rc |= nc_put_att_text(w->nc, w->v_ens, "long_name", strlen(ln), ln);
    }
    snprintf(name, sizeof name, "%s_mu", w->var);
    rc |= nc_def_var(w->nc, name, NC_FLOAT, 3, d3, &w->v_mu);
    snprintf(name, sizeof name, "%s_sigma", w->var);
    rc |= nc_def_var(w->nc, name, NC_FLOAT, 3, d3, &w->v_sigma);
    if (dq >= 0) {
        int dd[4] = {dt, dq, dy, dx};
        snprintf(name, sizeof name, "%s_quantile", w->var);
        rc |= nc_def_var(w->nc, name, NC_FLOAT, 4, dd, &w->v_q);
    }
    if (dp >= 0) {
        int dd[4] = {dt, dp, dy, dx};
        snprintf(name, sizeof name, "%s_p_gt", w->var);
        rc |= nc_def_var(w->nc, name, NC_FLOAT, 4, dd, &w->v_p);
        const char *ln = "probability of exceeding the threshold";
        rc |= nc_put_att_text(w->nc, w->v_p, "long_name", strlen(ln), ln);
    }
    snprintf(name, sizeof name, "%s_calibrated", w->var);
    int d2[2] = {dy, dx};
    rc |= nc_def_var(w->nc, name, NC_BYTE, 2, d2, &w->v_model);
    const char *fl = "1: EMOS; 0: too few training cases, the raw ensemble passed through; -1: no "
                     "members";
    rc |= nc_put_att_text(w->nc, w->v_model, "comment", strlen(fl), fl);
    float nanf = NAN;
    for (int k = 0; k < 6; k++) {
        int id = k == 0 ? w->v_ens : k == 1 ? w->v_mu : k == 2 ? w->v_sigma : k == 3 ? w->v_q
                                                                              : k == 4 ? w->v_p : -1;
        if (id >= 0) rc |= nc_put_att_float(w->nc, id, "_FillValue", NC_FLOAT, 1, &nanf);
    }
    const char *hist = "calibrated by polish forecast calibrate-grid";
    rc |= nc_put_att_text(w->nc, NC_GLOBAL, "history", strlen(hist), hist);
    rc |= nc_put_att_text(w->nc, NC_GLOBAL, "Conventions", 6, "CF-1.8");
    if (rc) return nc_check(run, NC_EINVAL, "variables");
    rc = nc_enddef(w->nc);
    if (rc) return nc_check(run, rc, "header");
    rc |= nc_put_var_double(w->nc, vlat, g->lat);
    rc |= nc_put_var_double(w->nc, vlon, g->lon);
    if (vtime >= 0) rc |= nc_put_var_double(w->nc, vtime, g->time);
    int *mem = malloc(g->nm * sizeof *mem);
    if (!mem) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t m = 0; m < g->nm; m++) mem[m] = (int)g->member[m];
    rc |= nc_put_var_int(w->nc, vmem, mem);
    free(mem);
    if (vq >= 0) rc |= nc_put_var_double(w->nc, vq, w->o.q);
    if (vp >= 0) rc |= nc_put_var_double(w->nc, vp, w->o.thr);
    return nc_check(run, rc ? NC_EINVAL : NC_NOERR, "coordinates");
}

static void g_wabort(void *p)
{
    gwriter *w = p;
    if (!w) return;
    if (w->kind == 2 && w->nc >= 0) nc_abort(w->nc);
    if (w->spill) fclose(w->spill);
    if (w->in) fclose(w->in);
    free(w->off);
    free(w->len);
    free(w);
}

static pol_status g_wbegin(pol_run *run, void *rd, const char *tmp, FILE *f, void **out)
{
    greader *r = rd;
    const fc_gridfile *g = &r->g;
    gwriter *w = calloc(1, sizeof *w);
    if (!w) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    w->kind = g->kind;
    w->o = r->o;
    w->nc = -1;
    snprintf(w->var, sizeof w->var, "%s", g->var);
    w->nt = g->nt;
    w->nm = g->nm;
    w->nrows = g->nrows;
    w->ncols = g->ncols;
    w->out = f;
    pol_status st = POL_OK;
    if (g->kind == 2) {
        int rc = nc_create(tmp, NC_CLOBBER | NC_64BIT_OFFSET, &w->nc);
        if (rc) {
            w->nc = -1;
            st = nc_check(run, rc, "create");
        } else {
            nc_set_fill(w->nc, NC_NOFILL, NULL);
            st = define_netcdf(run, w, g);
        }
    } else {
        w->off = malloc(g->nt * g->nm * sizeof *w->off);
        w->len = malloc(g->nt * g->nm * sizeof *w->len);
        w->spill = pol__temp_file("grid");
        w->in = fopen(g->path, "rb");
        if (!st && (!w->off || !w->len)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        if (!st && (!w->spill || !w->in))
            st = pol__fail(run, POL_ERR_IO, "cannot open a temporary file for the GRIB output");
        if (!st) {
            memcpy(w->off, g->off, g->nt * g->nm * sizeof *w->off);
            memcpy(w->len, g->len, g->nt * g->nm * sizeof *w->len);
        }
    }
    if (st) {
        g_wabort(w);
        return st;
    }
    *out = w;
    return POL_OK;
}

/* GRIB output fields, spilled in this order: the nt x nm calibrated members, then per time mu,
 * sigma, the nq quantiles and the nthr exceedance probabilities. */
static size_t grib_extra(const gwriter *w)
{
    return 2 + w->o.nq + w->o.nthr;
}

static size_t grib_fields(const gwriter *w)
{
    return w->nt * w->nm + w->nt * grib_extra(w);
}

static const float *grib_field_band(const gwriter *w, const gchunk *c, size_t k)
{
    size_t np = c->np, nmem = w->nt * w->nm;
    if (k < nmem) return c->ecc + k * np;
    size_t t = (k - nmem) / grib_extra(w), j = (k - nmem) % grib_extra(w);
    if (j == 0) return c->mu + t * np;
    if (j == 1) return c->sigma + t * np;
    if (j < 2 + w->o.nq) return c->q + (t * w->o.nq + j - 2) * np;
    return c->pex + (t * w->o.nthr + j - 2 - w->o.nq) * np;
}

static pol_status g_write(pol_run *run, void *p, const pol__chunk *pc)
{
    gwriter *w = p;
    const gchunk *c = pc->data;
    size_t np = c->np;
    if (w->kind == 1) {
        int fd = fileno(w->spill);
        for (size_t k = 0; k < grib_fields(w); k++) {
            off_t at = (off_t)((k * w->nrows * w->ncols + c->r0 * w->ncols) * sizeof(float));
            size_t bytes = np * sizeof(float);
            if (pwrite(fd, grib_field_band(w, c, k), bytes, at) != (ssize_t)bytes)
                return pol__fail(run, POL_ERR_IO, "cannot write the temporary GRIB values");
        }
        return POL_OK;
    }
    int rc = NC_NOERR;
    size_t s4[4] = {0, 0, c->r0, 0}, n4[4] = {w->nt, w->nm, c->nr, w->ncols};
    size_t s3[3] = {0, c->r0, 0}, n3[3] = {w->nt, c->nr, w->ncols};
    size_t s2[2] = {c->r0, 0}, n2[2] = {c->nr, w->ncols};
    if (w->v_ens >= 0) rc |= nc_put_vara_float(w->nc, w->v_ens, s4, n4, c->ecc);
    rc |= nc_put_vara_float(w->nc, w->v_mu, s3, n3, c->mu);
    rc |= nc_put_vara_float(w->nc, w->v_sigma, s3, n3, c->sigma);
    if (w->v_q >= 0) {
        size_t n[4] = {w->nt, w->o.nq, c->nr, w->ncols};
        rc |= nc_put_vara_float(w->nc, w->v_q, s4, n, c->q);
    }
    if (w->v_p >= 0) {
        size_t n[4] = {w->nt, w->o.nthr, c->nr, w->ncols};
        rc |= nc_put_vara_float(w->nc, w->v_p, s4, n, c->pex);
    }
    rc |= nc_put_vara_schar(w->nc, w->v_model, s2, n2, c->model);
    return nc_check(run, rc ? NC_EINVAL : NC_NOERR, "values");
}

/* A number as GRIB2's scale factor and scaled value (value = scaled / 10^factor). */
static void grib_scaled(double v, long *factor, long *scaled)
{
    *factor = 0;
    while (*factor < 6 && fabs(v * pow(10, (double)*factor) - round(v * pow(10, (double)*factor))) > 1e-9)
        (*factor)++;
    *scaled = (long)round(v * pow(10, (double)*factor));
}

/* Turns a copy of a member's GRIB2 message into extra field j of its time: product definition
 * template 4.2 (derived from all members; code table 4.7: 0 the distribution's mean mu, 2 its
 * standard deviation sigma), 4.6 (percentile) for a quantile, 4.5 (probability of exceeding the
 * threshold, code table 4.9 type 3 "above lower limit", in percent) for an exceedance
 * probability. */
static int grib_set_product(codes_handle *h, const gwriter *w, size_t j, float **fv, size_t npts)
{
    int rc = 0;
    if (j < 2) {
        rc |= codes_set_long(h, "productDefinitionTemplateNumber", 2);
        rc |= codes_set_long(h, "derivedForecast", j == 0 ? 0 : 2);
        rc |= codes_set_long(h, "numberOfForecastsInEnsemble", (long)w->nm);
    } else if (j < 2 + w->o.nq) {
        rc |= codes_set_long(h, "productDefinitionTemplateNumber", 6);
        rc |= codes_set_long(h, "percentileValue", lround(w->o.q[j - 2] * 100));
    } else {
        size_t ti = j - 2 - w->o.nq;
        long f, v;
        grib_scaled(w->o.thr[ti], &f, &v);
        rc |= codes_set_long(h, "productDefinitionTemplateNumber", 5);
        rc |= codes_set_long(h, "forecastProbabilityNumber", (long)ti + 1);
        rc |= codes_set_long(h, "totalNumberOfForecastProbabilities", (long)w->o.nthr);
        rc |= codes_set_long(h, "probabilityType", 3);
        rc |= codes_set_long(h, "scaleFactorOfLowerLimit", f);
        rc |= codes_set_long(h, "scaledValueOfLowerLimit", v);
        for (size_t i = 0; i < npts; i++) /* probabilities in percent, as GRIB2 products give them */
            if (!isnan((*fv)[i])) (*fv)[i] *= 100;
    }
    return rc;
}

static pol_status g_wend(pol_run *run, void *p)
{
    gwriter *w = p;
    pol_status st = POL_OK;
    if (w->kind == 2) {
        int rc = nc_close(w->nc);
        w->nc = -1;
        st = nc_check(run, rc, "close");
        g_wabort(w);
        return st;
    }
    size_t npts = w->nrows * w->ncols;
    float *fv = malloc(npts * sizeof *fv);
    double *dv = malloc(npts * sizeof *dv);
    unsigned char *msg = NULL;
    size_t cap = 0, skipped_q = 0;
    int edition1 = 0;
    if (!fv || !dv) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t nmem = w->nt * w->nm;
    for (size_t k = 0; !st && k < grib_fields(w); k++) {
        /* a member's own message, or for a time's mu ... probabilities its first member's */
        size_t src = k, t = 0, j = 0;
        if (k < nmem) {
            if (!w->o.ecc || w->off[k] < 0) continue;
        } else {
            t = (k - nmem) / grib_extra(w);
            j = (k - nmem) % grib_extra(w);
            src = SIZE_MAX;
            for (size_t m = 0; m < w->nm && src == SIZE_MAX; m++)
                if (w->off[t * w->nm + m] >= 0) src = t * w->nm + m;
            if (src == SIZE_MAX) continue;
            if (j >= 2 && j < 2 + w->o.nq) {
                /* GRIB2's percentileValue is a whole percent */
                double pc = w->o.q[j - 2] * 100;
                if (fabs(pc - round(pc)) > 1e-9) {
                    skipped_q += t == 0;
                    continue;
                }
            }
        }
        if (w->len[src] > cap) {
            unsigned char *b = realloc(msg, w->len[src]);
            if (!b) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            msg = b;
            cap = w->len[src];
        }
        if (fseeko(w->in, (off_t)w->off[src], SEEK_SET) ||
            fread(msg, 1, w->len[src], w->in) != w->len[src] ||
            pread(fileno(w->spill), fv, npts * sizeof *fv,
                  (off_t)(k * npts * sizeof(float))) != (ssize_t)(npts * sizeof *fv)) {
            st = pol__fail(run, POL_ERR_IO, "cannot read back a GRIB field");
            break;
        }
        codes_handle *h = codes_handle_new_from_message_copy(NULL, msg, w->len[src]);
        if (!h) {
            st = pol__fail(run, POL_ERR_CORRUPT, "a GRIB message cannot be copied");
            break;
        }
        int rc = 0;
        if (k >= nmem) {
            long ed = 2;
            codes_get_long(h, "edition", &ed);
            if (ed != 2) {
                edition1 = 1;
                codes_handle_delete(h);
                continue;
            }
            rc = grib_set_product(h, w, j, &fv, npts);
        }
        int missing = 0;
        for (size_t i = 0; i < npts; i++) {
            missing |= isnan(fv[i]);
            dv[i] = isnan(fv[i]) ? 9999 : fv[i];
        }
        if (!rc && missing) {
            rc |= codes_set_double(h, "missingValue", 9999);
            rc |= codes_set_long(h, "bitmapPresent", 1);
        }
        if (!rc) rc = codes_set_double_array(h, "values", dv, npts);
        const void *bytes = NULL;
        size_t blen = 0;
        if (!rc) rc = codes_get_message(h, &bytes, &blen);
        if (rc || fwrite(bytes, 1, blen, w->out) != blen)
            st = pol__fail(run, POL_ERR_IO, "cannot write a GRIB message%s%s", rc ? ": " : "",
                           rc ? codes_get_error_message(rc) : "");
        codes_handle_delete(h);
    }
    if (!st && edition1)
        pol__warn(run, "the forecast is GRIB edition 1: only its calibrated members are written (mu, "
                  "sigma, quantiles and probabilities need GRIB2 product templates)");
    if (!st && skipped_q)
        pol__warn(run, "%zu quantile level(s) are not whole percents: not written to GRIB "
                  "(percentileValue is a whole percent; NetCDF output keeps them)", skipped_q);
    free(fv);
    free(dv);
    free(msg);
    g_wabort(w);
    return st;
}

static pol_status g_wbegin_file(pol_run *run, void *rd, FILE *f, void **out)
{
    (void)rd;
    (void)f;
    (void)out;
    return pol__fail(run, POL_ERR_INTERNAL, "the grid writer needs the file's path");
}

const pol__stream_io pol__forecast_grid_stream = {
    .chunk_units = 8192,
    .open = g_open,
    .read = g_read,
    .close = g_close,
    .write_begin = g_wbegin_file,
    .write = g_write,
    .write_end = g_wend,
    .write_abort = g_wabort,
    .write_begin_path = g_wbegin,
};

/* ---- the op: training bands read beside the forecast's, fitted and applied ------------------- */

typedef struct gstate {
    fc_gridfile train, obs;
    int obs_open;
    size_t *obs_t;  /* training time -> obs time (SIZE_MAX: none) */
    fc_dist dist;
    int mle;
    size_t min_train;
    float *tbuf, *obuf;
    size_t tcap, ocap;
    size_t points, calibrated, raw, none, bands;
    /* scope global: the one model of the whole grid, fitted in begin (gfit: it was) */
    int global, gfit;
    fc_emos gm;
} gstate;

static void gs_free(void *p)
{
    gstate *s = p;
    if (!s) return;
    fc_gridfile_close(&s->train);
    if (s->obs_open) fc_gridfile_close(&s->obs);
    free(s->obs_t);
    free(s->tbuf);
    free(s->obuf);
    free(s);
}

static pol_status gs_begin2(pol_run *run, const pol_args *args, gstate *s)
{
    int d = pol__arg_choice(args, "distribution");
    s->dist = d > 0 ? (fc_dist)d : FC_GAUSS;
    s->mle = pol__arg_choice(args, "estimator") == 1;
    s->min_train = (size_t)pol__arg_int(args, "min-train");
    const char *var = pol__arg_str(args, "variable");
    const char *tp = pol__input_path(args, "train", 0);
    const char *op = pol__input_path(args, "obs", 0);
    const char *ov = pol__arg_str(args, "obs-variable");
    pol_status st = fc_gridfile_open(run, tp, var, &s->train);
    if (st) return st;
    if (!op && s->train.kind == 1)
        return pol__fail(run, POL_ERR_ARG, "%s is GRIB: give the verifying analyses with --obs",
                         pol__path_base(tp));
    const char *obs_var = ov;
    if (op && s->train.kind == 1 && pol__arg_set(args, "obs-variable") == 0) obs_var = s->train.var;
    s->obs_open = 1;
    st = fc_gridfile_open(run, op ? op : tp, obs_var, &s->obs);
    if (st) return st;
    if (s->obs.nrows != s->train.nrows || s->obs.ncols != s->train.ncols)
        return pol__fail(run, POL_ERR_ARG, "%s: the observations' grid (%zu x %zu) is not the training "
                         "grid (%zu x %zu)", pol__path_base(op ? op : tp), s->obs.nrows, s->obs.ncols,
                         s->train.nrows, s->train.ncols);
    if (s->obs.nm != 1)
        return pol__fail(run, POL_ERR_ARG, "%s: the observations have %zu members (one field per time "
                         "expected)", pol__path_base(op ? op : tp), s->obs.nm);
    s->obs_t = malloc(s->train.nt * sizeof *s->obs_t);
    if (!s->obs_t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t matched = 0;
    for (size_t t = 0; t < s->train.nt; t++) {
        s->obs_t[t] = SIZE_MAX;
        if (s->train.valid && s->obs.valid) { /* GRIB: by valid time */
            for (size_t u = 0; u < s->obs.nt; u++)
                if (s->obs.valid[u] == s->train.valid[t]) s->obs_t[t] = u;
        } else if (t < s->obs.nt) {
            s->obs_t[t] = t;
        }
        matched += s->obs_t[t] != SIZE_MAX;
    }
    if (!s->train.valid && s->obs.nt != s->train.nt)
        return pol__fail(run, POL_ERR_ARG, "%s: %zu observation times for %zu training times",
                         pol__path_base(op ? op : tp), s->obs.nt, s->train.nt);
    if (!matched)
        return pol__fail(run, POL_ERR_ARG, "no observation has the valid time of a training field");
    pol__measure_int(run, "training_times", (long long)s->train.nt);
    pol__measure_int(run, "training_members", (long long)s->train.nm);
    pol__measure_int(run, "training_times_with_obs", (long long)matched);
    return POL_OK;
}

static pol_status global_fit(pol_run *run, const pol_args *args, gstate *s);

static int join_stage(const pol_run *run)
{
    return run->stage && run->stage->n_stages > 1 && !strcmp(run->stage->name, "join");
}

static pol_status gs_begin(pol_run *run, const pol_args *args, void **out)
{
    *out = NULL;
    gstate *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = gs_begin2(run, args, s);
    s->global = pol__arg_choice(args, "scope") == 2;
    /* the join writes what the tiles computed: nothing to fit */
    if (!st && s->global && !join_stage(run)) st = global_fit(run, args, s);
    if (st) { /* the runner frees only a state that began */
        gs_free(s);
        return st;
    }
    *out = s;
    return POL_OK;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct gwork {
    gstate *s;
    gchunk *c;
    size_t box, boxes_per_row, ntr, nmtr, np;
    const float *tr, *ob;
} gwork;

static void moments(const float *x, size_t stride, size_t m, double *mean, double *sd, size_t *k)
{
    double s = 0, ss = 0;
    size_t n = 0;
    for (size_t j = 0; j < m; j++) {
        double v = x[j * stride];
        if (isnan(v)) continue;
        s += v;
        n++;
    }
    *k = n;
    if (!n) return;
    *mean = s / (double)n;
    for (size_t j = 0; j < m; j++) {
        double v = x[j * stride];
        if (!isnan(v)) ss += (v - *mean) * (v - *mean);
    }
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}

/* Point p of the band with model e (NULL: too few cases, the raw ensemble passed through): mu,
 * sigma, quantiles, probabilities, the calibrated members (ECC-Q) and its flag. x: 2 * members. */
static void apply_point(const gwork *w, size_t p, const fc_emos *e, float *x)
{
    gchunk *c = w->c;
    const gopts *o = c->o;
    size_t np = w->np;
    int fitted = e != NULL;
    float *sx = x + c->nm;
    c->model[p] = fitted ? 1 : 0;
    int any = 0;
    for (size_t t = 0; t < c->nt; t++) {
        const float *ens = c->ens + t * c->nm * np + p;
        fc_sample sm;
        memset(&sm, 0, sizeof sm);
        size_t k;
        moments(ens, np, c->nm, &sm.mean, &sm.sd, &k);
        if (!k) continue;
        any = 1;
        double mu = sm.mean, sigma = sm.sd;
        if (fitted) fc_emos_predict(e, &sm, &mu, &sigma);
        c->mu[t * np + p] = (float)mu;
        c->sigma[t * np + p] = (float)sigma;
        size_t kk = 0;
        for (size_t j = 0; j < c->nm; j++)
            if (!isnan(ens[j * np])) sx[kk++] = ens[j * np];
        qsort(sx, kk, sizeof *sx, cmp_f);
        for (size_t qi = 0; qi < o->nq; qi++) {
            double v, pr = o->q[qi];
            if (fitted)
                v = sigma > 0 ? fc_quantile(e->dist, mu, sigma, pr) : mu;
            else if (kk == 1)
                v = sx[0];
            else {
                double h = pr * (double)(kk - 1);
                size_t lo = (size_t)floor(h);
                v = lo >= kk - 1 ? sx[kk - 1] : sx[lo] + (h - (double)lo) * (sx[lo + 1] - sx[lo]);
            }
            c->q[(t * o->nq + qi) * np + p] = (float)v;
        }
        for (size_t ti = 0; ti < o->nthr; ti++) {
            double th = o->thr[ti], pe;
            if (fitted) {
                pe = sigma > 0 ? 1 - fc_cdf(e->dist, mu, sigma, th) : (mu > th);
            } else {
                size_t above = 0;
                for (size_t j = 0; j < kk; j++) above += sx[j] > th;
                pe = (double)above / (double)kk;
            }
            c->pex[(t * o->nthr + ti) * np + p] = (float)pe;
        }
        if (fitted) { /* ECC-Q: calibrated quantiles at j/(k+1) in the raw members' order,
                       * written over the raw members (ranks taken from a copy) */
            float *ecc = c->ecc + t * c->nm * np + p;
            for (size_t j = 0; j < c->nm; j++) x[j] = ens[j * np];
            for (size_t j = 0; j < c->nm; j++) {
                double rv = x[j];
                if (isnan(rv)) continue;
                size_t rank = 0;
                for (size_t i2 = 0; i2 < c->nm; i2++) {
                    double ov = x[i2];
                    if (!isnan(ov)) rank += ov < rv || (ov == rv && i2 < j);
                }
                double lev = (double)(rank + 1) / (double)(kk + 1);
                ecc[j * np] = (float)(sigma > 0 ? fc_quantile(e->dist, mu, sigma, lev) : mu);
            }
        }
    }
    if (!any) c->model[p] = -1;
}

/* The training case of point p of the band at training time t: its ensemble's mean and spread
 * and the observation (at 0 or above for the distributions on [0, inf)). 0: none (no
 * observation at that time, or no members). */
static int point_case(const gwork *w, size_t p, size_t t, double *mean, double *sd, double *y)
{
    const gstate *s = w->s;
    if (s->obs_t[t] == SIZE_MAX) return 0;
    double v = w->ob[s->obs_t[t] * w->np + p];
    if (isnan(v)) return 0;
    size_t k;
    moments(w->tr + t * w->nmtr * w->np + p, w->np, w->nmtr, mean, sd, &k);
    if (!k) return 0;
    *y = s->dist != FC_GAUSS && v < 0 ? 0 : v;
    return 1;
}

/* scope global: every point of the band with the grid's one model (or its raw ensemble). */
static void global_range(void *user, size_t pa, size_t pb)
{
    gwork *w = user;
    float *x = malloc((w->c->nm ? w->c->nm : 1) * 2 * sizeof *x);
    if (!x) return;
    for (size_t p = pa; p < pb; p++) apply_point(w, p, w->s->gfit ? &w->s->gm : NULL, x);
    free(x);
}

/* ---- scope global: one model for the whole grid, fitted before the first band is written ------
 * Its cases are every point's at every training time: the fit needs all of them, at every step
 * of its minimisation. In a plan of several shards each tile holds its own bands' cases only and
 * the shards, the ranks of one MPI job, exchange each band's sums at every step
 * (fc_emos_fit_blocks): that is the step of the grid that must communicate. One process holds
 * every band's cases; the model is the same bit for bit either way. */

typedef struct gblocks {
    pol_run *run;
    const size_t *first; /* the bands of each rank */
    pol_err err;
} gblocks;

static int gb_gather(double *buf, size_t per, void *user)
{
    gblocks *g = user;
    return pol__comm_gather(buf, g->first, per, &g->err) != POL_OK;
}

static void gb_each(size_t n, void (*f)(void *u, size_t a, size_t b), void *u, void *user)
{
    gblocks *g = user;
    pol__parallel_for(g->run, n, 1, f, u);
}

static pol_status global_fit(pol_run *run, const pol_args *args, gstate *s)
{
    gopts o;
    pol_status st = args_opts(run, args, &o);
    if (st) return st;
    const pol_stage *sg = run->stage;
    size_t nr = s->train.nrows, nc = s->train.ncols, rows = band_rows(&o, nr, nc);
    size_t nb = (nr + rows - 1) / rows;
    /* tiles of a plan of several shards: this part's bands, the others' on the other ranks */
    int talk = sg && sg->parts > 1 && !strcmp(sg->name, "tiles");
    size_t size = talk ? sg->parts : 1, me = talk ? sg->part : 0;
    size_t *first = calloc(size + 1, sizeof *first);
    fc_block *bl = NULL;
    if (!first) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t r = 0; first && r <= size; r++) first[r] = band_of_part(nb, r, size);
    if (!st && talk && (pol__comm_size() != size || pol__comm_rank() != me))
        st = pol__fail(run, POL_ERR_ARG, "scope global fits one model over the whole grid: the %zu "
                       "tiles must run together as the ranks of one MPI job (mpirun -np %zu polish "
                       "run --plan PLAN --stage %zu --mpi)", size, size, sg->stage);
    size_t b0 = first ? first[me] : 0, b1 = first ? first[me + 1] : 0, ncases = 0;
    size_t per_band = rows * nc * s->train.nt;
    if (!st) { /* this rank's cases: at most one a point and training time */
        uint64_t most = (uint64_t)(b1 - b0) * per_band;
        st = pol__mem_reserve(run, most * sizeof(fc_case) + (uint64_t)(s->train.nm + 1) * per_band *
                              sizeof(float), "the training cases of a model over the whole grid");
    }
    if (!st && !(bl = calloc(b1 > b0 ? b1 - b0 : 1, sizeof *bl)))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t tn = s->train.nm * s->train.nt * rows * nc, on = s->obs.nt * rows * nc;
    float *tb = st ? NULL : malloc(tn * sizeof *tb), *ob = st ? NULL : malloc(on * sizeof *ob);
    if (!st && (!tb || !ob)) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t b = b0; !st && b < b1; b++) {
        size_t r0 = b * rows, n_r = r0 + rows > nr ? nr - r0 : rows, np = n_r * nc;
        st = fc_gridfile_rows(run, &s->train, r0, n_r, tb);
        if (!st) st = fc_gridfile_rows(run, &s->obs, r0, n_r, ob);
        fc_block *k = &bl[b - b0];
        if (!st && !(k->c = malloc((np * s->train.nt + 1) * sizeof *k->c)))
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        gwork w = {.s = s, .ntr = s->train.nt, .nmtr = s->train.nm, .np = np, .tr = tb, .ob = ob};
        for (size_t p = 0; !st && p < np; p++)
            for (size_t t = 0; t < s->train.nt; t++) {
                double mean, sd, y;
                if (!point_case(&w, p, t, &mean, &sd, &y)) continue;
                k->c[k->n++] = (fc_case){(float)mean, (float)fc_lsd(sd), (float)y};
                k->any_sd |= sd > 0;
            }
        ncases += k->n;
    }
    free(tb);
    free(ob);
    if (talk) { /* every rank has its cases, or the job stops here, each rank saying which failed */
        pol_err e;
        pol_status ag = pol__comm_agree(st, st ? run->err->msg : NULL, NULL, &e);
        if (ag && !st) { /* "rank R of N failed: INPUT: why": the input is this one */
            size_t li = run->input ? strlen(run->input) : 0;
            char *at = li ? strstr(e.msg, run->input) : NULL;
            if (at && !strncmp(at + li, ": ", 2)) memmove(at, at + li + 2, strlen(at + li + 2) + 1);
            st = pol__fail(run, ag, "%s", e.msg);
        }
    }
    if (!st) {
        gblocks g = {.run = run, .first = first};
        fc_blocks fb = {.n_blocks = nb, .b0 = b0, .b1 = b1, .own = bl, .gather = gb_gather,
                        .each = gb_each, .user = &g};
        int rc = fc_emos_fit_blocks(&s->gm, s->dist, s->mle, &fb);
        if (rc == -2) st = pol__fail(run, g.err.code ? g.err.code : POL_ERR_INTERNAL, "%s", g.err.msg);
        s->gfit = rc == 0 && s->gm.n >= s->min_train;
    }
    if (!st) {
        pol__measure_int(run, "global_training_cases", (long long)s->gm.n);
        pol__measure_int(run, "global_bands", (long long)nb);
        pol__measure_int(run, "global_ranks", (long long)size);
        pol__measure_int(run, "global_cases_here", (long long)ncases);
        if (s->gfit) {
            pol__measure(run, "global_a", s->gm.a);
            pol__measure(run, "global_b", s->gm.b);
            pol__measure(run, "global_c", s->gm.c);
            pol__measure(run, "global_d", s->gm.d);
            pol__measure(run, "global_score", s->gm.score);
            pol__decide(run, "one EMOS model for the whole grid: mu = %.6g + %.6g * mean, log sigma "
                        "= %.6g + %.6g * log sd, from %zu training cases in %zu bands%s", s->gm.a,
                        s->gm.b, s->gm.c, s->gm.d, s->gm.n, nb,
                        size > 1 ? ", their sums exchanged between the ranks" : "");
        } else {
            pol__warn(run, "scope global: %zu training cases with observations, fewer than %zu: the "
                      "raw ensemble is passed through", s->gm.n, s->min_train);
        }
    }
    for (size_t b = b0; bl && b < b1; b++) free(bl[b - b0].c);
    free(bl);
    free(first);
    return st;
}

/* Units are grid points (local) or boxes (regional) of the band. */
static void unit_range(void *user, size_t ua, size_t ub)
{
    gwork *w = user;
    gstate *s = w->s;
    gchunk *c = w->c;
    size_t cols = c->grid_cols, box = w->box;
    size_t cap = box * box * w->ntr;
    fc_sample *smp = malloc((cap ? cap : 1) * sizeof *smp);
    float *x = malloc((c->nm ? c->nm : 1) * 2 * sizeof *x);
    size_t *pts = malloc(box * box * sizeof *pts);
    if (!smp || !x || !pts) {
        free(smp);
        free(x);
        free(pts);
        return;
    }
    for (size_t u = ua; u < ub; u++) {
        size_t npt = 0;
        if (box == 1) {
            pts[npt++] = u;
        } else {
            size_t br = u / w->boxes_per_row, bc = u % w->boxes_per_row;
            for (size_t r = br * box; r < (br + 1) * box && r < c->nr; r++)
                for (size_t q = bc * box; q < (bc + 1) * box && q < cols; q++) pts[npt++] = r * cols + q;
        }
        size_t n = 0;
        for (size_t i = 0; i < npt; i++)
            for (size_t t = 0; t < w->ntr; t++) {
                fc_sample *sm = &smp[n];
                memset(sm, 0, sizeof *sm);
                n += point_case(w, pts[i], t, &sm->mean, &sm->sd, &sm->y);
            }
        fc_emos e;
        memset(&e, 0, sizeof e);
        int fitted = n >= s->min_train && n >= 3 && fc_emos_fit(&e, s->dist, s->mle, smp, n, 0) == 0;
        for (size_t i = 0; i < npt; i++) apply_point(w, pts[i], fitted ? &e : NULL, x);
    }
    free(smp);
    free(x);
    free(pts);
}

/* Local or regional: the band's training rows read, a model fitted per point or box. */
static pol_status fit_band(pol_run *run, gstate *s, gchunk *c)
{
    size_t np = c->np;
    size_t tn = s->train.nt * s->train.nm * np, on = s->obs.nt * np;
    if (tn > s->tcap) { /* the training band and its observations (reserved once: later bands
                          * are no larger) */
        pol_status ms = pol__mem_reserve(run, (uint64_t)(tn + on) * sizeof(float), "a training band");
        if (ms) return ms;
        free(s->tbuf);
        s->tbuf = malloc(tn * sizeof(float));
        s->tcap = s->tbuf ? tn : 0;
    }
    if (on > s->ocap) {
        free(s->obuf);
        s->obuf = malloc(on * sizeof(float));
        s->ocap = s->obuf ? on : 0;
    }
    if (!s->tbuf || !s->obuf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st = fc_gridfile_rows(run, &s->train, c->r0, c->nr, s->tbuf);
    if (!st) st = fc_gridfile_rows(run, &s->obs, c->r0, c->nr, s->obuf);
    if (st) return st;
    gwork w;
    memset(&w, 0, sizeof w);
    w.s = s;
    w.c = c;
    w.box = c->o->box ? c->o->box : 1;
    w.boxes_per_row = (c->grid_cols + w.box - 1) / w.box;
    w.ntr = s->train.nt;
    w.nmtr = s->train.nm;
    w.np = np;
    w.tr = s->tbuf;
    w.ob = s->obuf;
    size_t units = w.box == 1 ? np : ((c->nr + w.box - 1) / w.box) * w.boxes_per_row;
    pol__parallel_for(run, units, w.box == 1 ? 64 : 4, unit_range, &w);
    return POL_OK;
}

static pol_status gs_apply(pol_run *run, void *p, pol__chunk *pc)
{
    gstate *s = p;
    gchunk *c = pc->data;
    if (!c->done) { /* (done: calibrated by its tiles stage, only counted) */
        if (c->grid_rows != s->train.nrows || c->grid_cols != s->train.ncols)
            return pol__fail(run, POL_ERR_ARG, "the training grid (%zu x %zu) is not the forecast "
                             "grid (%zu x %zu)", s->train.nrows, s->train.ncols, c->grid_rows,
                             c->grid_cols);
        if (s->global) { /* the grid's model, fitted in begin: no training rows to read */
            gwork w = {.s = s, .c = c, .np = c->np};
            pol__parallel_for(run, c->np, 64, global_range, &w);
        } else {
            pol_status st = fit_band(run, s, c);
            if (st) return st;
        }
        if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    }
    for (size_t i = 0; i < c->np; i++) {
        s->calibrated += c->model[i] == 1;
        s->raw += c->model[i] == 0;
        s->none += c->model[i] == -1;
    }
    s->points += c->np;
    s->bands++;
    return POL_OK;
}

static pol_status gs_end(pol_run *run, void *p)
{
    gstate *s = p;
    pol__measure_int(run, "grid_points", (long long)s->points);
    pol__measure_int(run, "bands", (long long)s->bands);
    if (s->train.kind == 1) /* each message once, whatever the number of bands */
        pol__measure_int(run, "training_grib_messages_decoded",
                         (long long)(s->train.decoded + (s->obs_open ? s->obs.decoded : 0)));
    pol__measure_int(run, "points_calibrated", (long long)s->calibrated);
    pol__measure_int(run, "points_raw_passed_through", (long long)s->raw);
    pol__decide(run, "EMOS (%s, %s) fitted on %zu grid points in %zu bands of rows",
                s->dist == FC_TRUNCNORM ? "truncated normal" : s->dist == FC_CLOGIS ? "censored logistic"
                                                                                    : "gaussian",
                s->mle ? "maximum likelihood" : "minimum CRPS", s->calibrated, s->bands);
    if (s->raw)
        pol__warn(run, "%zu grid points had fewer than %zu training cases with observations: their raw "
                  "ensemble is passed through (0 in <variable>_calibrated)", s->raw, s->min_train);
    if (s->none) pol__warn(run, "%zu grid points have no members: left empty", s->none);
    return POL_OK;
}

static const pol_op_stream grid_stream = {
    .halo = 0,
    .begin = gs_begin,
    .apply = gs_apply,
    .end = gs_end,
    .free = gs_free,
};

static pol_status run_whole(pol_run *run, pol_asset *asset, const pol_args *args)
{
    (void)asset;
    (void)args;
    return pol__fail(run, POL_ERR_UNSUPPORTED, "calibrate-grid works band by band: it cannot run "
                     "with delivery targets or after an op that needs the whole item");
}

const pol_op_desc pol__forecast_op_calibrate_grid = {
    .domain = "forecast",
    .name = "calibrate-grid",
    .summary = "EMOS per grid point (or box) of a gridded ensemble (NetCDF-CF, GRIB), tile by tile",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run_whole,
    .stream = &grid_stream,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};

/* Stage 1 of a plan in tiles: part P of the bands of `path`, fitted, applied and written with
 * the calibration's state of step `a` (one process's bands: the same rows a band, the same fits). */
pol_status pol__forecast_grid_tiles(pol_run *run, const char *path, const pol_args *a)
{
    const pol_stage *sg = run->stage;
    void *rv = NULL, *sv = NULL;
    pol__outfile of = {0};
    int opened = 0;
    pol_status st = g_open_args(run, path, a, &rv);
    if (!st) st = gs_begin(run, a, &sv);
    greader *r = rv;
    size_t bands = 0, b0 = 0, b1 = 0;
    if (!st && access(sg->out, F_OK) == 0) { /* a rerun of a stage whose ranks communicate:
                                               * this rank took part in the fit; its tile stays */
        pol__decide(run, "tile %zu of %zu: written before, kept", sg->part + 1, sg->parts);
        gs_free(sv);
        g_close(rv);
        return POL_OK;
    }
    if (!st) {
        bands = (r->g.nrows + r->rows_per - 1) / r->rows_per;
        b0 = band_of_part(bands, sg->part, sg->parts);
        b1 = band_of_part(bands, sg->part + 1, sg->parts);
        st = pol__out_open(run, sg->out, &of);
        opened = !st;
    }
    if (!st) fwrite(TILE_MAGIC, 1, strlen(TILE_MAGIC), of.fp);
    for (size_t b = b0; !st && b < b1; b++) {
        pol__chunk *pc = NULL;
        r->next_row = b * r->rows_per;
        st = g_read(run, r, 0, &pc);
        if (!st && !pc) st = pol__fail(run, POL_ERR_INTERNAL, "band %zu past the grid", b);
        if (!st) st = gs_apply(run, sv, pc);
        if (st) break;
        const gchunk *c = &r->c;
        tile_head h = {c->r0, c->nr, c->np, c->nt, c->nm, band_outs(c)};
        fwrite(&h, sizeof h, 1, of.fp);
        fwrite(c->ens, sizeof(float), c->nt * c->nm * c->np, of.fp);
        fwrite(c->mu, sizeof(float), h.nout, of.fp);
        fwrite(c->model, 1, c->np, of.fp);
        if (ferror(of.fp)) st = pol__fail(run, POL_ERR_IO, "cannot write %s", sg->out);
    }
    if (!st) st = gs_end(run, sv);
    if (!st) {
        pol__measure_int(run, "tile_bands", (long long)(b1 - b0));
        pol__decide(run, "tile %zu of %zu: bands %zu to %zu of %zu (rows %zu to %zu)", sg->part + 1,
                    sg->parts, b0, b1, bands, b0 * (r ? r->rows_per : 0),
                    r && b1 * r->rows_per < r->g.nrows ? b1 * r->rows_per : r ? r->g.nrows : 0);
    }
    if (opened) {
        if (st) pol__out_abort(&of);
        else st = pol__out_commit(run, &of);
    }
    if (sv) gs_free(sv);
    g_close(rv);
    return st;
}
