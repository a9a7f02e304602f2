/* polish — forecast: gridded ensembles read in bands of rows. NetCDF-CF: a hyperslab per band
 * (every time and member, the band's rows). GRIB: the messages of the variable are indexed once
 * (offset, length, valid time, member); a grid read in one band decodes each message and keeps its
 * rows; a grid read in several bands decodes each message once into a temporary file of floats
 * that the bands read back, so decoding does not grow with the number of bands and memory is one
 * field plus the band. */
#include <eccodes.h>
#include <math.h>
#include <netcdf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "forecast/gridfile.h"

static int name_in(const char *n, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(n, *list) == 0) return 1;
    return 0;
}

static const char *const lat_names[] = {"lat", "latitude", "y", NULL};
static const char *const lon_names[] = {"lon", "longitude", "x", NULL};
static const char *const mem_names[] = {"number", "member", "realization", "ensemble", "ens", NULL};
static const char *const time_names[] = {"time", "valid_time", "day", "date", NULL};

void fc_gridfile_close(fc_gridfile *g)
{
    if (!g) return;
    if (g->kind == 2 && g->nc >= 0) nc_close(g->nc);
    if (g->fp) fclose(g->fp);
    if (g->cache) fclose(g->cache);
    free(g->path);
    free(g->lat);
    free(g->lon);
    free(g->time);
    free(g->member);
    free(g->off);
    free(g->len);
    free(g->valid);
    memset(g, 0, sizeof *g);
    g->nc = -1;
}

/* ---- NetCDF ----------------------------------------------------------------------------------- */

static pol_status open_netcdf(pol_run *run, const char *path, const char *var, fc_gridfile *g)
{
    const char *base = pol__path_base(path);
    pol_status cst = pol__forecast_netcdf_check(run, path);
    if (cst) return cst;
    int rc = nc_open(path, NC_NOWRITE, &g->nc);
    if (rc != NC_NOERR) {
        g->nc = -1;
        return pol__fail(run, POL_ERR_FORMAT, "%s: %s", base, nc_strerror(rc));
    }
    int nvars = 0;
    nc_inq_nvars(g->nc, &nvars);
    char seen[512] = "";
    int found = -1, n_grid = 0, only = -1, n_ens = 0, only_ens = -1;
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        int nd, dims[NC_MAX_VAR_DIMS];
        nc_inq_varname(g->nc, v, name);
        nc_inq_varndims(g->nc, v, &nd);
        nc_inq_vardimid(g->nc, v, dims);
        int has_lat = 0, has_lon = 0, has_mem = 0;
        for (int d = 0; d < nd; d++) {
            char dn[NC_MAX_NAME + 1];
            nc_inq_dimname(g->nc, dims[d], dn);
            has_lat |= name_in(dn, lat_names);
            has_lon |= name_in(dn, lon_names);
            has_mem |= name_in(dn, mem_names);
        }
        char *sn = pol__fc_nc_att_text(g->nc, v, "standard_name");
        if (nd >= 2 && has_lat && has_lon) {
            size_t used = strlen(seen);
            if (used + strlen(name) + 3 < sizeof seen)
                snprintf(seen + used, sizeof seen - used, "%s%s", used ? ", " : "", name);
            n_grid++;
            only = v;
            if (has_mem) n_ens++, only_ens = v;
        }
        if (var && *var && (strcmp(name, var) == 0 || (sn && strcmp(sn, var) == 0))) found = v;
        free(sn);
    }
    if (!var || !*var) { /* the only gridded variable, or the only one with members */
        if (n_grid != 1 && n_ens != 1)
            return pol__fail(run, POL_ERR_ARG, "%s holds %d gridded variables (%s): name one with "
                             "--variable", base, n_grid, seen);
        found = n_grid == 1 ? only : only_ens;
    }
    if (found < 0)
        return pol__fail(run, POL_ERR_NOT_FOUND, "%s holds no variable %s (it holds: %s)", base, var,
                         seen);
    g->vid = found;
    nc_inq_varname(g->nc, found, g->var);
    int dims[NC_MAX_VAR_DIMS];
    nc_inq_varndims(g->nc, found, &g->ndims);
    nc_inq_vardimid(g->nc, found, dims);
    g->d_t = g->d_m = g->d_lat = g->d_lon = -1;
    size_t dlen[NC_MAX_VAR_DIMS];
    for (int d = 0; d < g->ndims; d++) {
        char dn[NC_MAX_NAME + 1];
        nc_inq_dim(g->nc, dims[d], dn, &dlen[d]);
        if (name_in(dn, lat_names)) g->d_lat = d;
        else if (name_in(dn, lon_names)) g->d_lon = d;
        else if (name_in(dn, mem_names)) g->d_m = d;
        else if (name_in(dn, time_names)) g->d_t = d;
        else if (dlen[d] != 1)
            return pol__fail(run, POL_ERR_UNSUPPORTED, "%s: %s has a dimension '%s' this reader does "
                             "not know (it reads time, member/number/realization, lat, lon)", base,
                             g->var, dn);
    }
    if (g->d_lat < 0 || g->d_lon < 0)
        return pol__fail(run, POL_ERR_UNSUPPORTED, "%s: %s has no lat/lon dimensions", base, g->var);
    g->nrows = dlen[g->d_lat];
    g->ncols = dlen[g->d_lon];
    g->nt = g->d_t >= 0 ? dlen[g->d_t] : 1;
    g->nm = g->d_m >= 0 ? dlen[g->d_m] : 1;
    g->lat = malloc(g->nrows * sizeof *g->lat);
    g->lon = malloc(g->ncols * sizeof *g->lon);
    g->member = malloc(g->nm * sizeof *g->member);
    if (!g->lat || !g->lon || !g->member) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int cv;
    char dn[NC_MAX_NAME + 1];
    nc_inq_dimname(g->nc, dims[g->d_lat], dn);
    if (nc_inq_varid(g->nc, dn, &cv) || nc_get_var_double(g->nc, cv, g->lat))
        for (size_t i = 0; i < g->nrows; i++) g->lat[i] = (double)i;
    nc_inq_dimname(g->nc, dims[g->d_lon], dn);
    if (nc_inq_varid(g->nc, dn, &cv) || nc_get_var_double(g->nc, cv, g->lon))
        for (size_t i = 0; i < g->ncols; i++) g->lon[i] = (double)i;
    for (size_t m = 0; m < g->nm; m++) g->member[m] = (long)m;
    if (g->d_m >= 0) {
        nc_inq_dimname(g->nc, dims[g->d_m], dn);
        if (!nc_inq_varid(g->nc, dn, &cv)) nc_get_var_long(g->nc, cv, g->member);
    }
    if (g->d_t >= 0) {
        nc_inq_dimname(g->nc, dims[g->d_t], dn);
        if (!nc_inq_varid(g->nc, dn, &cv)) {
            g->time = malloc(g->nt * sizeof *g->time);
            char *u = pol__fc_nc_att_text(g->nc, cv, "units");
            if (!g->time || nc_get_var_double(g->nc, cv, g->time)) {
                free(g->time);
                g->time = NULL;
            }
            if (u) snprintf(g->time_units, sizeof g->time_units, "%s", u);
            free(u);
        }
    }
    g->scale = 1;
    g->offset = 0;
    nc_get_att_double(g->nc, found, "scale_factor", &g->scale);
    nc_get_att_double(g->nc, found, "add_offset", &g->offset);
    g->has_fill = nc_get_att_double(g->nc, found, "_FillValue", &g->fill) == NC_NOERR;
    return POL_OK;
}

static pol_status rows_netcdf(pol_run *run, fc_gridfile *g, size_t r0, size_t nr, float *out)
{
    size_t start[NC_MAX_VAR_DIMS] = {0}, count[NC_MAX_VAR_DIMS];
    for (int d = 0; d < g->ndims; d++) count[d] = 1;
    if (g->d_t >= 0) count[g->d_t] = g->nt;
    if (g->d_m >= 0) count[g->d_m] = g->nm;
    start[g->d_lat] = r0;
    count[g->d_lat] = nr;
    count[g->d_lon] = g->ncols;
    size_t np = nr * g->ncols, total = np * g->nt * g->nm;
    /* read in the variable's own order, then put in (time, member, point) order */
    float *buf = out;
    int natural = (g->d_t < 0 || g->d_m < 0 || g->d_t < g->d_m) && g->d_lat < g->d_lon &&
                  g->d_lon == g->ndims - 1 && (g->d_t < g->d_lat) && (g->d_m < g->d_lat);
    if (!natural && !(buf = malloc(total * sizeof *buf)))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    int rc = nc_get_vara_float(g->nc, g->vid, start, count, buf);
    if (rc != NC_NOERR) {
        if (buf != out) free(buf);
        return pol__fail(run, POL_ERR_CORRUPT, "%s: %s", pol__path_base(g->path), nc_strerror(rc));
    }
    if (!natural) {
        size_t stride[NC_MAX_VAR_DIMS], s = 1;
        for (int d = g->ndims - 1; d >= 0; d--) {
            stride[d] = s;
            s *= count[d];
        }
        for (size_t t = 0; t < g->nt; t++)
            for (size_t m = 0; m < g->nm; m++)
                for (size_t r = 0; r < nr; r++)
                    for (size_t c = 0; c < g->ncols; c++) {
                        size_t i = r * stride[g->d_lat] + c * stride[g->d_lon];
                        if (g->d_t >= 0) i += t * stride[g->d_t];
                        if (g->d_m >= 0) i += m * stride[g->d_m];
                        out[(t * g->nm + m) * np + r * g->ncols + c] = buf[i];
                    }
        free(buf);
    }
    for (size_t i = 0; i < total; i++) {
        double v = out[i];
        if (g->has_fill && (v == (float)g->fill || v == g->fill))
            out[i] = NAN;
        else if (g->scale != 1 || g->offset != 0)
            out[i] = (float)(v * g->scale + g->offset);
    }
    return POL_OK;
}

/* ---- GRIB ------------------------------------------------------------------------------------- */

typedef struct gmsg {
    long off;
    size_t len;
    double valid;
    long member;
} gmsg;

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static pol_status open_grib(pol_run *run, const char *path, const char *var, fc_gridfile *g)
{
    const char *base = pol__path_base(path);
    pol_status cst = pol__forecast_grib_check(run, path);
    if (cst) return cst;
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", base);
    g->fp = fp;
    codes_grib_multi_support_on(NULL);
    gmsg *ms = NULL;
    size_t n = 0, cap = 0, msgs = 0, npts = 0;
    char seen[512] = "", first[64] = "";
    int err = 0, several = 0;
    codes_handle *h;
    pol_status st = POL_OK;
    while (!st && (h = codes_handle_new_from_file(NULL, fp, PRODUCT_GRIB, &err)) != NULL) {
        msgs++;
        char name[64] = "";
        size_t nl = sizeof name;
        codes_get_string(h, "shortName", name, &nl);
        if (!strstr(seen, name) && strlen(seen) + strlen(name) + 3 < sizeof seen)
            snprintf(seen + strlen(seen), sizeof seen - strlen(seen), "%s%s", *seen ? ", " : "", name);
        if (!*first) snprintf(first, sizeof first, "%s", name);
        else if (strcmp(first, name) != 0) several = 1;
        const char *want = var && *var ? var : first;
        if (strcmp(name, want) != 0) {
            codes_handle_delete(h);
            continue;
        }
        long off = 0, total = 0, vd = 0, vt = 0, member = 0, ni = 0, nj = 0, np = 0;
        codes_get_long(h, "offset", &off);
        codes_get_long(h, "totalLength", &total);
        codes_get_long(h, "validityDate", &vd);
        codes_get_long(h, "validityTime", &vt);
        if (codes_get_long(h, "perturbationNumber", &member) != 0) member = 0;
        codes_get_long(h, "numberOfPoints", &np);
        if (codes_get_long(h, "Ni", &ni) != 0 || codes_get_long(h, "Nj", &nj) != 0 || ni <= 0 ||
            nj <= 0 || ni * nj != np)
            ni = np, nj = 1;
        codes_handle_delete(h);
        char iso[64];
        snprintf(iso, sizeof iso, "%04ld-%02ld-%02ldT%02ld:%02ld:00Z", vd / 10000, vd / 100 % 100,
                 vd % 100, vt / 100, vt % 100);
        int ok;
        double valid = pol__forecast_parse_time(iso, &ok);
        if (!ok) {
            st = pol__fail(run, POL_ERR_CORRUPT, "%s: message %zu has a bad validity date %ld", base,
                           msgs, vd);
            break;
        }
        if (!n) {
            npts = (size_t)np;
            g->ncols = (size_t)ni;
            g->nrows = (size_t)nj;
            snprintf(g->var, sizeof g->var, "%s", name);
        } else if ((size_t)np != npts) {
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "%s: message %zu of %s has %ld points, the first "
                           "%zu (one grid per file)", base, msgs, name, np, npts);
            break;
        }
        if (POL_GROW(ms, cap, n + 1, 64)) {
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            break;
        }
        ms[n++] = (gmsg){off, (size_t)total, valid, member};
    }
    if (!st && !msgs)
        st = pol__fail(run, POL_ERR_FORMAT, "%s: no GRIB message%s%s", base, err ? ": " : "",
                       err ? codes_get_error_message(err) : "");
    if (!st && !n)
        st = pol__fail(run, POL_ERR_NOT_FOUND, "%s holds no %s (it holds: %s)", base, var, seen);
    if (!st && (!var || !*var) && several)
        st = pol__fail(run, POL_ERR_ARG, "%s holds several variables (%s): name one with "
                       "--variable", base, seen);
    if (st) {
        free(ms);
        return st;
    }
    /* distinct valid times and members */
    double *tv = malloc(n * sizeof *tv);
    long *mv = malloc(n * sizeof *mv);
    if (!tv || !mv) {
        free(ms);
        free(tv);
        free(mv);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) tv[i] = ms[i].valid, mv[i] = ms[i].member;
    qsort(tv, n, sizeof *tv, cmp_dbl);
    qsort(mv, n, sizeof *mv, cmp_long);
    size_t nt = 0, nm = 0;
    for (size_t i = 0; i < n; i++) {
        if (!nt || tv[nt - 1] != tv[i]) tv[nt++] = tv[i];
        if (!nm || mv[nm - 1] != mv[i]) mv[nm++] = mv[i];
    }
    g->nt = nt;
    g->nm = nm;
    g->valid = tv;
    g->member = mv;
    g->off = malloc(nt * nm * sizeof *g->off);
    g->len = calloc(nt * nm, sizeof *g->len);
    if (!g->off || !g->len) {
        free(ms);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < nt * nm; i++) g->off[i] = -1;
    size_t dup = 0;
    for (size_t i = 0; i < n; i++) {
        double *t = bsearch(&ms[i].valid, tv, nt, sizeof *tv, cmp_dbl);
        long *m = bsearch(&ms[i].member, mv, nm, sizeof *mv, cmp_long);
        size_t k = (size_t)(t - tv) * nm + (size_t)(m - mv);
        dup += g->off[k] >= 0;
        g->off[k] = ms[i].off;
        g->len[k] = ms[i].len;
    }
    free(ms);
    if (dup) pol__warn(run, "%s: %zu fields repeat a (valid time, member) of %s: the last kept", base,
                       dup, g->var);
    return POL_OK;
}

/* Decodes message k into vals (n_all values, missing NaN). */
static pol_status decode_msg(pol_run *run, fc_gridfile *g, size_t k, unsigned char **msg,
                             size_t *msg_cap, double *vals)
{
    size_t n_all = g->nrows * g->ncols;
    if (g->len[k] > *msg_cap) {
        unsigned char *b = realloc(*msg, g->len[k]);
        if (!b) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        *msg = b;
        *msg_cap = g->len[k];
    }
    if (fseeko(g->fp, (off_t)g->off[k], SEEK_SET) != 0 || fread(*msg, 1, g->len[k], g->fp) != g->len[k])
        return pol__fail(run, POL_ERR_IO, "%s: cannot read a message", pol__path_base(g->path));
    codes_handle *h = codes_handle_new_from_message(NULL, *msg, g->len[k]);
    size_t got = n_all;
    double miss = 9999;
    if (!h || codes_get_double_array(h, "values", vals, &got) != 0 || got != n_all) {
        if (h) codes_handle_delete(h);
        return pol__fail(run, POL_ERR_CORRUPT, "%s: a message of %s cannot be decoded",
                         pol__path_base(g->path), g->var);
    }
    long bitmap = 0;
    codes_get_long(h, "bitmapPresent", &bitmap);
    codes_get_double(h, "missingValue", &miss);
    codes_handle_delete(h);
    g->decoded++;
    if (bitmap)
        for (size_t p = 0; p < n_all; p++)
            if (vals[p] == miss) vals[p] = NAN;
    return POL_OK;
}

/* Every message decoded once into the cache file (float, message-major; a missing message NaN). */
static pol_status fill_cache(pol_run *run, fc_gridfile *g, double *vals)
{
    size_t n_all = g->nrows * g->ncols;
    FILE *c = pol__temp_file("grib");
    if (!c) return pol__fail(run, POL_ERR_IO, "%s: cannot open a temporary file for its decoded "
                             "fields", pol__path_base(g->path));
    float *f = malloc(n_all * sizeof *f);
    unsigned char *msg = NULL;
    size_t msg_cap = 0;
    pol_status st = f ? POL_OK : pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < g->nt * g->nm && !st; k++) {
        if (g->off[k] < 0) {
            for (size_t p = 0; p < n_all; p++) f[p] = NAN;
        } else {
            st = decode_msg(run, g, k, &msg, &msg_cap, vals);
            if (st) break;
            for (size_t p = 0; p < n_all; p++) f[p] = (float)vals[p];
        }
        if (fwrite(f, sizeof *f, n_all, c) != n_all)
            st = pol__fail(run, POL_ERR_IO, "%s: cannot write its decoded fields to a temporary "
                           "file (disk full?)", pol__path_base(g->path));
        if (!st && (k & 63) == 63 && pol__cancelled(run)) st = pol__fail(run, POL_ERR_CANCELLED, "cancelled");
    }
    if (!st && fflush(c) != 0)
        st = pol__fail(run, POL_ERR_IO, "%s: cannot write its decoded fields to a temporary file",
                       pol__path_base(g->path));
    free(f);
    free(msg);
    if (st) {
        fclose(c);
        return st;
    }
    g->cache = c;
    return POL_OK;
}

static pol_status rows_grib(pol_run *run, fc_gridfile *g, size_t r0, size_t nr, float *out)
{
    size_t np = nr * g->ncols, n_all = g->nrows * g->ncols;
    pol_status st = POL_OK;
    if (nr < g->nrows && !g->cache) {
        double *vals = malloc(n_all * sizeof *vals);
        if (!vals) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
        st = fill_cache(run, g, vals);
        free(vals);
        if (st) return st;
    }
    if (g->cache) {
        int fd = fileno(g->cache);
        for (size_t k = 0; k < g->nt * g->nm; k++) {
            off_t at = (off_t)((k * n_all + r0 * g->ncols) * sizeof(float));
            size_t bytes = np * sizeof(float);
            if (pread(fd, out + k * np, bytes, at) != (ssize_t)bytes)
                return pol__fail(run, POL_ERR_IO, "%s: cannot read back its decoded fields",
                                 pol__path_base(g->path));
        }
        return POL_OK;
    }
    double *vals = malloc(n_all * sizeof *vals);
    unsigned char *msg = NULL;
    size_t msg_cap = 0;
    if (!vals) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < g->nt * g->nm && !st; k++) {
        float *o = out + k * np;
        if (g->off[k] < 0) {
            for (size_t p = 0; p < np; p++) o[p] = NAN;
            continue;
        }
        st = decode_msg(run, g, k, &msg, &msg_cap, vals);
        for (size_t p = 0; p < np && !st; p++) o[p] = (float)vals[r0 * g->ncols + p];
    }
    free(vals);
    free(msg);
    return st;
}

/* ---- either ----------------------------------------------------------------------------------- */

pol_status fc_gridfile_open(pol_run *run, const char *path, const char *var, fc_gridfile *g)
{
    memset(g, 0, sizeof *g);
    g->nc = -1;
    g->path = pol__strdup(path);
    if (!g->path) return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", pol__path_base(path));
    size_t got = fread(head, 1, sizeof head, fp);
    fclose(fp);
    g->kind = fc_grid_kind(head, got);
    pol_status st;
    if (g->kind == 1)
        st = open_grib(run, path, var, g);
    else if (g->kind == 2)
        st = open_netcdf(run, path, var, g);
    else
        st = pol__fail(run, POL_ERR_FORMAT, "%s is neither GRIB nor NetCDF", pol__path_base(path));
    uint64_t maxm = st ? 0 : pol__limit(run, "members");
    if (!st && maxm && g->nm > maxm)
        st = pol__fail(run, POL_ERR_LIMIT, "%s: %zu members is over the limit of %llu (--limit "
                       "members=N)", pol__path_base(path), g->nm, (unsigned long long)maxm);
    if (!st && g->nt * g->nm * g->nrows * g->ncols == 0)
        st = pol__fail(run, POL_ERR_EMPTY, "%s: %s has no values", pol__path_base(path), g->var);
    return st;
}

pol_status fc_gridfile_rows(pol_run *run, fc_gridfile *g, size_t r0, size_t nr, float *out)
{
    if (r0 + nr > g->nrows) return pol__fail(run, POL_ERR_INTERNAL, "rows outside the grid");
    return g->kind == 1 ? rows_grib(run, g, r0, nr, out) : rows_netcdf(run, g, r0, nr, out);
}
