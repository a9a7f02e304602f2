/* polish — the track domain's asset: GPS points in segments, with everything a reader could keep
 * (original timestamp text, extensions, other columns, the GPX structure between points). */
#ifndef POLISH_TRACK_TRACK_H
#define POLISH_TRACK_TRACK_H

#include <math.h>
#include <stdint.h>
#include "core/internal.h"

/* Point flags. */
enum {
    POL_TP_DELETED = 1u << 0, /* removed by an op: not written */
    POL_TP_MOVED = 1u << 1,   /* lat/lon changed: written from the numbers, not the source text */
    POL_TP_ELE_SET = 1u << 2, /* elevation changed */
    POL_TP_SPIKE = 1u << 3,   /* removed as a spike (for the figure) */
    POL_TP_STOP = 1u << 4,    /* inside a detected stop */
    POL_TP_DUP = 1u << 5,     /* removed as a duplicate */
    POL_TP_PRIVATE = 1u << 6, /* removed by the privacy trim */
    POL_TP_HELD = 1u << 7,    /* streamed: not decided yet; the writer holds it back (privacy) */
};

enum { POL_HOLD_KEEP = 1, POL_HOLD_CUT = 2 };

/* Segment kinds. */
enum { POL_SEG_TRK = 0, POL_SEG_RTE = 1, POL_SEG_WPT = 2 };

typedef struct pol__tpt {
    double lat, lon;
    double ele; /* NAN when none */
    double t;   /* seconds since 1970-01-01 UTC, NAN when none */
    float hdop; /* NAN when none */
    uint32_t seg;
    uint32_t flags;
    uint32_t line; /* source line (CSV, NMEA) or 0 */
    /* Offsets + 1 into the string pool; 0 = none. */
    uint64_t time_txt; /* the timestamp as written in the source */
    uint64_t ele_txt;  /* the elevation as written (GPX, CSV) */
    uint64_t raw;      /* GPX: the point's other children as XML; CSV: the other cells (\x1f) */
    uint64_t pre;      /* GPX: the structure written before this point (tags, waypoints ...) */
    uint64_t src;      /* streamed GPX: the point's element exactly as the source wrote it */
} pol__tpt;

typedef struct pol__tseg {
    uint32_t kind;  /* POL_SEG_* */
    uint32_t track; /* index of the track (trk/rte/placemark) it belongs to */
} pol__tseg;

typedef enum pol__tfmt {
    POL_TF_GPX = 0,
    POL_TF_CSV,
    POL_TF_GEOJSON,
    POL_TF_KML,
    POL_TF_NMEA,
    POL_TF_COUNT
} pol__tfmt;

typedef struct pol__track {
    pol__tpt *pt;
    size_t n, cap;
    pol__tseg *seg;
    size_t n_seg, cap_seg;
    char *pool; /* strings, NUL-terminated each */
    size_t pool_len, pool_cap;
    uint64_t tail;      /* GPX: the structure after the last point (offset + 1) */
    uint64_t csv_head;  /* CSV: the other columns' names (\x1f-separated) */
    uint64_t csv_names; /* CSV: the whole header as read, \x1f-separated */
    int csv_lat, csv_lon, csv_time, csv_ele, csv_hdop; /* column indexes, -1 none */
    int csv_cols;
    char csv_delim;
    int gpx_version; /* 10 or 11 */
    pol__tfmt format;    /* the source's */
    int save_format;     /* -1: as the source (or from the output name); else pol__tfmt */
    char mode[16];       /* "walk" "cycle" "drive" when known (from smooth) */
    size_t input_points; /* points read */
    /* A streamed GPX chunk: `pre` and `tail` are the source's own bytes (the first point's
     * `pre` starts at the file's first byte) and each point keeps its element's bytes (`src`). */
    int exact;
    /* A chunk of a stream: the index in the stream of its segment 0 (segments are renumbered
     * from 0 in each chunk); a segment's identity across chunks is seg0 + its index. */
    uint64_t seg0;
    /* A chunk of a GPX split into parts (track.split): the structure outside a part's points. */
    const struct pol__tskel *skel;
    /* A streamed chunk whose end is not decided yet (the privacy trim, run as the last step):
     * the writer holds back its core from point hold_from - 1 on (0: none), and `release` says
     * what becomes of the points held back from earlier chunks, before this chunk's are written
     * (0: still undecided, POL_HOLD_KEEP, POL_HOLD_CUT). */
    size_t hold_from;
    int release;
    /* Before-and-after for the report's figure: the input's positions (a thinned copy). */
    float *orig_xy;
    size_t n_orig;
} pol__track;

/* The structure of a streamed GPX that a part of it (a trip) is written with, so each part is
 * the document with the other parts' points left out: every point's `pre` that holds more than
 * white space, with the point's stream index, and the tail, spooled to a temporary file. */
typedef struct pol__tskel {
    FILE *f;
    int bad; /* a write failed */
} pol__tskel;
/* Spools the structure before point `idx` (idx UINT64_MAX: the tail); white space is left out. */
void pol__tskel_add(pol__tskel *k, uint64_t idx, const char *text);
/* Writes the spooled structure of the points [from, to) to `out`, and the tail with `tail`;
 * -1 on a read or write error. */
int pol__tskel_put(const pol__tskel *k, uint64_t from, uint64_t to, int tail, FILE *out);

static inline pol__track *pol__track_of(pol_asset *a)
{
    return (pol__track *)a->data;
}

extern const pol__domain pol__track_domain;
extern const pol_op_desc *const pol__track_ops[];

pol__track *pol__track_new(void);
void pol__track_free(void *data);
void *pol__track_clone(const void *data);
/* Adds a point (copied); -1 when out of memory. */
int pol__track_push(pol__track *t, const pol__tpt *p);
/* Adds a segment; returns its index or -1. */
long pol__track_seg(pol__track *t, uint32_t kind, uint32_t track);
/* Copies `n` bytes into the pool; returns offset + 1, or 0 when out of memory. */
uint64_t pol__track_str(pol__track *t, const char *s, size_t n);
static inline const char *pol__track_txt(const pol__track *t, uint64_t off)
{
    return off ? t->pool + off - 1 : NULL;
}
/* A coordinate as text: an unmoved one as the shortest text that reads back the same number, a
 * moved one to 8 decimals (about a millimetre). */
void pol__track_coord(const pol__tpt *p, int lat, char *buf, size_t cap);
/* A new track holding copies of points [from, to) with their text, the segments they use
 * (renumbered) and the source's header fields (not the tail); NULL when out of memory. */
pol__track *pol__track_slice(const pol__track *t, size_t from, size_t to);
/* Drops points before `from` in place and rebuilds the string pool, moving the `n_keep`
 * offsets in `keep` (text of a point not yet added) too; -1 when out of memory. */
int pol__track_drop_front(pol__track *t, size_t from, uint64_t *const *keep, size_t n_keep);

/* ---- geometry and time ---- */

#define POL_EARTH_R 6371008.8
double pol__geo_dist(double lat1, double lon1, double lat2, double lon2); /* metres */
/* A local east/north frame around (lat0, lon0), metres. */
typedef struct pol__enu {
    double lat0, lon0, kx, ky;
} pol__enu;
void pol__enu_init(pol__enu *f, double lat0, double lon0);
void pol__enu_fwd(const pol__enu *f, double lat, double lon, double *x, double *y);
void pol__enu_inv(const pol__enu *f, double x, double y, double *lat, double *lon);
/* ISO 8601 ("2024-05-01T10:00:00.5Z", "+02:00") to seconds since 1970; NAN when not one. */
double pol__iso_time(const char *s);
/* Seconds to "2024-05-01T10:00:00Z" (milliseconds when fractional). */
void pol__iso_format(double t, char *buf, size_t cap);
/* The point's position in the track is part of a GPS track (not a route or waypoint). */
static inline int pol__tp_live(const pol__track *t, size_t i)
{
    return !(t->pt[i].flags & POL_TP_DELETED) && t->seg[t->pt[i].seg].kind == POL_SEG_TRK;
}

/* ---- readers and writers ---- */

int pol__track_sniff(const unsigned char *head, size_t n, const char *path);
/* The format of a file by its head (pol__tfmt), -1 when not a track. */
int pol__track_sniff_format(const unsigned char *head, size_t n);
pol_status pol__gpx_read(pol_run *run, const char *path, pol__track *t);
/* KML read as a stream (coordinates as they come; a gx:Track's <when>s paired with their
 * <gx:coord>s by a second parser of the file). */
typedef struct pol__kml_stream pol__kml_stream;
pol_status pol__kml_stream_open(pol_run *run, const char *path, pol__track *t,
                                pol__kml_stream **out);
pol_status pol__kml_stream_fill(pol__kml_stream *g, size_t want, int *eof);
int pol__kml_stream_drop(pol__kml_stream *g, size_t from);
uint64_t pol__kml_stream_points(const pol__kml_stream *g);
void pol__kml_stream_close(pol__kml_stream *g);
/* A GPX loaded whole (not streamed), as GPX. */
pol_status pol__gpx_write(pol_run *run, const pol__track *t, FILE *f);
/* Streamed GPX reading: points are added to `t` as the file is parsed, block by block. */
typedef struct pol__gpx_stream pol__gpx_stream;
pol_status pol__gpx_stream_open(pol_run *run, const char *path, pol__track *t,
                                pol__gpx_stream **out);
/* Parses until `t` holds at least `want` points or the file ends (*eof set; `t->tail` then
 * holds the source's bytes after the last point). */
pol_status pol__gpx_stream_fill(pol__gpx_stream *g, size_t want, int *eof);
/* Drops points before `from` from `t` (see pol__track_drop_front). */
int pol__gpx_stream_drop(pol__gpx_stream *g, size_t from);
uint64_t pol__gpx_stream_points(const pol__gpx_stream *g); /* points read so far */
void pol__gpx_stream_close(pol__gpx_stream *g);
/* Writes points [from, to) of an exact chunk: the source's bytes before each, an unchanged point
 * as the source wrote it, a changed one rewritten, a deleted one left out; the tail when `last`.
 * Adds the points written to *written. */
pol_status pol__gpx_write_exact(pol_run *run, const pol__track *t, size_t from, size_t to,
                                int last, FILE *f, size_t *written);
/* A GPX point element (<trkpt ...>...</trkpt>) from the numbers; `gpx`: the source was GPX and
 * its other children are kept. */
void pol__gpx_write_pt(const pol__track *t, const pol__tpt *p, const char *el, FILE *f, int gpx);
/* The point's timestamp as ISO 8601 text: as the source wrote it when it reads as one. */
void pol__track_time_text(const pol__track *t, const pol__tpt *p, char *buf, size_t cap);

/* A CSV field, quoted when it must be. */
void pol__track_csv_field(FILE *f, const char *s, size_t n, char delim);
/* A GeoJSON position [lon, lat(, ele)] and a time ("..." or null). */
void pol__gj_coord(const pol__track *t, const pol__tpt *p, FILE *f);
void pol__gj_time(const pol__track *t, const pol__tpt *p, FILE *f);

/* Streamed writing of any format: points are handed over in order, chunk by chunk (or the whole
 * track as one chunk), and written as they come; what a format needs in another order (GPX's
 * routes and tracks after its waypoints, GeoJSON's times after a feature's coordinates) waits in
 * a temporary file, not in memory. */
typedef struct pol__tsink pol__tsink;
pol_status pol__tsink_begin(pol_run *run, int fmt, FILE *f, pol__tsink **out);
/* Writes the kept points among [from, to) of `t`; `last`: `t` holds the stream's final points. */
pol_status pol__tsink_points(pol__tsink *w, const pol__track *t, size_t from, size_t to, int last);
/* Finishes the file and frees the sink (also on failure). */
pol_status pol__tsink_end(pol__tsink *w);
void pol__tsink_abort(pol__tsink *w);
size_t pol__tsink_written(const pol__tsink *w);
/* A track loaded whole, in `fmt` (begin, all points, end). */
pol_status pol__tsink_whole(pol_run *run, int fmt, const pol__track *t, FILE *f);
/* Any format read as a stream of points (source.c): points are added to `t` by _fill until it
 * holds `want` or the file ends (*eof set); every point added is complete. */
typedef struct pol__tsrc pol__tsrc;
int pol__tsrc_streams(int fmt); /* 1 when `fmt` is read as a stream */
pol_status pol__tsrc_open(pol_run *run, const char *path, int fmt, pol__track *t,
                          pol__tsrc **out);
pol_status pol__tsrc_fill(pol__tsrc *s, size_t want, int *eof);
int pol__tsrc_drop(pol__tsrc *s, size_t from); /* see pol__track_drop_front */
uint64_t pol__tsrc_points(const pol__tsrc *s);  /* points read so far */
void pol__tsrc_close(pol__tsrc *s);
/* A scratch copy (the streaming runner's, stream.h) read as a stream: `t` holds the source's
 * header fields already; the copy is `f` from its current position, written by
 * pol__tscratch_write (points [from, to) of a chunk, and the end with `last`; -1 on error). */
pol_status pol__tsrc_open_scratch(pol_run *run, FILE *f, pol__track *t, pol__tsrc **out);
/* The same for a copy of a stretch of a stream: `t`'s segments start at the copy's first one
 * (t->seg0), not at the stream's first. */
pol_status pol__tsrc_open_stretch(pol_run *run, FILE *f, pol__track *t, pol__tsrc **out);
/* Copies the header fields a reader sets (format, CSV columns, GPX version, ...) from `h`;
 * -1 when out of memory. */
int pol__track_copy_head(pol__track *t, const pol__track *h);
int pol__tscratch_write(FILE *f, const pol__track *t, size_t from, size_t to, int last);
/* The whole file through the stream reader. */
pol_status pol__tsrc_read_all(pol_run *run, const char *path, int fmt, pol__track *t);
/* A reader's queue of pending entries, [*head, *n) live in *q of *cap: makes room for one more
 * (moving the live entries to the front first, else growing). 0 when out of memory. */
int pol__tsrc_queue_room(void **q, size_t elem, size_t *head, size_t *n, size_t *cap);
/* CSV and NMEA read line by line (as the GPX stream above). */
typedef struct pol__line_stream pol__line_stream;
pol_status pol__line_stream_open(pol_run *run, const char *path, pol__track *t, int nmea,
                                 pol__line_stream **out);
pol_status pol__line_stream_fill(pol__line_stream *s, size_t want, int *eof);
int pol__line_stream_drop(pol__line_stream *s, size_t from);
uint64_t pol__line_stream_points(const pol__line_stream *s);
void pol__line_stream_close(pol__line_stream *s);
/* GeoJSON read as a stream of events (io_geojson.c). */
typedef struct pol__gj_stream pol__gj_stream;
pol_status pol__gj_stream_open(pol_run *run, const char *path, pol__track *t,
                               pol__gj_stream **out);
pol_status pol__gj_stream_fill(pol__gj_stream *g, size_t want, int *eof);
int pol__gj_stream_drop(pol__gj_stream *g, size_t from);
uint64_t pol__gj_stream_points(const pol__gj_stream *g);
void pol__gj_stream_close(pol__gj_stream *g);
/* Checks what every reader must: points in range, a points limit; fails naming the problem. */
pol_status pol__track_check(pol_run *run, pol__track *t);
const char *pol__tfmt_ext(int f);
int pol__tfmt_from_name(const char *s); /* -1 when unknown */

/* ---- the report's figure ---- */

/* Keeps the input's positions (as loaded) for the before-and-after figure. */
void pol__track_keep_original(pol__track *t);
/* Attaches an SVG of the path before and after, spikes and stops marked, and the elevation
 * profile to the running step. */
pol_status pol__track_figure(pol_run *run, const pol__track *t, const char *title);

/* ---- analysis shared by ops ---- */

typedef struct pol__track_stats {
    size_t points, segments, tracks, waypoints, route_points;
    double duration, distance, moving_time, interval_median, max_speed, mean_speed;
    size_t gaps, duplicates, speed_outliers, accel_outliers, backwards;
    double noise_m; /* estimated position noise (m, 1 sigma) from second differences */
    double ele_gain, ele_loss;
    int has_time, has_ele;
} pol__track_stats;
void pol__track_analyse(const pol__track *t, pol__track_stats *s);
/* The length of the live track points' path within segments (as pol__track_analyse's). */
double pol__track_distance(const pol__track *t);
/* A median of many values (>= 0) in bounded memory: exact up to 65,536 values, then from log
 * bins 0.1% wide. Zero-initialise; _add gives -1 when out of memory. */
typedef struct pol__tmed {
    double *v;
    size_t n, cap;
    uint32_t *hist;
    uint64_t total;
} pol__tmed;
int pol__tmed_add(pol__tmed *m, double x);
double pol__tmed_median(pol__tmed *m);
uint64_t pol__tmed_above(const pol__tmed *m, double th); /* values over th */
void pol__tmed_free(pol__tmed *m);
/* pol__track_analyse point by point, so a stream of chunks gives the whole track's figures: add
 * each point in order (a chunk's core), then finish. Segments are told apart by seg0 + seg. */
typedef struct pol__tacc {
    pol__track_stats s;
    pol__tpt prev, prev2;
    int n_prev;
    uint64_t last_seg, tseg;
    long trk_seen;
    double prev_v, t0, t1, prev_cos;
    pol__tmed dts, d2;
    int oom;
} pol__tacc;
void pol__tacc_init(pol__tacc *a);
void pol__tacc_add(pol__tacc *a, const pol__track *t, size_t i);
void pol__tacc_finish(pol__tacc *a, pol__track_stats *s);
void pol__tacc_free(pol__tacc *a);
/* Records the stats as measurements. */
void pol__track_measure(pol_run *run, const pol__track_stats *s);
/* Robust speed gate: the indexes of spikes among live points; marks them with `flag`. */
size_t pol__track_find_spikes(pol__track *t, double max_speed, double max_accel, double max_hdop,
                              uint32_t flag);
/* Runs of live track points: consecutive live points of one segment whose time does not go
 * backwards nor jump more than `gap` seconds (0: no gap rule). Fills idx (the live points in order,
 * t->n entries) and starts (run k is idx[starts[k]] .. idx[starts[k+1]-1]; starts has n+1 room).
 * Returns the number of runs. */
size_t pol__track_runs(const pol__track *t, double gap, size_t *idx, size_t *starts);
/* The robust speed of the live points (median over moving steps, m/s); NAN without time. */
double pol__track_typical_speed(const pol__track *t);
/* "walk" "cycle" "drive" from a typical speed. */
const char *pol__track_mode_of(double speed);
/* Kalman (constant velocity, white acceleration q) + RTS smoothing of z[0..m) at times tt, in
 * place; measurement variance r; work holds m * pol__track_rts_work() bytes. */
void pol__track_rts(double *z, const double *tt, size_t m, double q, double r, void *work);
size_t pol__track_rts_work(void);

#endif
