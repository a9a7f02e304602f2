/* polish — a structural check of every GRIB message in a file before ecCodes reads it. ecCodes
 * trusts the lengths a message declares and, given a damaged one, can read past its own buffers
 * (seen while fuzzing Debian 12's 2.28: a heap overflow in grib_new_from_file). So the framing is
 * walked here first, with reads of a few bytes and seeks only:
 *   - each message is "GRIB", its total length (edition 1: 3 bytes at 4; edition 2: 8 bytes at 8)
 *     within the file, and "7777" as its last four bytes;
 *   - edition 2: sections 1..7 follow the 16-byte indicator, each with a length of at least 5 and a
 *     number that does not go back (except 2..7 repeating, as multi-field messages do), ending
 *     exactly at the "7777";
 *   - edition 1: the section 1 length fits in the message.
 * Bytes between messages are skipped as ecCodes does (it searches for the next "GRIB"). */
#include <eccodes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "forecast/forecast.h"

/* ecCodes prints its errors on stderr by default; the library never prints (polish reports the
 * failure through its own status and message), so its logging goes nowhere. */
static void quiet(const codes_context *c, int level, const char *msg)
{
    (void)c, (void)level, (void)msg;
}

static void quiet_once(void) { codes_context_set_logging_proc(codes_context_get_default(), quiet); }

static int read_at(FILE *fp, long long off, unsigned char *b, size_t n)
{
    return fseeko(fp, (off_t)off, SEEK_SET) == 0 && fread(b, 1, n, fp) == n;
}

static unsigned long long be(const unsigned char *b, int n)
{
    unsigned long long v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | b[i];
    return v;
}

/* The offset of the next "GRIB" at or after `from`, or -1. */
static long long next_grib(FILE *fp, long long from, long long size)
{
    unsigned char buf[4096];
    while (from + 4 <= size) {
        size_t want = (size_t)(size - from < (long long)sizeof buf ? size - from : (long long)sizeof buf);
        if (!read_at(fp, from, buf, want)) return -1;
        for (size_t i = 0; i + 4 <= want; i++)
            if (!memcmp(buf + i, "GRIB", 4)) return from + (long long)i;
        from += (long long)want - 3;
    }
    return -1;
}

static const char *check_msg(FILE *fp, long long at, long long size, long long *total)
{
    unsigned char h[16];
    if (at + 16 > size || !read_at(fp, at, h, 16)) return "the file ends inside its header";
    int ed = h[7];
    if (ed == 2) {
        *total = (long long)be(h + 8, 8);
        if (*total < 16 + 4 || *total > size - at) return "its length runs past the end of the file";
        unsigned char end[4];
        if (!read_at(fp, at + *total - 4, end, 4) || memcmp(end, "7777", 4))
            return "it does not end with 7777";
        long long p = at + 16, stop = at + *total - 4;
        int last = 0;
        while (p < stop) {
            unsigned char s[5];
            if (p + 5 > stop || !read_at(fp, p, s, 5)) return "a section header runs into its end";
            unsigned long long len = be(s, 4);
            int num = s[4];
            if (len < 5 || (long long)len > stop - p) return "a section's length runs past its end";
            if (num < 1 || num > 7 || (num < last && !(num >= 2 && last >= 3)))
                return "its sections are out of order";
            last = num;
            p += (long long)len;
        }
        if (last != 7) return "it has no data section";
        return NULL;
    }
    if (ed == 1) {
        *total = (long long)be(h + 4, 3);
        if (*total & 0x800000) { /* ECMWF's encoding of messages over 8 MB: left to ecCodes */
            *total = size - at;
            return NULL;
        }
        if (*total < 8 + 28 + 4 || *total > size - at) return "its length runs past the end of the file";
        unsigned char end[4];
        if (!read_at(fp, at + *total - 4, end, 4) || memcmp(end, "7777", 4))
            return "it does not end with 7777";
        long long s1 = (long long)be(h + 8, 3);
        if (s1 < 28 || 8 + s1 > *total - 4) return "its product section runs past its end";
        return NULL;
    }
    return "its edition is neither 1 nor 2";
}

pol_status pol__forecast_grib_check(pol_run *run, const char *path)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_once);
    const char *base = pol__path_base(path);
    FILE *fp = fopen(path, "rb");
    if (!fp) return pol__fail(run, POL_ERR_IO, "cannot open %s", base);
    pol_status st = POL_OK;
    long long size = -1;
    if (fseeko(fp, 0, SEEK_END) == 0) size = (long long)ftello(fp);
    if (size < 0) st = pol__fail(run, POL_ERR_IO, "cannot read %s", base);
    long long at = 0;
    size_t n = 0;
    while (!st && (at = next_grib(fp, at, size)) >= 0) {
        long long total = 0;
        const char *why = check_msg(fp, at, size, &total);
        if (why)
            st = pol__fail(run, POL_ERR_CORRUPT, "%s: GRIB message %zu (at byte %lld) is damaged: %s",
                           base, n + 1, at, why);
        n++;
        at += total;
    }
    if (!st && n == 0) st = pol__fail(run, POL_ERR_FORMAT, "%s holds no GRIB message", base);
    fclose(fp);
    return st;
}
