/* polish — fuzz target: recipe parsing and validation must never crash, leak or hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include "polish/polish.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pol_pipeline *p = NULL;
    pol_err err;
    if (pol_pipeline_parse_recipe((const char *)data, size, "fuzz.yml", &p, &err) == POL_OK) {
        char *d = pol_pipeline_describe(p);
        free(d);
    }
    pol_pipeline_free(p);
    return 0;
}
