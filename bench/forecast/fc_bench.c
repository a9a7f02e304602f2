/* polish bench — forecast: EMOS fitting speed and parity material.
 *   fc_bench samples N FILE       N samples (mean, sd, y) of a heteroscedastic EMOS-like model
 *   fc_bench fit FILE             minimum-CRPS Gaussian EMOS on FILE: coefficients and fit time
 *   fc_bench grid POINTS DAYS MEMBERS THREADS [R_FILE R_POINTS]
 *                                 per-grid-point EMOS on a synthetic grid, tile by tile (bounded
 *                                 memory); writes the first R_POINTS points' training data for R */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "forecast/stats.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

static int samples(size_t n, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    rng r = {12345};
    fprintf(f, "mean,sd,y\n");
    for (size_t i = 0; i < n; i++) {
        double mean = 3 * nrand(&r), sd = 0.2 + 1.5 * urand(&r);
        double y = 0.4 + 0.9 * mean + exp(0.1 + 0.6 * log(sd)) * nrand(&r) + 0.3 * nrand(&r);
        fprintf(f, "%.17g,%.17g,%.17g\n", mean, sd, y);
    }
    return fclose(f) != 0;
}

static int fit(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    size_t cap = 1 << 20, n = 0;
    fc_sample *s = malloc(cap * sizeof *s);
    char line[256];
    if (!fgets(line, sizeof line, f)) return 1;
    while (fgets(line, sizeof line, f)) {
        if (n == cap) s = realloc(s, (cap *= 2) * sizeof *s);
        memset(&s[n], 0, sizeof s[n]);
        if (sscanf(line, "%lf,%lf,%lf", &s[n].mean, &s[n].sd, &s[n].y) == 3) n++;
    }
    fclose(f);
    fc_emos m;
    double t = now(), cpu = (double)clock() / CLOCKS_PER_SEC;
    int rc = fc_emos_fit(&m, FC_GAUSS, 0, s, n, 0);
    t = now() - t;
    cpu = (double)clock() / CLOCKS_PER_SEC - cpu;
    printf("polish n=%zu a=%.10f b=%.10f c=%.10f d=%.10f crps=%.12f iterations=%d converged=%d "
           "seconds=%.3f cpu_seconds=%.3f cpu_per_million=%.3f\n",
           n, m.a, m.b, m.c, m.d, m.score, m.iterations, m.converged, t, cpu, cpu / (double)n * 1e6);
    free(s);
    return rc != 0;
}

/* ---- the grid ------------------------------------------------------------------------------- */

typedef struct grid {
    size_t points, days, members, tile;
    size_t next;
    pthread_mutex_t lock;
    double crps_raw, crps_emos;
    size_t fitted, failed;
    FILE *rfile;
    size_t rpoints;
} grid;

/* Point j's synthetic truth and ensemble: a common signal, a point bias, a forecast error the
 * members share, members under-dispersed around it. */
static void point_data(size_t j, size_t day, size_t M, rng *r, double *y, double *ens)
{
    (void)day;
    double bias = 0.5 * sin((double)j * 1e-3);
    double signal = 5 * nrand(r);
    double err = 1.0 * nrand(r);
    double spread = 0.3 + 0.7 * urand(r);
    *y = signal;
    for (size_t k = 0; k < M; k++) ens[k] = signal + bias + err + spread * nrand(r);
}

static void *grid_worker(void *arg)
{
    grid *g = arg;
    size_t D = g->days, M = g->members;
    fc_sample *s = malloc(g->tile * (D + 1) * sizeof *s);
    double *ens = malloc(M * sizeof *ens);
    double crps_raw = 0, crps_emos = 0;
    size_t fitted = 0, failed = 0;
    for (;;) {
        pthread_mutex_lock(&g->lock);
        size_t a = g->next;
        g->next += g->tile;
        pthread_mutex_unlock(&g->lock);
        if (a >= g->points) break;
        size_t b = a + g->tile < g->points ? a + g->tile : g->points;
        /* the tile's training data (D days) and one verifying day per point */
        for (size_t j = a; j < b; j++) {
            rng r = {0x9E3779B97F4A7C15ULL ^ (j * 2654435761ULL + 1)};
            fc_sample *p = &s[(j - a) * (D + 1)];
            for (size_t d = 0; d <= D; d++) {
                double y;
                point_data(j, d, M, &r, &y, ens);
                double mean = 0, ss = 0;
                for (size_t k = 0; k < M; k++) mean += ens[k];
                mean /= (double)M;
                for (size_t k = 0; k < M; k++) ss += (ens[k] - mean) * (ens[k] - mean);
                memset(&p[d], 0, sizeof p[d]);
                p[d].mean = mean;
                p[d].sd = sqrt(ss / (double)(M - 1));
                p[d].y = y;
                if (d == D) crps_raw += fc_crps_ens_fair(ens, M, y);
            }
            if (g->rfile && j < g->rpoints) {
                pthread_mutex_lock(&g->lock);
                for (size_t d = 0; d < D; d++)
                    fprintf(g->rfile, "%zu,%.17g,%.17g,%.17g\n", j, p[d].mean, p[d].sd, p[d].y);
                pthread_mutex_unlock(&g->lock);
            }
        }
        for (size_t j = a; j < b; j++) {
            fc_sample *p = &s[(j - a) * (D + 1)];
            fc_emos m;
            if (fc_emos_fit(&m, FC_GAUSS, 0, p, D, 0) != 0) {
                failed++;
                continue;
            }
            fitted++;
            double loc, sc;
            fc_emos_predict(&m, &p[D], &loc, &sc);
            crps_emos += fc_crps(FC_GAUSS, loc, sc, p[D].y, NULL, NULL);
        }
    }
    pthread_mutex_lock(&g->lock);
    g->crps_raw += crps_raw;
    g->crps_emos += crps_emos;
    g->fitted += fitted;
    g->failed += failed;
    pthread_mutex_unlock(&g->lock);
    free(s);
    free(ens);
    return NULL;
}

static int grid_run(int argc, char **argv)
{
    grid g = {0};
    g.points = strtoull(argv[2], NULL, 10);
    g.days = strtoull(argv[3], NULL, 10);
    g.members = strtoull(argv[4], NULL, 10);
    int threads = atoi(argv[5]);
    if (argc > 7) {
        g.rfile = fopen(argv[6], "w");
        g.rpoints = strtoull(argv[7], NULL, 10);
        if (g.rfile) fprintf(g.rfile, "point,mean,sd,y\n");
    }
    g.tile = 1024;
    pthread_mutex_init(&g.lock, NULL);
    if (threads < 1 || threads > 64) threads = 1;
    pthread_t th[64];
    double t = now(), cpu = (double)clock() / CLOCKS_PER_SEC;
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, grid_worker, &g);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    t = now() - t;
    cpu = (double)clock() / CLOCKS_PER_SEC - cpu;
    if (g.rfile) fclose(g.rfile);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("grid points=%zu days=%zu members=%zu threads=%d seconds=%.2f cpu_seconds=%.1f "
           "cpu_per_point_us=%.1f "
           "fitted=%zu failed=%zu crps_raw=%.4f crps_emos=%.4f skill=%.3f peak_rss_mb=%.1f\n",
           g.points, g.days, g.members, threads, t, cpu, cpu / (double)g.points * 1e6,
           g.fitted, g.failed, g.crps_raw / (double)g.points,
           g.crps_emos / (double)(g.fitted ? g.fitted : 1),
           1 - (g.crps_emos / (double)(g.fitted ? g.fitted : 1)) / (g.crps_raw / (double)g.points),
           ru.ru_maxrss / 1024.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "samples") == 0) return samples(strtoull(argv[2], NULL, 10), argv[3]);
    if (argc >= 3 && strcmp(argv[1], "fit") == 0) return fit(argv[2]);
    if (argc >= 6 && strcmp(argv[1], "grid") == 0) return grid_run(argc, argv);
    fprintf(stderr, "usage: fc_bench samples N FILE | fit FILE | grid POINTS DAYS MEMBERS THREADS "
                    "[R_FILE R_POINTS]\n");
    return 2;
}
