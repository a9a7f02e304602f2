/* polish — tilt from vanishing points: the verticals' point and the horizon through the horizontal ones. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "image/quality.h"

/*
 * Lines in perspective are not level, but they are not noise either: the edges of a building, a
 * shelf, a pier or a road meet at vanishing points, and where those points lie fixes the camera's
 * roll exactly, whatever its pitch and focal length:
 *   - the verticals of the world meet at one point (at infinity when the camera is not pitched);
 *     the roll is the angle between the picture's vertical axis and the direction from the
 *     centre to that point;
 *   - the horizontal directions of the world (two walls of a building, the planks and the edge of
 *     a pier) meet at points on the horizon, so the horizon is the line through two of them, and
 *     its angle is the roll.
 * The two readings come from different lines; when they agree the roll is known twice over.
 *
 * Points are found in homogeneous coordinates (x, y, w), the picture centred, y up, in units of
 * half the diagonal, so a point at infinity (parallel lines) is an ordinary point with w = 0.
 * Sequential RANSAC: every pair of the longest lines proposes their intersection; a line agrees
 * with a point when its direction points at it within 1 degree; the point with most agreeing
 * length wins, is refined by weighted least squares (the smallest eigenvector of the agreeing
 * lines' scatter, each weighted by its length over its squared distance to the point, so the
 * residual is an angle), its lines are taken out, and the next is searched; up to three.
 * A point is the verticals' when its lines lean within 20 degrees of vertical and the roll it
 * gives is within the searched range; another point is horizontal when it is orthogonal to the
 * verticals' direction for some focal length between 0.4 and 12 half-diagonals (a Manhattan
 * world: the principal point at the centre), within 2 degrees.
 */

#define VP_TOL 1.0   /* degrees: a line agrees with a point */
#define VP_PAIRS 70  /* hypotheses from pairs of the longest lines */
#define VP_MAX 3

/* Homogeneous line through (x, y) with direction a (degrees): (-sin a, cos a, x sin a - y cos a). */
static void line_of(const pol__tilt_line *s, double l[3])
{
    l[0] = -s->sa;
    l[1] = s->ca;
    l[2] = s->x * s->sa - s->y * s->ca;
}

static void cross3(const double a[3], const double b[3], double o[3])
{
    o[0] = a[1] * b[2] - a[2] * b[1];
    o[1] = a[2] * b[0] - a[0] * b[2];
    o[2] = a[0] * b[1] - a[1] * b[0];
}

static int unit3(double v[3])
{
    double n = sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
    if (n < 1e-12) return 0;
    v[0] /= n;
    v[1] /= n;
    v[2] /= n;
    return 1;
}

/* The angle (degrees, 0..90) between a line's direction and the direction from its midpoint to
 * the point v. */
static double resid(const pol__tilt_line *s, const double v[3])
{
    double dx = v[0] - v[2] * s->x, dy = v[1] - v[2] * s->y;
    double cr = fabs(dx * s->sa - dy * s->ca), dt = fabs(dx * s->ca + dy * s->sa);
    return atan2(cr, dt) * 180 / M_PI;
}

/* Length-weighted biweight support of the point among the lines still free (the angle taken as
 * its tangent: within a degree they are the same). */
static double support(const pol__tilt_line *ls, size_t n, const unsigned char *taken, const double v[3])
{
    const double t = tan(VP_TOL * M_PI / 180);
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        if (taken[i]) continue;
        const pol__tilt_line *l = &ls[i];
        double dx = v[0] - v[2] * l->x, dy = v[1] - v[2] * l->y;
        double cr = fabs(dx * l->sa - dy * l->ca), dt = fabs(dx * l->ca + dy * l->sa);
        if (cr >= t * dt) continue;
        double r = cr / (t * dt);
        s += l->len * (1 - r * r) * (1 - r * r);
    }
    return s;
}

/* Smallest eigenvector of a symmetric 3x3 matrix (Jacobi rotations). */
static void small_eig(double m[3][3], double v[3])
{
    double a[3][3], e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    memcpy(a, m, sizeof a);
    for (int sweep = 0; sweep < 30; sweep++) {
        double off = fabs(a[0][1]) + fabs(a[0][2]) + fabs(a[1][2]);
        if (off < 1e-15) break;
        for (int p = 0; p < 2; p++)
            for (int q = p + 1; q < 3; q++) {
                if (fabs(a[p][q]) < 1e-18) continue;
                double th = 0.5 * atan2(2 * a[p][q], a[q][q] - a[p][p]);
                double c = cos(th), s = sin(th);
                for (int k = 0; k < 3; k++) {
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < 3; k++) {
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < 3; k++) {
                    double ekp = e[k][p], ekq = e[k][q];
                    e[k][p] = c * ekp - s * ekq;
                    e[k][q] = s * ekp + c * ekq;
                }
            }
    }
    int b = 0;
    for (int k = 1; k < 3; k++)
        if (a[k][k] < a[b][b]) b = k;
    for (int k = 0; k < 3; k++) v[k] = e[k][b];
}

/* Weighted least squares of the point from the lines agreeing within tol, three rounds. */
static void refine(const pol__tilt_line *ls, size_t n, const unsigned char *taken, double v[3], double tol)
{
    for (int it = 0; it < 3; it++) {
        double m[3][3] = {{0}};
        int cnt = 0;
        for (size_t i = 0; i < n; i++) {
            if (taken[i] || resid(&ls[i], v) > tol) continue;
            double l[3];
            line_of(&ls[i], l);
            double dx = v[0] - v[2] * ls[i].x, dy = v[1] - v[2] * ls[i].y;
            double d2 = dx * dx + dy * dy;
            if (d2 < 1e-12) continue;
            double wt = ls[i].len / d2;
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) m[a][b] += wt * l[a] * l[b];
            cnt++;
        }
        if (cnt < 2) return;
        double nv[3];
        small_eig(m, nv);
        if (!unit3(nv)) return;
        v[0] = nv[0];
        v[1] = nv[1];
        v[2] = nv[2];
    }
}

/* The roll (degrees) that the verticals' point v gives: the angle between the picture's vertical
 * axis and the direction from the centre to v, folded into [-90, 90). */
static double roll_of_vertical(const double v[3])
{
    double a = atan2(v[1], v[0]) * 180 / M_PI - 90;
    a = fmod(a + 90, 180);
    if (a < 0) a += 180;
    return a - 90;
}

/* The angle (degrees, y up) of the line through two points, folded into [-90, 90). */
static double angle_through(const double p[3], const double q[3])
{
    double l[3];
    cross3(p, q, l);
    /* A x + B y + C w = 0 has direction (B, -A) */
    double a = atan2(-l[0], l[1]) * 180 / M_PI;
    a = fmod(a + 90, 180);
    if (a < 0) a += 180;
    return a - 90;
}

/* How far (degrees) the ray of point h is from being orthogonal to the ray of v, at the best
 * focal length f in [0.4, 12] half-diagonals; *fout gets that f. */
static double ortho_err(const double h[3], const double v[3], double *fout)
{
    double best = 90, bf = 0;
    for (double f = 0.4; f <= 12.01; f *= 1.08) {
        double a[3] = {h[0], h[1], f * h[2]}, b[3] = {v[0], v[1], f * v[2]};
        double na = sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
        double nb = sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2]);
        double c = fabs(a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (na * nb);
        double e = asin(fmin(1, c)) * 180 / M_PI;
        if (e < best) {
            best = e;
            bf = f;
        }
    }
    *fout = bf;
    return best;
}

int pol__tilt_vp(const pol__tilt_line *ls, size_t n, double max_deg, pol__tilt_vp_info *out)
{
    memset(out, 0, sizeof *out);
    if (n < 4) return 0;
    unsigned char *taken = calloc(n, 1);
    size_t *ord = malloc(n * sizeof(size_t));
    if (!taken || !ord) {
        free(taken);
        free(ord);
        return 0;
    }
    /* the longest lines first (insertion sort of indices: n is a few hundred) */
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && ls[ord[j - 1]].len < ls[i].len) {
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = i;
    }
    size_t top = n < VP_PAIRS ? n : VP_PAIRS;
    double vps[VP_MAX][3];
    double vsup[VP_MAX];
    int vmem[VP_MAX], nvp = 0;
    double lean[VP_MAX]; /* the agreeing lines' mean deviation from vertical, degrees */
    for (int k = 0; k < VP_MAX; k++) {
        double best = 0, bv[3] = {0, 1, 0};
        for (size_t a = 0; a < top; a++) {
            if (taken[ord[a]]) continue;
            double la[3];
            line_of(&ls[ord[a]], la);
            for (size_t b = a + 1; b < top; b++) {
                if (taken[ord[b]]) continue;
                double lb[3], v[3];
                line_of(&ls[ord[b]], lb);
                cross3(la, lb, v);
                if (!unit3(v)) continue;
                double s = support(ls, n, taken, v);
                if (s > best) {
                    best = s;
                    memcpy(bv, v, sizeof bv);
                }
            }
        }
        if (best <= 0) break;
        refine(ls, n, taken, bv, VP_TOL);
        refine(ls, n, taken, bv, 0.5 * VP_TOL);
        /* its lines: at least three, and long enough together */
        double sup = 0, lc = 0, lsn = 0;
        int mem = 0;
        for (size_t i = 0; i < n; i++) {
            if (taken[i] || resid(&ls[i], bv) > VP_TOL) continue;
            sup += ls[i].len;
            mem++;
            double a = 2 * (ls[i].ang - 90) * M_PI / 180;
            lc += ls[i].len * cos(a);
            lsn += ls[i].len * sin(a);
        }
        if (mem < 3 || sup < 0.3) break;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && resid(&ls[i], bv) <= 1.5 * VP_TOL) taken[i] = 1;
        if (bv[2] < 0 || (bv[2] == 0 && bv[1] < 0)) {
            bv[0] = -bv[0];
            bv[1] = -bv[1];
            bv[2] = -bv[2];
        }
        memcpy(vps[nvp], bv, sizeof bv);
        vsup[nvp] = sup;
        vmem[nvp] = mem;
        lean[nvp] = fabs(atan2(lsn, lc) * 90 / M_PI);
        nvp++;
    }
    free(taken);
    free(ord);
    out->points = nvp;
    if (!nvp) return 0;
    /* the verticals' point: lines within 20 degrees of vertical, the most support */
    int vi = -1;
    for (int k = 0; k < nvp; k++)
        if (lean[k] <= 20 && fabs(roll_of_vertical(vps[k])) <= max_deg && (vi < 0 || vsup[k] > vsup[vi]))
            vi = k;
    double vdir[3] = {0, 1, 0};
    if (vi >= 0) {
        memcpy(vdir, vps[vi], sizeof vdir);
        out->v_ok = 1;
        out->v_deg = roll_of_vertical(vps[vi]);
        out->v_support = vsup[vi];
        out->v_members = vmem[vi];
        /* distance from the centre in diagonals (positive above, negative below); 0: parallel */
        double d = hypot(vps[vi][0], vps[vi][1]);
        out->v_dist = fabs(vps[vi][2]) < 1e-9 * d ? 0 : d / vps[vi][2] / 2 * (vps[vi][1] >= 0 ? 1 : -1);
    }
    /* horizontal points: orthogonal to the verticals for a plausible focal length */
    int hi[VP_MAX], nh = 0;
    double hf[VP_MAX] = {0};
    for (int k = 0; k < nvp; k++) {
        if (k == vi) continue;
        double f;
        double e = ortho_err(vps[k], vdir, &f);
        /* without a verticals' point the vertical is only known to within the searched range */
        if (e <= (vi >= 0 ? 2.0 : max_deg + 1)) {
            hf[k] = f;
            hi[nh++] = k;
        }
    }
    out->h_points = nh;
    if (nh >= 2) {
        /* the horizon: the line through the two best-supported horizontal points */
        int a = hi[0], b = hi[1];
        if (vsup[hi[1]] > vsup[a]) {
            a = hi[1];
            b = hi[0];
        }
        for (int k = 2; k < nh; k++) {
            if (vsup[hi[k]] > vsup[a]) {
                b = a;
                a = hi[k];
            } else if (vsup[hi[k]] > vsup[b]) {
                b = hi[k];
            }
        }
        double hd = angle_through(vps[a], vps[b]);
        /* two points close together fix no line: they must be 1.5 half-diagonals apart, or one
         * of them at infinity (a wall parallel to the picture) */
        int apart = fabs(vps[a][2]) < 1e-6 || fabs(vps[b][2]) < 1e-6 ||
                    hypot(vps[a][0] / vps[a][2] - vps[b][0] / vps[b][2],
                          vps[a][1] / vps[a][2] - vps[b][1] / vps[b][2]) >= 1.5;
        if (apart && fabs(hd) <= max_deg) {
            out->h_ok = 1;
            out->h_deg = hd;
            out->h_support = fmin(vsup[a], vsup[b]);
            out->focal = 0.5 * (hf[a] + hf[b]);
        }
    }
    return 1;
}
