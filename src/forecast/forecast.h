/* polish — the forecast domain: station tables of ensemble forecasts and observations. */
#ifndef POLISH_FORECAST_FORECAST_H
#define POLISH_FORECAST_FORECAST_H

#include "core/internal.h"
#include "forecast/stats.h"
#include "records/table.h"

/*
 * A station table, always held in the wide form: one row per (station, init_time, lead_h) with
 * the observation and the members. A long-form input (a `member` column and one value column)
 * is pivoted to this form on loading. The text cells are kept as read (`t`), so an output is
 * every input row with its columns; the numbers are parsed once into the arrays.
 */
typedef struct pol__forecast {
    pol__table *t;
    int long_form;     /* the input was in the long form */
    size_t n, m;       /* rows (cases) and member columns */
    long c_station, c_init, c_lead, c_obs; /* columns of t (c_obs -1: none) */
    long *c_ens;                           /* m member columns of t */
    double *init;      /* seconds since 1970 (UTC) */
    double *lead;      /* hours */
    double *obs;       /* NaN where unknown */
    double *ens;       /* n x m, NaN where missing */
    size_t *station;   /* index into names */
    char **names;      /* station names, sorted, n_names (malloc'ed) */
    size_t n_names;
    /* what loading found */
    size_t n_missing_obs, n_nan_members, n_dup;
    unsigned char *dup; /* n: 1 for a repeat of an earlier (station, init_time, lead_h) */
    int unsorted;       /* init times are not in order */
    int grid;           /* a gridded ensemble (GRIB, NetCDF): no table; only calibrate-grid
                           changes it (streamed), anything else writes its bytes unchanged */
} pol__forecast;

extern const pol__domain pol__forecast_domain;
extern const pol_op_desc *const pol__forecast_ops[];

static inline pol__forecast *pol__forecast_of(pol_asset *a)
{
    return (pol__forecast *)a->data;
}

void pol__forecast_free(void *data);
/* Parses a table (taken over) of either form. Errors name the line and column. */
pol_status pol__forecast_from_table(pol_run *run, pol__table *t, const char *what,
                                    pol__forecast **out);
/* Loads a station table from a CSV/TSV file. */
pol_status pol__forecast_load_path(pol_run *run, const char *path, pol__forecast **out);
/* A new table holding the same parsed data: the rows of `t` are shared by nobody (copied). */
pol__forecast *pol__forecast_clone(const pol__forecast *f);

/* Members of row i that are numbers, into x (m slots); returns how many. */
size_t pol__forecast_members(const pol__forecast *f, size_t i, double *x);
/* Mean and standard deviation (n-1) of row i's members; returns their count. */
size_t pol__forecast_moments(const pol__forecast *f, size_t i, double *mean, double *sd);

/* "2026-01-31T06:00:00Z", "2026-01-31 06:00", "2026-01-31": seconds since 1970 UTC; -1 on error
 * (*ok = 0). A time zone offset (+02:00) is applied. */
double pol__forecast_parse_time(const char *s, int *ok);
/* Walks the framing of every GRIB message in `path` (grib_check.c) before ecCodes reads it:
 * POL_ERR_CORRUPT naming the message and the fault when a length or section runs out of place. */
pol_status pol__forecast_grib_check(pol_run *run, const char *path);
/* Walks a classic NetCDF header (nc_check.c) before netCDF-C opens it: POL_ERR_CORRUPT naming
 * the fault when a count, length, name, type or dimension id is out of place. NetCDF-4 passes. */
pol_status pol__forecast_netcdf_check(pol_run *run, const char *path);
void pol__forecast_format_time(double t, char *buf, size_t cap);
/* A number cell: 1 and *v, 0 for empty/NA/NaN (v = NaN), -1 for text that is not a number. */
int pol__forecast_num(const char *s, double *v);

/* ---- calibration (calib.c) ------------------------------------------------------------------ */

typedef enum fc_method { FC_M_EMOS = 0, FC_M_MOS, FC_M_BIAS, FC_M_RAW } fc_method;
typedef enum fc_scope { FC_SCOPE_LOCAL = 0, FC_SCOPE_REGIONAL, FC_SCOPE_GLOBAL } fc_scope;

typedef struct fc_settings {
    fc_method method;
    fc_dist dist;
    int mle;
    fc_scope scope;
    const char *region_col; /* regional: the column naming a station's region */
    int per_lead;           /* one model per lead time (else one for all leads) */
    double lead_window_h;   /* per lead: pool the training cases of leads within +- this */
    double window_days;     /* rolling window before each forecast's init time (0: all) */
    int past_only;          /* rolling window: only cases whose observation was known at the
                               forecast's init time (init + lead before it) */
    size_t min_train;       /* fewer training cases: the next wider fit is used */
    double bias_weight;     /* decaying average weight */
    const char *predictors; /* extra predictor columns, comma-separated (NULL: none) */
} fc_settings;

/* One fitted model: which cases it serves and its coefficients. */
typedef struct fc_fit {
    char *group;     /* station, region or "*" (global) */
    double lead;     /* hours; NaN when it serves every lead */
    double until;    /* rolling window: fitted for forecasts at this init time (NaN: any) */
    fc_method method;
    fc_emos emos;    /* EMOS, and MOS (a, b, beta, c = log residual sd, d = 0) */
    double bias;     /* decaying-average bias (BIAS) */
    size_t n;        /* training cases used */
} fc_fit;

typedef struct fc_model {
    fc_settings set;
    char *pred_names[FC_MAX_PRED];
    size_t n_pred;
    fc_fit *fits;
    size_t n_fits;
} fc_model;

void fc_model_free(fc_model *m);
/* Fits the model to `train`. `apply` (may be NULL) gives the init times a rolling window needs
 * and the stations to fit. */
pol_status fc_model_fit(pol_run *run, const fc_settings *set, const pol__forecast *train,
                        const pol__forecast *apply, fc_model *out);
/* The model as a JSON document, and back. */
pol__jv *fc_model_json(const fc_model *m);
pol_status fc_model_from_json(pol_run *run, const char *text, const char *what, fc_model *out);

typedef struct fc_output {
    const double *quantiles; size_t n_q;
    const double *thresholds; size_t n_thr;
    int ecc;
} fc_output;
/* Adds mu, sigma, quantiles, exceedance probabilities, ECC members, `model` and `flag` columns to
 * f's table. */
pol_status fc_model_apply(pol_run *run, const fc_model *m, pol__forecast *f, const fc_output *o);

/* Parses "0.05,0.1" into v (at most cap); returns the count or -1. */
int pol__forecast_list(const char *s, double *v, int cap);

/* ---- verification (verify.c), test bed (testbed.c), plots (plot.c) -------------------------- */
typedef struct fc_fig {
    char title[96];
    unsigned char *png; /* malloc'ed */
    size_t len;
} fc_fig;
/* Scores `f` (a table with obs; raw members, and mu/sigma when calibrated) into a document:
 * overall and per lead time. With figs, PNG plots (PIT and rank histograms, a reliability diagram
 * per threshold) go into figs[0..*n_figs). */
pol_status fc_verify(pol_run *run, const pol__forecast *f, fc_dist dist, const double *thr,
                     size_t n_thr, fc_fig *figs, size_t max_figs, size_t *n_figs, pol__jv **doc);

typedef struct fc_testbed_opt {
    size_t k, members, train_inits, test_inits;
    double f_truth, f_model, analysis_sd, perturb_sd, obs_sd, gap_mtu, dt;
    double leads_mtu[8];
    size_t n_leads;
    unsigned long long seed;
} fc_testbed_opt;
void fc_testbed_defaults(fc_testbed_opt *o);
/* Makes the train and test tables. */
pol_status fc_testbed(pol_run *run, const fc_testbed_opt *o, pol__table **train, pol__table **test);

/* PNG bar chart / reliability diagram; *png malloc'ed. 0 ok. */
int fc_plot_hist(const char *title, const double *v, size_t n, double ref, unsigned char **png,
                 size_t *len);
int fc_plot_reliability(const char *title, const double *fp, const double *of, const size_t *cnt,
                        size_t n, unsigned char **png, size_t *len);

/* ---- gridded ensembles (grid.c) ------------------------------------------------------------ */
typedef struct fc_stations {
    char **names;
    double *lat, *lon;
    size_t n;
} fc_stations;
/* 1 GRIB, 2 NetCDF (classic or HDF5), 0 neither. */
int fc_grid_kind(const unsigned char *head, size_t n);
/* Reads variable `var` (GRIB shortName, or NetCDF name or standard_name; `level` -1 = any) of
 * every file at the stations' nearest grid points into a station table (obs empty, lat, lon,
 * ens_1..ens_M by member number). A file without the variable is an error naming what it holds. */
pol_status fc_grid_extract(pol_run *run, const char *const *paths, size_t n_paths, const char *var,
                           long level, const fc_stations *s, pol__table **out);

/* A text attribute of a NetCDF variable (malloc'ed), or NULL when absent or not text. */
char *pol__fc_nc_att_text(int nc, int v, const char *name);

#endif
