/* polish — forecast: gridded ensembles (GRIB2 through ecCodes, NetCDF-CF through netcdf-c) read
 * at station locations (nearest grid point) into a station table. Message by message (GRIB) or
 * one value per (time, member) (NetCDF), so memory stays with the stations, not the grid. */
#include <ctype.h>
#include <eccodes.h>
#include <math.h>
#include <netcdf.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "forecast/forecast.h"

typedef struct entry {
    size_t st;
    double init, lead;
    long member;
    double v;
} entry;

typedef struct acc {
    entry *e;
    size_t n, cap;
} acc;

static int push(acc *a, entry e)
{
    if (POL_GROW(a->e, a->cap, a->n + 1, 1024)) return -1;
    a->e[a->n++] = e;
    return 0;
}

/* names seen, for the error naming what a file holds: "a, b, c" */
static void note_name(char *seen, size_t cap, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = seen; *p;) {
        const char *e = strstr(p, ", ");
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == len && strncmp(p, name, len) == 0) return;
        p += l;
        if (*p) p += 2;
    }
    size_t used = strlen(seen);
    if (used + len + 3 < cap) snprintf(seen + used, cap - used, "%s%s", used ? ", " : "", name);
}

/* ---- GRIB ----------------------------------------------------------------------------------- */

static pol_status read_grib(pol_run *run, const char *path, const char *var, long level,
                            const fc_stations *s, acc *out, size_t *matched)
{
    pol_status cst = pol__forecast_grib_check(run, path);
    if (cst) return cst;
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", path);
    codes_grib_multi_support_on(NULL); /* GRIB2 messages holding several fields (u and v) */
    double *olat = malloc(s->n * 5 * sizeof(double));
    int *idx = malloc(s->n * sizeof(int));
    if (!olat || !idx) {
        fclose(fp);
        free(olat);
        free(idx);
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    double *olon = olat + s->n, *val = olat + 2 * s->n, *dist = olat + 3 * s->n;
    char seen[512] = "";
    pol_status st = POL_OK;
    int err = 0;
    size_t msgs = 0;
    codes_handle *h;
    while (!st && (h = codes_handle_new_from_file(NULL, fp, PRODUCT_GRIB, &err)) != NULL) {
        msgs++;
        char name[64] = "";
        size_t len = sizeof name;
        codes_get_string(h, "shortName", name, &len);
        long lev = 0;
        codes_get_long(h, "level", &lev);
        char lab[96];
        snprintf(lab, sizeof lab, "%s", name);
        note_name(seen, sizeof seen, lab);
        if (strcmp(name, var) != 0 || (level >= 0 && lev != level)) {
            codes_handle_delete(h);
            continue;
        }
        long date = 0, time = 0, step = 0, member = 0;
        codes_get_long(h, "dataDate", &date);
        codes_get_long(h, "dataTime", &time);
        codes_set_long(h, "stepUnits", 1); /* hours */
        if (codes_get_long(h, "endStep", &step) != 0) step = 0;
        if (codes_get_long(h, "perturbationNumber", &member) != 0) member = 0;
        char iso[128];
        snprintf(iso, sizeof iso, "%04ld-%02ld-%02ldT%02ld:%02ld:00Z", date / 10000, date / 100 % 100,
                 date % 100, time / 100, time % 100);
        int ok;
        double init = pol__forecast_parse_time(iso, &ok);
        if (!ok) {
            codes_handle_delete(h);
            st = pol__fail(run, POL_ERR_CORRUPT, "%s: message %zu has a bad date %ld", path, msgs, date);
            break;
        }
        if (codes_grib_nearest_find_multiple(h, 0, s->lat, s->lon, (long)s->n, olat, olon, val, dist,
                                             idx) != 0) {
            codes_handle_delete(h);
            st = pol__fail(run, POL_ERR_UNSUPPORTED, "%s: message %zu: its grid has no nearest-point "
                           "search in ecCodes", path, msgs);
            break;
        }
        for (size_t i = 0; i < s->n && !st; i++)
            if (push(out, (entry){i, init, (double)step, member, val[i]}))
                st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        (*matched)++;
        codes_handle_delete(h);
    }
    fclose(fp);
    free(olat);
    free(idx);
    if (st) return st;
    if (err && !msgs)
        return pol__fail(run, POL_ERR_FORMAT, "%s: not GRIB (%s)", path, codes_get_error_message(err));
    if (!msgs) return pol__fail(run, POL_ERR_FORMAT, "%s: no GRIB message", path);
    if (!*matched)
        return pol__fail(run, POL_ERR_NOT_FOUND, "%s holds no %s%s (it holds: %s)", path, var,
                         level >= 0 ? " at that level" : "", seen);
    return POL_OK;
}

/* ---- NetCDF-CF ------------------------------------------------------------------------------ */

static int name_is(const char *n, const char *const *list)
{
    for (; *list; list++)
        if (strcasecmp(n, *list) == 0) return 1;
    return 0;
}

/* "hours since 2026-01-01 00:00" -> seconds per unit and the epoch in seconds */
static int cf_units(const char *u, double *per, double *epoch)
{
    char unit[32];
    const char *since = strstr(u, " since ");
    if (!since || (size_t)(since - u) >= sizeof unit) return 0;
    memcpy(unit, u, (size_t)(since - u));
    unit[since - u] = '\0';
    if (strncasecmp(unit, "hour", 4) == 0) *per = 3600;
    else if (strncasecmp(unit, "day", 3) == 0) *per = 86400;
    else if (strncasecmp(unit, "minute", 6) == 0) *per = 60;
    else if (strncasecmp(unit, "second", 6) == 0) *per = 1;
    else return 0;
    char t[64];
    snprintf(t, sizeof t, "%s", since + 7);
    char *z = t + strlen(t);
    while (z > t && (z[-1] == ' ' || z[-1] == 'Z' || z[-1] == 'z')) *--z = '\0';
    if (strlen(t) == 16 && t[10] == ' ') strcat(t, ":00"); /* "2026-01-01 00:00" */
    if (strlen(t) == 13 && t[10] == ' ') strcat(t, ":00");
    int ok;
    *epoch = pol__forecast_parse_time(t, &ok);
    return ok;
}

/* A text attribute of a NetCDF variable (malloc'ed), or NULL when absent or not text. */
char *pol__fc_nc_att_text(int nc, int v, const char *name)
{
    size_t len;
    nc_type type;
    if (nc_inq_att(nc, v, name, &type, &len) != NC_NOERR || type != NC_CHAR) return NULL;
    char *s = malloc(len + 1);
    if (!s) return NULL;
    if (nc_get_att_text(nc, v, name, s) != NC_NOERR) {
        free(s);
        return NULL;
    }
    s[len] = '\0';
    return s;
}

static pol_status read_netcdf(pol_run *run, const char *path, const char *var,
                              const fc_stations *s, acc *out, size_t *matched)
{
    pol_status cst = pol__forecast_netcdf_check(run, path);
    if (cst) return cst;
    int nc, rc = nc_open(path, NC_NOWRITE, &nc);
    if (rc != NC_NOERR) return pol__fail(run, POL_ERR_FORMAT, "%s: %s", path, nc_strerror(rc));
    pol_status st = POL_OK;
    int nvars = 0, vid = -1;
    nc_inq_nvars(nc, &nvars);
    char seen[512] = "";
    for (int v = 0; v < nvars; v++) {
        char name[NC_MAX_NAME + 1];
        int nd;
        nc_inq_varname(nc, v, name);
        nc_inq_varndims(nc, v, &nd);
        char *sn = pol__fc_nc_att_text(nc, v, "standard_name");
        if (nd >= 2) note_name(seen, sizeof seen, name);
        if (strcmp(name, var) == 0 || (sn && strcmp(sn, var) == 0)) vid = v;
        free(sn);
    }
    if (vid < 0) {
        nc_close(nc);
        return pol__fail(run, POL_ERR_NOT_FOUND, "%s holds no variable %s (it holds: %s)", path, var,
                         seen);
    }
    static const char *const lat_n[] = {"lat", "latitude", NULL}, *const lon_n[] = {"lon", "longitude", NULL};
    static const char *const mem_n[] = {"number", "member", "realization", "ensemble", "ens", NULL};
    static const char *const time_n[] = {"time", "valid_time", NULL};
    int nd, dims[NC_MAX_VAR_DIMS];
    nc_inq_varndims(nc, vid, &nd);
    nc_inq_vardimid(nc, vid, dims);
    int ilat = -1, ilon = -1, imem = -1, itime = -1;
    size_t dlen[NC_MAX_VAR_DIMS];
    for (int d = 0; d < nd; d++) {
        char dn[NC_MAX_NAME + 1];
        nc_inq_dim(nc, dims[d], dn, &dlen[d]);
        if (name_is(dn, lat_n)) ilat = d;
        else if (name_is(dn, lon_n)) ilon = d;
        else if (name_is(dn, mem_n)) imem = d;
        else if (name_is(dn, time_n)) itime = d;
        else if (dlen[d] != 1) {
            nc_close(nc);
            return pol__fail(run, POL_ERR_UNSUPPORTED, "%s: %s has a dimension '%s' this reader does not "
                             "know (it reads time, member/number/realization, lat, lon)", path, var, dn);
        }
    }
    if (ilat < 0 || ilon < 0) {
        nc_close(nc);
        return pol__fail(run, POL_ERR_UNSUPPORTED, "%s: %s has no lat/lon dimensions", path, var);
    }
    size_t nlat = dlen[ilat], nlon = dlen[ilon], nt = itime >= 0 ? dlen[itime] : 1;
    size_t nm = imem >= 0 ? dlen[imem] : 1;
    double *lat = malloc(nlat * sizeof *lat), *lon = malloc(nlon * sizeof *lon);
    double *tv = malloc(nt * sizeof *tv);
    long *mem = malloc(nm * sizeof *mem);
    size_t *pi = malloc(s->n * sizeof *pi), *pj = malloc(s->n * sizeof *pj);
    if (!lat || !lon || !tv || !mem || !pi || !pj) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    int cv;
    char dn[NC_MAX_NAME + 1];
    nc_inq_dimname(nc, dims[ilat], dn);
    if (nc_inq_varid(nc, dn, &cv) || nc_get_var_double(nc, cv, lat)) {
        st = pol__fail(run, POL_ERR_FORMAT, "%s: no %s coordinate values", path, dn);
        goto done;
    }
    nc_inq_dimname(nc, dims[ilon], dn);
    if (nc_inq_varid(nc, dn, &cv) || nc_get_var_double(nc, cv, lon)) {
        st = pol__fail(run, POL_ERR_FORMAT, "%s: no %s coordinate values", path, dn);
        goto done;
    }
    for (size_t m = 0; m < nm; m++) mem[m] = (long)m;
    if (imem >= 0) {
        nc_inq_dimname(nc, dims[imem], dn);
        if (!nc_inq_varid(nc, dn, &cv)) nc_get_var_long(nc, cv, mem);
    }
    /* valid times and the forecast reference time */
    double per = 3600, epoch = 0, ref = NAN;
    tv[0] = 0;
    if (itime >= 0) {
        nc_inq_dimname(nc, dims[itime], dn);
        char *u = NULL;
        if (nc_inq_varid(nc, dn, &cv) || nc_get_var_double(nc, cv, tv) || !(u = pol__fc_nc_att_text(nc, cv, "units")) ||
            !cf_units(u, &per, &epoch)) {
            free(u);
            st = pol__fail(run, POL_ERR_FORMAT, "%s: the time coordinate needs CF units ('hours since "
                           "2026-01-01 00:00')", path);
            goto done;
        }
        free(u);
    }
    int rv;
    if (!nc_inq_varid(nc, "forecast_reference_time", &rv) || !nc_inq_varid(nc, "reference_time", &rv)) {
        double r0;
        char *u = pol__fc_nc_att_text(nc, rv, "units");
        double p2, e2;
        if (!nc_get_var1_double(nc, rv, (size_t[]){0}, &r0) && u && cf_units(u, &p2, &e2)) ref = e2 + r0 * p2;
        free(u);
    }
    if (isnan(ref)) {
        ref = epoch + tv[0] * per;
        pol__decide(run, "%s: no forecast_reference_time: the first time is the initialisation", path);
    }
    /* nearest grid point of each station */
    for (size_t k = 0; k < s->n; k++) {
        double best = INFINITY;
        for (size_t i = 0; i < nlat; i++)
            if (fabs(lat[i] - s->lat[k]) < best) best = fabs(lat[i] - s->lat[k]), pi[k] = i;
        best = INFINITY;
        for (size_t j = 0; j < nlon; j++) {
            double dl = fmod(fabs(lon[j] - s->lon[k]), 360.0);
            if (dl > 180) dl = 360 - dl;
            if (dl < best) best = dl, pj[k] = j;
        }
    }
    double scale = 1, offset = 0, fill = NAN;
    nc_get_att_double(nc, vid, "scale_factor", &scale);
    nc_get_att_double(nc, vid, "add_offset", &offset);
    if (nc_get_att_double(nc, vid, "_FillValue", &fill) != NC_NOERR) fill = NAN;
    for (size_t t = 0; t < nt && !st; t++)
        for (size_t m = 0; m < nm && !st; m++)
            for (size_t k = 0; k < s->n && !st; k++) {
                size_t start[NC_MAX_VAR_DIMS] = {0};
                if (itime >= 0) start[itime] = t;
                if (imem >= 0) start[imem] = m;
                start[ilat] = pi[k];
                start[ilon] = pj[k];
                double raw;
                rc = nc_get_var1_double(nc, vid, start, &raw);
                if (rc != NC_NOERR) {
                    st = pol__fail(run, POL_ERR_CORRUPT, "%s: %s", path, nc_strerror(rc));
                    break;
                }
                double v = raw == fill ? NAN : raw * scale + offset;
                double valid = epoch + tv[t] * per;
                if (push(out, (entry){k, ref, (valid - ref) / 3600.0, mem[m], v}))
                    st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
            }
    *matched += nt * nm;
done:
    nc_close(nc);
    free(lat);
    free(lon);
    free(tv);
    free(mem);
    free(pi);
    free(pj);
    return st;
}

/* ---- into a station table ------------------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->st != y->st) return x->st < y->st ? -1 : 1;
    if (x->init != y->init) return x->init < y->init ? -1 : 1;
    if (x->lead != y->lead) return x->lead < y->lead ? -1 : 1;
    return (x->member > y->member) - (x->member < y->member);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int fc_grid_kind(const unsigned char *head, size_t n)
{
    if (n >= 4 && memcmp(head, "GRIB", 4) == 0) return 1;
    if (n >= 4 && (memcmp(head, "CDF\1", 4) == 0 || memcmp(head, "CDF\2", 4) == 0 ||
                   memcmp(head, "CDF\5", 4) == 0))
        return 2;
    if (n >= 8 && memcmp(head, "\211HDF\r\n\032\n", 8) == 0) return 2;
    return 0;
}

pol_status fc_grid_extract(pol_run *run, const char *const *paths, size_t n_paths, const char *var,
                           long level, const fc_stations *s, pol__table **out)
{
    *out = NULL;
    acc a = {0};
    pol_status st = POL_OK;
    size_t matched = 0;
    for (size_t i = 0; i < n_paths && !st; i++) {
        unsigned char head[8] = {0};
        FILE *fp = fopen(paths[i], "rb");
        if (!fp) {
            st = pol__fail(run, POL_ERR_IO, "cannot open %s", paths[i]);
            break;
        }
        size_t got = fread(head, 1, sizeof head, fp);
        fclose(fp);
        int kind = fc_grid_kind(head, got);
        if (kind == 1)
            st = read_grib(run, paths[i], var, level, s, &a, &matched);
        else if (kind == 2)
            st = read_netcdf(run, paths[i], var, s, &a, &matched);
        else
            st = pol__fail(run, POL_ERR_FORMAT, "%s is neither GRIB nor NetCDF", paths[i]);
    }
    if (st) {
        free(a.e);
        return st;
    }
    qsort(a.e, a.n, sizeof *a.e, cmp_entry);
    /* members: the distinct perturbation numbers */
    long *mem = malloc((a.n ? a.n : 1) * sizeof *mem);
    pol__table *t = pol__table_new(0);
    const char **cells = NULL;
    char *buf = NULL;
    size_t nm = 0;
    if (!mem || !t) {
        st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < a.n; i++) mem[i] = a.e[i].member;
    qsort(mem, a.n, sizeof *mem, cmp_long);
    for (size_t i = 0; i < a.n; i++)
        if (!nm || mem[nm - 1] != mem[i]) mem[nm++] = mem[i];
    uint64_t maxm = pol__limit(run, "members");
    if (maxm && nm > maxm) {
        st = pol__fail(run, POL_ERR_LIMIT, "%zu members is over the limit of %llu (--limit members=N)",
                       nm, (unsigned long long)maxm);
        goto done;
    }
    const char *head[] = {"station", "init_time", "lead_h", "obs", "lat", "lon"};
    for (size_t i = 0; i < 6 && !st; i++)
        if (pol__table_add_col(t, head[i]) < 0) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < nm && !st; k++) {
        char name[32];
        snprintf(name, sizeof name, "ens_%zu", k + 1);
        if (pol__table_add_col(t, name) < 0) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    }
    cells = calloc(6 + nm, sizeof *cells);
    buf = malloc((6 + nm) * 40);
    if (!cells || !buf) st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
    size_t dup = 0;
    for (size_t i = 0; i < a.n && !st;) {
        size_t j = i;
        while (j < a.n && a.e[j].st == a.e[i].st && a.e[j].init == a.e[i].init && a.e[j].lead == a.e[i].lead) j++;
        char *b = buf;
        cells[0] = s->names[a.e[i].st];
        pol__forecast_format_time(a.e[i].init, b, 40);
        cells[1] = b;
        b += 40;
        snprintf(b, 40, "%g", a.e[i].lead);
        cells[2] = b;
        b += 40;
        cells[3] = "";
        snprintf(b, 40, "%.6g", s->lat[a.e[i].st]);
        cells[4] = b;
        b += 40;
        snprintf(b, 40, "%.6g", s->lon[a.e[i].st]);
        cells[5] = b;
        b += 40;
        for (size_t k = 0; k < nm; k++) cells[6 + k] = "";
        for (size_t q = i; q < j; q++) {
            long *hit = bsearch(&a.e[q].member, mem, nm, sizeof *mem, cmp_long);
            size_t k = (size_t)(hit - mem);
            if (cells[6 + k][0]) dup++;
            char *c = buf + (6 + k) * 40;
            if (isnan(a.e[q].v)) c[0] = '\0';
            else snprintf(c, 40, "%.7g", a.e[q].v);
            cells[6 + k] = c;
        }
        if (pol__table_add_row(t, cells, 6 + nm, (uint32_t)(pol__table_rows(t) + 2)) < 0)
            st = pol__fail(run, POL_ERR_NOMEM, "out of memory");
        i = j;
    }
    if (dup) pol__warn(run, "%zu values repeat a (station, time, lead, member): the last kept", dup);
    pol__measure_int(run, "fields", (long long)matched);
    pol__measure_int(run, "members", (long long)nm);
done:
    free(a.e);
    free(mem);
    free(cells);
    free(buf);
    if (st) {
        pol__table_free(t);
        return st;
    }
    *out = t;
    return POL_OK;
}
