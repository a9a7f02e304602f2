/* polish — image metadata: EXIF facts, ICC facts (lcms2) and the policy applied when writing
 * (strip GPS and private EXIF, keep copyright and the profile on request). */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <lcms2_plugin.h>
#include <libexif/exif-data.h>
#include "image/image_io.h"

/* ---- a small bounds-checked reader for the facts we need at load time ---------------------- */

typedef struct tiffr {
    const unsigned char *p;
    size_t n;
    int le;
} tiffr;

static unsigned rd16(const tiffr *t, size_t at)
{
    if (at + 2 > t->n) return 0;
    const unsigned char *b = t->p + at;
    return t->le ? (unsigned)(b[0] | b[1] << 8) : (unsigned)(b[0] << 8 | b[1]);
}

static uint32_t rd32(const tiffr *t, size_t at)
{
    if (at + 4 > t->n) return 0;
    const unsigned char *b = t->p + at;
    return t->le
               ? (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24
               : (uint32_t)b[3] | (uint32_t)b[2] << 8 | (uint32_t)b[1] << 16 | (uint32_t)b[0] << 24;
}

static int tiff_open(tiffr *t, const unsigned char *p, size_t n, size_t *ifd0)
{
    if (!p || n < 8) return 0;
    t->p = p;
    t->n = n;
    if (!memcmp(p, "II*\0", 4))
        t->le = 1;
    else if (!memcmp(p, "MM\0*", 4))
        t->le = 0;
    else
        return 0;
    *ifd0 = rd32(t, 4);
    return *ifd0 >= 8 && *ifd0 < n;
}

/* Offset of the 12-byte entry `tag` in the IFD at `ifd`, or 0. */
static size_t find_tag(const tiffr *t, size_t ifd, unsigned tag)
{
    if (ifd + 2 > t->n) return 0;
    unsigned count = rd16(t, ifd);
    for (unsigned i = 0; i < count; i++) {
        size_t e = ifd + 2 + (size_t)i * 12;
        if (e + 12 > t->n) return 0;
        if (rd16(t, e) == tag) return e;
    }
    return 0;
}

int pol__exif_orientation(const unsigned char *exif, size_t len)
{
    tiffr t;
    size_t ifd;
    if (!tiff_open(&t, exif, len, &ifd)) return 1;
    size_t e = find_tag(&t, ifd, 0x0112);
    unsigned v = e ? rd16(&t, e + 8) : 1;
    return v >= 1 && v <= 8 ? (int)v : 1;
}

int pol__exif_has_gps(const unsigned char *exif, size_t len)
{
    tiffr t;
    size_t ifd;
    if (!tiff_open(&t, exif, len, &ifd)) return 0;
    size_t e = find_tag(&t, ifd, 0x8825);
    if (!e) return 0;
    size_t gps = rd32(&t, e + 8);
    /* a GPS IFD holding only the version tag carries no location */
    return gps && (find_tag(&t, gps, 0x0002) || find_tag(&t, gps, 0x0004));
}

double pol__exif_dpi(const unsigned char *exif, size_t len)
{
    tiffr t;
    size_t ifd;
    if (!tiff_open(&t, exif, len, &ifd)) return 0;
    size_t e = find_tag(&t, ifd, 0x011A);
    if (!e || rd16(&t, e + 2) != 5) return 0;
    size_t at = rd32(&t, e + 8);
    uint32_t num = rd32(&t, at), den = rd32(&t, at + 4);
    if (!den || !num) return 0;
    size_t u = find_tag(&t, ifd, 0x0128);
    unsigned unit = u ? rd16(&t, u + 8) : 2;
    double v = (double)num / den;
    if (unit == 3)
        v *= 2.54;
    else if (unit != 2)
        return 0;
    return v > 1 && v < 100000 ? v : 0;
}

int pol__xmp_has_gps(const unsigned char *xmp, size_t len)
{
    static const char key[] = "GPSLatitude";
    if (!xmp || len < sizeof key) return 0;
    for (size_t i = 0; i + sizeof key - 1 <= len; i++)
        if (xmp[i] == 'G' && !memcmp(xmp + i, key, sizeof key - 1)) return 1;
    return 0;
}

/* ---- ICC ------------------------------------------------------------------------------------ */

/* lcms2 sizes many allocations from counts inside a tag (a 420-byte profile whose description
 * claims 33 million records made it allocate and clear 400 MB on every read). Embedded profiles
 * are opened in a context whose allocator refuses any single block over this size: real profiles
 * and their transforms stay far below it (a 33^4-point CMYK table is 7 MB). */
#define ICC_MAX_ALLOC (32u << 20)

static void *icc_malloc(cmsContext id, cmsUInt32Number size)
{
    (void)id;
    return size && size <= ICC_MAX_ALLOC ? malloc(size) : NULL;
}
static void icc_free(cmsContext id, void *p)
{
    (void)id;
    free(p);
}
static void *icc_realloc(cmsContext id, void *p, cmsUInt32Number size)
{
    (void)id;
    return size && size <= ICC_MAX_ALLOC ? realloc(p, size) : NULL;
}

static cmsPluginMemHandler icc_mem = {
    {cmsPluginMagicNumber, 2000, cmsPluginMemHandlerSig, NULL}, icc_malloc, icc_free, icc_realloc,
    NULL, NULL, NULL};
static cmsContext icc_ctx;
static pthread_once_t icc_once = PTHREAD_ONCE_INIT;
static void icc_init(void)
{
    icc_ctx = cmsCreateContext(&icc_mem, NULL);
}

void *pol__icc_open(const unsigned char *icc, size_t len)
{
    if (!icc || len < 128 || len > UINT32_MAX) return NULL;
    pthread_once(&icc_once, icc_init);
    return icc_ctx ? cmsOpenProfileFromMemTHR(icc_ctx, icc, (cmsUInt32Number)len) : NULL;
}

int pol__icc_describe(const unsigned char *icc, size_t len, char *buf, size_t buflen)
{
    if (buflen) buf[0] = '\0';
    if (!icc || len < 128) return 0;
    cmsHPROFILE h = pol__icc_open(icc, len);
    if (!h) return 0;
    cmsGetProfileInfoASCII(h, cmsInfoDescription, "en", "US", buf, (cmsUInt32Number)buflen);
    cmsCloseProfile(h);
    for (char *s = buf; *s; s++)
        if ((unsigned char)*s < 0x20) *s = ' ';
    return 1;
}

static int near_xyz(const cmsCIEXYZ *a, double x, double y, double z)
{
    return a && fabs(a->X - x) < 0.003 && fabs(a->Y - y) < 0.003 && fabs(a->Z - z) < 0.003;
}

int pol__icc_is_srgb(const unsigned char *icc, size_t len)
{
    if (!icc || len < 128) return 0;
    cmsHPROFILE h = pol__icc_open(icc, len);
    if (!h) return 0;
    int srgb = 0;
    if (cmsGetColorSpace(h) == cmsSigRgbData) {
        /* matrix-shaper profile: compare the primaries (D50-adapted, as stored) and the curve */
        const cmsCIEXYZ *r = cmsReadTag(h, cmsSigRedColorantTag);
        const cmsCIEXYZ *g = cmsReadTag(h, cmsSigGreenColorantTag);
        const cmsCIEXYZ *b = cmsReadTag(h, cmsSigBlueColorantTag);
        const cmsToneCurve *trc = cmsReadTag(h, cmsSigRedTRCTag);
        if (r && g && b && trc) {
            srgb = near_xyz(r, 0.4361, 0.2225, 0.0139) && near_xyz(g, 0.3851, 0.7169, 0.0971) &&
                   near_xyz(b, 0.1431, 0.0606, 0.7141);
            for (int i = 1; srgb && i < 16; i++) {
                float v = (float)i / 16.0f;
                float want = v <= 0.04045f ? v / 12.92f : powf((v + 0.055f) / 1.055f, 2.4f);
                if (fabsf(cmsEvalToneCurveFloat(trc, v) - want) > 0.004f) srgb = 0;
            }
        } else {
            char desc[256] = "";
            cmsGetProfileInfoASCII(h, cmsInfoDescription, "en", "US", desc, sizeof desc);
            srgb = strstr(desc, "sRGB") != NULL;
        }
    }
    cmsCloseProfile(h);
    return srgb;
}

unsigned char *pol__icc_srgb(size_t *len)
{
    *len = 0;
    cmsHPROFILE h = cmsCreate_sRGBProfile();
    if (!h) return NULL;
    cmsMLU *desc = cmsMLUalloc(NULL, 1);
    if (desc) {
        cmsMLUsetASCII(desc, "en", "US", "sRGB IEC61966-2.1 (polish)");
        cmsWriteTag(h, cmsSigProfileDescriptionTag, desc);
        cmsMLUfree(desc);
    }
    cmsUInt32Number n = 0;
    unsigned char *buf = NULL;
    if (cmsSaveProfileToMem(h, NULL, &n) && n && (buf = malloc(n)) &&
        !cmsSaveProfileToMem(h, buf, &n)) {
        free(buf);
        buf = NULL;
    }
    cmsCloseProfile(h);
    if (buf) *len = n;
    return buf;
}

/* ---- the write policy ----------------------------------------------------------------------- */

/* Tags that identify a person, a device or a place; dropped by strip-private. */
static int is_private_tag(unsigned tag, int keep_copyright)
{
    switch (tag) {
    case 0x013b: /* Artist */
    case 0x8298: /* Copyright */
        return !keep_copyright;
    case 0x927c: /* MakerNote: serial numbers, owner, sometimes location */
    case 0x9286: /* UserComment */
    case 0x013c: /* HostComputer */
    case 0xa420: /* ImageUniqueID */
    case 0xa430: /* CameraOwnerName */
    case 0xa431: /* BodySerialNumber */
    case 0xa435: /* LensSerialNumber */
    case 0xa437: /* Photographer */
    case 0xa438: /* ImageEditor */
    case 0xc62f: /* CameraSerialNumber */
    case 0x9c9b:
    case 0x9c9c:
    case 0x9c9d:
    case 0x9c9e:
    case 0x9c9f: /* Windows XP* text */
        return 1;
    default:
        return 0;
    }
}

static void remove_if(ExifContent *c, int all, int keep_copyright)
{
    for (unsigned i = c->count; i-- > 0;) {
        ExifEntry *e = c->entries[i];
        if (all || is_private_tag(e->tag, keep_copyright)) exif_content_remove_entry(c, e);
    }
}

static void set_short(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
    ExifEntry *e = exif_content_get_entry(ed->ifd[ifd], tag);
    if (e && e->format == EXIF_FORMAT_SHORT && e->components == 1 && e->data)
        exif_set_short(e->data, exif_data_get_byte_order(ed), (ExifShort)v);
    else if (e && e->format == EXIF_FORMAT_LONG && e->components == 1 && e->data)
        exif_set_long(e->data, exif_data_get_byte_order(ed), v);
}

/* Sets (creating it when missing) a one-component RATIONAL tag of IFD0 or a SHORT one. */
static void put_tag(ExifData *ed, ExifTag tag, double v, int rational)
{
    ExifContent *c = ed->ifd[EXIF_IFD_0];
    ExifEntry *e = exif_content_get_entry(c, tag);
    if (!e) {
        e = exif_entry_new();
        if (!e) return;
        exif_content_add_entry(c, e);
        exif_entry_initialize(e, tag);
        exif_entry_unref(e);
    }
    ExifByteOrder o = exif_data_get_byte_order(ed);
    if (rational && e->format == EXIF_FORMAT_RATIONAL && e->components >= 1 && e->data) {
        ExifRational r = {(ExifLong)lround(v * 100), 100};
        exif_set_rational(e->data, o, r);
    } else if (!rational && e->format == EXIF_FORMAT_SHORT && e->components >= 1 && e->data) {
        exif_set_short(e->data, o, (ExifShort)v);
    }
}

/* Re-encodes the EXIF block: orientation and size made true, stale thumbnail gone, private tags
 * dropped per policy. Returns NULL when the block cannot be parsed (then it is not written). */
static unsigned char *filter_exif(const pol__image *im, size_t *out_len, int *removed_gps)
{
    *out_len = 0;
    *removed_gps = 0;
    unsigned char *in = malloc(im->exif_len + 6);
    if (!in) return NULL;
    memcpy(in, "Exif\0\0", 6);
    memcpy(in + 6, im->exif, im->exif_len);
    ExifData *ed = exif_data_new();
    if (!ed) {
        free(in);
        return NULL;
    }
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
    exif_data_set_option(ed, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE);
    exif_data_load_data(ed, in, (unsigned)(im->exif_len + 6));
    free(in);
    if (im->save.metadata == POL_META_STRIP_PRIVATE) {
        *removed_gps = ed->ifd[EXIF_IFD_GPS]->count > 0;
        remove_if(ed->ifd[EXIF_IFD_GPS], 1, 0);
        for (int i = 0; i < EXIF_IFD_COUNT; i++) remove_if(ed->ifd[i], 0, im->save.keep_copyright);
    }
    /* The embedded thumbnail shows the unedited picture: never carry it over. */
    remove_if(ed->ifd[EXIF_IFD_1], 1, 0);
    if (ed->data) {
        free(ed->data); /* exif_data_new() allocates with the default (malloc) allocator */
        ed->data = NULL;
        ed->size = 0;
    }
    set_short(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, (unsigned)im->orientation);
    set_short(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION, (unsigned)im->width);
    set_short(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION, (unsigned)im->height);
    if (im->save.dpi > 0) {
        /* a resolution asked for (print presets, --dpi) is written where viewers read it too */
        put_tag(ed, EXIF_TAG_X_RESOLUTION, im->save.dpi, 1);
        put_tag(ed, EXIF_TAG_Y_RESOLUTION, im->save.dpi, 1);
        put_tag(ed, EXIF_TAG_RESOLUTION_UNIT, 2, 0); /* inches */
    }
    unsigned char *buf = NULL;
    unsigned int len = 0;
    exif_data_save_data(ed, &buf, &len);
    exif_data_unref(ed);
    if (!buf || len <= 6) {
        free(buf);
        return NULL;
    }
    memmove(buf, buf + 6, len - 6);
    *out_len = len - 6;
    return buf;
}

pol_status pol__image_meta_prepare(pol_run *run, const pol__image *im, pol__meta_out *m)
{
    memset(m, 0, sizeof *m);
    const pol__image_save *s = &im->save;
    if (s->keep_icc && im->icc) {
        m->icc = im->icc;
        m->icc_len = im->icc_len;
    }
    m->dpi = s->dpi > 0 ? s->dpi : im->dpi;
    if (s->metadata == POL_META_STRIP_ALL) return POL_OK;
    if (im->exif) {
        int removed_gps = 0;
        m->exif = filter_exif(im, &m->exif_len, &removed_gps);
        if (!m->exif)
            pol__warn(run, "EXIF could not be parsed; not written");
        else if (removed_gps)
            pol__decide(run, "GPS location removed from EXIF");
    }
    if (im->xmp && s->metadata == POL_META_KEEP) {
        m->xmp = im->xmp;
        m->xmp_len = im->xmp_len;
    } else if (im->xmp) {
        /* XMP may repeat the location, names and edit history in free-form RDF */
        pol__decide(run, "XMP metadata removed (private by default; --metadata keep keeps it)");
    }
    return POL_OK;
}

void pol__image_meta_release(pol__meta_out *m)
{
    free(m->exif);
    memset(m, 0, sizeof *m);
}
