/* polish — a structural check of a classic NetCDF file's header (CDF-1, CDF-2 and CDF-5) before
 * netCDF-C opens it. netCDF-C 4.9 trusts the counts and lengths a header declares: fuzzing found
 * a damaged 300-byte header that makes it ask for 1.8 GB, and one that crashes it inside
 * nc_open (NC_hashmapadd). So the header is walked here first, every count and length checked
 * against the bytes the file holds, names checked (1..256 bytes, no NUL, unique among the
 * dimensions and among the variables), dimension ids and types checked, and every variable's
 * data start inside the file. NetCDF-4 files (HDF5) are not checked here: HDF5 reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "forecast/forecast.h"

typedef struct rd {
    const unsigned char *b;
    size_t n, at;
    int v;          /* 1, 2 or 5 */
    long long size; /* the whole file's */
    char *names;    /* the names seen in the current list, 260 bytes each */
    const char *why;
} rd;

static int take(rd *r, size_t k, const unsigned char **p)
{
    if (r->why) return 0;
    if (k > r->n - r->at) {
        r->why = "the header runs past the end of the file";
        return 0;
    }
    *p = r->b + r->at;
    r->at += k;
    return 1;
}

static unsigned long long u(rd *r, int bytes)
{
    const unsigned char *p;
    if (!take(r, (size_t)bytes, &p)) return 0;
    unsigned long long v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[i];
    return v;
}

static unsigned long long count(rd *r) { return u(r, r->v == 5 ? 8 : 4); }

static size_t type_size(rd *r, unsigned long long t)
{
    static const size_t sz[] = {0, 1, 1, 2, 4, 4, 8, 1, 2, 4, 8, 8};
    if (t >= 1 && t <= (r->v == 5 ? 11u : 6u)) return sz[t];
    if (!r->why) r->why = "a type code is not a NetCDF type";
    return 0;
}

/* a name: its length, its bytes padded to 4; copied into out (NUL-terminated) for uniqueness */
static void name(rd *r, char *out)
{
    unsigned long long len = count(r);
    if (r->why) return;
    if (len < 1 || len > 256) {
        r->why = "a name's length is out of range";
        return;
    }
    const unsigned char *p;
    if (!take(r, (size_t)((len + 3) & ~3ULL), &p)) return;
    if (memchr(p, 0, (size_t)len)) r->why = "a name holds a NUL byte";
    memcpy(out, p, (size_t)len);
    out[len] = '\0';
}

/* an attribute list: tag (0 or 12), count, then each name, type, count, padded values */
static void atts(rd *r)
{
    unsigned long long tag = u(r, 4), n = count(r);
    if (r->why) return;
    if (tag == 0 && n == 0) return;
    if (tag != 12) {
        r->why = "an attribute list has a wrong tag";
        return;
    }
    if (n > (r->n - r->at) / 12) {
        r->why = "an attribute count is larger than the file";
        return;
    }
    char nm[260];
    for (unsigned long long i = 0; i < n && !r->why; i++) {
        name(r, nm);
        size_t ts = type_size(r, u(r, 4));
        unsigned long long k = count(r);
        if (r->why) return;
        if (k > (r->n - r->at) / ts) {
            r->why = "an attribute's values run past the end of the file";
            return;
        }
        const unsigned char *p;
        take(r, (size_t)((k * ts + 3) & ~3ULL), &p);
    }
}

/* Names i of the current list (dimensions, then variables) must differ from the ones before. */
static const char *unique(rd *r, unsigned long long i)
{
    const char *nm = r->names + i * 260;
    for (unsigned long long j = 0; j < i; j++)
        if (!strcmp(r->names + j * 260, nm)) return "two names in one list are the same";
    return NULL;
}

static const char *walk(rd *r)
{
    const unsigned char *p;
    if (!take(r, 4, &p) || memcmp(p, "CDF", 3) || (p[3] != 1 && p[3] != 2 && p[3] != 5))
        return "it is not a classic NetCDF file";
    r->v = p[3];
    count(r); /* number of records (or streaming) */
    /* dimensions */
    unsigned long long tag = u(r, 4), nd = count(r);
    if (r->why) return r->why;
    if (!(tag == 0 && nd == 0) && tag != 10) return "its dimension list has a wrong tag";
    if (nd > 1024 || nd > (r->n - r->at) / 8) return "its dimension count is larger than the file";
    r->names = malloc((size_t)(nd + 1) * 260);
    if (!r->names) return "out of memory";
    long long rec = -1;
    for (unsigned long long i = 0; i < nd && !r->why; i++) {
        name(r, r->names + i * 260);
        unsigned long long len = count(r);
        if (r->why) break;
        if (len == 0) {
            if (rec >= 0) return "it has two record dimensions";
            rec = (long long)i;
        }
        const char *why = unique(r, i);
        if (why) return why;
    }
    atts(r);
    if (r->why) return r->why;
    /* variables */
    tag = u(r, 4);
    unsigned long long nv = count(r);
    if (r->why) return r->why;
    if (!(tag == 0 && nv == 0) && tag != 11) return "its variable list has a wrong tag";
    if (nv > 65536 || nv > (r->n - r->at) / 16) return "its variable count is larger than the file";
    free(r->names);
    r->names = malloc((size_t)(nv + 1) * 260);
    if (!r->names) return "out of memory";
    for (unsigned long long i = 0; i < nv && !r->why; i++) {
        name(r, r->names + i * 260);
        if (r->why) break;
        const char *why = unique(r, i);
        if (why) return why;
        unsigned long long k = count(r);
        if (r->why) break;
        if (k > nd) return "a variable has more dimensions than the file declares";
        for (unsigned long long j = 0; j < k && !r->why; j++) {
            unsigned long long id = count(r);
            if (r->why) break;
            if (id >= nd) return "a variable names a dimension that does not exist";
            if ((long long)id == rec && j != 0) return "a record dimension is not a variable's first";
        }
        atts(r);
        type_size(r, u(r, 4));
        count(r); /* vsize: may wrap for large variables, as the format allows */
        unsigned long long begin = u(r, r->v == 1 ? 4 : 8);
        if (r->why) break;
        if (begin > (unsigned long long)r->size) return "a variable's data starts past the end of the file";
    }
    return r->why;
}

pol_status pol__forecast_netcdf_check(pol_run *run, const char *path)
{
    const char *base = pol__path_base(path);
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", base);
    unsigned char head[4];
    size_t got = fread(head, 1, 4, fp);
    if (got < 4 || memcmp(head, "CDF", 3)) { /* NetCDF-4 (HDF5) or not NetCDF: not ours to walk */
        fclose(fp);
        return POL_OK;
    }
    /* the header alone: at most 16 MB are read to check it (a larger header is refused) */
    long long size = -1;
    if (fseeko(fp, 0, SEEK_END) == 0) size = (long long)ftello(fp);
    size_t cap = size < 0 ? 0 : size > (16LL << 20) ? (size_t)16 << 20 : (size_t)size;
    unsigned char *buf = cap ? malloc(cap) : NULL;
    pol_status st = POL_OK;
    if (!buf || fseeko(fp, 0, SEEK_SET) != 0 || fread(buf, 1, cap, fp) != cap)
        st = buf ? pol__fail(run, POL_ERR_IO, "cannot read %s", base)
                 : pol__fail(run, POL_ERR_NOMEM, "out of memory reading %s", base);
    fclose(fp);
    if (!st) {
        rd r = {.b = buf, .n = cap, .size = size};
        const char *why = walk(&r);
        free(r.names);
        if (why && r.n < (size_t)size && !strcmp(why, "the header runs past the end of the file"))
            why = "its header is over 16 MB";
        if (why) st = pol__fail(run, POL_ERR_CORRUPT, "%s: the NetCDF header is damaged: %s", base, why);
    }
    free(buf);
    return st;
}
