/* polish — Radiance HDR (RGBE): read with flat and run-length scanlines, written run-length. */
#include <stdlib.h>
#include <string.h>
#include "render/render.h"

int pol__hdr_sniff(const unsigned char *h, size_t n)
{
    return (n >= 10 && !memcmp(h, "#?RADIANCE", 10)) || (n >= 6 && !memcmp(h, "#?RGBE", 6));
}

static void rgbe_to_float(const unsigned char *e, float *o)
{
    if (!e[3]) {
        o[0] = o[1] = o[2] = 0;
    } else {
        float f = ldexpf(1.0f, (int)e[3] - (128 + 8));
        o[0] = (e[0] + 0.5f) * f, o[1] = (e[1] + 0.5f) * f, o[2] = (e[2] + 0.5f) * f;
    }
    o[3] = 1;
}

static int read_line(FILE *fp, char *buf, size_t cap)
{
    size_t k = 0;
    int c;
    while ((c = fgetc(fp)) != EOF && c != '\n')
        if (k + 1 < cap) buf[k++] = (char)c;
    buf[k] = '\0';
    return c != EOF || k > 0;
}

pol_status pol__hdr_read(pol_run *run, const char *path, pol__render **out)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open");
    char line[512];
    int fmt_ok = 1, lines = 0, ok = 0;
    while (read_line(fp, line, sizeof line)) {
        if (++lines > 1000) break;
        if (!line[0]) {
            ok = 1;
            break;
        }
        if (!strncmp(line, "FORMAT=", 7) && strcmp(line + 7, "32-bit_rle_rgbe")) fmt_ok = 0;
    }
    long w = 0, h = 0;
    char sy[3] = "", sx[3] = "";
    if (ok) ok = read_line(fp, line, sizeof line) &&
                 sscanf(line, "%2s %ld %2s %ld", sy, &h, sx, &w) == 4;
    if (!ok || !fmt_ok || strcmp(sy, "-Y") || strcmp(sx, "+X")) {
        fclose(fp);
        return pol__fail(run, POL_ERR_CORRUPT, !fmt_ok ? "Radiance HDR in a format other than "
                         "32-bit_rle_rgbe (XYZE is not read)" : !ok ? "Radiance HDR header cannot "
                         "be read" : "Radiance HDR with an orientation other than -Y +X is not read");
    }
    pol_status st = pol__render_check_size(run, (uint64_t)(w > 0 ? w : 0), (uint64_t)(h > 0 ? h : 0),
                                           4, "Radiance HDR");
    pol__render *r = NULL;
    unsigned char *row = NULL;
    if (!st && (!(r = pol__render_new((int)w, (int)h)) || !(row = malloc((size_t)w * 4))))
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (long y = 0; !st && y < h; y++) {
        unsigned char hd[4];
        if (fread(hd, 1, 4, fp) != 4) {
            st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR ends at line %ld of %ld: truncated", y, h);
            break;
        }
        if (w >= 8 && w < 32768 && hd[0] == 2 && hd[1] == 2 && !(hd[2] & 0x80)) {
            if (((long)hd[2] << 8 | hd[3]) != w) {
                st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR line %ld has a wrong length", y);
                break;
            }
            for (int c = 0; c < 4 && !st; c++) {
                long x = 0;
                while (x < w) {
                    int n = fgetc(fp);
                    if (n == EOF) {
                        st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR ends inside line %ld: "
                                       "truncated", y);
                        break;
                    }
                    if (n > 128) {
                        n -= 128;
                        int v = fgetc(fp);
                        if (v == EOF || x + n > w) {
                            st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR run overflows line %ld", y);
                            break;
                        }
                        while (n--) row[4 * x++ + c] = (unsigned char)v;
                    } else {
                        if (n == 0 || x + n > w) {
                            st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR run overflows line %ld", y);
                            break;
                        }
                        while (n--) {
                            int v = fgetc(fp);
                            if (v == EOF) break;
                            row[4 * x++ + c] = (unsigned char)v;
                        }
                    }
                }
            }
        } else { /* flat (or old run-length, read as flat) */
            memcpy(row, hd, 4);
            if (w > 1 && fread(row + 4, 4, (size_t)w - 1, fp) != (size_t)w - 1)
                st = pol__fail(run, POL_ERR_CORRUPT, "Radiance HDR ends at line %ld of %ld: "
                               "truncated", y, h);
        }
        if (!st)
            for (long x = 0; x < w; x++) rgbe_to_float(row + 4 * x, r->rgba + ((size_t)y * w + x) * 4);
    }
    free(row);
    fclose(fp);
    if (st) {
        pol__render_free(r);
        return st;
    }
    snprintf(r->src_format, sizeof r->src_format, "hdr");
    *out = r;
    return POL_OK;
}

static void float_to_rgbe(const float *p, unsigned char *e)
{
    float r = p[0] > 0 ? p[0] : 0, g = p[1] > 0 ? p[1] : 0, b = p[2] > 0 ? p[2] : 0;
    float m = r > g ? r : g;
    m = m > b ? m : b;
    if (!(m >= 1e-32f) || !isfinite(m)) {
        e[0] = e[1] = e[2] = e[3] = 0;
        return;
    }
    int ex;
    float f = frexpf(m, &ex) * 256.0f / m;
    e[0] = (unsigned char)(r * f), e[1] = (unsigned char)(g * f), e[2] = (unsigned char)(b * f);
    e[3] = (unsigned char)(ex + 128);
}

pol_status pol__hdr_write(pol_run *run, const pol__render *r, FILE *fp)
{
    fprintf(fp, "#?RADIANCE\nFORMAT=32-bit_rle_rgbe\nSOFTWARE=polish\n\n-Y %d +X %d\n", r->h, r->w);
    unsigned char *row = malloc((size_t)r->w * 4), *buf = malloc((size_t)r->w * 5 + 8);
    if (!row || !buf) {
        free(row);
        free(buf);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (int y = 0; y < r->h; y++) {
        for (int x = 0; x < r->w; x++) {
            const float *p = r->rgba + ((size_t)y * r->w + x) * 4;
            float a = p[3], q[3] = {p[0], p[1], p[2]};
            if (a > 0 && a < 1) q[0] /= a, q[1] /= a, q[2] /= a; /* HDR has no alpha */
            float_to_rgbe(q, row + 4 * x);
        }
        size_t k = 0;
        if (r->w >= 8 && r->w < 32768) {
            buf[k++] = 2, buf[k++] = 2, buf[k++] = (unsigned char)(r->w >> 8), buf[k++] = (unsigned char)r->w;
            for (int c = 0; c < 4; c++) {
                int x = 0;
                while (x < r->w) {
                    int run_len = 1;
                    while (x + run_len < r->w && run_len < 127 &&
                           row[4 * (x + run_len) + c] == row[4 * x + c]) run_len++;
                    if (run_len >= 3) {
                        buf[k++] = (unsigned char)(128 + run_len), buf[k++] = row[4 * x + c];
                        x += run_len;
                    } else {
                        int s = x, n = 0;
                        while (x < r->w && n < 128) {
                            if (x + 2 < r->w && row[4 * x + c] == row[4 * (x + 1) + c] &&
                                row[4 * x + c] == row[4 * (x + 2) + c]) break;
                            x++, n++;
                        }
                        buf[k++] = (unsigned char)n;
                        for (int i = 0; i < n; i++) buf[k++] = row[4 * (s + i) + c];
                    }
                }
            }
            if (fwrite(buf, 1, k, fp) != k) break;
        } else if (fwrite(row, 4, (size_t)r->w, fp) != (size_t)r->w) {
            break;
        }
    }
    free(row);
    free(buf);
    if (ferror(fp)) return pol__fail(run, POL_ERR_IO, "writing Radiance HDR failed");
    return POL_OK;
}
