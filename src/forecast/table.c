/* polish — forecast: station tables (wide and long form) parsed into numbers; times. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "forecast/forecast.h"
#include "records/io.h"
#include "records/records.h"

/* ---- times and numbers ---------------------------------------------------------------------- */

static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return 0;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

double pol__forecast_parse_time(const char *s, int *ok)
{
    *ok = 0;
    while (*s == ' ') s++;
    int Y, M, D, h = 0, mi = 0, sec = 0;
    const char *p = s;
    if (!digits(&p, 4, &Y) || *p++ != '-' || !digits(&p, 2, &M) || *p++ != '-' ||
        !digits(&p, 2, &D))
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31) return -1;
    double frac = 0, off = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h)) return -1;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &mi)) return -1;
            if (*p == ':') {
                p++;
                if (!digits(&p, 2, &sec)) return -1;
                if (*p == '.') {
                    double k = 0.1;
                    for (p++; isdigit((unsigned char)*p); p++, k /= 10) frac += k * (*p - '0');
                }
            }
        }
        if (h > 24 || mi > 59 || sec > 60) return -1;
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (!digits(&p, 2, &oh)) return -1;
            if (*p == ':') p++;
            if (isdigit((unsigned char)*p) && !digits(&p, 2, &om)) return -1;
            off = sign * (oh * 3600.0 + om * 60.0);
        }
    }
    while (*p == ' ') p++;
    if (*p) return -1;
    *ok = 1;
    return (double)days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400.0 + h * 3600.0 +
           mi * 60.0 + sec + frac - off;
}

void pol__forecast_format_time(double t, char *buf, size_t cap)
{
    long long z = (long long)floor(t / 86400.0);
    long long rem = (long long)(t - (double)z * 86400.0);
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long y = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, cap, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", y, m, d, rem / 3600,
             rem / 60 % 60, rem % 60);
}

int pol__forecast_num(const char *s, double *v)
{
    *v = NAN;
    while (*s == ' ') s++;
    if (!*s || strcasecmp(s, "na") == 0 || strcasecmp(s, "nan") == 0 ||
        strcasecmp(s, "n/a") == 0 || strcasecmp(s, "null") == 0 || strcmp(s, "-") == 0)
        return 0;
    char *end;
    double x = strtod(s, &end);
    while (*end == ' ') end++;
    if (*end || end == s || !isfinite(x)) return -1;
    *v = x;
    return 1;
}

int pol__forecast_list(const char *s, double *v, int cap)
{
    int n = 0;
    if (!s) return 0;
    while (*s) {
        while (*s == ' ' || *s == ',') s++;
        if (!*s) break;
        char *end;
        double x = strtod(s, &end);
        if (end == s || !isfinite(x) || n == cap) return -1;
        v[n++] = x;
        s = end;
        while (*s == ' ') s++;
        if (*s && *s != ',') return -1;
    }
    return n;
}

/* ---- the asset ------------------------------------------------------------------------------ */

void pol__forecast_free(void *data)
{
    pol__forecast *f = data;
    if (!f) return;
    pol__table_free(f->t);
    free(f->c_ens);
    free(f->init);
    free(f->lead);
    free(f->obs);
    free(f->ens);
    free(f->station);
    for (size_t i = 0; i < f->n_names; i++) free(f->names[i]);
    free(f->names);
    free(f->dup);
    free(f);
}

static void *dup_mem(const void *p, size_t n)
{
    if (!p) return NULL;
    void *q = malloc(n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

pol__forecast *pol__forecast_clone(const pol__forecast *s)
{
    pol__forecast *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    *f = *s;
    if (s->grid) return f; /* nothing but the flag */
    f->t = pol__table_clone(s->t);
    size_t nm;
    int ok = pol__mul_ok(s->n, s->m, &nm);
    f->c_ens = dup_mem(s->c_ens, s->m * sizeof *f->c_ens);
    f->init = dup_mem(s->init, s->n * sizeof(double));
    f->lead = dup_mem(s->lead, s->n * sizeof(double));
    f->obs = dup_mem(s->obs, s->n * sizeof(double));
    f->ens = ok ? dup_mem(s->ens, nm * sizeof(double)) : NULL;
    f->station = dup_mem(s->station, s->n * sizeof(size_t));
    f->dup = dup_mem(s->dup, s->n);
    f->names = calloc(s->n_names ? s->n_names : 1, sizeof *f->names);
    f->n_names = 0;
    if (f->names)
        for (size_t i = 0; i < s->n_names; i++) {
            if (!(f->names[i] = pol__strdup(s->names[i]))) break;
            f->n_names++;
        }
    if (!f->t || !f->c_ens || !f->init || !f->lead || !f->obs || !f->ens || !f->station ||
        !f->dup || !f->names || f->n_names != s->n_names) {
        pol__forecast_free(f);
        return NULL;
    }
    return f;
}

size_t pol__forecast_members(const pol__forecast *f, size_t i, double *x)
{
    size_t k = 0;
    for (size_t j = 0; j < f->m; j++) {
        double v = f->ens[i * f->m + j];
        if (!isnan(v)) x[k++] = v;
    }
    return k;
}

size_t pol__forecast_moments(const pol__forecast *f, size_t i, double *mean, double *sd)
{
    double s = 0, ss = 0;
    size_t k = 0;
    for (size_t j = 0; j < f->m; j++) {
        double v = f->ens[i * f->m + j];
        if (isnan(v)) continue;
        k++;
        double d = v - s;
        s += d / (double)k;
        ss += d * (v - s);
    }
    *mean = k ? s : NAN;
    *sd = k > 1 ? sqrt(ss / (double)(k - 1)) : 0;
    return k;
}

/* ---- parsing -------------------------------------------------------------------------------- */

static long find_col(const pol__table *t, const char *name)
{
    for (size_t c = 0; c < pol__table_cols(t); c++)
        if (strcasecmp(pol__table_name(t, c), name) == 0) return (long)c;
    return -1;
}

/* "ens_12" -> 12; 0 when the name is not a member column. */
static long member_no(const char *name)
{
    if (strncasecmp(name, "ens_", 4) != 0 || !isdigit((unsigned char)name[4])) return 0;
    char *end;
    long k = strtol(name + 4, &end, 10);
    return *end ? 0 : k;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct lkey {
    const char *s, *i, *l;
    size_t r;
} lkey;

static int cmp_lkey(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    if (!c) c = strcmp(x->i, y->i);
    if (!c) c = strcmp(x->l, y->l);
    if (!c) c = (x->r > y->r) - (x->r < y->r);
    return c;
}

/* Member labels in numeric order when they are numbers ("1", "2", "10"), else as text. */
static int cmp_label(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    char *ex, *ey;
    double u = strtod(x, &ex), v = strtod(y, &ey);
    if (*x && *y && !*ex && !*ey && u != v) return (u > v) - (u < v);
    return strcmp(x, y);
}

/* The long form: one row per member. Pivots into a new wide table, one row per (station,
 * init_time, lead_h) sorted by them; the first row of a case gives its other columns. */
static pol_status pivot_long(pol_run *run, const pol__table *t, const char *what, pol__table **out)
{
    long cm = find_col(t, "member");
    long cv = find_col(t, "value");
    if (cv < 0) cv = find_col(t, "forecast");
    if (cv < 0)
        return pol__fail(run, POL_ERR_FORMAT,
                         "%s: the long form (a 'member' column) needs a 'value' column", what);
    long cs = find_col(t, "station"), ci = find_col(t, "init_time"), cl = find_col(t, "lead_h");
    size_t nr = pol__table_rows(t), nc = pol__table_cols(t);
    char **labels = malloc((nr ? nr : 1) * sizeof *labels);
    lkey *keys = malloc((nr ? nr : 1) * sizeof *keys);
    pol__table *w = pol__table_new(0);
    const char **cells = NULL;
    pol_status st = POL_OK;
    if (!labels || !keys || !w) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; r < nr; r++) labels[r] = (char *)pol__table_get(t, r, (size_t)cm);
    qsort(labels, nr, sizeof *labels, cmp_label);
    size_t nl = 0;
    for (size_t r = 0; r < nr; r++)
        if (!nl || strcmp(labels[nl - 1], labels[r]) != 0) labels[nl++] = labels[r];
    uint64_t maxm = pol__limit(run, "members");
    if (maxm && nl > maxm) {
        st = pol__fail(run, POL_ERR_LIMIT, "%s: %zu members is over the limit of %llu "
                       "(--limit members=N)", what, nl, (unsigned long long)maxm);
        goto done;
    }
    for (size_t c = 0; c < nc && !st; c++)
        if ((long)c != cm && (long)c != cv && pol__table_add_col(w, pol__table_name(t, c)) < 0)
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t base = pol__table_cols(w);
    for (size_t k = 0; k < nl && !st; k++) {
        char name[32];
        snprintf(name, sizeof name, "ens_%zu", k + 1);
        if (pol__table_add_col(w, name) < 0) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    if (st) goto done;
    for (size_t r = 0; r < nr; r++)
        keys[r] = (lkey){pol__table_get(t, r, (size_t)cs), pol__table_get(t, r, (size_t)ci),
                         pol__table_get(t, r, (size_t)cl), r};
    qsort(keys, nr, sizeof *keys, cmp_lkey);
    cells = calloc(base + nl + 1, sizeof *cells);
    if (!cells) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t a = 0; a < nr && !st;) {
        size_t b = a;
        while (b < nr && strcmp(keys[b].s, keys[a].s) == 0 && strcmp(keys[b].i, keys[a].i) == 0 &&
               strcmp(keys[b].l, keys[a].l) == 0)
            b++;
        size_t k = 0;
        for (size_t c = 0; c < nc; c++)
            if ((long)c != cm && (long)c != cv) cells[k++] = pol__table_get(t, keys[a].r, c);
        for (size_t j = 0; j < nl; j++) cells[base + j] = "";
        for (size_t q = a; q < b; q++) {
            const char *lab = pol__table_get(t, keys[q].r, (size_t)cm);
            char **hit = bsearch(&lab, labels, nl, sizeof *labels, cmp_label);
            if (hit) cells[base + (size_t)(hit - labels)] = pol__table_get(t, keys[q].r, (size_t)cv);
        }
        if (pol__table_add_row(w, cells, base + nl, pol__table_src_line(t, keys[a].r)) < 0)
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        a = b;
    }
done:
    free(cells);
    free(keys);
    free(labels);
    if (st) {
        pol__table_free(w);
        return st;
    }
    *out = w;
    return POL_OK;
}

typedef struct dkey {
    size_t st;
    double init, lead;
    size_t r;
} dkey;

static int cmp_dkey(const void *a, const void *b)
{
    const dkey *x = a, *y = b;
    if (x->st != y->st) return x->st < y->st ? -1 : 1;
    if (x->init != y->init) return x->init < y->init ? -1 : 1;
    if (x->lead != y->lead) return x->lead < y->lead ? -1 : 1;
    return (x->r > y->r) - (x->r < y->r);
}

pol_status pol__forecast_from_table(pol_run *run, pol__table *t, const char *what,
                                    pol__forecast **out)
{
    *out = NULL;
    pol_status st = POL_OK;
    if (find_col(t, "member") >= 0 && find_col(t, "ens_1") < 0) {
        pol__table *w = NULL;
        if (find_col(t, "station") < 0 || find_col(t, "init_time") < 0 ||
            find_col(t, "lead_h") < 0)
            st = pol__fail(run, POL_ERR_FORMAT,
                           "%s: a station table needs the columns station, init_time, lead_h",
                           what);
        if (!st) st = pivot_long(run, t, what, &w);
        pol__table_free(t);
        if (st) return st;
        t = w;
        st = pol__forecast_from_table(run, t, what, out);
        if (!st) (*out)->long_form = 1;
        return st;
    }
    pol__forecast *f = calloc(1, sizeof *f);
    if (!f) {
        pol__table_free(t);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    f->t = t;
    f->c_station = find_col(t, "station");
    f->c_init = find_col(t, "init_time");
    f->c_lead = find_col(t, "lead_h");
    f->c_obs = find_col(t, "obs");
    if (f->c_station < 0 || f->c_init < 0 || f->c_lead < 0) {
        pol__forecast_free(f);
        return pol__fail(run, POL_ERR_FORMAT,
                         "%s: a station table needs the columns station, init_time, lead_h (and "
                         "ens_1..ens_M or member)", what);
    }
    size_t nc = pol__table_cols(t);
    long maxk = 0;
    for (size_t c = 0; c < nc; c++) {
        long k = member_no(pol__table_name(t, c));
        if (k > maxk) maxk = k;
        if (k > 0) f->m++;
    }
    uint64_t maxm = pol__limit(run, "members");
    if (maxm && f->m > maxm) {
        size_t m = f->m;
        pol__forecast_free(f);
        return pol__fail(run, POL_ERR_LIMIT, "%s: %zu members is over the limit of %llu "
                         "(--limit members=N)", what, m, (unsigned long long)maxm);
    }
    if (f->m == 0) {
        pol__forecast_free(f);
        return pol__fail(run, POL_ERR_FORMAT, "%s: no member columns (ens_1 ... ens_M)", what);
    }
    f->n = pol__table_rows(t);
    size_t n = f->n, m = f->m, nm;
    if (!pol__mul_ok(n, m, &nm)) {
        pol__forecast_free(f);
        return pol__fail(run, POL_ERR_LIMIT, "%s: table too large", what);
    }
    {
        char label[160];
        snprintf(label, sizeof label, "a station table of %zu rows x %zu members", n, m);
        uint64_t bytes = (uint64_t)nm * 8 + (uint64_t)n * 48;
        if ((st = pol__mem_reserve(run, bytes, label))) {
            pol__forecast_free(f);
            return st;
        }
    }
    f->c_ens = malloc(m * sizeof *f->c_ens);
    f->init = malloc((n ? n : 1) * sizeof(double));
    f->lead = malloc((n ? n : 1) * sizeof(double));
    f->obs = malloc((n ? n : 1) * sizeof(double));
    f->ens = malloc((nm ? nm : 1) * sizeof(double));
    f->station = malloc((n ? n : 1) * sizeof(size_t));
    f->dup = calloc(n ? n : 1, 1);
    char **names = malloc((n ? n : 1) * sizeof *names);
    dkey *keys = malloc((n ? n : 1) * sizeof *keys);
    if (!f->c_ens || !f->init || !f->lead || !f->obs || !f->ens || !f->station || !f->dup ||
        !names || !keys) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    /* member columns in member order */
    {
        size_t k = 0;
        for (long no = 1; no <= maxk && k < m; no++)
            for (size_t c = 0; c < nc; c++)
                if (member_no(pol__table_name(t, c)) == no) f->c_ens[k++] = (long)c;
        if (k != m) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s: a member column is named twice", what);
            goto done;
        }
    }
    for (size_t r = 0; r < n; r++) {
        unsigned line = pol__table_src_line(t, r);
        int ok;
        const char *s = pol__table_get(t, r, (size_t)f->c_init);
        f->init[r] = pol__forecast_parse_time(s, &ok);
        if (!ok) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s line %u: init_time '%.40s' is not an ISO 8601 "
                           "time (2026-01-31T06:00Z)", what, line, s);
            goto done;
        }
        s = pol__table_get(t, r, (size_t)f->c_lead);
        if (pol__forecast_num(s, &f->lead[r]) != 1 || f->lead[r] < 0) {
            st = pol__fail(run, POL_ERR_FORMAT, "%s line %u: lead_h '%.40s' is not a lead time "
                           "in hours", what, line, s);
            goto done;
        }
        f->obs[r] = NAN;
        if (f->c_obs >= 0) {
            s = pol__table_get(t, r, (size_t)f->c_obs);
            if (pol__forecast_num(s, &f->obs[r]) < 0) {
                st = pol__fail(run, POL_ERR_FORMAT, "%s line %u: obs '%.40s' is not a number",
                               what, line, s);
                goto done;
            }
        }
        if (isnan(f->obs[r])) f->n_missing_obs++;
        for (size_t j = 0; j < m; j++) {
            s = pol__table_get(t, r, (size_t)f->c_ens[j]);
            int k = pol__forecast_num(s, &f->ens[r * m + j]);
            if (k < 0) {
                st = pol__fail(run, POL_ERR_FORMAT, "%s line %u: %s '%.40s' is not a number",
                               what, line, pol__table_name(t, (size_t)f->c_ens[j]), s);
                goto done;
            }
            if (k == 0) f->n_nan_members++;
        }
        names[r] = (char *)pol__table_get(t, r, (size_t)f->c_station);
        if (r && f->init[r] < f->init[r - 1]) f->unsorted = 1;
    }
    /* station names: sorted and unique */
    qsort(names, n, sizeof *names, cmp_str);
    size_t nn = 0;
    for (size_t r = 0; r < n; r++)
        if (!nn || strcmp(names[nn - 1], names[r]) != 0) names[nn++] = names[r];
    f->names = calloc(nn ? nn : 1, sizeof *f->names);
    if (!f->names) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nn; i++) {
        if (!(f->names[i] = pol__strdup(names[i]))) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            goto done;
        }
        f->n_names++;
    }
    for (size_t r = 0; r < n; r++) {
        const char *s = pol__table_get(t, r, (size_t)f->c_station);
        char **hit = bsearch(&s, f->names, nn, sizeof *f->names, cmp_str);
        f->station[r] = (size_t)(hit - f->names);
        keys[r] = (dkey){f->station[r], f->init[r], f->lead[r], r};
    }
    /* duplicates: a later row with the same station, init_time and lead_h */
    qsort(keys, n, sizeof *keys, cmp_dkey);
    for (size_t i = 1; i < n; i++)
        if (keys[i].st == keys[i - 1].st && keys[i].init == keys[i - 1].init &&
            keys[i].lead == keys[i - 1].lead) {
            f->dup[keys[i].r] = 1;
            f->n_dup++;
        }
done:
    free(names);
    free(keys);
    if (st) {
        pol__forecast_free(f);
        return st;
    }
    *out = f;
    return POL_OK;
}

pol_status pol__forecast_load_path(pol_run *run, const char *path, pol__forecast **out)
{
    pol__records *r = NULL;
    pol_status st = pol__csv_load(run, path, &r);
    if (st) return st;
    size_t bad = r->quarantine ? pol__table_rows(r->quarantine) : 0;
    pol__table *t = r->rows;
    r->rows = NULL;
    pol__records_free(r);
    if (bad)
        pol__warn(run, "%s: %zu malformed line%s (wrong number of fields) left out", path, bad,
                  bad == 1 ? "" : "s");
    return pol__forecast_from_table(run, t, pol__path_base(path), out);
}
