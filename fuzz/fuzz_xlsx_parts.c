/* polish — fuzz target: the XML inside a workbook. Fuzzing whole XLSX files mostly meets broken
 * deflate streams and CRCs; here the input is the worksheet, shared strings and styles parts
 * separated by the bytes FF FE FD, zipped (stored, valid) with minizip's writer, then read by the
 * XLSX reader (expat) and inspected as `polish inspect` would. */
#include <minizip/zip.h>
#include "fuzz.h"
#include "records/io.h"

static const char sep[] = "\xff\xfe\xfd";

static int add(zipFile z, const char *name, const uint8_t *p, size_t n)
{
    zip_fileinfo zi;
    memset(&zi, 0, sizeof zi);
    if (zipOpenNewFileInZip(z, name, &zi, NULL, 0, NULL, 0, NULL, 0, 0) != ZIP_OK) return 0;
    int ok = zipWriteInFileInZip(z, p, (unsigned)n) == ZIP_OK;
    return zipCloseFileInZip(z) == ZIP_OK && ok;
}

/* The next part of data[*at..size) up to the separator (or the end). */
static const uint8_t *part(const uint8_t *data, size_t size, size_t *at, size_t *len)
{
    const uint8_t *p = data + *at;
    size_t left = size - *at, n = 0;
    while (n + 3 <= left && memcmp(p + n, sep, 3) != 0) n++;
    if (n + 3 > left) n = left;
    *len = n;
    *at += n + (n < left ? 3 : 0);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20)) return 0;
    char path[256];
    if (!fuzz_tmpfile(NULL, 0, ".xlsx", path, sizeof path)) return 0;
    zipFile z = zipOpen64(path, APPEND_STATUS_CREATE);
    if (!z) {
        unlink(path);
        return 0;
    }
    static const char ct[] = "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/"
                             "package/2006/content-types\"/>";
    static const char *const names[] = {"xl/worksheets/sheet1.xml", "xl/sharedStrings.xml",
                                        "xl/styles.xml"};
    int ok = add(z, "[Content_Types].xml", (const uint8_t *)ct, sizeof ct - 1);
    size_t at = 0;
    for (size_t i = 0; ok && i < POL_ARRAY_LEN(names) && (i == 0 || at < size); i++) {
        size_t n;
        const uint8_t *p = part(data, size, &at, &n);
        ok = add(z, names[i], p, n);
    }
    ok = zipClose(z, NULL) == ZIP_OK && ok;
    if (ok) {
        const pol__domain *d = pol__domain_find("records");
        if (!d) abort();
        fuzz_ctx c;
        fuzz_ctx_init(&c, path);
        c.opt.limits.max_rows = 5000;
        pol__records *r = NULL;
        if (pol__xlsx_load(&c.run, path, &r) == POL_OK) {
            pol_asset *a = pol__asset_new(d, r, path); /* frees r when it fails */
            if (a) d->inspect(&c.run, a);
            pol__asset_unref(a);
        }
        fuzz_ctx_free(&c);
    }
    unlink(path);
    return 0;
}
