/* polish — tracks as CSV (lat, lon, time, elevation; other columns kept), NMEA 0183 (GGA, RMC)
 * and GeoJSON's writing helpers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/sbuf.h"
#include "track/track.h"

/* ---- CSV ---- */

static int is_name(const char *s, size_t n, const char *const *names)
{
    while (n && (*s == ' ' || *s == '"')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r')) n--;
    for (; *names; names++)
        if (strlen(*names) == n && strncasecmp(s, *names, n) == 0) return 1;
    return 0;
}

static const char *const LAT[] = {"lat", "latitude", "y", "lat_deg", NULL};
static const char *const LON[] = {"lon", "lng", "long", "longitude", "x", "lon_deg", NULL};
static const char *const TIME[] = {"time", "timestamp", "datetime", "date_time", "utc", "date", NULL};
static const char *const ELE[] = {"ele", "elevation", "alt", "altitude", "height", NULL};
static const char *const HDOP[] = {"hdop", NULL};

/* Splits one CSV line into fields (quotes honoured, doubled quotes undone) into `out` (fields
 * separated by \x1f). Returns the number of fields. */
static int split_line(const char *s, size_t n, char delim, pol__sbuf *out)
{
    int k = 1;
    int q = 0;
    out->n = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (q) {
            if (c == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    pol__sbuf_put(out, "\"", 1);
                    i++;
                } else {
                    q = 0;
                }
            } else {
                pol__sbuf_put(out, &c, 1);
            }
        } else if (c == '"') {
            q = 1;
        } else if (c == delim) {
            pol__sbuf_put(out, "\x1f", 1);
            k++;
        } else if (c != '\r') {
            pol__sbuf_put(out, &c, 1);
        }
    }
    pol__sbuf_put(out, "", 0);
    if (!out->p) pol__sbuf_puts(out, "");
    return k;
}

static char pick_delim(const char *line, size_t n)
{
    size_t c[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        c[0] += line[i] == ',';
        c[1] += line[i] == ';';
        c[2] += line[i] == '\t';
    }
    return c[2] > c[0] && c[2] >= c[1] ? '\t' : c[1] > c[0] ? ';' : ',';
}

/* Which columns hold lat, lon ... in a header line; 1 when lat and lon were found. */
static int header_roles(const char *line, size_t n, char delim, int *lat, int *lon, int *tim,
                        int *ele, int *hdop, int *cols)
{
    *lat = *lon = *tim = *ele = *hdop = -1;
    int k = 0;
    size_t s = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && line[i] != delim) continue;
        const char *f = line + s;
        size_t fl = i - s;
        if (*lat < 0 && is_name(f, fl, LAT)) *lat = k;
        else if (*lon < 0 && is_name(f, fl, LON)) *lon = k;
        else if (*tim < 0 && is_name(f, fl, TIME)) *tim = k;
        else if (*ele < 0 && is_name(f, fl, ELE)) *ele = k;
        else if (*hdop < 0 && is_name(f, fl, HDOP)) *hdop = k;
        k++;
        s = i + 1;
    }
    *cols = k;
    return *lat >= 0 && *lon >= 0;
}

int pol__csv_track_sniff(const unsigned char *head, size_t n)
{
    size_t e = 0;
    while (e < n && head[e] != '\n') e++;
    if (e == n) return 0;
    const char *line = (const char *)head;
    size_t off = 0;
    if (e >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) off = 3;
    char d = pick_delim(line + off, e - off);
    int la, lo, ti, el, hd, cols;
    if (!header_roles(line + off, e - off, d, &la, &lo, &ti, &el, &hd, &cols)) return 0;
    /* The first data line holds numbers in range there. */
    size_t s2 = e + 1, e2 = s2;
    while (e2 < n && head[e2] != '\n') e2++;
    pol__sbuf b = {0};
    int k = split_line(line + s2, e2 - s2, d, &b);
    int ok = 0;
    if (b.p && k > la && k > lo) {
        const char *f = b.p;
        double vla = NAN, vlo = NAN;
        for (int i = 0; i < k; i++) {
            const char *end = strchr(f, '\x1f');
            if (i == la) vla = strtod(f, NULL);
            if (i == lo) vlo = strtod(f, NULL);
            f = end ? end + 1 : f + strlen(f);
        }
        ok = vla >= -90 && vla <= 90 && vlo >= -180 && vlo <= 180 && (vla != 0 || vlo != 0);
    }
    free(b.p);
    return ok;
}


void pol__track_csv_field(FILE *f, const char *s, size_t n, char delim)
{
    int q = 0;
    for (size_t i = 0; i < n; i++)
        q |= s[i] == delim || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!q) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}


/* ---- NMEA 0183 ---- */

static int nmea_ok(const char *s, size_t n)
{
    if (n < 7 || s[0] != '$') return 0;
    const char *star = memchr(s, '*', n);
    if (!star || star + 3 > s + n) return 0;
    unsigned sum = 0;
    for (const char *p = s + 1; p < star; p++) sum ^= (unsigned char)*p;
    unsigned want;
    if (sscanf(star + 1, "%2x", &want) != 1) return 0;
    return sum == want;
}

/* Field k (0 = the talker+type) of a sentence, copied into buf. */
static const char *field(const char *s, int k, char *buf, size_t cap)
{
    const char *p = s;
    for (int i = 0; i < k; i++) {
        p = strchr(p, ',');
        if (!p) {
            buf[0] = '\0';
            return buf;
        }
        p++;
    }
    size_t l = strcspn(p, ",*");
    snprintf(buf, cap, "%.*s", (int)(l < cap - 1 ? l : cap - 1), p);
    return buf;
}

static double nmea_deg(const char *v, const char *hemi)
{
    if (!*v) return NAN;
    double x = strtod(v, NULL);
    double deg = floor(x / 100);
    double r = deg + (x - deg * 100) / 60;
    if (*hemi == 'S' || *hemi == 'W') r = -r;
    return r;
}

int pol__nmea_sniff(const unsigned char *head, size_t n)
{
    int good = 0;
    size_t i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && head[e] != '\n') e++;
        if (e == n) break;
        size_t l = e - i;
        if (l && head[i + l - 1] == '\r') l--;
        if (l > 6 && head[i] == '$' && nmea_ok((const char *)head + i, l)) good++;
        else if (l) return 0;
        i = e + 1;
    }
    return good >= 1;
}


/* ---- CSV and NMEA, read line by line ---- */

struct pol__line_stream {
    pol_run *run;
    pol__track *t;
    FILE *fp;
    int nmea;
    char *line;
    size_t cap;
    uint32_t lineno;
    uint64_t total, lim, fb;
    long seg;
    int eof;
    pol__sbuf b, rest;
    /* NMEA: the fix being read (GGA and RMC of one fix are one point), pushed when the next fix
     * starts or the file ends, so a chunk never ends on half a fix. */
    double day;
    size_t bad;
    char tod_last[16];
    int have_pending;
    pol__tpt pending;
};

static pol_status push_point(pol__line_stream *s, const pol__tpt *p)
{
    if (s->lim && s->total >= s->lim)
        return pol__fail(s->run, POL_ERR_LIMIT, "more than %llu points (limit track-points)",
                         (unsigned long long)s->lim);
    if (pol__track_push(s->t, p)) return pol__fail(s->run, POL_ERR_NOMEM, "out of memory");
    s->total++;
    return POL_OK;
}

/* One data line of a CSV. */
static pol_status csv_line(pol__line_stream *s, const char *str, size_t n)
{
    pol_run *run = s->run;
    pol__track *t = s->t;
    uint32_t lineno = s->lineno;
    int k = split_line(str, n, t->csv_delim, &s->b);
    pol__tpt p;
    memset(&p, 0, sizeof p);
    p.ele = p.t = NAN;
    p.hdop = NAN;
    p.seg = (uint32_t)s->seg;
    p.line = lineno;
    s->rest.n = 0;
    const char *f = s->b.p;
    int got = 0;
    for (int i = 0; i < k; i++) {
        const char *end = strchr(f, '\x1f');
        size_t fl = end ? (size_t)(end - f) : strlen(f);
        char tmp[128];
        snprintf(tmp, sizeof tmp, "%.*s", (int)(fl < 127 ? fl : 127), f);
        char *e;
        if (i == t->csv_lat || i == t->csv_lon) {
            double v = strtod(tmp, &e);
            if (e == tmp)
                return pol__fail(run, POL_ERR_FORMAT, "line %u: %s \"%s\" is not a number",
                                 lineno, i == t->csv_lat ? "latitude" : "longitude", tmp);
            if (i == t->csv_lat) p.lat = v;
            else p.lon = v;
            got++;
        } else if (i == t->csv_time) {
            p.time_txt = pol__track_str(t, f, fl);
            p.t = pol__iso_time(tmp);
            if (isnan(p.t)) {
                double v = strtod(tmp, &e);
                if (e != tmp && !*e) p.t = v > 1e11 ? v / 1000 : v; /* epoch s or ms */
            }
        } else if (i == t->csv_ele) {
            p.ele_txt = pol__track_str(t, f, fl);
            double v = strtod(tmp, &e);
            if (e != tmp) p.ele = v;
        } else {
            if (i == t->csv_hdop) {
                double v = strtod(tmp, &e);
                if (e != tmp) p.hdop = (float)v;
            }
            pol__sbuf_put(&s->rest, f, fl);
            pol__sbuf_put(&s->rest, "\x1f", 1);
        }
        f = end ? end + 1 : f + fl;
    }
    if (got < 2)
        return pol__fail(run, POL_ERR_FORMAT, "line %u has no latitude or longitude", lineno);
    /* Columns missing at the end of a short row are empty. */
    for (int i = k; i < t->csv_cols; i++)
        if (i != t->csv_lat && i != t->csv_lon && i != t->csv_time && i != t->csv_ele)
            pol__sbuf_put(&s->rest, "\x1f", 1);
    if (s->rest.n) p.raw = pol__track_str(t, s->rest.p, s->rest.n);
    if (s->b.oom || s->rest.oom) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    return push_point(s, &p);
}

/* One line of an NMEA file. */
static pol_status nmea_line(pol__line_stream *s, char *line, size_t n)
{
    if (!nmea_ok(line, n)) {
        s->bad++;
        return POL_OK;
    }
    char ty[8], tod[16], a[32], b[32], c[32], d[32], e[32];
    field(line, 0, ty, sizeof ty);
    size_t tl = strlen(ty);
    if (tl < 5) return POL_OK;
    const char *kind = ty + tl - 3;
    int gga = strcmp(kind, "GGA") == 0, rmc = strcmp(kind, "RMC") == 0;
    if (!gga && !rmc) return POL_OK;
    field(line, 1, tod, sizeof tod);
    double lat, lon, ele = NAN, hdop = NAN;
    if (gga) {
        field(line, 6, a, sizeof a);
        if (!*a || *a == '0') return POL_OK; /* no fix */
        lat = nmea_deg(field(line, 2, a, sizeof a), field(line, 3, b, sizeof b));
        lon = nmea_deg(field(line, 4, c, sizeof c), field(line, 5, d, sizeof d));
        field(line, 8, e, sizeof e);
        if (*e) hdop = strtod(e, NULL);
        field(line, 9, e, sizeof e);
        if (*e) ele = strtod(e, NULL);
    } else {
        field(line, 2, a, sizeof a);
        if (*a != 'A') return POL_OK; /* void */
        lat = nmea_deg(field(line, 3, a, sizeof a), field(line, 4, b, sizeof b));
        lon = nmea_deg(field(line, 5, c, sizeof c), field(line, 6, d, sizeof d));
        field(line, 9, e, sizeof e);
        if (strlen(e) == 6) {
            int dd = (e[0] - '0') * 10 + e[1] - '0', mm = (e[2] - '0') * 10 + e[3] - '0',
                yy = (e[4] - '0') * 10 + e[5] - '0';
            char iso[32];
            snprintf(iso, sizeof iso, "%04d-%02d-%02dT00:00:00Z", 2000 + yy, mm, dd);
            s->day = pol__iso_time(iso);
        }
    }
    if (!isfinite(lat) || !isfinite(lon)) return POL_OK;
    double sod = NAN;
    if (strlen(tod) >= 6) {
        int hh = (tod[0] - '0') * 10 + tod[1] - '0', mi = (tod[2] - '0') * 10 + tod[3] - '0';
        sod = hh * 3600 + mi * 60 + strtod(tod + 4, NULL);
    }
    /* GGA and RMC of the same fix are one point. */
    if (s->have_pending && strcmp(tod, s->tod_last) == 0) {
        pol__tpt *p = &s->pending;
        if (gga) {
            p->ele = ele;
            p->hdop = (float)hdop;
        }
        if (isfinite(s->day) && isfinite(sod)) p->t = s->day + sod;
        return POL_OK;
    }
    if (s->have_pending) {
        pol_status st = push_point(s, &s->pending);
        s->have_pending = 0;
        if (st) return st;
    }
    snprintf(s->tod_last, sizeof s->tod_last, "%s", tod);
    pol__tpt *p = &s->pending;
    memset(p, 0, sizeof *p);
    p->lat = lat;
    p->lon = lon;
    p->ele = ele;
    p->hdop = (float)hdop;
    p->t = isfinite(s->day) && isfinite(sod) ? s->day + sod : NAN;
    p->seg = (uint32_t)s->seg;
    p->line = s->lineno;
    s->have_pending = 1;
    return POL_OK;
}

pol_status pol__line_stream_open(pol_run *run, const char *path, pol__track *t, int nmea,
                                 pol__line_stream **out)
{
    *out = NULL;
    pol__line_stream *s = calloc(1, sizeof *s);
    if (!s) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    s->run = run;
    s->t = t;
    s->nmea = nmea;
    s->day = NAN;
    s->lim = pol__limit(run, "track-points");
    s->fb = pol__limit(run, "field-bytes");
    t->format = nmea ? POL_TF_NMEA : POL_TF_CSV;
    s->fp = fopen(path, "rb");
    if (!s->fp) {
        free(s);
        return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    }
    s->seg = pol__track_seg(t, POL_SEG_TRK, 0);
    if (s->seg < 0) {
        pol__line_stream_close(s);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return POL_OK;
}

pol_status pol__line_stream_fill(pol__line_stream *s, size_t want, int *eof)
{
    pol_run *run = s->run;
    pol__track *t = s->t;
    pol_status st = POL_OK;
    ssize_t len;
    while (!st && !s->eof && t->n < want) {
        len = getline(&s->line, &s->cap, s->fp);
        if (len < 0) {
            if (ferror(s->fp)) return pol__fail(run, POL_ERR_IO, "read error");
            s->eof = 1;
            if (s->have_pending) st = push_point(s, &s->pending);
            s->have_pending = 0;
            if (!st && !s->nmea && s->lineno == 0)
                st = pol__fail(run, POL_ERR_FORMAT, "empty file: no points");
            if (!st && s->bad)
                pol__warn(run, "%zu NMEA lines with a bad checksum or shape were skipped", s->bad);
            break;
        }
        s->lineno++;
        size_t n = (size_t)len;
        while (n && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r')) n--;
        s->line[n] = '\0';
        if (s->fb && n > s->fb)
            return pol__fail(run, POL_ERR_LIMIT,
                             "line %u is longer than %llu bytes (limit field-bytes)", s->lineno,
                             (unsigned long long)s->fb);
        if (s->nmea) {
            if (n) st = nmea_line(s, s->line, n);
            continue;
        }
        const char *str = s->line;
        if (s->lineno == 1) {
            if (n >= 3 && memcmp(str, "\xEF\xBB\xBF", 3) == 0) str += 3, n -= 3;
            t->csv_delim = pick_delim(str, n);
            if (!header_roles(str, n, t->csv_delim, &t->csv_lat, &t->csv_lon, &t->csv_time,
                              &t->csv_ele, &t->csv_hdop, &t->csv_cols))
                return pol__fail(run, POL_ERR_FORMAT, "no latitude and longitude columns in the header");
            split_line(str, n, t->csv_delim, &s->b);
            t->csv_names = pol__track_str(t, s->b.p, s->b.n);
            if (!t->csv_names) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            continue;
        }
        if (n) st = csv_line(s, str, n);
    }
    *eof = s->eof;
    return st;
}

int pol__line_stream_drop(pol__line_stream *s, size_t from)
{
    return pol__track_drop_front(s->t, from, NULL, 0);
}

uint64_t pol__line_stream_points(const pol__line_stream *s)
{
    return s->total;
}

void pol__line_stream_close(pol__line_stream *s)
{
    if (!s) return;
    if (s->fp) fclose(s->fp);
    free(s->line);
    free(s->b.p);
    free(s->rest.p);
    free(s);
}

/* ---- GeoJSON ---- */

int pol__geojson_sniff(const unsigned char *head, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(head, "\xEF\xBB\xBF", 3) == 0) i = 3;
    while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t')) i++;
    if (i >= n || head[i] != '{') return 0;
    const char *h = (const char *)head;
    int type = 0, geo = 0;
    static const char *const kinds[] = {"\"FeatureCollection\"", "\"Feature\"", "\"LineString\"",
                                        "\"MultiLineString\"", "\"Point\"", "\"MultiPoint\""};
    for (size_t k = 0; k + 6 < n; k++) {
        if (!type && memcmp(h + k, "\"type\"", 6) == 0) type = 1;
        for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
            size_t l = strlen(kinds[j]);
            if (k + l <= n && memcmp(h + k, kinds[j], l) == 0) geo = 1;
        }
    }
    return type && geo;
}

void pol__gj_coord(const pol__track *t, const pol__tpt *p, FILE *f)
{
    char la[48], lo[48];
    (void)t;
    pol__track_coord(p, 1, la, sizeof la);
    pol__track_coord(p, 0, lo, sizeof lo);
    if (isfinite(p->ele))
        fprintf(f, "[%s,%s,%.3f]", lo, la, p->ele);
    else
        fprintf(f, "[%s,%s]", lo, la);
}

void pol__gj_time(const pol__track *t, const pol__tpt *p, FILE *f)
{
    char tb[64] = "";
    const char *s = pol__track_txt(t, p->time_txt);
    if (s && isfinite(pol__iso_time(s))) snprintf(tb, sizeof tb, "%s", s);
    else if (isfinite(p->t)) pol__iso_format(p->t, tb, sizeof tb);
    if (tb[0]) fprintf(f, "\"%s\"", tb);
    else fputs("null", f);
}

