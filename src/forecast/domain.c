/* polish — the forecast domain: recognise station tables, load, save, inspect. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "forecast/forecast.h"
#include "core/pipeline.h"
#include "core/stream.h"
#include "forecast/gridfile.h"
#include "records/io.h"

static const char *const extensions[] = {"csv", "tsv", "nc", "nc4", "grib", "grib2", "grb", "grb2",
                                         NULL};
extern const pol__stream_io pol__forecast_grid_stream;
extern const pol_op_desc pol__forecast_op_calibrate_grid;
pol_status pol__forecast_grid_tiles(pol_run *run, const char *path, const pol_args *a);

/* The calibrate-grid step of a pipeline, or NULL. */
static const pol__step *grid_step(const pol_pipeline *p)
{
    for (size_t i = 0; i < p->n_steps; i++)
        if (p->steps[i].op == &pol__forecast_op_calibrate_grid) return &p->steps[i];
    return NULL;
}

/* polish plan: a gridded calibration in two stages, "tiles" (one part per shard: its share of the
 * bands of rows, fitted and applied) and "join" (the output written from the tiles, as one
 * process writes it). docs/SCALE.md. */
static size_t plan_stages(const pol_pipeline *p, size_t shards, const char **names, size_t *parts,
                          size_t max)
{
    (void)shards;
    if (p->n_steps != 1 || !grid_step(p) || max < 2) return 0; /* the calibration alone */
    names[0] = "tiles";
    parts[0] = 0; /* one per shard */
    names[1] = "join";
    parts[1] = 1;
    return 2;
}

/* scope global: one model for the whole grid, whose fit needs every tile's training cases at
 * every step: the tiles must communicate (an MPI job) when there are several. */
static int stage_talks(const pol_pipeline *p, size_t stage, size_t shards)
{
    const pol__step *g = grid_step(p);
    return g && stage == 1 && shards > 1 && pol__arg_choice(g->args, "scope") == 2;
}

/* A gridded calibration's tiles are bands of a grid's rows: a plan for any other file (a
 * station table) is refused when it is made, as the run would refuse it in every shard. */
static pol_status plan_input(const pol_pipeline *p, const char *path, pol_err *err)
{
    if (!grid_step(p)) return POL_OK;
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__err_set(err, POL_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    if (fc_grid_kind(head, got)) return POL_OK;
    return pol__err_set(err, POL_ERR_FORMAT, "%s is neither GRIB nor NetCDF: calibrate-grid plans "
                        "tiles of a grid (a station table is calibrated by calibrate)", path);
}

static int stage_unloaded(pol_run *run, const pol_pipeline *p, pol_status *st)
{
    const pol__step *g = grid_step(p);
    if (!g || strcmp(run->stage->name, "tiles")) return 0;
    *st = pol__forecast_grid_tiles(run, run->input, g->args);
    return 1;
}

/* A station table only: its header line names station, init_time and lead_h and has member
 * columns (ens_1 ...) or a member column. Any other CSV (a contact list, measurements) is left
 * to the records domain. */
static int sniff(const unsigned char *head, size_t n, const char *path)
{
    (void)path;
    if (fc_grid_kind(head, n)) return 80; /* a gridded ensemble: streamed by calibrate-grid */
    size_t i = 0;
    if (n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF) i = 3;
    size_t end = i;
    while (end < n && head[end] != '\n') end++;
    if (end == n && n == 4096) return 0; /* no header line in the head */
    int have_station = 0, have_init = 0, have_lead = 0, have_members = 0;
    while (i < end) {
        size_t a = i;
        while (i < end && head[i] != ',' && head[i] != ';' && head[i] != '\t' && head[i] != '\r')
            i++;
        size_t b = i;
        while (a < b && (head[a] == ' ' || head[a] == '"')) a++;
        while (b > a && (head[b - 1] == ' ' || head[b - 1] == '"')) b--;
        char name[32];
        size_t len = b - a < sizeof name - 1 ? b - a : sizeof name - 1;
        memcpy(name, head + a, len);
        name[len] = '\0';
        if (strcasecmp(name, "station") == 0) have_station = 1;
        else if (strcasecmp(name, "init_time") == 0) have_init = 1;
        else if (strcasecmp(name, "lead_h") == 0) have_lead = 1;
        else if (strcasecmp(name, "member") == 0) have_members = 1;
        else if (strncasecmp(name, "ens_", 4) == 0 && isdigit((unsigned char)name[4]))
            have_members = 1;
        i++;
    }
    return have_station && have_init && have_lead && have_members ? 90 : 0;
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(head, 1, sizeof head, fp) : 0;
    if (fp) fclose(fp);
    if (fc_grid_kind(head, got)) { /* held as its path: written back unchanged */
        fc_gridfile g;
        pol_status gs = fc_gridfile_open(run, path, NULL, &g);
        if (!gs) {
            pol__measure_int(run, "grid_rows", (long long)g.nrows);
            pol__measure_int(run, "grid_columns", (long long)g.ncols);
            pol__measure_int(run, "times", (long long)g.nt);
            pol__measure_int(run, "members", (long long)g.nm);
        }
        fc_gridfile_close(&g);
        if (gs == POL_ERR_NOMEM || gs == POL_ERR_LIMIT || gs == POL_ERR_IO) return gs;
        pol__decide(run, "a gridded ensemble: 'forecast calibrate-grid' calibrates it band by band, "
                    "'forecast extract' reads it at stations; anything else leaves it as it is");
        pol__forecast *gf = calloc(1, sizeof *gf);
        if (!gf) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        gf->grid = 1;
        *out = pol__asset_new(&pol__forecast_domain, gf, path);
        if (!*out) {
            free(gf);
            return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        }
        return POL_OK;
    }
    pol__forecast *f = NULL;
    pol_status st = pol__forecast_load_path(run, path, &f);
    if (st) return st;
    pol__measure_int(run, "rows", (long long)f->n);
    pol__measure_int(run, "members", (long long)f->m);
    pol__measure_int(run, "stations", (long long)f->n_names);
    if (f->long_form) pol__decide(run, "long form (one row per member) read as one row per case");
    *out = pol__asset_new(&pol__forecast_domain, f, path);
    if (!*out) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return POL_OK;
}

/* A gridded file no step changed: its own bytes. */
static pol_status copy_bytes(pol_run *run, const char *src, const char *path)
{
    FILE *in = src ? fopen(src, "rb") : NULL;
    if (!in) return pol__fail(run, POL_ERR_IO, "cannot read %s", src ? pol__path_base(src) : "?");
    pol__outfile of = {0};
    of.fd = -1;
    pol_status st = pol__out_open(run, path, &of);
    char buf[65536];
    size_t n;
    while (!st && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, of.fp) != n) st = pol__fail(run, POL_ERR_IO, "cannot write %s", path);
    if (!st && ferror(in)) st = pol__fail(run, POL_ERR_IO, "cannot read %s", pol__path_base(src));
    fclose(in);
    if (!st) st = pol__out_commit(run, &of);
    pol__out_abort(&of);
    return st;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    pol__forecast *f = pol__forecast_of(a);
    if (f && f->grid) return copy_bytes(run, a->source_path, path);
    if (!f || !f->t) return pol__fail(run, POL_ERR_INTERNAL, "nothing to save");
    pol__outfile of = {0};
    of.fd = -1;
    pol_status st = pol__out_open(run, path, &of);
    if (!st)
        st = pol__csv_write(run, f->t, of.fp, strcasecmp(pol__path_ext(path), "tsv") == 0 ? '\t' : ',',
                            1);
    if (!st) st = pol__out_commit(run, &of);
    pol__out_abort(&of);
    return st;
}

static pol_status inspect(pol_run *run, pol_asset *a)
{
    pol__forecast *f = pol__forecast_of(a);
    if (f->grid) return POL_OK; /* measured on loading */
    pol__measure_int(run, "rows", (long long)f->n);
    pol__measure_int(run, "members", (long long)f->m);
    pol__measure_int(run, "stations", (long long)f->n_names);
    pol__measure_int(run, "missing_obs", (long long)f->n_missing_obs);
    pol__measure_int(run, "missing_members", (long long)f->n_nan_members);
    pol__measure_int(run, "duplicate_rows", (long long)f->n_dup);
    pol__measure_bool(run, "unsorted_times", f->unsorted);
    return POL_OK;
}

/* Station tables are written as CSV (an item a generator made has no input name to follow). */
static const char *out_ext(pol_asset *a)
{
    if (pol__forecast_of(a) && pol__forecast_of(a)->grid) return NULL; /* its own name */
    const char *ext = a->source_path ? pol__path_ext(a->source_path) : "";
    return strcasecmp(ext, "tsv") == 0 ? "tsv" : "csv";
}

static void *clone(const void *data)
{
    return pol__forecast_clone(data);
}

static const pol__limit_key limits[] = {
    {"members", 10000, 0, NULL, "Ensemble members per row of a station table."},
    {NULL, 0, 0, NULL, NULL},
};

static const char *const auto_steps[] = {"self-calibrate", NULL};

const pol__domain pol__forecast_domain = {
    .name = "forecast",
    .summary = "Statistical post-processing of weather forecasts (station tables of ensembles)",
    .ops = pol__forecast_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .data_free = pol__forecast_free,
    .data_clone = clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .limits = limits,
    .stream = &pol__forecast_grid_stream,
    .plan_stages = plan_stages,
    .stage_unloaded = stage_unloaded,
    .stage_talks = stage_talks,
    .plan_input = plan_input,
};
