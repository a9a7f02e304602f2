/* polish — fuzz target: the .cube LUT parser (render.grade --lut), then the LUT applied to a few
 * colours inside, at and beyond its domain with both interpolations. Must refuse bad text with a
 * message, never crash, leak or read outside its tables. */
#include "fuzz.h"
#include "render/cube.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256] = "";
    pol__cube *c = pol__cube_parse((const char *)data, size, err, sizeof err);
    if (!c) {
        if (!err[0]) abort(); /* a refusal always says why */
        return 0;
    }
    static const float probes[][3] = {{0, 0, 0},   {1, 1, 1},      {0.5f, 0.25f, 0.75f},
                                      {-4, 2, 9},  {1e30f, -1e30f, 0}, {0.999f, 0.001f, 1}};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
        for (int tetra = 0; tetra < 2; tetra++) {
            float r = probes[i][0], g = probes[i][1], b = probes[i][2];
            pol__cube_apply(c, &r, &g, &b, 1, tetra);
        }
    pol__cube_free(c);
    return 0;
}
