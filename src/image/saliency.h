/* polish — saliency-based crop placement, shared by image.crop and the export op's delivery presets. */
#ifndef POLISH_IMAGE_SALIENCY_H
#define POLISH_IMAGE_SALIENCY_H

#include "image/image.h"

/*
 * Chooses where a cw x ch window (in pixels of `im`) goes so that it keeps the most visually
 * salient part of the photo (colour contrast against the whole, plus detail, with a mild pull to
 * the centre). Returns 0 and the window's top-left corner in *x, *y; -1 when the window does not
 * fit inside the image or memory runs out (then *x, *y hold the centred placement when it fits).
 * Thread-safe; does not need a run.
 */
int pol__image_saliency_crop(const pol__image *im, int cw, int ch, int *x, int *y);

/* The saliency map itself on a copy of at most max_dim pixels on the long side: *w x *h floats
 * (0..1), malloc'ed; *factor original pixels per map pixel. NULL when out of memory. */
float *pol__image_saliency_map(const pol__image *im, int max_dim, int *w, int *h, int *factor);

#endif
