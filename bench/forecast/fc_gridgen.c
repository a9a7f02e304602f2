/* polish bench — forecast: a synthetic gridded ensemble as NetCDF files, written band by band
 * (bounded memory), for `polish forecast calibrate-grid`; and its score.
 *   fc_gridgen make DIR NLAT NLON DAYS MEMBERS
 *       DIR/train.nc  t2m(time=DAYS, number, lat, lon) and obs(time, lat, lon) (CDF-5)
 *       DIR/fc.nc     t2m(time=1, number, lat, lon), the day after training
 *       DIR/fc_obs.nc obs(time=1, lat, lon), its observations (held back)
 *   fc_gridgen score DIR OUT.nc    CRPS of the raw members (fc.nc) and of EMOS (t2m_mu,
 *                                   t2m_sigma of OUT.nc) against fc_obs.nc
 * Each point: a common signal, a point bias, an error the members share, members too close
 * together (the model of fc_bench grid). */
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ != NC_NOERR) {                                                                     \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, nc_strerror(rc_));                  \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

typedef struct rng {
    unsigned long long s;
} rng;
static double urand(rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return ((double)(r->s >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(rng *r)
{
    return sqrt(-2 * log(urand(r))) * cos(2 * M_PI * urand(r));
}

static int create(const char *dir, const char *name, size_t nt, size_t nm, size_t ny, size_t nx,
                  int with_ens, int with_obs, int *v_ens, int *v_obs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int nc, dt, dm, dy, dx, vt, vy, vx;
    CHECK(nc_create(path, NC_CLOBBER | NC_64BIT_DATA, &nc));
    nc_set_fill(nc, NC_NOFILL, NULL);
    CHECK(nc_def_dim(nc, "time", nt, &dt));
    CHECK(nc_def_dim(nc, "number", nm, &dm));
    CHECK(nc_def_dim(nc, "lat", ny, &dy));
    CHECK(nc_def_dim(nc, "lon", nx, &dx));
    CHECK(nc_def_var(nc, "time", NC_DOUBLE, 1, &dt, &vt));
    CHECK(nc_put_att_text(nc, vt, "units", 28, "days since 2026-01-01 00:00"));
    CHECK(nc_def_var(nc, "lat", NC_DOUBLE, 1, &dy, &vy));
    CHECK(nc_def_var(nc, "lon", NC_DOUBLE, 1, &dx, &vx));
    if (with_ens) {
        int d4[4] = {dt, dm, dy, dx};
        CHECK(nc_def_var(nc, "t2m", NC_FLOAT, 4, d4, v_ens));
    }
    if (with_obs) {
        int d3[3] = {dt, dy, dx};
        CHECK(nc_def_var(nc, "obs", NC_FLOAT, 3, d3, v_obs));
    }
    CHECK(nc_enddef(nc));
    double *c = malloc((ny > nx ? ny : nx) * sizeof *c);
    for (size_t i = 0; i < ny; i++) c[i] = 90 - 180.0 * (double)i / (double)(ny - 1);
    CHECK(nc_put_var_double(nc, vy, c));
    for (size_t i = 0; i < nx; i++) c[i] = 360.0 * (double)i / (double)nx;
    CHECK(nc_put_var_double(nc, vx, c));
    free(c);
    return nc;
}

static int make(const char *dir, size_t ny, size_t nx, size_t D, size_t M)
{
    int ve, vo, fe, fo, oe, oo;
    int tr = create(dir, "train.nc", D, M, ny, nx, 1, 1, &ve, &vo);
    int fc = create(dir, "fc.nc", 1, M, ny, nx, 1, 0, &fe, &fo);
    int ob = create(dir, "fc_obs.nc", 1, 1, ny, nx, 0, 1, &oe, &oo);
    double *t = malloc(D * sizeof *t);
    for (size_t d = 0; d < D; d++) t[d] = (double)d;
    int vt;
    CHECK(nc_inq_varid(tr, "time", &vt));
    CHECK(nc_put_var_double(tr, vt, t));
    double tf = (double)D;
    CHECK(nc_inq_varid(fc, "time", &vt));
    CHECK(nc_put_var_double(fc, vt, &tf));
    CHECK(nc_inq_varid(ob, "time", &vt));
    CHECK(nc_put_var_double(ob, vt, &tf));
    free(t);
    const size_t rows = 8;
    size_t bp = rows * nx;
    float *ens = malloc(D * M * bp * sizeof *ens), *obs = malloc(D * bp * sizeof *obs);
    float *fens = malloc(M * bp * sizeof *fens), *fobs = malloc(bp * sizeof *fobs);
    if (!ens || !obs || !fens || !fobs) return 1;
    for (size_t r0 = 0; r0 < ny; r0 += rows) {
        size_t nr = r0 + rows <= ny ? rows : ny - r0, np = nr * nx;
        for (size_t p = 0; p < np; p++) {
            size_t j = r0 * nx + p;
            rng r = {0x9E3779B97F4A7C15ULL ^ (j * 2654435761ULL + 1)};
            double bias = 0.5 * sin((double)j * 1e-3);
            for (size_t d = 0; d <= D; d++) {
                double signal = 5 * nrand(&r), err = nrand(&r), spread = 0.3 + 0.7 * urand(&r);
                for (size_t k = 0; k < M; k++) {
                    float v = (float)(signal + bias + err + spread * nrand(&r));
                    if (d < D) ens[(d * M + k) * np + p] = v;
                    else fens[k * np + p] = v;
                }
                if (d < D) obs[d * np + p] = (float)signal;
                else fobs[p] = (float)signal;
            }
        }
        size_t s4[4] = {0, 0, r0, 0}, n4[4] = {D, M, nr, nx}, s3[3] = {0, r0, 0}, n3[3] = {D, nr, nx};
        CHECK(nc_put_vara_float(tr, ve, s4, n4, ens));
        CHECK(nc_put_vara_float(tr, vo, s3, n3, obs));
        size_t f4[4] = {1, M, nr, nx}, f3[3] = {1, nr, nx};
        CHECK(nc_put_vara_float(fc, fe, s4, f4, fens));
        CHECK(nc_put_vara_float(ob, oo, s3, f3, fobs));
    }
    CHECK(nc_close(tr));
    CHECK(nc_close(fc));
    CHECK(nc_close(ob));
    free(ens);
    free(obs);
    free(fens);
    free(fobs);
    return 0;
}

static int cmpf(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int score(const char *dir, const char *out)
{
    char path[4096];
    int fc, ob, o;
    snprintf(path, sizeof path, "%s/fc.nc", dir);
    CHECK(nc_open(path, NC_NOWRITE, &fc));
    snprintf(path, sizeof path, "%s/fc_obs.nc", dir);
    CHECK(nc_open(path, NC_NOWRITE, &ob));
    CHECK(nc_open(out, NC_NOWRITE, &o));
    int dim;
    size_t ny, nx, M;
    CHECK(nc_inq_dimid(fc, "lat", &dim));
    CHECK(nc_inq_dimlen(fc, dim, &ny));
    CHECK(nc_inq_dimid(fc, "lon", &dim));
    CHECK(nc_inq_dimlen(fc, dim, &nx));
    CHECK(nc_inq_dimid(fc, "number", &dim));
    CHECK(nc_inq_dimlen(fc, dim, &M));
    double cr = 0, ce = 0;
    size_t n = 0;
    float *e = malloc(M * nx * sizeof *e), *y = malloc(nx * sizeof *y), *mu = malloc(nx * sizeof *mu),
          *sd = malloc(nx * sizeof *sd), *x = malloc(M * sizeof *x);
    int ve, vy, vm, vs;
    CHECK(nc_inq_varid(fc, "t2m", &ve));
    CHECK(nc_inq_varid(ob, "obs", &vy));
    CHECK(nc_inq_varid(o, "t2m_mu", &vm));
    CHECK(nc_inq_varid(o, "t2m_sigma", &vs));
    for (size_t r = 0; r < ny; r++) {
        size_t s4[4] = {0, 0, r, 0}, n4[4] = {1, M, 1, nx}, s3[3] = {0, r, 0}, n3[3] = {1, 1, nx};
        CHECK(nc_get_vara_float(fc, ve, s4, n4, e));
        CHECK(nc_get_vara_float(ob, vy, s3, n3, y));
        CHECK(nc_get_vara_float(o, vm, s3, n3, mu));
        CHECK(nc_get_vara_float(o, vs, s3, n3, sd));
        for (size_t c = 0; c < nx; c++) {
            for (size_t k = 0; k < M; k++) x[k] = e[k * nx + c];
            qsort(x, M, sizeof *x, cmpf);
            double a = 0, b = 0;
            for (size_t k = 0; k < M; k++) {
                a += fabs(x[k] - y[c]);
                b += (2.0 * (double)k - (double)M + 1) * x[k];
            }
            cr += a / (double)M - b / ((double)M * (double)M);
            double z = (y[c] - mu[c]) / sd[c];
            ce += sd[c] * (z * erf(z / M_SQRT2) + 2 * exp(-z * z / 2) / sqrt(2 * M_PI) - 1 / sqrt(M_PI));
            n++;
        }
    }
    printf("points %zu: CRPS raw %.4f, EMOS %.4f, skill %.1f%%\n", n, cr / (double)n, ce / (double)n,
           100 * (1 - ce / cr));
    nc_close(fc);
    nc_close(ob);
    nc_close(o);
    free(e);
    free(y);
    free(mu);
    free(sd);
    free(x);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 7 && !strcmp(argv[1], "make"))
        return make(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10),
                    strtoul(argv[5], NULL, 10), strtoul(argv[6], NULL, 10));
    if (argc == 4 && !strcmp(argv[1], "score")) return score(argv[2], argv[3]);
    fprintf(stderr, "usage: fc_gridgen make DIR NLAT NLON DAYS MEMBERS | score DIR OUT.nc\n");
    return 2;
}
