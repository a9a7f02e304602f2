/* polish — the light's cues for fitting white balance (bench/image/wbfit.py); not in the library:
 * their fitted combination did not beat doing nothing on held-out photos (bench/RESULTS.md, image,
 * session 8), so image.white-balance keeps its own estimator. */
#pragma once
#include "image/quality.h"

/* The cues to the light's colour (wb_cues.c), each as (u, v): gray world, shades of gray (p 4),
 * gray-edge of order 1 with Minkowski p 1, 2, 6, of order 2 with p 2, white patch (top 1%),
 * bright-and-dark PCA (Cheng, Prasad and Brown 2014), gray pixels (Yang et al. 2015). Returns 0
 * when there is too little to go on. */
enum { POL_WB_C_GW, POL_WB_C_SOG, POL_WB_C_GE1, POL_WB_C_GE2, POL_WB_C_GE6, POL_WB_C_GE2O,
       POL_WB_C_WP, POL_WB_C_PCA, POL_WB_C_GP, POL_WB_NCUES };
extern const char *const pol__wb_cue_names[POL_WB_NCUES];
int pol__wb_cues(const pol__qsmall *s, double cue[POL_WB_NCUES][2]);

