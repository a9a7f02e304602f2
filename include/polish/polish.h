/* polish — public API umbrella. Post-processing engine: correct, enhance, transform, deliver. */
#ifndef POLISH_POLISH_H
#define POLISH_POLISH_H

#include "polish/status.h"
#include "polish/op.h"
#include "polish/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define POL_VERSION_MAJOR 0
#define POL_VERSION_MINOR 1
#define POL_VERSION_PATCH 0

/* "0.1.0" */
const char *pol_version(void);

#ifdef __cplusplus
}
#endif
#endif
