/* polish — the track domain: recognise GPX, KML, GeoJSON, NMEA and CSV with lat/lon columns;
 * load, save (the source's bytes again when nothing changed), inspect. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "track/stream.h"

int pol__csv_track_sniff(const unsigned char *head, size_t n);
int pol__nmea_sniff(const unsigned char *head, size_t n);
int pol__geojson_sniff(const unsigned char *head, size_t n);

/* "csv" too: a CSV is a track when its content says so (lat/lon columns), else records'. */
static const char *const extensions[] = {"gpx", "kml", "geojson", "nmea", "csv", NULL};

/* The root element's name of an XML head: skips the declaration, comments and a doctype. */
static int xml_root(const unsigned char *h, size_t n, char *name, size_t cap)
{
    size_t i = 0;
    if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0) i = 3;
    for (;;) {
        while (i < n && (h[i] == ' ' || h[i] == '\n' || h[i] == '\r' || h[i] == '\t')) i++;
        if (i + 1 >= n || h[i] != '<') return 0;
        if (h[i + 1] == '?' || h[i + 1] == '!') {
            const char *end = NULL;
            if (i + 3 < n && memcmp(h + i, "<!--", 4) == 0) {
                for (size_t k = i + 4; k + 2 < n; k++)
                    if (memcmp(h + k, "-->", 3) == 0) {
                        end = (const char *)h + k + 2;
                        break;
                    }
            } else {
                /* a doctype may hold an internal subset [...] */
                int br = 0;
                for (size_t k = i; k < n; k++) {
                    if (h[k] == '[') br++;
                    if (h[k] == ']') br--;
                    if (h[k] == '>' && br <= 0) {
                        end = (const char *)h + k;
                        break;
                    }
                }
            }
            if (!end) return 0;
            i = (size_t)(end - (const char *)h) + 1;
            continue;
        }
        size_t k = 0;
        i++;
        while (i < n && k + 1 < cap && h[i] != ' ' && h[i] != '>' && h[i] != '\n' &&
               h[i] != '\r' && h[i] != '\t' && h[i] != '/')
            name[k++] = (char)h[i++];
        name[k] = '\0';
        return k > 0;
    }
}

int pol__track_sniff(const unsigned char *head, size_t n, const char *path)
{
    char root[64];
    (void)path;
    if (xml_root(head, n, root, sizeof root)) {
        const char *c = strrchr(root, ':');
        const char *ln = c ? c + 1 : root;
        if (strcmp(ln, "gpx") == 0 || strcmp(ln, "kml") == 0) return 95;
        return 0;
    }
    if (pol__nmea_sniff(head, n)) return 90;
    if (pol__geojson_sniff(head, n)) return 85;
    /* CSV: only with latitude and longitude columns holding coordinates (records, which reads
     * CSV contact lists, says 80 for a .csv). */
    if (pol__csv_track_sniff(head, n)) return 85;
    return 0;
}

int pol__track_sniff_format(const unsigned char *head, size_t n)
{
    char root[64];
    if (xml_root(head, n, root, sizeof root)) {
        const char *c = strrchr(root, ':');
        const char *ln = c ? c + 1 : root;
        return strcmp(ln, "gpx") == 0 ? POL_TF_GPX : strcmp(ln, "kml") == 0 ? POL_TF_KML : -1;
    }
    if (pol__nmea_sniff(head, n)) return POL_TF_NMEA;
    if (pol__geojson_sniff(head, n)) return POL_TF_GEOJSON;
    if (pol__csv_track_sniff(head, n)) return POL_TF_CSV;
    return -1;
}

static int sniff(const unsigned char *head, size_t n, const char *path)
{
    return pol__track_sniff(head, n, path);
}

static pol_status load(pol_run *run, const char *path, pol_asset **out)
{
    *out = NULL;
    unsigned char head[4096];
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    char root[64];
    int xml = xml_root(head, got, root, sizeof root);
    const char *rc = xml ? strrchr(root, ':') : NULL;
    int kml = xml && strcmp(rc ? rc + 1 : root, "kml") == 0;
    /* About 2.5 bytes held (points, their text, an op's work arrays) per byte of a track file,
     * and one more for a GPX, which keeps each point's own bytes so that an unchanged point is
     * written back as it was (a 300,000-point GPX of 29 MB: 120 MB peak without them, 149 MB
     * with them). */
    struct stat sb;
    if (stat(path, &sb) == 0 && sb.st_size > 0) {
        uint64_t per2 = xml && !kml ? 7 : 5; /* halves */
        pol_status ms = pol__mem_reserve(run, (uint64_t)sb.st_size * per2 / 2, "a track");
        if (ms) return ms;
    }
    pol__track *t = pol__track_new();
    if (!t) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol_status st;
    if (xml) {
        st = kml ? pol__tsrc_read_all(run, path, POL_TF_KML, t) : pol__gpx_read(run, path, t);
    } else if (pol__nmea_sniff(head, got)) {
        st = pol__tsrc_read_all(run, path, POL_TF_NMEA, t);
    } else if (pol__geojson_sniff(head, got)) {
        st = pol__tsrc_read_all(run, path, POL_TF_GEOJSON, t);
    } else if (pol__csv_track_sniff(head, got)) {
        st = pol__tsrc_read_all(run, path, POL_TF_CSV, t);
    } else if (got > 0 && (head[0] == '<' || (got > 3 && head[3] == '<'))) {
        st = pol__gpx_read(run, path, t); /* XML with a head we could not read: expat says why */
    } else {
        st = pol__fail(run, POL_ERR_FORMAT,
                       "not a track: no GPX or KML root, NMEA sentences, GeoJSON geometry or "
                       "CSV with latitude and longitude columns");
    }
    if (!st) st = pol__track_check(run, t);
    if (st) {
        pol__track_free(t);
        return st;
    }
    pol__track_keep_original(t);
    *out = pol__asset_new(&pol__track_domain, t, path);
    if (!*out) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__measure_int(run, "points", (long long)t->n);
    return POL_OK;
}

static int format_for(const pol__track *t, const char *path)
{
    if (t->save_format >= 0) return t->save_format;
    int f = pol__tfmt_from_name(pol__path_ext(path));
    if (f >= 0 && f != POL_TF_NMEA) return f;
    return t->format == POL_TF_NMEA ? POL_TF_GPX : (int)t->format;
}

static int changed(const pol__track *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->pt[i].flags & (POL_TP_DELETED | POL_TP_MOVED | POL_TP_ELE_SET)) return 1;
    return 0;
}

static pol_status save(pol_run *run, pol_asset *a, const char *path)
{
    pol__track *t = pol__track_of(a);
    int fmt = format_for(t, path);
    pol__outfile of;
    pol_status st = pol__out_open(run, path, &of);
    if (st) return st;
    if (fmt == (int)t->format && !changed(t) && a->source_path) {
        /* Nothing changed: the source's own bytes, exactly. */
        FILE *in = fopen(a->source_path, "rb");
        if (!in) st = pol__fail(run, POL_ERR_IO, "cannot reopen %s", a->source_path);
        char buf[1 << 16];
        size_t n;
        while (!st && (n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, of.fp) != n) st = pol__fail(run, POL_ERR_IO, "write error");
        if (in) {
            if (!st && ferror(in)) st = pol__fail(run, POL_ERR_IO, "read error");
            fclose(in);
        }
    } else {
        if (fmt == POL_TF_GPX && t->format == POL_TF_GPX)
            st = pol__gpx_write(run, t, of.fp);
        else
            st = pol__tsink_whole(run, fmt, t, of.fp);
    }
    if (!st) st = pol__out_commit(run, &of);
    pol__out_abort(&of);
    if (st) return st;
    size_t kept = 0;
    for (size_t i = 0; i < t->n; i++) kept += !(t->pt[i].flags & POL_TP_DELETED);
    if (run->item) {
        pol__jv *o = pol__jv_obj();
        pol__jv_set(o, "input", pol__jv_int((long long)t->input_points));
        pol__jv_set(o, "written", pol__jv_int((long long)kept));
        pol__jv_set(o, "removed", pol__jv_int((long long)(t->input_points - kept)));
        pol__jv_set(o, "format", pol__jv_str(pol__tfmt_ext(fmt)));
        pol__jv_set(run->item, "points", o);
    }
    return POL_OK;
}

static const char *out_ext(pol_asset *a)
{
    pol__track *t = pol__track_of(a);
    if (t->save_format >= 0) return pol__tfmt_ext(t->save_format);
    if (t->format == POL_TF_NMEA) return "gpx";
    return NULL;
}

size_t pol__track_speed_outliers(const pol__track *t, size_t from, size_t to);

static pol_status inspect(pol_run *run, pol_asset *a)
{
    pol__track *t = pol__track_of(a);
    pol__track_stats s;
    pol__track_analyse(t, &s);
    pol__measure_str(run, "format", pol__tfmt_ext(t->format));
    pol__track_measure(run, &s);
    if (s.has_time) pol__measure_int(run, "speed_outliers", (long long)pol__track_speed_outliers(t, 0, t->n));
    return POL_OK;
}

static const pol__limit_key limits[] = {
    {"track-points", 5000000ull, 0, NULL, "points of one track file"},
    {NULL},
};

static const char *const auto_steps[] = {"dedupe", "despike", "smooth", "privacy", NULL};

const pol__domain pol__track_domain = {
    .name = "track",
    .summary = "GPS tracks (GPX, KML, GeoJSON, NMEA, CSV with lat/lon): clean, smooth, simplify",
    .ops = pol__track_ops,
    .extensions = extensions,
    .sniff = sniff,
    .load = load,
    .save = save,
    .inspect = inspect,
    .inspect_path = pol__track_inspect_path,
    .data_free = pol__track_free,
    .data_clone = pol__track_clone,
    .auto_steps = auto_steps,
    .out_ext = out_ext,
    .limits = limits,
    .stream = &pol__track_stream_io,
};
