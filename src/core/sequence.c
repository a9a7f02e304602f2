/* polish — sequences of numbered frames: a frame pattern (shot.####.exr, shot.%04d.exr) expanded
 * into the files it names, in frame order; the number in an item's name; a pattern filled in for
 * an output; and the state a step keeps from one frame of a sequence to the next (the batch runs a
 * sequence's frames in order, one after another: batch.c). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/sequence.h"

/* The pattern inside the base name of `path`: a run of '#' (its length the padding) or printf's
 * %d / %0Nd. *at and *len locate it in `path`. */
static int find_pattern(const char *path, size_t *at, size_t *len, int *width)
{
    const char *base = pol__path_base(path);
    for (const char *p = base; *p; p++) {
        if (*p == '#') {
            const char *q = p;
            while (*q == '#') q++;
            *at = (size_t)(p - path), *len = (size_t)(q - p), *width = (int)(q - p);
            return 1;
        }
        if (*p == '%') {
            const char *q = p + 1;
            int w = 0;
            if (*q == '0') q++;
            while (*q >= '0' && *q <= '9' && w < 100) w = w * 10 + (*q++ - '0');
            if (*q == 'd' && w <= 18) {
                *at = (size_t)(p - path), *len = (size_t)(q + 1 - p), *width = w ? w : 1;
                return 1;
            }
        }
    }
    return 0;
}

int pol_path_is_frame_pattern(const char *path)
{
    size_t at, len;
    int w;
    return path && find_pattern(path, &at, &len, &w);
}

char *pol__frame_path(const char *pattern, long long frame)
{
    size_t at, len;
    int w;
    if (!find_pattern(pattern, &at, &len, &w)) return pol__strdup(pattern);
    return pol__asprintf("%.*s%0*lld%s", (int)at, pattern, w, frame, pattern + at + len);
}

/* Does base name `name` match the pattern's base (prefix, digits, suffix)? The digits are the
 * padding's width, or more when the number needs more (no leading zero then). */
static int frame_match(const char *name, const char *pre, size_t npre, const char *post, int width,
                       long long *frame)
{
    size_t n = strlen(name), npost = strlen(post);
    if (n < npre + npost + 1 || strncmp(name, pre, npre) || strcmp(name + n - npost, post)) return 0;
    size_t nd = n - npre - npost;
    const char *d = name + npre;
    if (nd > 18 || (int)nd < width || ((int)nd > width && d[0] == '0')) return 0;
    long long v = 0;
    for (size_t i = 0; i < nd; i++) {
        if (d[i] < '0' || d[i] > '9') return 0;
        v = v * 10 + (d[i] - '0');
    }
    *frame = v;
    return 1;
}

typedef struct found {
    long long frame;
    char *name;
} found;

static int cmp_found(const void *a, const void *b)
{
    const found *x = a, *y = b;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    return strcmp(x->name, y->name);
}

pol_status pol__frame_expand(const char *pattern, char ***paths, size_t *n, pol_err *err)
{
    *paths = NULL, *n = 0;
    size_t at, len;
    int width;
    if (!find_pattern(pattern, &at, &len, &width))
        return pol__err_set(err, POL_ERR_ARG, "%s is not a frame pattern", pattern);
    const char *base = pol__path_base(pattern);
    size_t nb = (size_t)(base - pattern);
    char *dir = nb ? pol__strndup(pattern, nb) : pol__strdup(".");
    char *pre = pol__strndup(base, at - nb);
    const char *post = pattern + at + len;
    if (!dir || !pre) {
        free(dir), free(pre);
        return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    }
    if (strchr(post, '/')) {
        free(dir), free(pre);
        return pol__err_set(err, POL_ERR_ARG, "%s: the frame number must be in the file's name",
                            pattern);
    }
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        pol_status st = pol__err_set(err, POL_ERR_NOT_FOUND, "%s: cannot read the folder %s: %s",
                                     pattern, dir, strerror(e));
        free(dir), free(pre);
        return st;
    }
    found *f = NULL;
    size_t cnt = 0, cap = 0;
    int oom = 0;
    struct dirent *e;
    while ((e = readdir(d)) && !oom) {
        long long fr;
        if (e->d_name[0] == '.' || !frame_match(e->d_name, pre, strlen(pre), post, width, &fr))
            continue;
        if (POL_GROW(f, cap, cnt + 1, 64)) {
            oom = 1;
            break;
        }
        f[cnt].frame = fr;
        if (!(f[cnt].name = pol__asprintf("%.*s%s", (int)nb, pattern, e->d_name))) oom = 1;
        else cnt++;
    }
    closedir(d);
    pol_status st = POL_OK;
    if (oom) st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    else if (!cnt)
        st = pol__err_set(err, POL_ERR_NOT_FOUND, "%s: no file matches the frame pattern", pattern);
    char **out = st ? NULL : malloc(cnt * sizeof *out);
    if (!st && !out) st = pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    if (!st) {
        qsort(f, cnt, sizeof *f, cmp_found);
        for (size_t i = 0; i < cnt; i++) out[i] = f[i].name;
        *paths = out, *n = cnt;
    } else {
        for (size_t i = 0; i < cnt; i++) free(f[i].name);
    }
    free(f);
    free(dir), free(pre);
    return st;
}

int pol__frame_number(const char *rel, long long *frame, char **key, char **name)
{
    const char *base = pol__path_base(rel);
    const char *end = NULL, *start = NULL;
    for (const char *p = base; *p; p++)
        if (*p >= '0' && *p <= '9' && (p[1] < '0' || p[1] > '9')) end = p + 1;
    if (!end) return 0;
    start = end;
    while (start > base && start[-1] >= '0' && start[-1] <= '9') start--;
    if (end - start > 18) return 0;
    long long v = 0;
    for (const char *p = start; p < end; p++) v = v * 10 + (*p - '0');
    *frame = v;
    if (key) {
        /* the name without its number: "shots/a.\x01.exr" */
        *key = pol__asprintf("%.*s\x01%s", (int)(start - rel), rel, end);
        if (!*key) return -1;
    }
    if (name) {
        *name = pol__asprintf("%.*s%.*s%s", (int)(start - rel), rel, (int)(end - start),
                              "##################", end);
        if (!*name) {
            if (key) free(*key), *key = NULL;
            return -1;
        }
    }
    return 1;
}

/* ---- state kept from frame to frame --------------------------------------------------------- */

const pol__seq_frame *pol__sequence(const pol_run *run)
{
    return run ? run->seq : NULL;
}

void *pol__seq_state(const pol_run *run, const void *key)
{
    const pol__seq_store *s = run && run->seq ? run->seq->store : NULL;
    for (int i = 0; s && i < s->n; i++)
        if (s->slot[i].key == key) return s->slot[i].state;
    return NULL;
}

int pol__seq_keep(pol_run *run, const void *key, void *state, void (*free_fn)(void *))
{
    pol__seq_store *s = run && run->seq ? run->seq->store : NULL;
    if (!s) {
        if (free_fn) free_fn(state);
        return 0;
    }
    for (int i = 0; i < s->n; i++)
        if (s->slot[i].key == key) {
            if (s->slot[i].state != state && s->slot[i].free_fn) s->slot[i].free_fn(s->slot[i].state);
            s->slot[i].state = state, s->slot[i].free_fn = free_fn;
            return 1;
        }
    if (s->n == (int)POL_ARRAY_LEN(s->slot)) {
        if (free_fn) free_fn(state);
        return 0;
    }
    s->slot[s->n++] = (pol__seq_slot){key, state, free_fn};
    return 1;
}

void pol__seq_store_clear(pol__seq_store *s)
{
    for (int i = 0; s && i < s->n; i++)
        if (s->slot[i].free_fn) s->slot[i].free_fn(s->slot[i].state);
    if (s) s->n = 0;
}
