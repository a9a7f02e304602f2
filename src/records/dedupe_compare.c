/* polish — matching: comparison levels of two records, field by field. */
#include "records/dedupe_int.h"

/* ---- comparison ----------------------------------------------------------------------------- */

static int lv_name(const char *a, size_t na, const char *b, size_t nb)
{
    if (na == nb && !memcmp(a, b, na)) return POL_LV_EXACT;
    double jw = pol__jaro_winkler(a, na, b, nb);
    if (jw >= 0.92) return POL_LV_CLOSE;
    if (jw >= 0.80) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

static int lv_code(const char *a, size_t na, const char *b, size_t nb, int loose)
{
    if (na == nb && !memcmp(a, b, na)) return POL_LV_EXACT;
    int d = pol__edit_distance_bounded(a, na, b, nb, 2);
    if (d <= 1) return POL_LV_CLOSE;
    if (loose && d <= 2) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

void pol__mt_compare(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT])
{
    for (int k = 0; k < POL_MF_COUNT; k++) {
        size_t na = x->len[k], nb = y->len[k];
        if (!na || !nb) {
            lv[k] = POL_LV_MISSING;
            continue;
        }
        const char *a = fs(s, x, k), *b = fs(s, y, k);
        int l;
        switch (k) {
        case POL_MF_FIRST:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (x->canon_len == y->canon_len &&
                     !memcmp(s->text + x->canon_first, s->text + y->canon_first, x->canon_len))
                l = POL_LV_CLOSE; /* nickname */
            else {
                l = lv_name(a, na, b, nb);
                if (l == POL_LV_DIFF && (na == 1 || nb == 1) && a[0] == b[0]) l = POL_LV_LOOSE;
            }
            break;
        case POL_MF_LAST:
        case POL_MF_CITY:
        case POL_MF_ADDR2:
            l = lv_name(a, na, b, nb);
            break;
        case POL_MF_EMAIL: {
            if (na == nb && !memcmp(a, b, na)) {
                l = POL_LV_EXACT;
                break;
            }
            const char *ata = memchr(a, '@', na), *atb = memchr(b, '@', nb);
            size_t la = ata ? (size_t)(ata - a) : na, lb = atb ? (size_t)(atb - b) : nb;
            if (la == lb && la > 2 && !memcmp(a, b, la))
                l = POL_LV_CLOSE; /* domain typo */
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else
                l = POL_LV_DIFF;
            break;
        }
        case POL_MF_PHONE:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else if (na >= 7 && nb >= 7 && !memcmp(a + na - 7, b + nb - 7, 7))
                l = POL_LV_LOOSE;
            else
                l = POL_LV_DIFF;
            break;
        case POL_MF_STREET:
        case POL_MF_COMPANY:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else {
                double ts = pol__token_set_sim(a, na, b, nb);
                double jw = pol__jaro_winkler(a, na, b, nb);
                l = ts >= 0.99 || jw >= 0.92  ? POL_LV_CLOSE
                    : ts >= 0.5 || jw >= 0.80 ? POL_LV_LOOSE
                                              : POL_LV_DIFF;
            }
            break;
        case POL_MF_STATE:
            l = na == nb && !memcmp(a, b, na) ? POL_LV_EXACT : POL_LV_DIFF;
            break;
        case POL_MF_DOB:
            if (na == nb && !memcmp(a, b, na))
                l = POL_LV_EXACT;
            else if (na == 8 && nb == 8 && !memcmp(a, b, 4) && a[4] == b[6] && a[5] == b[7] &&
                     a[6] == b[4] && a[7] == b[5])
                l = POL_LV_CLOSE; /* day and month swapped */
            else if (pol__edit_distance_bounded(a, na, b, nb, 1) <= 1)
                l = POL_LV_CLOSE;
            else if (na >= 4 && nb >= 4 && !memcmp(a, b, 4))
                l = POL_LV_LOOSE;
            else
                l = POL_LV_DIFF;
            break;
        case POL_MF_ID:
            l = lv_code(a, na, b, nb, 1);
            break;
        default:
            l = lv_code(a, na, b, nb, 0);
        }
        lv[k] = (uint8_t)l;
    }
}

uint64_t pol__mt_pack(const uint8_t lv[POL_MF_COUNT])
{
    uint64_t p = 0;
    for (int k = 0; k < POL_MF_COUNT; k++) p |= (uint64_t)lv[k] << (3 * k);
    return p;
}

void pol__mt_unpack(uint64_t p, uint8_t lv[POL_MF_COUNT])
{
    for (int k = 0; k < POL_MF_COUNT; k++) lv[k] = (uint8_t)((p >> (3 * k)) & 7);
}
