/* polish — track.smooth: a constant-velocity Kalman filter with a Rauch-Tung-Striebel smoother,
 * per axis in a local east/north frame (metres). The measurement noise is the track's own white
 * jitter (from second differences, so slowly varying error that no smoother can remove is not
 * mistaken for it); the process noise (random acceleration) follows the mode: walking, cycling
 * or driving. A time gap longer than --gap starts a new run: nothing is smoothed across it.
 * Where a run's error is mostly a slow wander (second differences growing with their lag), the
 * wander gets its own state (a Gauss-Markov process) beside the path, stops are held at rest,
 * and the path alone is written: the wander is not walked as distance. */
#include <stdlib.h>
#include <string.h>
#include "track/stream.h"

static const pol_param_desc params[] = {
    {"mode", POL_PARAM_ENUM, "auto", 0, -1, "auto|walk|cycle|drive",
     "How the track moves, which sets how sharply it may turn or speed up; auto: from its "
     "typical speed."},
    {"noise", POL_PARAM_NUM, NULL, 0.1, 1000, NULL,
     "Position noise (1 sigma); default: estimated from the track.", .unit = "m"},
    {"gap", POL_PARAM_NUM, NULL, 1, 1e7, NULL,
     "A pause longer than this starts a new run (default: 10 sampling intervals, at least 30 s).",
     .unit = "s"},
    {"hold-stops", POL_PARAM_BOOL, "true", 0, -1, NULL,
     "Where the smoothed track stays within a few metres for 20 s or more (a stop), its points "
     "are set to the stop's centre, so jitter at rest is not counted as distance."},
    {"min-noise", POL_PARAM_NUM, "1", 0, 1000, NULL,
     "A track whose estimated noise is below this, and below a tenth of its typical step between "
     "fixes, with under 1% of its length in steps no longer than 3 times the noise (at rest), "
     "is already smooth and left alone.", .unit = "m"},
};

/* White-acceleration spectral density (m^2/s^3) per mode. */
static double mode_q(const char *mode)
{
    return mode[0] == 'd' ? 1.0 : mode[0] == 'c' ? 0.25 : 0.05;
}

typedef struct kf {
    double x, v;         /* filtered state */
    double pxx, pxv, pvv; /* filtered covariance */
} kf;

/* Stay points on the smoothed run: from point i, the longest stretch within `radius` of it; when
 * it lasts `minsec` or more, every point of it goes to the stretch's centre. Returns points held. */
static size_t hold_stops(double *zx, double *zy, const double *tt, size_t m, double radius,
                         double minsec, size_t *stops, unsigned char *in_stop)
{
    size_t held = 0, i = 0;
    while (i < m) {
        size_t j = i + 1;
        while (j < m && (zx[j] - zx[i]) * (zx[j] - zx[i]) + (zy[j] - zy[i]) * (zy[j] - zy[i]) < radius * radius)
            j++;
        if (tt[j - 1] - tt[i] >= minsec && j - i >= 3) {
            double cx = 0, cy = 0;
            for (size_t k = i; k < j; k++) cx += zx[k], cy += zy[k];
            cx /= (double)(j - i);
            cy /= (double)(j - i);
            for (size_t k = i; k < j; k++) zx[k] = cx, zy[k] = cy, in_stop[k] = 1;
            held += j - i;
            (*stops)++;
            i = j;
        } else {
            i++;
        }
    }
    return held;
}

/* Smooths z[0..m) at times tt (seconds) in place. */
static void smooth_axis(double *z, const double *tt, size_t m, double q, double r, kf *k)
{
    if (!m) return;
    k[0] = (kf){z[0], 0, r, 0, 100};
    for (size_t i = 1; i < m; i++) {
        double dt = tt[i] - tt[i - 1];
        if (!(dt > 0)) dt = 1e-3;
        const kf *a = &k[i - 1];
        /* predict */
        double x = a->x + dt * a->v, v = a->v;
        double pxx = a->pxx + 2 * dt * a->pxv + dt * dt * a->pvv + q * dt * dt * dt / 3;
        double pxv = a->pxv + dt * a->pvv + q * dt * dt / 2;
        double pvv = a->pvv + q * dt;
        /* update */
        double s = pxx + r;
        double kx = pxx / s, kv = pxv / s;
        double y = z[i] - x;
        k[i].x = x + kx * y;
        k[i].v = v + kv * y;
        k[i].pxx = (1 - kx) * pxx;
        k[i].pxv = (1 - kx) * pxv;
        k[i].pvv = pvv - kv * pxv;
    }
    /* RTS backward pass. */
    double sx = k[m - 1].x, sv = k[m - 1].v;
    double sxx = k[m - 1].pxx, sxv = k[m - 1].pxv, svv = k[m - 1].pvv;
    z[m - 1] = sx;
    for (size_t i = m - 1; i-- > 0;) {
        double dt = tt[i + 1] - tt[i];
        if (!(dt > 0)) dt = 1e-3;
        const kf *a = &k[i];
        double xp = a->x + dt * a->v, vp = a->v;
        double pxx = a->pxx + 2 * dt * a->pxv + dt * dt * a->pvv + q * dt * dt * dt / 3;
        double pxv = a->pxv + dt * a->pvv + q * dt * dt / 2;
        double pvv = a->pvv + q * dt;
        /* C = P_f F' Pp^-1 */
        double fxx = a->pxx + dt * a->pxv, fxv = a->pxv; /* (P_f F')[0][*] */
        double fvx = a->pxv + dt * a->pvv, fvv = a->pvv; /* (P_f F')[1][*] */
        double det = pxx * pvv - pxv * pxv;
        if (!(fabs(det) > 1e-300)) det = 1e-300;
        double ixx = pvv / det, ixv = -pxv / det, ivv = pxx / det;
        double cxx = fxx * ixx + fxv * ixv, cxv = fxx * ixv + fxv * ivv;
        double cvx = fvx * ixx + fvv * ixv, cvv = fvx * ixv + fvv * ivv;
        double dx = sx - xp, dv = sv - vp;
        double nx = a->x + cxx * dx + cxv * dv;
        double nv = a->v + cvx * dx + cvv * dv;
        /* P_s = P_f + C (P_s' - Pp) C' */
        double exx = sxx - pxx, exv = sxv - pxv, evv = svv - pvv;
        double t00 = cxx * exx + cxv * exv, t01 = cxx * exv + cxv * evv;
        double t10 = cvx * exx + cvv * exv, t11 = cvx * exv + cvv * evv;
        sxx = a->pxx + t00 * cxx + t01 * cxv;
        sxv = a->pxv + t00 * cvx + t01 * cvv;
        svv = a->pvv + t10 * cvx + t11 * cvv;
        (void)t10;
        sx = nx;
        sv = nv;
        z[i] = sx;
    }
}

/* ---- slowly varying error: a second, correlated part of the position error ----
 *
 * GPS error is white jitter plus a part that wanders slowly (multipath, atmosphere): modelled as
 * a first-order Gauss-Markov process b (correlation time OU_TAU, variance sb2) per axis, beside
 * the constant-velocity path (x, v). Measured: z = x + b + white. The smoother then gives the
 * wander to b where it looks like b (a random walk over seconds) and to the path where it looks
 * like motion (a smooth curve), and writes x. Treating the wander as the path made a walker's
 * path 3-11% too long (it wanders about a metre a second at 5 m over 60 s). */
#define OU_TAU 60.0

typedef struct kf3 {
    double s[3];    /* filtered state: x, v, b */
    double p[3][3]; /* filtered covariance */
} kf3;

/* Transition over dt: F and the process noise Q; at rest (a stop) the path does not move; on the
 * first step after rest the speed may jump by about sqrt(vk2) (a walker starts at once). */
static void ou_model(double dt, double q, double sb2, int rest, double vk2, double f[3][3],
                     double qm[3][3])
{
    double a = exp(-dt / OU_TAU);
    memset(f, 0, 9 * sizeof f[0][0]);
    memset(qm, 0, 9 * sizeof qm[0][0]);
    f[0][0] = 1;
    f[2][2] = a;
    qm[2][2] = sb2 * (1 - a * a) + 1e-9;
    if (rest == 1) {
        qm[0][0] = 1e-9;
        qm[1][1] = 1e-6;
    } else {
        f[0][1] = dt;
        f[1][1] = 1;
        qm[0][0] = q * dt * dt * dt / 3;
        qm[0][1] = qm[1][0] = q * dt * dt / 2;
        qm[1][1] = q * dt + (rest == 2 ? vk2 : 0);
    }
}

/* The model's step kind into fix i: 0 moving, 1 at rest, 2 the first moving step after rest. */
static int step_kind(const unsigned char *rest, size_t i)
{
    if (!rest) return 0;
    return rest[i] ? 1 : i > 1 && rest[i - 1] ? 2 : 0;
}

/* Po = F P F' + Q */
static void ou_cov(const double f[3][3], const double p[3][3], const double qm[3][3],
                   double po[3][3])
{
    double fp[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            fp[i][j] = f[i][0] * p[0][j] + f[i][1] * p[1][j] + f[i][2] * p[2][j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            po[i][j] = fp[i][0] * f[j][0] + fp[i][1] * f[j][1] + fp[i][2] * f[j][2] + qm[i][j];
}

static int inv3(const double m[3][3], double o[3][3])
{
    double c00 = m[1][1] * m[2][2] - m[1][2] * m[2][1];
    double c01 = m[1][2] * m[2][0] - m[1][0] * m[2][2];
    double c02 = m[1][0] * m[2][1] - m[1][1] * m[2][0];
    double det = m[0][0] * c00 + m[0][1] * c01 + m[0][2] * c02;
    if (!(fabs(det) > 1e-300)) return -1;
    double id = 1 / det;
    o[0][0] = c00 * id;
    o[1][0] = c01 * id;
    o[2][0] = c02 * id;
    o[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * id;
    o[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * id;
    o[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * id;
    o[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * id;
    o[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * id;
    o[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * id;
    return 0;
}

/* One step of the forward filter into fix i: predicted from fix i-1 when `predict`, then updated
 * with z = x + b + white(r). Returns the innovation, its variance in *sv. */
static double ou_filter(double s[3], double p[3][3], const double *z, const double *tt, size_t i,
                        int predict, double q, double r, double sb2, double vk2,
                        const unsigned char *rest, double *sv)
{
    if (predict) {
        double dt = tt[i] - tt[i - 1];
        if (!(dt > 0)) dt = 1e-3;
        double f[3][3], qm[3][3], pp[3][3];
        ou_model(dt, q, sb2, step_kind(rest, i), vk2, f, qm);
        double s0 = f[0][0] * s[0] + f[0][1] * s[1], s1 = f[1][1] * s[1], s2 = f[2][2] * s[2];
        s[0] = s0, s[1] = s1, s[2] = s2;
        ou_cov(f, p, qm, pp);
        memcpy(p, pp, 9 * sizeof p[0][0]);
    }
    double ph[3] = {p[0][0] + p[0][2], p[1][0] + p[1][2], p[2][0] + p[2][2]};
    *sv = ph[0] + ph[2] + r;
    double y = z[i] - s[0] - s[2];
    for (int a = 0; a < 3; a++) s[a] += ph[a] / *sv * y;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) p[a][b] -= ph[a] * ph[b] / *sv;
    return y;
}

/* Smooths z[0..m) in place into the path x (the wander b taken out). rest[i] (i > 0): the path
 * is at rest from fix i-1 to fix i; NULL: nowhere. */
static void smooth_axis_ou(double *z, const double *tt, size_t m, double q, double r, double sb2,
                           double vk2, const unsigned char *rest, kf3 *k)
{
    if (!m) return;
    double s[3] = {z[0], 0, 0}, p[3][3] = {{1e4, 0, 0}, {0, 100, 0}, {0, 0, sb2}};
    for (size_t i = 0; i < m; i++) {
        double sv;
        ou_filter(s, p, z, tt, i, i > 0, q, r, sb2, vk2, rest, &sv);
        memcpy(k[i].s, s, sizeof s);
        memcpy(k[i].p, p, sizeof p);
    }
    /* RTS backward pass: only the means are needed. */
    double sm[3];
    memcpy(sm, k[m - 1].s, sizeof sm);
    z[m - 1] = sm[0];
    for (size_t i = m - 1; i-- > 0;) {
        double dt = tt[i + 1] - tt[i];
        if (!(dt > 0)) dt = 1e-3;
        double f[3][3], qm[3][3], pp[3][3], ip[3][3], pf[3][3], c[3][3];
        ou_model(dt, q, sb2, step_kind(rest, i + 1), vk2, f, qm);
        const kf3 *a = &k[i];
        ou_cov(f, a->p, qm, pp);
        if (inv3(pp, ip)) {
            memcpy(sm, a->s, sizeof sm);
            z[i] = sm[0];
            continue;
        }
        /* C = P_f F' Pp^-1 */
        for (int u = 0; u < 3; u++)
            for (int v = 0; v < 3; v++)
                pf[u][v] = a->p[u][0] * f[v][0] + a->p[u][1] * f[v][1] + a->p[u][2] * f[v][2];
        for (int u = 0; u < 3; u++)
            for (int v = 0; v < 3; v++)
                c[u][v] = pf[u][0] * ip[0][v] + pf[u][1] * ip[1][v] + pf[u][2] * ip[2][v];
        double xp[3] = {f[0][0] * a->s[0] + f[0][1] * a->s[1], f[1][1] * a->s[1],
                        f[2][2] * a->s[2]};
        double d[3] = {sm[0] - xp[0], sm[1] - xp[1], sm[2] - xp[2]};
        for (int u = 0; u < 3; u++)
            sm[u] = a->s[u] + c[u][0] * d[0] + c[u][1] * d[1] + c[u][2] * d[2];
        z[i] = sm[0];
    }
}

/* The log-likelihood of one axis's fixes lo..hi under the wander model (the forward filter's
 * innovations), the path at rest where rest says so. */
static double ou_loglik(const double *z, const double *tt, size_t lo, size_t hi, double q,
                        double r, double sb2, double vk2, const unsigned char *rest)
{
    double s[3] = {z[lo], 0, 0}, p[3][3] = {{r + sb2, 0, 0}, {0, 100, 0}, {0, 0, sb2}};
    double ll = 0;
    for (size_t i = lo; i <= hi; i++) {
        double sv, y = ou_filter(s, p, z, tt, i, i > lo, q, r, sb2, vk2, rest, &sv);
        if (i > lo) ll -= 0.5 * (log(sv) + y * y / sv);
    }
    return ll;
}

/* The rest test's settings (tuned on trackgen's walks 2001-2030 and markets 1-20, bench
 * figures in bench/RESULTS.md, session 10). */
#define REST_WINDOW 20.0  /* s: the displacement is measured over this window */
#define REST_ENDS 3.0     /* s: ... between the means of its first and last fixes over this */
#define REST_MIN 10.0     /* s: windows at rest for this long make a candidate stop */
#define REST_BOUND 3.03   /* sigmas of the rest hypothesis (its 99% bound in 2-D) */
#define REST_SHARE 0.3    /* ... and under this share of the typical speed's displacement */
#define REST_EDGE 10.0    /* s: how far one step of the likelihood search moves an end */
#define REST_CONTEXT 60.0 /* s: fixes either side weighed with a candidate */
#define REST_NATS 6.0     /* log-likelihood a stop must win by */
#define REST_BLEND 10.0   /* s: the held path's share near a stop fades over this */

/* One candidate stop: rest on fixes (u0, u1]. Each end is moved, up to REST_EDGE s at a time
 * (twice), to where the wander model's likelihood of the fixes around the stop (REST_CONTEXT s
 * either side) is highest; the stop is kept only if that beats the same fixes walked by
 * REST_NATS (by anything when it starts where a kept stop ends: then it is that stop's end).
 * Both hypotheses carry the same wander, so a stretch whose fixes move only as far as the wander
 * can is at rest, and one whose movement the wander cannot make is walked. Returns the fixes
 * put at rest. */
static size_t refine(const double *zx, const double *zy, const double *tt, size_t m, double dtm,
                     double q, double r, double sb2, double vk2, size_t u0, size_t u1,
                     unsigned char *rest)
{
    size_t e = (size_t)lround(REST_EDGE / dtm), l = (size_t)lround(REST_CONTEXT / dtm);
    size_t lo = u0 > e + l ? u0 - e - l : 0, hi = u1 + e + l < m ? u1 + e + l : m - 1;
#define LLW() (ou_loglik(zx, tt, lo, hi, q, r, sb2, vk2, rest) + \
               ou_loglik(zy, tt, lo, hi, q, r, sb2, vk2, rest))
    double none = LLW();
    size_t b0 = u0, b1 = u1;
    /* never into a stop already kept */
    size_t floor0 = lo;
    for (size_t u = lo; u <= u0 && u < m; u++)
        if (rest[u]) floor0 = u;
    if (u0 < floor0) b0 = floor0;
    double best = -INFINITY;
    for (int pass = 0; pass < 2; pass++) {
        for (int end = 0; end < 2; end++) {
            size_t c = end ? b1 : b0;
            size_t from = c > e ? c - e : 0, to = c + e;
            for (size_t x = from; x <= to; x++) {
                size_t a = end ? b0 : x, b = end ? x : b1;
                if (b <= a + 2 || a < floor0 || b > hi) continue;
                for (size_t u = a + 1; u <= b; u++) rest[u] = 1;
                double v = LLW();
                for (size_t u = a + 1; u <= b; u++) rest[u] = 0;
                if (v > best) best = v, b0 = a, b1 = b;
            }
        }
    }
#undef LLW
    /* Starting where a kept stop ends, it is that stop's end moved on, weighed as any end is (by
     * the likelihood alone), not a new stop that must win by REST_NATS. */
    double need = rest[floor0] && b0 == floor0 ? 0 : REST_NATS;
    if (!(best - none > need)) return 0;
    for (size_t u = b0 + 1; u <= b1; u++) rest[u] = 1;
    return b1 - b0;
}

/* Stops under a slow wander. At rest the fixes still drift with the wander (up to about half a
 * metre a second over 10 s at 5 m over 60 s), so the smoothed path's speed cannot tell a stop
 * from a slow walk. The fixes' displacement over a window of W s can: at rest it is the
 * wander's change plus the jitter, per axis of variance 2 sb2 (1 - e^(-W/tau)) + 2 r / a (the
 * ends are means of a fixes), while a walker at the track's typical speed u moves u W. A window
 * is a candidate for rest where the displacement is under both the rest hypothesis's 99% bound
 * and REST_SHARE u W (a share well under a half leans the test to walking: a market shuffle at
 * 0.5 m/s that the wander happened to cancel was frozen for a minute at a half and at 0.35,
 * not at 0.3; walks' stops are found a little less). A candidate stop is a run of
 * such windows lasting REST_MIN s or more, each end grown by the time the walker would take to
 * cover the part of the window that the bound cuts off; refine() then weighs it. rest[i]
 * (i > 0): at rest from fix i-1 to fix i. Returns the fixes at rest. */
static size_t rest_test(const double *zx, const double *zy, const double *tt, size_t m,
                        double dtm, double q, double r, double sb2, double vk2, double typ,
                        double *cum, unsigned char *rest, size_t found[2])
{
    memset(rest, 0, m);
    size_t h = (size_t)fmax(1, lround(REST_WINDOW / 2 / dtm)),
           a = (size_t)fmax(1, lround(REST_ENDS / dtm));
    if (m < 2 * h + 1 || !(typ > 0)) return 0;
    if (a > h) a = h;
    /* prefix sums of x and y for the end means */
    double *cx = cum, *cy = cum + m + 1;
    cx[0] = cy[0] = 0;
    for (size_t i = 0; i < m; i++) cx[i + 1] = cx[i] + zx[i], cy[i + 1] = cy[i] + zy[i];
    size_t nrest = 0, i = h;
    size_t run0 = 0;
    int in = 0;
    for (i = h; i <= m - h; i++) {
        int ok = 0;
        if (i < m - h) {
            size_t lo = i - h, hi = i + h; /* ends: [lo, lo+a) and (hi-a, hi] */
            double w = tt[hi] - tt[lo];
            if (w > 0 && w < 1.5 * REST_WINDOW) {
                double dx = (cx[hi + 1] - cx[hi + 1 - a] - cx[lo + a] + cx[lo]) / (double)a;
                double dy = (cy[hi + 1] - cy[hi + 1 - a] - cy[lo + a] + cy[lo]) / (double)a;
                double s2 = 2 * sb2 * (1 - exp(-w / OU_TAU)) + 2 * r / (double)a;
                double bound = fmin(REST_BOUND * sqrt(s2), REST_SHARE * typ * w);
                ok = dx * dx + dy * dy < bound * bound;
            }
        }
        if (ok && !in) run0 = i, in = 1;
        if (!ok && in) {
            in = 0;
            size_t e = i - 1;
            if (tt[e] - tt[run0] >= REST_MIN) {
                double w = tt[run0 + h] - tt[run0 - h];
                double s2 = 2 * sb2 * (1 - exp(-w / OU_TAU)) + 2 * r / (double)a;
                double bound = fmin(REST_BOUND * sqrt(s2), REST_SHARE * typ * w);
                double grow = fmax(0, w / 2 - bound / typ);
                size_t u0 = run0, u1 = e;
                while (u0 > 0 && tt[run0] - tt[u0 - 1] <= grow) u0--;
                while (u1 + 1 < m && tt[u1 + 1] - tt[e] <= grow) u1++;
                size_t got = refine(zx, zy, tt, m, dtm, q, r, sb2, vk2, u0, u1, rest);
                nrest += got;
                found[got ? 0 : 1]++;
            }
        }
    }
    return nrest;
}

/* The path written: the free smoother's (fx, fy) away from stops, the one held at rest (hx, hy)
 * in them, and between the two near a stop's ends a share of the held path that fades with the
 * time from the stop, e^(-d/tb). Holding a stop moves its place, and the path near it, as a
 * whole; taking that for the whole track put the wander's mean during the stop into the path
 * for a minute on either side. */
static void blend_stops(double *fx, double *fy, const double *hx, const double *hy,
                        const double *tt, size_t m, const unsigned char *rest, double tb,
                        double *d)
{
    double last = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        int in = rest[j] || (j + 1 < m && rest[j + 1]);
        if (in) last = tt[j];
        d[j] = tt[j] - last;
    }
    last = INFINITY;
    for (size_t j = m; j-- > 0;) {
        int in = rest[j] || (j + 1 < m && rest[j + 1]);
        if (in) last = tt[j];
        if (last - tt[j] < d[j]) d[j] = last - tt[j];
        double w = exp(-d[j] / tb);
        fx[j] += w * (hx[j] - fx[j]);
        fy[j] += w * (hy[j] - fy[j]);
    }
}

/* The two parts of the position error from second differences at lags 1-3 of evenly spaced
 * fixes: z[i-k] - 2 z[i] + z[i+k] has variance 6 r from white jitter of variance r, plus about
 * 4 sb2 k dt / tau from a Gauss-Markov wander of variance sb2 and correlation time tau (k dt
 * much shorter than tau), plus the path's own curvature, which is small on most of a track (the
 * median keeps turns out). A straight line through the three robust variances gives r from its
 * intercept and sb2 from its slope. Returns 0 when there are too few fixes. */
static int error_parts(const double *zx, const double *zy, const double *tt, size_t m,
                       double dt, double *buf, double var[3], size_t cnt[3])
{
    for (int k = 1; k <= 3; k++) {
        size_t nb = 0;
        for (size_t i = (size_t)k; i + (size_t)k < m; i++) {
            double d1 = tt[i] - tt[i - k], d2 = tt[i + k] - tt[i];
            if (!(fabs(d1 - k * dt) <= 0.1 * dt && fabs(d2 - k * dt) <= 0.1 * dt)) continue;
            buf[nb++] = fabs(zx[i - k] - 2 * zx[i] + zx[i + k]);
            buf[nb++] = fabs(zy[i - k] - 2 * zy[i] + zy[i + k]);
        }
        if (nb < 16) return 0;
        double sd = pol__median(buf, nb) / 0.6745;
        var[k - 1] += sd * sd * (double)nb;
        cnt[k - 1] += nb;
    }
    return 1;
}

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__track *t = pol__track_of(asset);
    pol__track_stats s;
    pol__track_analyse(t, &s);
    if (s.points < 3) {
        pol__decline(run, "fewer than 3 track points");
        return POL_OK;
    }
    if (!s.has_time) {
        pol__decline(run, "no timestamps: the path's own shape cannot be told from GPS noise "
                          "without them");
        return POL_OK;
    }
    double sigma = pol__arg_set(args, "noise") ? pol__arg_num(args, "noise") : s.noise_m;
    if (!isfinite(sigma)) {
        pol__decline(run, "too few evenly spaced points to estimate the noise");
        return POL_OK;
    }
    pol__measure(run, "position_noise_m", sigma);
    /* Already smooth: noise under --min-noise and under a tenth of the typical step between
     * fixes (jitter of sigma adds about (sigma / step)^2 to the distance: 1% at a tenth; a
     * walker's 1.4 m steps are lengthened by 20% by 0.6 m of jitter). */
    double typ = pol__track_typical_speed(t);
    double step = typ * (isfinite(s.interval_median) ? s.interval_median : 1);
    double min_noise = pol__arg_num(args, "min-noise");
    if (isfinite(step) && step > 0 && 0.1 * step < min_noise) min_noise = 0.1 * step;
    /* ... and little of its length made of steps no longer than the jitter itself (at rest or
     * creeping: a car waiting at lights with 0.6 m of jitter adds about a metre a second, which
     * the typical moving step does not show) */
    double rest = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        if (prev >= 0 && t->pt[prev].seg == p->seg) {
            double d = pol__geo_dist(t->pt[prev].lat, t->pt[prev].lon, p->lat, p->lon);
            if (d <= 3 * sigma) rest += d;
        }
        prev = (long)i;
    }
    double rest_share = s.distance > 0 ? rest / s.distance : 0;
    pol__measure(run, "length_share_at_jitter_scale", rest_share);
    if (rest_share > 0.01) min_noise = 0; /* smoothing changes the distance: never skip */
    if (!pol__arg_set(args, "noise") && sigma < min_noise) {
        pol__decline(run, "estimated noise %.2f m is below %.2f m: already smooth", sigma,
                     min_noise);
        return POL_OK;
    }
    const char *mode = pol__arg_str(args, "mode");
    if (strcmp(mode, "auto") == 0) mode = pol__track_mode_of(typ);
    snprintf(t->mode, sizeof t->mode, "%s", mode);
    double q = mode_q(mode);
    double gap = pol__arg_set(args, "gap") ? pol__arg_num(args, "gap")
                                           : fmax(30, 10 * (isfinite(s.interval_median)
                                                               ? s.interval_median : 1));
    size_t n = t->n;
    size_t *idx = malloc((n + 1) * sizeof *idx), *st = malloc((n + 2) * sizeof *st);
    double *zx = malloc((n ? n : 1) * sizeof *zx), *zy = malloc((n ? n : 1) * sizeof *zy);
    double *tt = malloc((n ? n : 1) * sizeof *tt);
    kf *k = malloc((n ? n : 1) * sizeof *k);
    unsigned char *in_stop = malloc(n ? n : 1), *at_rest = malloc(n ? n : 1);
    /* the correlated-error model's state per fix, a copy of the run, the differences' buffer */
    kf3 *k3 = malloc((n ? n : 1) * sizeof *k3);
    double *ox = malloc((n ? n : 1) * sizeof *ox), *oy = malloc((n ? n : 1) * sizeof *oy);
    double *buf = malloc((2 * n + 2) * sizeof *buf);
    if (!idx || !st || !zx || !zy || !tt || !k || !in_stop || !at_rest || !k3 || !ox || !oy || !buf) {
        free(idx), free(st), free(zx), free(zy), free(tt), free(k), free(in_stop), free(at_rest);
        free(k3), free(ox), free(oy), free(buf);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    double dtm = isfinite(s.interval_median) && s.interval_median > 0 ? s.interval_median : 1;
    size_t ou_runs = 0, ou_pts = 0, rest_pts = 0, found[2] = {0, 0};
    double ou_sb2 = 0, ou_r = 0;
    size_t nr = pol__track_runs(t, gap, idx, st);
    double moved_sum = 0, moved_max = 0;
    size_t moved_n = 0, runs_used = 0;
    double r = sigma * sigma;
    int hold = pol__arg_bool(args, "hold-stops");
    size_t held = 0, n_stops = 0;
    for (size_t ri = 0; ri < nr; ri++) {
        size_t a = st[ri], m = st[ri + 1] - st[ri];
        if (m < 3) continue;
        runs_used++;
        double lat0 = 0, lon0 = t->pt[idx[a]].lon;
        for (size_t j = 0; j < m; j++) lat0 += t->pt[idx[a + j]].lat;
        lat0 /= (double)m;
        pol__enu f;
        pol__enu_init(&f, lat0, lon0);
        for (size_t j = 0; j < m; j++) {
            const pol__tpt *p = &t->pt[idx[a + j]];
            pol__enu_fwd(&f, p->lat, p->lon, &zx[j], &zy[j]);
            tt[j] = p->t;
        }
        /* White jitter and slowly varying error apart (not when the user gave the noise). */
        double var[3] = {0, 0, 0}, sb2 = 0, rw = r;
        size_t cnt[3] = {0, 0, 0};
        if (!pol__arg_set(args, "noise") && error_parts(zx, zy, tt, m, dtm, buf, var, cnt)) {
            double v1 = var[0] / (double)cnt[0], v2 = var[1] / (double)cnt[1],
                   v3 = var[2] / (double)cnt[2];
            double slope = (v3 - v1) / 2, icpt = (v1 + v2 + v3) / 3 - 2 * slope;
            /* The slope must stand out of the medians' own scatter: a variance from the median
             * of n absolute values has a standard error of sqrt(5.44 / n) of itself (the
             * half-normal's density at its median). Motion and sampling under heavy white
             * jitter otherwise passed for a wander. */
            double se = sqrt(5.44 / (double)cnt[0]) * (v1 + v2 + v3) / 3 * M_SQRT1_2;
            if (slope > 2.5 * se) {
                sb2 = slope * OU_TAU / (4 * dtm);
                rw = fmax(icpt / 6, 0.01);
            }
            /* Only where the wander clearly outweighs the jitter (2.5 times its sigma: a long
             * ride with 3 m of white jitter showed a wander of 6 m from its turns and speed
             * changes alone), and is fast beside the track's own speed: a wander moving w m/s
             * across a path walked at u m/s lengthens it by about (w/u)^2 / 2, which the plain
             * smoother leaves in (2% at w = u/5). A
             * car outruns it (0.7% on the bench), and its turns and braking at speed pass for
             * a wander in second differences (a drive with 3 m of jitter showed 15 m), so
             * driving keeps the plain smoother. */
            double wander = sqrt(4 * sb2 / OU_TAU);
            if (!(sb2 > 6 * rw) || !(isfinite(typ) && wander > 0.2 * typ) || mode[0] == 'd')
                sb2 = 0;
        }
        if (sb2 > 0) {
            memcpy(ox, zx, m * sizeof *zx);
            memcpy(oy, zy, m * sizeof *zy);
            /* The path's process noise inside this model: the mode's, twice (the wander took
             * a turn of a few seconds for its own, and a 100,000 s walk came out 1.6% short;
             * 2.5 times made 10-minute walks' moving parts too long), less for a track slower
             * than the mode's usual (a turn's change of
             * velocity grows with the speed; a market shuffle at 0.7 m/s followed the wander
             * with the walker's). Leaving a stop the speed may jump to the typical one. */
            double vn = mode[0] == 'c' ? 5.0 : 1.2;
            double qo = 2.0 * q * fmax(0.1, fmin(1, (typ / vn) * (typ / vn))), vk2 = typ * typ;
            size_t nrest = rest_test(ox, oy, tt, m, dtm, qo, rw, sb2, vk2, typ, buf, at_rest,
                                     found);
            smooth_axis_ou(zx, tt, m, qo, rw, sb2, vk2, NULL, k3);
            smooth_axis_ou(zy, tt, m, qo, rw, sb2, vk2, NULL, k3);
            if (nrest) {
                smooth_axis_ou(ox, tt, m, qo, rw, sb2, vk2, at_rest, k3);
                smooth_axis_ou(oy, tt, m, qo, rw, sb2, vk2, at_rest, k3);
                blend_stops(zx, zy, ox, oy, tt, m, at_rest, REST_BLEND, buf);
            }
            ou_runs++;
            ou_pts += m;
            rest_pts += nrest;
            ou_sb2 += sb2 * (double)m;
            ou_r += rw * (double)m;
        } else {
            smooth_axis(zx, tt, m, q, r, k);
            smooth_axis(zy, tt, m, q, r, k);
        }
        memset(in_stop, 0, m);
        if (hold) held += hold_stops(zx, zy, tt, m, fmax(3, 2 * sigma), 20, &n_stops, in_stop);
        for (size_t j = 0; j < m; j++) {
            pol__tpt *p = &t->pt[idx[a + j]];
            double la, lo;
            pol__enu_inv(&f, zx[j], zy[j], &la, &lo);
            double d = pol__geo_dist(p->lat, p->lon, la, lo);
            moved_sum += d;
            if (d > moved_max) moved_max = d;
            moved_n++;
            p->lat = la;
            p->lon = lo;
            p->flags |= POL_TP_MOVED | (in_stop[j] ? POL_TP_STOP : 0);
        }
        if (pol__cancelled(run)) break;
    }
    free(idx), free(st), free(zx), free(zy), free(tt), free(k), free(in_stop), free(at_rest);
    free(k3), free(ox), free(oy), free(buf);
    if (pol__cancelled(run)) return pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    pol__measure_str(run, "mode", mode);
    pol__measure(run, "typical_speed_m_s", typ);
    pol__measure(run, "process_noise_m2_s3", q);
    pol__measure(run, "gap_s", gap);
    pol__measure_int(run, "runs", (long long)runs_used);
    pol__measure_int(run, "points_moved", (long long)moved_n);
    pol__measure_int(run, "runs_with_slow_error", (long long)ou_runs);
    if (ou_pts) {
        pol__measure(run, "slow_error_m", sqrt(ou_sb2 / (double)ou_pts));
        pol__measure(run, "white_jitter_m", sqrt(ou_r / (double)ou_pts));
        pol__measure_int(run, "points_at_rest", (long long)rest_pts);
        pol__measure_int(run, "stops_under_wander", (long long)found[0]);
        pol__measure_int(run, "stops_weighed_and_walked", (long long)found[1]);
        pol__decide(run, "slowly varying error of %.1f m in %zu of %zu runs: modelled apart from "
                    "the path; %zu stops held at rest (%zu fixes), %zu more candidates judged "
                    "walked (more likely walking than at rest under the wander)",
                    sqrt(ou_sb2 / (double)ou_pts), ou_runs, runs_used, found[0], rest_pts,
                    found[1]);
    }
    if (!moved_n) {
        pol__decline(run, "no run of 3 or more points between gaps");
        return POL_OK;
    }
    if (hold) {
        pol__measure_int(run, "stops_held", (long long)n_stops);
        pol__measure_int(run, "points_in_stops", (long long)held);
    }
    pol__measure(run, "moved_mean_m", moved_sum / (double)moved_n);
    pol__measure(run, "moved_max_m", moved_max);
    pol__measure(run, "distance_before_m", s.distance);
    pol__measure(run, "distance_after_m", pol__track_distance(t));
    pol__decide(run, "smoothed %zu points (%s, noise %.1f m): moved %.1f m on average, %.1f m at "
                "most",
                moved_n, mode, sigma, moved_sum / (double)moved_n, moved_max);
    pol__confidence(run, 0.8);
    return pol__track_figure(run, t, "smooth");
}

void pol__track_rts(double *z, const double *tt, size_t m, double q, double r, void *work)
{
    smooth_axis(z, tt, m, q, r, work);
}

size_t pol__track_rts_work(void)
{
    return sizeof(kf);
}

const pol_op_desc pol__track_op_smooth = {
    .domain = "track",
    .name = "smooth",
    .summary = "Kalman + RTS smoothing of GPS jitter, gaps respected",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_AUTO,
    .stream = &pol__track_stream_smooth,
};
