/* polish — the track asset (points, segments, string pool), geometry, time, shared analysis. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "track/track.h"

pol__track *pol__track_new(void)
{
    pol__track *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->csv_lat = t->csv_lon = t->csv_time = t->csv_ele = t->csv_hdop = -1;
    t->csv_delim = ',';
    t->gpx_version = 11;
    t->save_format = -1;
    return t;
}

void pol__track_free(void *data)
{
    pol__track *t = data;
    if (!t) return;
    free(t->pt);
    free(t->seg);
    free(t->pool);
    free(t->orig_xy);
    free(t);
}

void *pol__track_clone(const void *data)
{
    const pol__track *s = data;
    pol__track *t = malloc(sizeof *t);
    if (!t) return NULL;
    *t = *s;
    t->pt = malloc((s->cap ? s->cap : 1) * sizeof *t->pt);
    t->seg = malloc((s->cap_seg ? s->cap_seg : 1) * sizeof *t->seg);
    t->pool = malloc(s->pool_cap ? s->pool_cap : 1);
    t->orig_xy = malloc((s->n_orig ? s->n_orig : 1) * 2 * sizeof(float));
    if (!t->pt || !t->seg || !t->pool || !t->orig_xy) {
        pol__track_free(t);
        return NULL;
    }
    if (s->n) memcpy(t->pt, s->pt, s->n * sizeof *t->pt);
    if (s->n_seg) memcpy(t->seg, s->seg, s->n_seg * sizeof *t->seg);
    if (s->pool_len) memcpy(t->pool, s->pool, s->pool_len);
    if (s->n_orig) memcpy(t->orig_xy, s->orig_xy, s->n_orig * 2 * sizeof(float));
    return t;
}

int pol__track_push(pol__track *t, const pol__tpt *p)
{
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 1024;
        pol__tpt *np = realloc(t->pt, nc * sizeof *np);
        if (!np) return -1;
        t->pt = np;
        t->cap = nc;
    }
    t->pt[t->n++] = *p;
    return 0;
}

long pol__track_seg(pol__track *t, uint32_t kind, uint32_t track)
{
    if (t->n_seg == t->cap_seg) {
        size_t nc = t->cap_seg ? t->cap_seg * 2 : 16;
        pol__tseg *ns = realloc(t->seg, nc * sizeof *ns);
        if (!ns) return -1;
        t->seg = ns;
        t->cap_seg = nc;
    }
    t->seg[t->n_seg] = (pol__tseg){kind, track};
    return (long)t->n_seg++;
}

uint64_t pol__track_str(pol__track *t, const char *s, size_t n)
{
    if (t->pool_len + n + 1 > t->pool_cap) {
        size_t nc = t->pool_cap ? t->pool_cap : 4096;
        while (nc < t->pool_len + n + 1) nc *= 2;
        char *np = realloc(t->pool, nc);
        if (!np) return 0;
        t->pool = np;
        t->pool_cap = nc;
    }
    uint64_t off = t->pool_len;
    if (n) memcpy(t->pool + off, s, n);
    t->pool[off + n] = '\0';
    t->pool_len += n + 1;
    return off + 1;
}

/* Copies the string at `off` of `s` into `t`; 0 stays 0. Sets *oom on failure. */
static uint64_t copy_str(pol__track *t, const pol__track *s, uint64_t off, int *oom)
{
    if (!off) return 0;
    const char *p = s->pool + off - 1;
    uint64_t r = pol__track_str(t, p, strlen(p));
    if (!r) *oom = 1;
    return r;
}

static void copy_text(pol__track *t, const pol__track *s, pol__tpt *p, int *oom)
{
    p->time_txt = copy_str(t, s, p->time_txt, oom);
    p->ele_txt = copy_str(t, s, p->ele_txt, oom);
    p->raw = copy_str(t, s, p->raw, oom);
    p->pre = copy_str(t, s, p->pre, oom);
    p->src = copy_str(t, s, p->src, oom);
}

/* Bytes the text of points [from, to) takes in a pool. */
static size_t text_bytes(const pol__track *s, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++) {
        const pol__tpt *p = &s->pt[i];
        const uint64_t o[] = {p->time_txt, p->ele_txt, p->raw, p->pre, p->src};
        for (int k = 0; k < 5; k++)
            if (o[k]) n += strlen(s->pool + o[k] - 1) + 1;
    }
    return n;
}

/* Grows t's pool to hold `n` more bytes at once; -1 when out of memory. */
static int pool_room(pol__track *t, size_t n)
{
    if (t->pool_len + n <= t->pool_cap) return 0;
    char *np = realloc(t->pool, t->pool_len + n);
    if (!np) return -1;
    t->pool = np;
    t->pool_cap = t->pool_len + n;
    return 0;
}

pol__track *pol__track_slice(const pol__track *s, size_t from, size_t to)
{
    pol__track *t = pol__track_new();
    if (!t) return NULL;
    pol__tpt *pt = t->pt;
    *t = *s;
    t->pt = pt;
    t->n = t->cap = 0;
    t->seg = NULL;
    t->n_seg = t->cap_seg = 0;
    t->pool = NULL;
    t->pool_len = t->pool_cap = 0;
    t->tail = 0;
    t->orig_xy = NULL;
    t->n_orig = 0;
    t->hold_from = 0;
    t->release = 0;
    int oom = pool_room(t, text_bytes(s, from, to) + 4096) != 0;
    t->csv_head = copy_str(t, s, s->csv_head, &oom);
    t->csv_names = copy_str(t, s, s->csv_names, &oom);
    uint32_t lo = from < to ? s->pt[from].seg : 0, hi = lo;
    for (size_t i = from; i < to; i++) {
        if (s->pt[i].seg < lo) lo = s->pt[i].seg;
        if (s->pt[i].seg > hi) hi = s->pt[i].seg;
    }
    t->seg0 = s->seg0 + lo;
    for (uint32_t k = lo; !oom && from < to && k <= hi; k++)
        if (pol__track_seg(t, s->seg[k].kind, s->seg[k].track) < 0) oom = 1;
    if (!oom && to > from) {
        t->pt = malloc((to - from) * sizeof *t->pt);
        if (!t->pt) oom = 1;
        else t->cap = to - from;
    }
    for (size_t i = from; !oom && i < to; i++) {
        pol__tpt p = s->pt[i];
        p.seg -= lo;
        copy_text(t, s, &p, &oom);
        t->pt[t->n++] = p;
    }
    if (oom) {
        pol__track_free(t);
        return NULL;
    }
    return t;
}

int pol__track_drop_front(pol__track *t, size_t from, uint64_t *const *keep, size_t n_keep)
{
    if (from > t->n) from = t->n;
    pol__track tmp;
    memset(&tmp, 0, sizeof tmp);
    int oom = pool_room(&tmp, text_bytes(t, from, t->n) + 4096) != 0;
    tmp.csv_head = copy_str(&tmp, t, t->csv_head, &oom);
    tmp.csv_names = copy_str(&tmp, t, t->csv_names, &oom);
    tmp.tail = copy_str(&tmp, t, t->tail, &oom);
    for (size_t k = 0; k < n_keep; k++) *keep[k] = copy_str(&tmp, t, *keep[k], &oom);
    for (size_t i = from; i < t->n; i++) {
        pol__tpt p = t->pt[i];
        copy_text(&tmp, t, &p, &oom);
        t->pt[i - from] = p;
    }
    t->n -= from;
    if (oom) {
        free(tmp.pool);
        return -1;
    }
    free(t->pool);
    t->pool = tmp.pool;
    t->pool_len = tmp.pool_len;
    t->pool_cap = tmp.pool_cap;
    t->csv_head = tmp.csv_head;
    t->csv_names = tmp.csv_names;
    t->tail = tmp.tail;
    return 0;
}

void pol__track_coord(const pol__tpt *p, int lat, char *buf, size_t cap)
{
    double v = lat ? p->lat : p->lon;
    if (p->flags & POL_TP_MOVED) {
        /* Fixed point to 8 decimals without printf (the hot path of writing a smoothed track). */
        long long q = llround(fabs(v) * 1e8);
        char tmp[32];
        size_t k = sizeof tmp;
        tmp[--k] = '\0';
        for (int i = 0; i < 8; i++, q /= 10) tmp[--k] = (char)('0' + q % 10);
        tmp[--k] = '.';
        do {
            tmp[--k] = (char)('0' + q % 10);
            q /= 10;
        } while (q);
        if (v < 0 && llround(fabs(v) * 1e8)) tmp[--k] = '-';
        snprintf(buf, cap, "%s", tmp + k);
        return;
    }
    /* GPS coordinates have at most 10 significant digits: one try nearly always does. */
    static const int precs[] = {10, 15, 17};
    for (int k = 0; k < 3; k++) {
        snprintf(buf, cap, "%.*g", precs[k], v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* ---- geometry ---- */

double pol__geo_dist(double lat1, double lon1, double lat2, double lon2)
{
    const double d = M_PI / 180;
    double dla = lat2 - lat1, dlo = lon2 - lon1;
    if (fabs(dla) < 0.05 && fabs(dlo) < 0.05) {
        /* Within about 5 km (consecutive fixes): the flat frame at the middle latitude, within a
         * millionth of the great circle, for one cosine instead of five trigonometric calls. */
        double x = dlo * d * cos((lat1 + lat2) * (0.5 * d)), y = dla * d;
        return POL_EARTH_R * sqrt(x * x + y * y);
    }
    double p1 = lat1 * d, p2 = lat2 * d;
    double a = sin((p2 - p1) / 2), b = sin((lon2 - lon1) * d / 2);
    double h = a * a + cos(p1) * cos(p2) * b * b;
    if (h > 1) h = 1;
    return 2 * POL_EARTH_R * asin(sqrt(h));
}

void pol__enu_init(pol__enu *f, double lat0, double lon0)
{
    f->lat0 = lat0;
    f->lon0 = lon0;
    f->ky = POL_EARTH_R * M_PI / 180;
    f->kx = f->ky * cos(lat0 * M_PI / 180);
    if (f->kx < 1) f->kx = 1; /* at a pole */
}

void pol__enu_fwd(const pol__enu *f, double lat, double lon, double *x, double *y)
{
    double dl = lon - f->lon0;
    if (dl > 180) dl -= 360;
    if (dl < -180) dl += 360;
    *x = dl * f->kx;
    *y = (lat - f->lat0) * f->ky;
}

void pol__enu_inv(const pol__enu *f, double x, double y, double *lat, double *lon)
{
    *lat = f->lat0 + y / f->ky;
    double l = f->lon0 + x / f->kx;
    if (l > 180) l -= 360;
    if (l < -180) l += 360;
    *lon = l;
}

/* ---- time ---- */

static int digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

double pol__iso_time(const char *s)
{
    if (!s) return NAN;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    int Y, M, D, h = 0, mi = 0, se = 0;
    if (!digits(s, 4, &Y) || s[4] != '-' || !digits(s + 5, 2, &M) || s[7] != '-' ||
        !digits(s + 8, 2, &D))
        return NAN;
    const char *p = s + 10;
    double frac = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(p, 2, &h) || p[2] != ':' || !digits(p + 3, 2, &mi)) return NAN;
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &se)) return NAN;
            p += 3;
            if (*p == '.' || *p == ',') {
                double k = 0.1;
                p++;
                while (*p >= '0' && *p <= '9') {
                    frac += (*p - '0') * k;
                    k /= 10;
                    p++;
                }
            }
        }
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 24 || mi > 59 || se > 60) return NAN;
    double off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0;
        int sign = *p == '-' ? -1 : 1;
        if (!digits(p + 1, 2, &oh)) return NAN;
        p += 3;
        if (*p == ':') p++;
        if (digits(p, 2, &om)) p += 2;
        off = sign * (oh * 3600.0 + om * 60.0);
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p) return NAN;
    return (double)days_from_civil(Y, M, D) * 86400.0 + h * 3600.0 + mi * 60.0 + se + frac - off;
}

void pol__iso_format(double t, char *buf, size_t cap)
{
    if (!isfinite(t)) {
        snprintf(buf, cap, "%s", "");
        return;
    }
    double whole = floor(t);
    int ms = (int)lround((t - whole) * 1000);
    if (ms == 1000) {
        whole += 1;
        ms = 0;
    }
    time_t tt = (time_t)whole;
    struct tm tm;
    gmtime_r(&tt, &tm);
    if (ms)
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    else
        snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- checks every reader shares ---- */

pol_status pol__track_check(pol_run *run, pol__track *t)
{
    size_t trk = 0;
    for (size_t i = 0; i < t->n; i++) {
        const pol__tpt *p = &t->pt[i];
        if (!(p->lat >= -90 && p->lat <= 90) || !(p->lon >= -180 && p->lon <= 180))
            return pol__fail(run, POL_ERR_FORMAT,
                             "point %zu%s has latitude %g, longitude %g: outside -90..90, "
                             "-180..180",
                             i + 1, "", p->lat, p->lon);
        trk += t->seg[p->seg].kind == POL_SEG_TRK;
    }
    if (t->n == 0) return pol__fail(run, POL_ERR_FORMAT, "no points: nothing to work on");
    t->input_points = t->n;
    /* Time going backwards inside a segment: kept, but counted and warned. */
    size_t back = 0, first_back = 0;
    for (size_t i = 1; i < t->n; i++) {
        if (t->pt[i].seg != t->pt[i - 1].seg) continue;
        if (t->pt[i].t < t->pt[i - 1].t) {
            if (!back) first_back = i;
            back++;
        }
    }
    if (back)
        pol__warn(run,
                  "time goes backwards %zu times (first at point %zu): those points are kept as "
                  "they are, and ops that need time order treat them as separate runs",
                  back, first_back + 1);
    (void)trk;
    return POL_OK;
}

const char *pol__tfmt_ext(int f)
{
    static const char *const e[] = {"gpx", "csv", "geojson", "kml", "nmea"};
    return f >= 0 && f < POL_TF_COUNT ? e[f] : "gpx";
}

int pol__tfmt_from_name(const char *s)
{
    if (!s) return -1;
    for (int f = 0; f < POL_TF_COUNT; f++)
        if (strcasecmp(s, pol__tfmt_ext(f)) == 0) return f;
    if (strcasecmp(s, "json") == 0) return POL_TF_GEOJSON;
    return -1;
}

/* ---- analysis ---- */

/* ---- a median of many values in bounded memory ---- */

/* Values kept exactly up to this many; beyond, counted in log bins 0.1% wide. */
#define TMED_EXACT 65536
#define TMED_LO 1e-6
#define TMED_RATIO 1.001
#define TMED_BINS 34600 /* log(1e9 / TMED_LO) / log(TMED_RATIO), rounded up */

static size_t tmed_bin(double x)
{
    if (!(x > TMED_LO)) return 0;
    double b = log(x / TMED_LO) / log(TMED_RATIO) + 1;
    return b >= TMED_BINS - 1 ? TMED_BINS - 1 : (size_t)b;
}

static double tmed_mid(size_t b)
{
    return b == 0 ? 0 : TMED_LO * pow(TMED_RATIO, (double)b - 0.5);
}

int pol__tmed_add(pol__tmed *m, double x)
{
    if (!(x >= 0)) return 0;
    m->total++;
    if (!m->hist && m->n < TMED_EXACT) {
        if (m->n == m->cap) {
            size_t nc = m->cap ? m->cap * 2 : 256;
            double *v = realloc(m->v, nc * sizeof *v);
            if (!v) return -1;
            m->v = v;
            m->cap = nc;
        }
        m->v[m->n++] = x;
        return 0;
    }
    if (!m->hist) {
        m->hist = calloc(TMED_BINS, sizeof *m->hist);
        if (!m->hist) return -1;
        for (size_t i = 0; i < m->n; i++) m->hist[tmed_bin(m->v[i])]++;
        free(m->v);
        m->v = NULL;
        m->n = m->cap = 0;
    }
    m->hist[tmed_bin(x)]++;
    return 0;
}

double pol__tmed_median(pol__tmed *m)
{
    if (!m->hist) {
        if (!m->n) return NAN;
        double *c = malloc(m->n * sizeof *c);
        if (!c) return NAN;
        memcpy(c, m->v, m->n * sizeof *c);
        double med = pol__median(c, m->n);
        free(c);
        return med;
    }
    uint64_t half = m->total / 2, acc = 0;
    for (size_t b = 0; b < TMED_BINS; b++) {
        acc += m->hist[b];
        if (acc > half) return tmed_mid(b);
    }
    return NAN;
}

uint64_t pol__tmed_above(const pol__tmed *m, double th)
{
    uint64_t k = 0;
    if (!m->hist) {
        for (size_t i = 0; i < m->n; i++) k += m->v[i] > th;
        return k;
    }
    for (size_t b = tmed_bin(th) + 1; b < TMED_BINS; b++) k += m->hist[b];
    return k;
}

void pol__tmed_free(pol__tmed *m)
{
    free(m->v);
    free(m->hist);
    memset(m, 0, sizeof *m);
}

/* ---- the statistics of a track, point by point in order ---- */

void pol__tacc_init(pol__tacc *a)
{
    memset(a, 0, sizeof *a);
    a->s.noise_m = NAN;
    a->s.interval_median = NAN;
    a->last_seg = UINT64_MAX;
    a->trk_seen = -1;
    a->prev_v = NAN;
    a->t0 = a->t1 = NAN;
    a->tseg = UINT64_MAX;
}

void pol__tacc_add(pol__tacc *a, const pol__track *t, size_t i)
{
    const pol__tpt *p = &t->pt[i];
    pol__track_stats *s = &a->s;
    if (p->flags & POL_TP_DELETED) return;
    uint32_t kind = t->seg[p->seg].kind;
    if (kind == POL_SEG_WPT) {
        s->waypoints++;
        return;
    }
    if (kind == POL_SEG_RTE) {
        s->route_points++;
        return;
    }
    uint64_t seg = t->seg0 + p->seg;
    s->points++;
    if (isfinite(p->t)) s->has_time = 1;
    if (isfinite(p->ele)) s->has_ele = 1;
    if (seg != a->last_seg) {
        s->segments++;
        if ((long)t->seg[p->seg].track != a->trk_seen) {
            s->tracks++;
            a->trk_seen = (long)t->seg[p->seg].track;
        }
        a->last_seg = seg;
        a->n_prev = 0;
        a->prev_v = NAN;
    }
    if (a->n_prev >= 1) {
        const pol__tpt *q = &a->prev;
        double d = pol__geo_dist(q->lat, q->lon, p->lat, p->lon);
        double dt = p->t - q->t;
        s->distance += d;
        if (d == 0 && (dt == 0 || !isfinite(dt)) &&
            (isnan(p->ele) ? isnan(q->ele) : p->ele == q->ele))
            s->duplicates++;
        if (isfinite(dt)) {
            if (dt < 0) s->backwards++;
            if (dt > 0) {
                if (pol__tmed_add(&a->dts, dt)) a->oom = 1;
                double v = d / dt;
                if (v > s->max_speed) s->max_speed = v;
                if (v > 0.5) s->moving_time += dt;
                if (isfinite(a->prev_v) && fabs(v - a->prev_v) / dt > 10) s->accel_outliers++;
                a->prev_v = v;
            }
        }
        if (isfinite(p->ele) && isfinite(q->ele)) {
            double de = p->ele - q->ele;
            if (de > 0) s->ele_gain += de;
            else s->ele_loss -= de;
        }
        /* Second differences of evenly spaced triples: noise. */
        if (a->n_prev >= 2) {
            const pol__tpt *r = &a->prev2;
            double dt1 = q->t - r->t, dt2 = p->t - q->t;
            int even = !isfinite(dt1) || !isfinite(dt2) ||
                       (dt1 > 0 && dt2 > 0 && fabs(dt1 - dt2) <= 0.1 * dt1);
            if (even) {
                /* the east/north frame at the middle point (pol__enu), its cosine kept from when
                 * that point came */
                const double ky = POL_EARTH_R * M_PI / 180;
                double kx = fmax(1, ky * a->prev_cos);
                double dl1 = r->lon - q->lon, dl3 = p->lon - q->lon;
                if (dl1 > 180) dl1 -= 360;
                if (dl1 < -180) dl1 += 360;
                if (dl3 > 180) dl3 -= 360;
                if (dl3 < -180) dl3 += 360;
                double x = dl1 * kx + dl3 * kx, y = (r->lat - q->lat) * ky + (p->lat - q->lat) * ky;
                if (pol__tmed_add(&a->d2, fabs(x)) || pol__tmed_add(&a->d2, fabs(y))) a->oom = 1;
            }
        }
    }
    a->prev2 = a->prev;
    a->prev = *p;
    a->prev_cos = cos(p->lat * M_PI / 180);
    if (a->n_prev < 2) a->n_prev++;
    /* Duration: first to last time within each segment, summed. */
    if (isfinite(p->t)) {
        if (seg != a->tseg) {
            if (isfinite(a->t0) && isfinite(a->t1) && a->t1 > a->t0) s->duration += a->t1 - a->t0;
            a->tseg = seg;
            a->t0 = p->t;
        }
        a->t1 = p->t;
    }
}

void pol__tacc_finish(pol__tacc *a, pol__track_stats *out)
{
    pol__track_stats *s = &a->s;
    if (isfinite(a->t0) && isfinite(a->t1) && a->t1 > a->t0) s->duration += a->t1 - a->t0;
    a->t0 = a->t1 = NAN;
    if (a->dts.total) {
        s->interval_median = pol__tmed_median(&a->dts);
        s->gaps = (size_t)pol__tmed_above(&a->dts, fmax(10 * s->interval_median, 30));
    }
    if (s->duration > 0) s->mean_speed = s->distance / s->duration;
    if (a->d2.total >= 8) {
        /* |x1 + x3| (around the middle point) of white noise sigma: sd sqrt(6) sigma; the median
         * of a half-normal is 0.6745 sd. */
        s->noise_m = pol__tmed_median(&a->d2) / 0.6745 / sqrt(6.0);
    }
    *out = *s;
}

void pol__tacc_free(pol__tacc *a)
{
    pol__tmed_free(&a->dts);
    pol__tmed_free(&a->d2);
}

double pol__track_distance(const pol__track *t)
{
    double d = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        if (prev >= 0 && t->pt[prev].seg == p->seg)
            d += pol__geo_dist(t->pt[prev].lat, t->pt[prev].lon, p->lat, p->lon);
        prev = (long)i;
    }
    return d;
}

void pol__track_analyse(const pol__track *t, pol__track_stats *s)
{
    pol__tacc a;
    pol__tacc_init(&a);
    for (size_t i = 0; i < t->n; i++) pol__tacc_add(&a, t, i);
    pol__tacc_finish(&a, s);
    pol__tacc_free(&a);
}

void pol__track_measure(pol_run *run, const pol__track_stats *s)
{
    pol__measure_int(run, "points", (long long)s->points);
    pol__measure_int(run, "segments", (long long)s->segments);
    pol__measure_int(run, "tracks", (long long)s->tracks);
    if (s->waypoints) pol__measure_int(run, "waypoints", (long long)s->waypoints);
    if (s->route_points) pol__measure_int(run, "route_points", (long long)s->route_points);
    pol__measure(run, "distance_m", s->distance);
    if (s->has_time) {
        pol__measure(run, "duration_s", s->duration);
        pol__measure(run, "moving_time_s", s->moving_time);
        pol__measure(run, "sampling_interval_s", s->interval_median);
        pol__measure_int(run, "gaps", (long long)s->gaps);
        pol__measure(run, "max_speed_m_s", s->max_speed);
        pol__measure(run, "mean_speed_m_s", s->mean_speed);
        pol__measure_int(run, "acceleration_outliers", (long long)s->accel_outliers);
        if (s->backwards) pol__measure_int(run, "time_backwards", (long long)s->backwards);
    }
    pol__measure_int(run, "duplicates", (long long)s->duplicates);
    if (isfinite(s->noise_m)) pol__measure(run, "position_noise_m", s->noise_m);
    if (s->has_ele) {
        pol__measure(run, "elevation_gain_raw_m", s->ele_gain);
        pol__measure(run, "elevation_loss_raw_m", s->ele_loss);
    }
}

size_t pol__track_runs(const pol__track *t, double gap, size_t *idx, size_t *starts)
{
    size_t m = 0, r = 0;
    long prev = -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!pol__tp_live(t, i)) continue;
        const pol__tpt *p = &t->pt[i];
        int brk = prev < 0 || t->pt[prev].seg != p->seg;
        if (!brk && isfinite(p->t) && isfinite(t->pt[prev].t)) {
            double dt = p->t - t->pt[prev].t;
            brk = dt < 0 || (gap > 0 && dt > gap);
        }
        if (brk) starts[r++] = m;
        idx[m++] = i;
        prev = (long)i;
    }
    starts[r] = m;
    return r;
}

double pol__track_typical_speed(const pol__track *t)
{
    /* Speeds over about 20 s, so GPS jitter (a few metres a point) does not pass for motion. */
    size_t *idx = malloc((t->n + 1) * sizeof *idx);
    double *v = malloc((t->n ? t->n : 1) * sizeof *v);
    if (!idx || !v) {
        free(idx);
        free(v);
        return NAN;
    }
    size_t m = 0, k = 0;
    for (size_t i = 0; i < t->n; i++)
        if (pol__tp_live(t, i) && isfinite(t->pt[i].t)) idx[m++] = i;
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        const pol__tpt *a = &t->pt[idx[i]];
        if (j < i) j = i;
        while (j + 1 < m && t->pt[idx[j]].t - a->t < 20 && t->pt[idx[j + 1]].seg == a->seg) j++;
        const pol__tpt *b = &t->pt[idx[j]];
        double dt = b->t - a->t;
        if (b->seg != a->seg || !(dt >= 10 && dt <= 120)) continue;
        double s = pol__geo_dist(a->lat, a->lon, b->lat, b->lon) / dt;
        if (s > 0.3) v[k++] = s;
    }
    double med = k >= 3 ? pol__median(v, k) : NAN;
    free(idx);
    free(v);
    return med;
}

const char *pol__track_mode_of(double speed)
{
    if (!isfinite(speed) || speed < 2.5) return "walk";
    return speed < 9 ? "cycle" : "drive";
}
