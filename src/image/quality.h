/* polish — private estimators and colour fast paths shared by image analysis and the correction ops. */
#ifndef POLISH_IMAGE_QUALITY_H
#define POLISH_IMAGE_QUALITY_H

#include "image/image.h"

/* Fills the lookup tables of the fast paths below; call once before using them (idempotent). */
void pol__colour_init(void);
/* sRGB transfer through interpolated tables (error < 2e-6); exact outside 0..1. */
float pol__to_linear_fast(float v);
float pol__to_srgb_fast(float v);
/* Linear sRGB to CIELAB (D65) with a tabulated cube root. */
void pol__linear_to_lab_fast(const float lin[3], float lab[3]);
/* Exact linear-sRGB <-> CIELAB. */
void pol_linear_rgb_to_lab(const float rgb[3], float lab[3]);
void pol_lab_to_linear_rgb(const float lab[3], float rgb[3]);

#endif
