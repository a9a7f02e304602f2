/* polish — .cube LUT parsing and application (cube.c). */
#ifndef POLISH_RENDER_CUBE_H
#define POLISH_RENDER_CUBE_H
#include <stddef.h>

typedef struct pol__cube {
    int size1, size3;     /* 0 when absent */
    float *t1, *t3;       /* size1*3 and size3^3*3 floats, red fastest */
    float *t4;            /* t3 with each entry padded to 4 floats (16-byte aligned): one vector load */
    float min1[3], max1[3], min3[3], max3[3];
    float sc1[3], sc3[3]; /* (size - 1) / (max - min) */
    int refs;             /* holders (pol__cube_parse gives 1; pol__cube_free drops one) */
} pol__cube;

/* Parses `text`; NULL with a message in err (naming the line) when it is not a valid .cube. */
pol__cube *pol__cube_parse(const char *text, size_t len, char *err, size_t errcap);
/* Drops one holder's reference; the last frees the tables. */
void pol__cube_free(pol__cube *c);
/* Maps n pixels given as planes R, G, B in place (tetra: tetrahedral, else trilinear). */
void pol__cube_apply(const pol__cube *c, float *R, float *G, float *B, int n, int tetra);
#endif
