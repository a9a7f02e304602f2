#define _GNU_SOURCE
/* polish — captions: SRT and WebVTT reading, the layout rules (lines, characters per line, time on
 * screen, reading speed), and burning in with libass onto Y'CbCr 4:2:0 frames inside the safe area. */
#include <ass/ass.h>
#include <libavutil/frame.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "video/video.h"

void pol__subs_free(pol__vcue *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++) free(c[i].text);
    free(c);
}

/* "hh:mm:ss,mmm", "mm:ss.mmm", "hh:mm:ss.mmm" */
static int parse_time(const char *s, double *t, const char **end)
{
    double part[3] = {0};
    int np = 0;
    const char *p = s;
    while (*p == ' ') p++;
    for (;;) {
        char *e;
        long v = strtol(p, &e, 10);
        if (e == p || v < 0) return 0;
        if (np == 3) return 0;
        part[np++] = (double)v;
        p = e;
        if (*p == ':') {
            p++;
            continue;
        }
        break;
    }
    double ms = 0;
    if (*p == ',' || *p == '.') {
        p++;
        const char *q = p;
        double scale = 0.1;
        while (*p >= '0' && *p <= '9') {
            ms += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
        if (p == q) return 0;
    }
    if (np < 2) return 0;
    *t = (np == 3 ? part[0] * 3600 + part[1] * 60 + part[2] : part[0] * 60 + part[1]) + ms;
    *end = p;
    return 1;
}

static void strip_tags(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r == '<') {
            char *e = strchr(r, '>');
            if (e) {
                r = e;
                continue;
            }
        }
        if (*r == '{' && r[1] == '\\') {
            char *e = strchr(r, '}');
            if (e) {
                r = e;
                continue;
            }
        }
        if (*r != '\r') *w++ = *r;
    }
    *w = 0;
}

pol_status pol__subs_read(pol_run *run, const char *path, pol__vcue **cues, size_t *n)
{
    unsigned char *data = NULL;
    size_t len = 0;
    pol_status st = pol__read_file(run, path, 16u << 20, &data, &len);
    if (st) return st;
    pol__vcue *v = NULL;
    size_t nv = 0, cap = 0;
    char *p = (char *)data;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    long line = 0;
    while (*p && !st) {
        char *nl = strchr(p, '\n');
        size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        char *arrow = memmem(p, ll, "-->", 3);
        if (!arrow) {
            p = nl ? nl + 1 : p + ll;
            continue;
        }
        double t0, t1;
        const char *e;
        if (!parse_time(p, &t0, &e) || !parse_time(arrow + 3, &t1, &e) || t1 < t0) {
            st = pol__fail(run, POL_ERR_CORRUPT, "%s line %ld: not a cue timing ('%.*s')", path, line,
                           (int)(ll > 60 ? 60 : ll), p);
            break;
        }
        p = nl ? nl + 1 : p + ll;
        /* the text: lines up to a blank one */
        char *start = p, *q = p;
        while (*q) {
            char *n2 = strchr(q, '\n');
            size_t l2 = n2 ? (size_t)(n2 - q) : strlen(q);
            int blank = 1;
            for (size_t i = 0; i < l2; i++)
                if (q[i] != ' ' && q[i] != '\r' && q[i] != '\t') blank = 0;
            if (blank) break;
            line++;
            q = n2 ? n2 + 1 : q + l2;
        }
        size_t tl = (size_t)(q - start);
        while (tl && (start[tl - 1] == '\n' || start[tl - 1] == '\r')) tl--;
        if (nv == cap) {
            size_t nc = cap ? cap * 2 : 64;
            if (nc > 200000) {
                st = pol__fail(run, POL_ERR_LIMIT, "%s: more than 200000 cues", path);
                break;
            }
            pol__vcue *nvp = realloc(v, nc * sizeof *nvp);
            if (!nvp) {
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
                break;
            }
            v = nvp;
            cap = nc;
        }
        char *text = pol__strndup(start, tl);
        if (!text) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        strip_tags(text);
        v[nv++] = (pol__vcue){t0, t1, text};
        p = q;
    }
    free(data);
    if (!st && !nv) st = pol__fail(run, POL_ERR_EMPTY, "%s: no cues (SRT or WebVTT timings)", path);
    if (st) {
        pol__subs_free(v, nv);
        return st;
    }
    *cues = v;
    *n = nv;
    return POL_OK;
}

/* ---- layout --------------------------------------------------------------------------------- */

static size_t u8len(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

/* Greedy wrap of words into lines of at most `chars` characters; returns the line count, the text
 * rewritten with '\n' between lines into *out (malloc'ed). */
static int wrap(const char *text, int chars, char **out)
{
    size_t n = strlen(text);
    char *o = malloc(n + 2);
    if (!o) return -1;
    size_t w = 0, linelen = 0;
    int lines = 1;
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\n' || *p == '\t') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\n' && *p != '\t') p++;
        size_t bl = (size_t)(p - s), cl = u8len(s, bl);
        if (linelen && linelen + 1 + cl > (size_t)chars) {
            o[w++] = '\n';
            lines++;
            linelen = 0;
        } else if (linelen) {
            o[w++] = ' ';
            linelen++;
        }
        memcpy(o + w, s, bl);
        w += bl;
        linelen += cl;
    }
    o[w] = 0;
    *out = o;
    return lines;
}

static int max_line(const char *t)
{
    int best = 0;
    while (*t) {
        const char *e = strchr(t, '\n');
        size_t l = e ? (size_t)(e - t) : strlen(t);
        int c = (int)u8len(t, l);
        if (c > best) best = c;
        t = e ? e + 1 : t + l;
    }
    return best;
}

static int count_lines(const char *t)
{
    int n = 1;
    for (; *t; t++) n += *t == '\n';
    return n;
}

/* Splits cue k (too many lines) into several of at most r->lines lines each, time shared by
 * characters. The array grows; returns the new count or 0 when out of memory. */
static size_t split_cue(pol__vcue **cv, size_t n, size_t k, const char *wrapped, int lines_per)
{
    int nl = count_lines(wrapped);
    int parts = (nl + lines_per - 1) / lines_per;
    pol__vcue *v = realloc(*cv, (n + (size_t)parts - 1) * sizeof *v);
    if (!v) return 0;
    *cv = v;
    memmove(v + k + parts, v + k + 1, (n - k - 1) * sizeof *v);
    double t0 = v[k].t0, t1 = v[k].t1, total = (double)u8len(wrapped, strlen(wrapped));
    free(v[k].text);
    const char *p = wrapped;
    double acc = 0;
    for (int i = 0; i < parts; i++) {
        const char *q = p;
        for (int l = 0; l < lines_per && *q; l++) {
            const char *e = strchr(q, '\n');
            q = e ? e + 1 : q + strlen(q);
        }
        size_t bl = (size_t)(q - p);
        while (bl && p[bl - 1] == '\n') bl--;
        double share = u8len(p, bl) / (total > 0 ? total : 1);
        v[k + i].t0 = t0 + (t1 - t0) * acc;
        acc += share;
        v[k + i].t1 = i == parts - 1 ? t1 : t0 + (t1 - t0) * acc;
        v[k + i].text = pol__strndup(p, bl);
        p = q;
    }
    return n + (size_t)parts - 1;
}

/* The layout pass over a cue array that may grow: rewrap, split, extend. */
pol_status pol__subs_apply_rules(pol_run *run, pol__vcue **cv, size_t *pn, const pol__subs_rules *r,
                                 int *changed, int broken[4])
{
    size_t n = *pn;
    *changed = 0;
    memset(broken, 0, 4 * sizeof *broken);
    for (size_t k = 0; k < n; k++) {
        pol__vcue *v = *cv;
        char *w = NULL;
        int lines = wrap(v[k].text, r->chars, &w);
        if (lines < 0) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        int need = strcmp(w, v[k].text) != 0 &&
                   (count_lines(v[k].text) > r->lines || max_line(v[k].text) > r->chars);
        if (lines > r->lines) {
            size_t nn = split_cue(cv, n, k, w, r->lines);
            free(w);
            if (!nn) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
            (*changed)++;
            k += nn - n;
            n = nn;
            continue;
        }
        if (need) {
            free(v[k].text);
            v[k].text = w;
            (*changed)++;
        } else {
            free(w);
        }
    }
    pol__vcue *v = *cv;
    for (size_t k = 0; k < n; k++) {
        double next = k + 1 < n ? v[k + 1].t0 - 0.04 : HUGE_VAL;
        double chars = (double)u8len(v[k].text, strlen(v[k].text));
        double want = fmax(r->min_s, chars / r->cps);
        if (v[k].t1 - v[k].t0 < want && next > v[k].t1) {
            v[k].t1 = fmin(v[k].t0 + want, next);
            (*changed)++;
        }
        /* still short: start earlier, into the gap after the previous cue */
        double prev = k ? v[k - 1].t1 + 0.04 : 0;
        if (v[k].t1 - v[k].t0 < want && prev < v[k].t0) {
            v[k].t0 = fmax(v[k].t1 - want, prev);
            (*changed)++;
        }
        double d = v[k].t1 - v[k].t0;
        if (count_lines(v[k].text) > r->lines) broken[0]++;
        if (max_line(v[k].text) > r->chars) broken[1]++;
        if (d < r->min_s - 1e-6) broken[2]++;
        if (d > 0 && chars / d > r->cps + 1e-6) broken[3]++;
    }
    *pn = n;
    return POL_OK;
}

/* ---- burning in ----------------------------------------------------------------------------- */

struct pol__subs_burn {
    ASS_Library *lib;
    ASS_Renderer *rend;
    ASS_Track *track;
    int hd;
};

static void ass_ts(double t, char *b, size_t n)
{
    if (t < 0) t = 0;
    long cs = lround(t * 100);
    snprintf(b, n, "%ld:%02ld:%02ld.%02ld", cs / 360000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
}

/* One event line: text with its line breaks as \N and no override blocks. */
static void put_event(char *s, size_t *po, size_t cap, int layer, double t0, double t1, const char *style,
                      const char *text)
{
    char a[32], e[32];
    size_t o = *po;
    ass_ts(t0, a, sizeof a);
    ass_ts(t1, e, sizeof e);
    int k = snprintf(s + o, cap - o, "Dialogue: %d,%s,%s,%s,,0,0,0,,", layer, a, e, style);
    if (k < 0 || (size_t)k >= cap - o) return;
    o += (size_t)k;
    for (const char *t = text; *t && o + 4 < cap; t++) {
        if (*t == '\n') {
            s[o++] = '\\';
            s[o++] = 'N';
        } else if (*t == '{' || *t == '}') {
            s[o++] = '(';
        } else {
            s[o++] = *t;
        }
    }
    if (o + 2 < cap) s[o++] = '\n';
    *po = o;
}

static void no_log(int level, const char *fmt, va_list va, void *data)
{
    (void)level;
    (void)fmt;
    (void)va;
    (void)data;
}

pol_status pol__subs_burn_new(pol_run *run, const pol__video *v, int w, int h, pol__subs_burn **out)
{
    pol__subs_burn *b = calloc(1, sizeof *b);
    if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    b->hd = v->in.height >= 720 || v->in.width >= 1280;
    b->lib = ass_library_init();
    if (b->lib) ass_set_message_cb(b->lib, no_log, NULL);
    b->rend = b->lib ? ass_renderer_init(b->lib) : NULL;
    if (!b->rend) {
        pol__subs_burn_free(b);
        return pol__fail(run, POL_ERR_UNSUPPORTED, "libass cannot start");
    }
    ass_set_frame_size(b->rend, w, h);
    const char *font = v->font ? v->font : "DejaVu Sans";
    ass_set_fonts(b->rend, NULL, font, ASS_FONTPROVIDER_AUTODETECT, NULL, 1);
    /* the script: size from the shorter side, margins inside the title-safe area (10% / 8%) */
    int side = w < h ? w : h;
    double scale = v->font_scale > 0 ? v->font_scale : 1;
    int size = (int)lround(side * 0.055 * scale);
    int ml = (int)lround(w * 0.10), mv = (int)lround(h * 0.08);
    const pol__vtitle *ti = &v->title;
    size_t n_cues = v->burn ? v->n_cues : 0;
    /* libass does not wrap (WrapStyle 2: the rules made the lines): the longest line must fit the
     * safe width. At 5.5% of the shorter side 42 characters overflow a vertical frame, so the size
     * is capped for the longest line at an average glyph of 0.6 em (DejaVu Sans text: about 0.55) */
    size_t longest = 0;
    for (size_t k = 0; k < n_cues; k++)
        for (const char *p = v->cues[k].text; *p;) {
            size_t len = 0;
            for (; *p && *p != '\n'; p++) len += ((unsigned char)*p & 0xC0) != 0x80; /* code points */
            if (len > longest) longest = len;
            if (*p) p++;
        }
    if (longest && size > (w - 2 * ml) / (0.6 * (double)longest))
        size = (int)floor((w - 2 * ml) / (0.6 * (double)longest));
    if (size < 1) size = 1;
    size_t cap = 2048 + 256 * n_cues + 3 * strlen(font);
    for (size_t k = 0; k < n_cues; k++) cap += strlen(v->cues[k].text) * 2;
    if (ti->text) cap += strlen(ti->text) * 2 + 256;
    if (ti->font) cap += 2 * strlen(ti->font);
    if (ti->lower) cap += strlen(ti->lower) * 2 + 256;
    char *s = malloc(cap);
    if (!s) {
        pol__subs_burn_free(b);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    static const char fmt[] =
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, "
        "Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, "
        "Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n";
    size_t o = (size_t)snprintf(s, cap,
        "[Script Info]\nScriptType: v4.00+\nPlayResX: %d\nPlayResY: %d\nWrapStyle: 2\n"
        "ScaledBorderAndShadow: yes\n\n[V4+ Styles]\n%s"
        "Style: Default,%s,%d,&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,0,0,0,0,100,100,0,0,1,%.1f,"
        "%.1f,2,%d,%d,%d,1\n",
        w, h, fmt, font, size, size * 0.08, size * 0.04, ml, ml, mv);
    if (ti->text || ti->lower) {
        /* the title card centred, the lower third at the bottom left above the captions' lines;
         * both inside the title-safe area, on a box (ASS colours are &HAABBGGRR, alpha 0 opaque) */
        const char *tf = ti->font ? ti->font : font;
        unsigned bgr = (ti->rgb & 255) << 16 | (ti->rgb & 0xFF00) | (ti->rgb >> 16 & 255);
        unsigned box = (unsigned)lround(255 * (1 - ti->box)) << 24;
        double ts = ti->size > 0 ? ti->size : 1;
        int big = (int)lround(side * 0.09 * ts), small = (int)lround(side * 0.05 * ts);
        o += (size_t)snprintf(s + o, cap - o,
            "Style: Title,%s,%d,&H00%06X,&H00%06X,&H%08X,&H%08X,1,0,0,0,100,100,0,0,3,%.1f,0,5,%d,%d,%d,1\n"
            "Style: Lower,%s,%d,&H00%06X,&H00%06X,&H%08X,&H%08X,1,0,0,0,100,100,0,0,3,%.1f,0,1,%d,%d,%d,1\n",
            tf, big, bgr, bgr, box, box, big * 0.3, ml, ml, mv, tf, small, bgr, bgr, box, box, small * 0.3,
            ml, ml, (int)lround(h * 0.18));
    }
    o += (size_t)snprintf(s + o, cap - o,
        "\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n");
    for (size_t k = 0; k < n_cues; k++)
        put_event(s, &o, cap, 0, v->cues[k].t0, v->cues[k].t1, "Default", v->cues[k].text);
    if (ti->text) put_event(s, &o, cap, 1, ti->t0, ti->t1, "Title", ti->text);
    if (ti->lower) put_event(s, &o, cap, 1, ti->lt0, ti->lt1, "Lower", ti->lower);
    b->track = ass_read_memory(b->lib, s, o, NULL);
    free(s);
    if (!b->track) {
        pol__subs_burn_free(b);
        return pol__fail(run, POL_ERR_UNSUPPORTED, "libass cannot read the captions");
    }
    *out = b;
    return POL_OK;
}

void pol__subs_burn_free(pol__subs_burn *b)
{
    if (!b) return;
    if (b->track) ass_free_track(b->track);
    if (b->rend) ass_renderer_done(b->rend);
    if (b->lib) ass_library_done(b->lib);
    free(b);
}

void pol__subs_burn_frame(pol__subs_burn *b, void *frame, double t)
{
    AVFrame *f = frame;
    int changed = 0;
    ASS_Image *img = ass_render_frame(b->rend, b->track, (long long)llround(t * 1000), &changed);
    double kr = b->hd ? 0.2126 : 0.299, kb = b->hd ? 0.0722 : 0.114, kg = 1 - kr - kb;
    for (; img; img = img->next) {
        if (img->w <= 0 || img->h <= 0) continue;
        double R = (img->color >> 24 & 255) / 255.0, G = (img->color >> 16 & 255) / 255.0,
               B = (img->color >> 8 & 255) / 255.0;
        int opacity = 255 - (int)(img->color & 255);
        double Y = kr * R + kg * G + kb * B;
        int y8 = (int)lround(16 + 219 * Y), u8 = (int)lround(128 + 224 * (B - Y) / (2 * (1 - kb))),
            v8 = (int)lround(128 + 224 * (R - Y) / (2 * (1 - kr)));
        for (int y = 0; y < img->h; y++) {
            int fy = img->dst_y + y;
            if (fy < 0 || fy >= f->height) continue;
            uint8_t *row = f->data[0] + (size_t)fy * f->linesize[0];
            const unsigned char *a = img->bitmap + (size_t)y * img->stride;
            for (int x = 0; x < img->w; x++) {
                int fx = img->dst_x + x;
                if (fx < 0 || fx >= f->width || !a[x]) continue;
                int al = a[x] * opacity / 255;
                row[fx] = (uint8_t)((row[fx] * (255 - al) + y8 * al + 127) / 255);
            }
        }
        for (int cy = img->dst_y / 2; cy <= (img->dst_y + img->h - 1) / 2; cy++) {
            if (cy < 0 || cy >= (f->height + 1) / 2) continue;
            uint8_t *ur = f->data[1] + (size_t)cy * f->linesize[1], *vr = f->data[2] + (size_t)cy * f->linesize[2];
            for (int cx = img->dst_x / 2; cx <= (img->dst_x + img->w - 1) / 2; cx++) {
                if (cx < 0 || cx >= (f->width + 1) / 2) continue;
                int sum = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int x = cx * 2 + dx - img->dst_x, y = cy * 2 + dy - img->dst_y;
                        if (x >= 0 && y >= 0 && x < img->w && y < img->h) sum += img->bitmap[(size_t)y * img->stride + x];
                    }
                int al = sum / 4 * opacity / 255;
                if (!al) continue;
                ur[cx] = (uint8_t)((ur[cx] * (255 - al) + u8 * al + 127) / 255);
                vr[cx] = (uint8_t)((vr[cx] * (255 - al) + v8 * al + 127) / 255);
            }
        }
    }
}
