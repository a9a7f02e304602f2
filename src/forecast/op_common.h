/* polish — forecast: parameters shared by calibrate, fit and apply. */
#ifndef POLISH_FORECAST_OP_COMMON_H
#define POLISH_FORECAST_OP_COMMON_H

#include <string.h>
#include "forecast/forecast.h"

#define FC_DEFAULT_QUANTILES                                                                       \
    "0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.55,0.6,0.65,0.7,0.75,0.8,0.85,0.9,0.95"

/* The fitting parameters (method ... predictors), in one place for every op that fits. */
#define FC_FIT_PARAMS                                                                              \
    FC_FIT_PARAMS_HEAD,                                                                            \
    FC_WINDOW_PARAM("0", 0, "Rolling training window: only the training cases in the N days "      \
                    "before each forecast's init time (0: all)."),                                 \
    FC_FIT_PARAMS_TAIL

/* method ... lead-window */
#define FC_FIT_PARAMS_HEAD                                                                         \
    {"method", POL_PARAM_ENUM, "emos", 0, -1, "emos|mos|bias|raw",                                 \
     "How the forecast is calibrated.", .choice_help = (const char *const[]){                      \
         "emos: ensemble model output statistics (nonhomogeneous regression) by minimum CRPS",     \
         "mos: multiple linear regression of the observation on the ensemble mean (+ predictors)", \
         "bias: decaying-average bias correction of the members",                                  \
         "raw: no calibration (the raw ensemble, for comparison)", NULL}},                         \
    {"distribution", POL_PARAM_ENUM, "gaussian", 0, -1, "gaussian|truncnormal|clogistic",          \
     "EMOS predictive distribution.", .choice_help = (const char *const[]){                        \
         "gaussian: temperature, pressure (mu, sigma)",                                           \
         "truncnormal: normal truncated at 0, for wind speed (location mu, scale sigma)",          \
         "clogistic: logistic censored at 0, for precipitation (location mu, scale sigma)", NULL}, \
     .when = "method=emos"},                                                                       \
    {"estimator", POL_PARAM_ENUM, "crps", 0, -1, "crps|mle", "EMOS estimator: minimum CRPS or "    \
     "maximum likelihood.", .when = "method=emos"},                                                \
    {"scope", POL_PARAM_ENUM, "local", 0, -1, "local|regional|global",                             \
     "One model per station, per region (--region-column) or for all stations; a station with "    \
     "fewer than --min-train cases uses the global model, one with none passes its raw ensemble "  \
     "through (flagged)."},                                                                        \
    {"region-column", POL_PARAM_STR, "region", 0, -1, NULL,                                        \
     "The column naming each station's region.", .when = "scope=regional"},                        \
    {"per-lead", POL_PARAM_BOOL, "true", 0, -1, NULL, "One model per lead time."},                 \
    {"lead-window", POL_PARAM_NUM, "0", 0, 1e5, NULL,                                             \
     "Smooth lead-time dependence: each lead's model pools the training cases of the leads "       \
     "within +- H hours (0: each lead alone); a lead without a fit uses the nearest one in the "   \
     "window.", .unit = "h"}

/* The rolling window, with a default and floor of the op's own. */
#define FC_WINDOW_PARAM(def, lo, help)                                                             \
    {"window-days", POL_PARAM_NUM, def, lo, 36500, NULL, help, .unit = "days"}

/* The fitting parameters after the window (min-train ... predictors). */
#define FC_FIT_PARAMS_TAIL                                                                         \
    {"min-train", POL_PARAM_INT, "30", 3, 1e9, NULL,                                               \
     "Fewest training cases for a model; fewer fall back to the global model."},                   \
    {"bias-weight", POL_PARAM_NUM, "0.05", 0.001, 1, NULL,                                         \
     "Weight of the newest error in the decaying-average bias.", .when = "method=bias"},           \
    {"predictors", POL_PARAM_STR, NULL, 0, -1, NULL,                                               \
     "Extra predictor columns of both tables, comma-separated (EMOS and MOS location)."}

#define FC_OUT_PARAMS                                                                              \
    {"quantiles", POL_PARAM_STR, FC_DEFAULT_QUANTILES, 0, -1, NULL,                                \
     "Quantile levels written as q05 ... q95 (comma-separated, in (0, 1))."},                      \
    {"thresholds", POL_PARAM_STR, NULL, 0, -1, NULL,                                               \
     "Thresholds whose exceedance probability is written as p_gt_T (comma-separated)."},           \
    {"ecc", POL_PARAM_BOOL, "true", 0, -1, NULL,                                                   \
     "Write calibrated members ecc_1..ecc_M reordered by ensemble copula coupling."}

pol_status fc_settings_from_args(pol_run *run, const pol_args *args, fc_settings *s);
/* Parses quantiles and thresholds into the caller's arrays (64 each). */
pol_status fc_output_from_args(pol_run *run, const pol_args *args, double *q, double *thr,
                               fc_output *o);

#endif
