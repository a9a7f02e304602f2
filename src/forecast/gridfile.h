/* polish — forecast: gridded ensemble files read and written in bands of grid rows (tiles), so a
 * global grid is calibrated in bounded memory. NetCDF-CF through netcdf-c, GRIB through ecCodes.
 * (internal to the forecast domain) */
#ifndef POLISH_FORECAST_GRIDFILE_H
#define POLISH_FORECAST_GRIDFILE_H

#include "forecast/forecast.h"

/* An opened gridded ensemble: one variable, nt times (fields per member) x nm members on a grid of
 * nrows x ncols points (a GRIB grid that is not a regular rows x columns grid is one row). */
typedef struct fc_gridfile {
    int kind; /* 1 GRIB, 2 NetCDF */
    char *path;
    char var[128];
    size_t nrows, ncols, nt, nm;
    /* NetCDF */
    int nc, vid, ndims, d_t, d_m, d_lat, d_lon;
    double scale, offset, fill;
    int has_fill;
    double *lat, *lon;   /* coordinate values (nrows, ncols) */
    double *time;        /* nt values in time_units (NULL: no time coordinate) */
    char time_units[128];
    long *member;        /* nm member numbers */
    /* GRIB: every message of the variable, by (time, member) */
    long *off;           /* nt x nm byte offsets (-1: missing) */
    size_t *len;
    double *valid;       /* nt valid times, seconds since 1970 */
    void *fp;            /* FILE * */
    /* GRIB read in several bands: every message decoded once into a temporary file of floats
     * (message-major, nt x nm fields of nrows x ncols), the bands read back from it */
    void *cache;         /* FILE *, NULL until the first band that is not the whole grid */
    size_t decoded;      /* messages decoded (each once) */
} fc_gridfile;

/* Opens `path` and finds variable `var` (NULL or "": the file's only gridded variable). */
pol_status fc_gridfile_open(pol_run *run, const char *path, const char *var, fc_gridfile *g);
void fc_gridfile_close(fc_gridfile *g);
/* Rows [r0, r0 + nr) of every (time, member) into out[(t * nm + m) * np + p], np = nr * ncols;
 * missing values NaN. GRIB: a band that is not the whole grid first decodes every message once
 * into a temporary file (4 bytes a value, on disk: memory stays one field), later bands read it. */
pol_status fc_gridfile_rows(pol_run *run, fc_gridfile *g, size_t r0, size_t nr, float *out);

#endif
