/* polish — matching: comparison levels of two records, field by field. */
#include "records/dedupe_int.h"

/* ---- comparison ----------------------------------------------------------------------------- */

static inline int same(const char *a, size_t na, const char *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int lv_name(const char *a, size_t na, const char *b, size_t nb)
{
    if (same(a, na, b, nb)) return POL_LV_EXACT;
    double jw = pol__jaro_winkler(a, na, b, nb);
    if (jw >= 0.92) return POL_LV_CLOSE;
    if (jw >= 0.80) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

static int lv_code(const char *a, size_t na, const char *b, size_t nb, int loose)
{
    if (same(a, na, b, nb)) return POL_LV_EXACT;
    if (!loose) return pol__within_one_edit(a, na, b, nb) ? POL_LV_CLOSE : POL_LV_DIFF;
    int d = pol__edit_distance_bounded(a, na, b, nb, 2);
    if (d <= 1) return POL_LV_CLOSE;
    if (loose && d <= 2) return POL_LV_LOOSE;
    return POL_LV_DIFF;
}

/* Memo class of a field: fields that share a level function share a class. */
static int memo_class(int k)
{
    switch (k) {
    case POL_MF_FIRST:
        return 1;
    case POL_MF_LAST:
    case POL_MF_CITY:
    case POL_MF_ADDR2:
        return 2;
    case POL_MF_STREET:
    case POL_MF_COMPANY:
        return 3;
    case POL_MF_STREETNO:
    case POL_MF_POST:
        return 4;
    default:
        return 0;
    }
}

static int level(const fstore *s, const feat *x, const feat *y, int k, const char *a, size_t na,
                 const char *b, size_t nb);

void pol__mt_compare(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT])
{
    pol__mt_compare_memo(s, x, y, lv, NULL);
}

void pol__mt_compare_memo(const fstore *s, const feat *x, const feat *y, uint8_t lv[POL_MF_COUNT],
                          mt_memo *memo)
{
    for (int k = 0; k < POL_MF_COUNT; k++) {
        size_t na = x->len[k], nb = y->len[k];
        if (!na || !nb) {
            lv[k] = POL_LV_MISSING;
            continue;
        }
        if (s->interned >> k & 1) {
            /* One offset per distinct string: equal offsets are equal text, others differ. */
            uint32_t oa = x->off[k], ob = y->off[k];
            if (oa == ob) {
                lv[k] = POL_LV_EXACT;
                continue;
            }
            if (k == POL_MF_STATE) {
                lv[k] = POL_LV_DIFF;
                continue;
            }
            uint8_t cls = (uint8_t)memo_class(k);
            if (memo && cls) {
                uint64_t h = ((uint64_t)oa * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)ob + cls) * 0xC2B2AE3D27D4EB4Full;
                mt_memo_slot *m = &memo->slot[(h >> 40) & ((1u << MT_MEMO_BITS) - 1)];
                if (m->cls == cls && m->a == oa && m->b == ob) {
                    lv[k] = m->lv;
                    continue;
                }
                int l = level(s, x, y, k, s->text + oa, na, s->text + ob, nb);
                *m = (mt_memo_slot){oa, ob, cls, (uint8_t)l};
                lv[k] = (uint8_t)l;
                continue;
            }
        }
        lv[k] = (uint8_t)level(s, x, y, k, fs(s, x, k), na, fs(s, y, k), nb);
    }
}

/* The level of field k for two present values. */
static int level(const fstore *s, const feat *x, const feat *y, int k, const char *a, size_t na,
                 const char *b, size_t nb)
{
    {
        int l;
        switch (k) {
        case POL_MF_FIRST:
            if (same(a, na, b, nb))
                l = POL_LV_EXACT;
            else if (x->canon_len == y->canon_len &&
                     ((s->interned >> POL_MF_FIRST & 1)
                          ? x->canon_first == y->canon_first
                          : same(s->text + x->canon_first, x->canon_len,
                                 s->text + y->canon_first, y->canon_len)))
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
            if (same(a, na, b, nb)) {
                l = POL_LV_EXACT;
                break;
            }
            size_t la = x->email_at, lb = y->email_at; /* before the '@' */
            if (la == lb && la > 2 && !memcmp(a, b, la))
                l = POL_LV_CLOSE; /* domain typo */
            else if (pol__within_one_edit(a, na, b, nb))
                l = POL_LV_CLOSE;
            else
                l = POL_LV_DIFF;
            break;
        }
        case POL_MF_PHONE:
            if (same(a, na, b, nb))
                l = POL_LV_EXACT;
            else if (pol__within_one_edit(a, na, b, nb))
                l = POL_LV_CLOSE;
            else if (na >= 7 && nb >= 7 && !memcmp(a + na - 7, b + nb - 7, 7))
                l = POL_LV_LOOSE;
            else
                l = POL_LV_DIFF;
            break;
        case POL_MF_STREET:
        case POL_MF_COMPANY:
            if (same(a, na, b, nb))
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
            l = same(a, na, b, nb) ? POL_LV_EXACT : POL_LV_DIFF;
            break;
        case POL_MF_DOB:
            if (same(a, na, b, nb))
                l = POL_LV_EXACT;
            else if (na == 8 && nb == 8 && !memcmp(a, b, 4) && a[4] == b[6] && a[5] == b[7] &&
                     a[6] == b[4] && a[7] == b[5])
                l = POL_LV_CLOSE; /* day and month swapped */
            else if (pol__within_one_edit(a, na, b, nb))
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
        return l;
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
