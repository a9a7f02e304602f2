/* polish — a saliency map (colour contrast and detail) and the crop window that keeps most of it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"
#include "image/saliency.h"

/* Separable box blur of radius r, repeated twice (close to a Gaussian), on a w x h plane. */
static void blur2(float *p, float *tmp, int w, int h, int r)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int y = 0; y < h; y++) {
            const float *s = p + (size_t)y * w;
            float *d = tmp + (size_t)y * w;
            for (int x = 0; x < w; x++) {
                float acc = 0;
                int n = 0;
                for (int k = -r; k <= r; k++) {
                    int xx = x + k;
                    if (xx < 0 || xx >= w) continue;
                    acc += s[xx];
                    n++;
                }
                d[x] = acc / n;
            }
        }
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float acc = 0;
                int n = 0;
                for (int k = -r; k <= r; k++) {
                    int yy = y + k;
                    if (yy < 0 || yy >= h) continue;
                    acc += tmp[(size_t)yy * w + x];
                    n++;
                }
                p[(size_t)y * w + x] = acc / n;
            }
    }
}

float *pol__image_saliency_map(const pol__image *im, int max_dim, int *ow, int *oh, int *factor)
{
    pol__qsmall s;
    if (pol__qsmall_make(NULL, im, max_dim, &s) != POL_OK) return NULL;
    int w = s.w, h = s.h;
    size_t n = (size_t)w * h;
    float *lab = malloc(n * 3 * sizeof(float)), *tmp = malloc(n * sizeof(float));
    float *sal = malloc(n * sizeof(float)), *plane = malloc(n * sizeof(float));
    if (!lab || !tmp || !sal || !plane) {
        free(lab);
        free(tmp);
        free(sal);
        free(plane);
        pol__qsmall_free(&s);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        float l[3];
        pol__linear_to_lab_fast(s.rgb + i * 3, l);
        for (int k = 0; k < 3; k++) lab[k * n + i] = l[k];
    }
    pol__qsmall_free(&s);
    /* Frequency-tuned contrast (Achanta et al. 2009): how far each smoothed colour is from the
     * photo's mean colour. Large uniform backgrounds score low, a distinct subject high. */
    int r = (w > h ? w : h) / 128 + 1;
    double mean[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        for (size_t i = 0; i < n; i++) mean[k] += lab[k * n + i];
        mean[k] /= (double)n;
        blur2(lab + k * n, tmp, w, h, r);
    }
    float cmax = 1e-6f, gmax = 1e-6f;
    for (size_t i = 0; i < n; i++) {
        float d = 0;
        for (int k = 0; k < 3; k++) {
            float v = lab[k * n + i] - (float)mean[k];
            d += v * v;
        }
        sal[i] = sqrtf(d);
        if (sal[i] > cmax) cmax = sal[i];
    }
    /* Detail: local gradient energy of L*, spread a little — subjects are usually sharp and
     * textured, backgrounds soft. */
    const float *L = lab;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int x0 = x > 0 ? x - 1 : x, x1 = x < w - 1 ? x + 1 : x;
            int y0 = y > 0 ? y - 1 : y, y1 = y < h - 1 ? y + 1 : y;
            float gx = L[(size_t)y * w + x1] - L[(size_t)y * w + x0];
            float gy = L[(size_t)y1 * w + x] - L[(size_t)y0 * w + x];
            plane[(size_t)y * w + x] = sqrtf(gx * gx + gy * gy);
        }
    blur2(plane, tmp, w, h, 2 * r);
    for (size_t i = 0; i < n; i++)
        if (plane[i] > gmax) gmax = plane[i];
    /* Combine, with a mild pull to the centre where photographers put subjects. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float dx = (x - (w - 1) / 2.0f) / (w / 2.0f), dy = (y - (h - 1) / 2.0f) / (h / 2.0f);
            float prior = 1 - 0.25f * (dx * dx + dy * dy) / 2;
            sal[i] = (sal[i] / cmax + 0.5f * plane[i] / gmax) / 1.5f * prior;
        }
    free(lab);
    free(tmp);
    free(plane);
    *ow = w;
    *oh = h;
    *factor = s.factor;
    return sal;
}

int pol__image_saliency_crop(const pol__image *im, int cw, int ch, int *x, int *y)
{
    int W = im->width, H = im->height;
    if (cw < 1 || ch < 1 || cw > W || ch > H) return -1;
    *x = (W - cw) / 2;
    *y = (H - ch) / 2;
    if (cw == W && ch == H) return 0;
    int w, h, f;
    float *sal = pol__image_saliency_map(im, 256, &w, &h, &f);
    if (!sal) return -1;
    /* Summed-area table, then every window position (in map pixels) of the scaled size. */
    double *sat = calloc((size_t)(w + 1) * (h + 1), sizeof(double));
    if (!sat) {
        free(sal);
        return -1;
    }
    for (int yy = 0; yy < h; yy++) {
        double row = 0;
        for (int xx = 0; xx < w; xx++) {
            row += sal[(size_t)yy * w + xx];
            sat[(size_t)(yy + 1) * (w + 1) + xx + 1] = sat[(size_t)yy * (w + 1) + xx + 1] + row;
        }
    }
    free(sal);
    double sx = (double)w / W, sy = (double)h / H;
    int mw = (int)lround(cw * sx), mh = (int)lround(ch * sy);
    if (mw < 1) mw = 1;
    if (mh < 1) mh = 1;
    if (mw > w) mw = w;
    if (mh > h) mh = h;
    double best = -1;
    int bx = 0, by = 0;
    for (int yy = 0; yy + mh <= h; yy++)
        for (int xx = 0; xx + mw <= w; xx++) {
            double v = sat[(size_t)(yy + mh) * (w + 1) + xx + mw] - sat[(size_t)yy * (w + 1) + xx + mw] -
                       sat[(size_t)(yy + mh) * (w + 1) + xx] + sat[(size_t)yy * (w + 1) + xx];
            /* Ties (flat maps) go to the placement nearest the centre. */
            double off = fabs(xx + mw / 2.0 - w / 2.0) + fabs(yy + mh / 2.0 - h / 2.0);
            v -= off * 1e-9;
            if (v > best) {
                best = v;
                bx = xx;
                by = yy;
            }
        }
    free(sat);
    (void)f;
    int px = (int)lround(bx / sx), py = (int)lround(by / sy);
    *x = px < 0 ? 0 : px > W - cw ? W - cw : px;
    *y = py < 0 ? 0 : py > H - ch ? H - ch : py;
    return 0;
}
