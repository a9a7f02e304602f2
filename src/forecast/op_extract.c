/* polish — forecast.extract: a gridded ensemble (GRIB2 or NetCDF-CF) at station locations, as a
 * station table. `polish forecast extract --grid F.grib2 --stations s.csv --variable 2t -o t.csv`. */
#include <math.h>
#include <stdlib.h>
#include <strings.h>
#include "forecast/op_common.h"
#include "records/io.h"
#include "records/records.h"

static const pol_param_desc params[] = {
    {"variable", POL_PARAM_STR, NULL, 0, -1, NULL,
     "The variable: a GRIB shortName (2t, 10u, tp) or a NetCDF variable or standard name.",
     .flags = POL_PARAM_REQUIRED},
    {"level", POL_PARAM_INT, "-1", -1, 1e9, NULL, "Only fields at this level (-1: any)."},
};

static const pol_port_desc inputs[] = {
    {"grid", POL_PORT_FILE, NULL, "grib|grib2|grb|grb2|nc|nc4", POL_PORT_REQUIRED | POL_PORT_MANY,
     "Gridded ensemble files (GRIB2 through ecCodes, NetCDF-CF through netcdf-c); several are read "
     "as one ensemble."},
    {"stations", POL_PORT_FILE, NULL, "csv|tsv", POL_PORT_REQUIRED,
     "Stations: a table with columns station, lat, lon (degrees)."},
};

static long col(const pol__table *t, const char *name)
{
    for (size_t c = 0; c < pol__table_cols(t); c++)
        if (strcasecmp(pol__table_name(t, c), name) == 0) return (long)c;
    return -1;
}

static pol_status read_stations(pol_run *run, const char *path, pol__records **keep, fc_stations *s)
{
    pol_status st = pol__csv_load(run, path, keep);
    if (st) return st;
    const pol__table *t = (*keep)->rows;
    long cs = col(t, "station"), ca = col(t, "lat"), co = col(t, "lon");
    if (ca < 0) ca = col(t, "latitude");
    if (co < 0) co = col(t, "longitude");
    if (cs < 0 || ca < 0 || co < 0)
        return pol__fail(run, POL_ERR_FORMAT, "%s: a station list needs the columns station, lat, lon",
                         pol__path_base(path));
    s->n = pol__table_rows(t);
    if (!s->n) return pol__fail(run, POL_ERR_EMPTY, "%s: no stations", pol__path_base(path));
    s->names = calloc(s->n, sizeof *s->names);
    s->lat = malloc(s->n * sizeof(double));
    s->lon = malloc(s->n * sizeof(double));
    if (!s->names || !s->lat || !s->lon) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t r = 0; r < s->n; r++) {
        s->names[r] = (char *)pol__table_get(t, r, (size_t)cs);
        if (pol__forecast_num(pol__table_get(t, r, (size_t)ca), &s->lat[r]) != 1 ||
            pol__forecast_num(pol__table_get(t, r, (size_t)co), &s->lon[r]) != 1 ||
            fabs(s->lat[r]) > 90)
            return pol__fail(run, POL_ERR_FORMAT, "%s line %u: lat/lon are not coordinates in degrees",
                             pol__path_base(path), pol__table_src_line(t, r));
    }
    return POL_OK;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    size_t n = pol__input_count(args, "grid");
    const char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) paths[i] = pol__input_path(args, "grid", i);
    pol__records *keep = NULL;
    fc_stations s = {0};
    pol__table *t = NULL;
    pol_status st = read_stations(run, pol__input_path(args, "stations", 0), &keep, &s);
    if (!st)
        st = fc_grid_extract(run, paths, n, pol__arg_str(args, "variable"), pol__arg_int(args, "level"),
                             &s, &t);
    free(paths);
    free(s.names);
    free(s.lat);
    free(s.lon);
    pol__records_free(keep);
    if (st) return st;
    pol__forecast *f = NULL;
    st = pol__forecast_from_table(run, t, "extract", &f);
    if (st) return st;
    pol__measure_int(run, "rows", (long long)f->n);
    pol__forecast_free(asset->data);
    asset->data = f;
    return POL_OK;
}

const pol_op_desc pol__forecast_op_extract = {
    .domain = "forecast",
    .name = "extract",
    .summary = "Read a gridded ensemble (GRIB2, NetCDF-CF) at station locations into a station table",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_NO_INPUT,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
