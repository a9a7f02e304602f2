/* polish — string comparators for record matching (see compare.h). */
#include <stdint.h>
#include <string.h>
#include "records/compare.h"

#define JW_MAX 64

double pol__jaro_winkler(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > JW_MAX) na = JW_MAX;
    if (nb > JW_MAX) nb = JW_MAX;
    if (na == 0 || nb == 0) return na == nb ? 1.0 : 0.0;
    if (na == nb && memcmp(a, b, na) == 0) return 1.0;
    size_t window = (na > nb ? na : nb) / 2;
    window = window > 0 ? window - 1 : 0;
    /* Matched characters as bits (at most 64 of each): the greedy matching of the textbook
     * definition, and the transpositions counted by walking both sets of bits in order. */
    uint64_t ma = 0, mb = 0;
    size_t matches = 0;
    for (size_t i = 0; i < na; i++) {
        size_t lo = i > window ? i - window : 0;
        size_t hi = i + window + 1 < nb ? i + window + 1 : nb;
        for (size_t j = lo; j < hi; j++) {
            if (a[i] == b[j] && !(mb >> j & 1)) {
                ma |= 1ull << i;
                mb |= 1ull << j;
                matches++;
                break;
            }
        }
    }
    if (!matches) return 0.0;
    size_t half = 0;
    while (ma) {
        if (a[__builtin_ctzll(ma)] != b[__builtin_ctzll(mb)]) half++;
        ma &= ma - 1;
        mb &= mb - 1;
    }
    double m = (double)matches;
    double jaro = (m / (double)na + m / (double)nb + (m - (double)half / 2.0) / m) / 3.0;
    size_t prefix = 0;
    while (prefix < 4 && prefix < na && prefix < nb && a[prefix] == b[prefix]) prefix++;
    return jaro + (double)prefix * 0.1 * (1.0 - jaro);
}

int pol__edit_distance_bounded(const char *a, size_t na, const char *b, size_t nb, int max)
{
    if (max < 0) return 0;
    size_t diff = na > nb ? na - nb : nb - na;
    if (diff > (size_t)max) return max + 1;
    if (na > 255 || nb > 255) return max + 1;
    /* Three rows of the optimal-string-alignment table; cells outside the band count as max+1. */
    int rows[3][257];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];
    int inf = max + 1;
    for (size_t j = 0; j <= nb; j++) prev[j] = (int)j <= max ? (int)j : inf;
    for (size_t j = 0; j <= nb; j++) pp[j] = inf;
    for (size_t i = 1; i <= na; i++) {
        size_t lo = i > (size_t)max ? i - (size_t)max : 1;
        size_t hi = i + (size_t)max < nb ? i + (size_t)max : nb;
        for (size_t j = 0; j <= nb; j++) cur[j] = inf;
        cur[0] = (int)i <= max ? (int)i : inf;
        int best = cur[0];
        for (size_t j = lo; j <= hi; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v) v = prev[j] + 1;
            if (cur[j - 1] + 1 < v) v = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
                v = pp[j - 2] + 1;
            if (v > inf) v = inf;
            cur[j] = v;
            if (v < best) best = v;
        }
        if (best > max) return inf;
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb] <= max ? prev[nb] : inf;
}

int pol__within_one_edit(const char *a, size_t na, const char *b, size_t nb)
{
    if (na > nb) {
        const char *t = a;
        a = b;
        b = t;
        size_t tn = na;
        na = nb;
        nb = tn;
    }
    if (nb - na > 1) return 0;
    size_t i = 0;
    while (i < na && a[i] == b[i]) i++;
    if (i == na) return 1; /* equal, or one more character at the end of b */
    if (na < nb) return !memcmp(a + i, b + i + 1, na - i); /* b[i] inserted */
    if (!memcmp(a + i + 1, b + i + 1, na - i - 1)) return 1; /* one substituted */
    return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           !memcmp(a + i + 2, b + i + 2, na - i - 2); /* two neighbours swapped */
}

static char soundex_digit(char c)
{
    switch (c) {
    case 'b':
    case 'f':
    case 'p':
    case 'v':
        return '1';
    case 'c':
    case 'g':
    case 'j':
    case 'k':
    case 'q':
    case 's':
    case 'x':
    case 'z':
        return '2';
    case 'd':
    case 't':
        return '3';
    case 'l':
        return '4';
    case 'm':
    case 'n':
        return '5';
    case 'r':
        return '6';
    case 'h':
    case 'w':
        return 'h'; /* transparent: does not separate equal codes */
    default:
        return '0'; /* vowels separate equal codes */
    }
}

void pol__soundex(const char *s, size_t n, char out[5])
{
    size_t i = 0;
    while (i < n && !(s[i] >= 'a' && s[i] <= 'z')) i++;
    if (i == n) {
        out[0] = '\0';
        return;
    }
    out[0] = (char)(s[i] - 'a' + 'A');
    char last = soundex_digit(s[i]);
    size_t k = 1;
    for (i++; i < n && k < 4; i++) {
        char c = s[i];
        if (!(c >= 'a' && c <= 'z')) continue;
        char d = soundex_digit(c);
        if (d == 'h') continue;
        if (d != '0' && d != last) out[k++] = d;
        last = d;
    }
    while (k < 4) out[k++] = '0';
    out[4] = '\0';
}

static int vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

void pol__nysiis(const char *in, size_t n, char out[9])
{
    char s[40];
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof s - 1; i++)
        if (in[i] >= 'a' && in[i] <= 'z') s[len++] = in[i];
    s[len] = '\0';
    out[0] = '\0';
    if (!len) return;
    /* Prefix rules */
    if (len >= 3 && !strncmp(s, "mac", 3))
        memcpy(s, "mcc", 3);
    else if (len >= 2 && !strncmp(s, "kn", 2))
        memcpy(s, "nn", 2);
    else if (s[0] == 'k')
        s[0] = 'c';
    else if (len >= 2 && (!strncmp(s, "ph", 2) || !strncmp(s, "pf", 2)))
        memcpy(s, "ff", 2);
    else if (len >= 3 && !strncmp(s, "sch", 3))
        memcpy(s, "sss", 3);
    /* Suffix rules */
    if (len >= 2) {
        char *e = s + len - 2;
        if (!strcmp(e, "ee") || !strcmp(e, "ie")) {
            e[0] = 'y';
            len--;
        } else if (!strcmp(e, "dt") || !strcmp(e, "rt") || !strcmp(e, "rd") || !strcmp(e, "nt") ||
                   !strcmp(e, "nd")) {
            e[0] = 'd';
            len--;
        }
        s[len] = '\0';
    }
    char key[40];
    size_t k = 0;
    key[k++] = s[0];
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        char rep[4] = {c, 0, 0, 0};
        if (c == 'e' && i + 1 < len && s[i + 1] == 'v') {
            rep[0] = 'a';
            rep[1] = 'f';
            i++;
        } else if (vowel(c)) {
            rep[0] = 'a';
        } else if (c == 'q') {
            rep[0] = 'g';
        } else if (c == 'z') {
            rep[0] = 's';
        } else if (c == 'm') {
            rep[0] = 'n';
        } else if (c == 'k') {
            if (i + 1 < len && s[i + 1] == 'n')
                rep[0] = 'n';
            else
                rep[0] = 'c';
        } else if (c == 's' && i + 2 < len && s[i + 1] == 'c' && s[i + 2] == 'h') {
            rep[0] = 's';
            i += 2;
        } else if (c == 'p' && i + 1 < len && s[i + 1] == 'h') {
            rep[0] = 'f';
            i++;
        } else if (c == 'h' && (!vowel(s[i - 1]) || (i + 1 < len && !vowel(s[i + 1])))) {
            rep[0] = s[i - 1];
        } else if (c == 'w' && vowel(s[i - 1])) {
            rep[0] = s[i - 1];
        }
        for (int r = 0; rep[r] && k < sizeof key - 1; r++)
            if (key[k - 1] != rep[r]) key[k++] = rep[r];
    }
    if (k > 1 && key[k - 1] == 's') k--;
    if (k > 2 && key[k - 2] == 'a' && key[k - 1] == 'y') {
        key[k - 2] = 'y';
        k--;
    }
    if (k > 1 && key[k - 1] == 'a') k--;
    if (k > 8) k = 8;
    for (size_t i = 0; i < k; i++) out[i] = (char)(key[i] >= 'a' ? key[i] - 'a' + 'A' : key[i]);
    out[k] = '\0';
}

typedef struct tok {
    const char *p;
    size_t n;
} tok;

static size_t tokens(const char *s, size_t n, tok *t, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n && k < max) {
        while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '.' || s[i] == '-')) i++;
        size_t b = i;
        while (i < n && s[i] != ' ' && s[i] != ',' && s[i] != '.' && s[i] != '-') i++;
        if (i > b) t[k++] = (tok){s + b, i - b};
    }
    return k;
}

double pol__token_set_sim(const char *a, size_t na, const char *b, size_t nb)
{
    tok ta[16], tb[16];
    size_t ka = tokens(a, na, ta, 16), kb = tokens(b, nb, tb, 16);
    if (!ka || !kb) return ka == kb ? 1.0 : 0.0;
    unsigned char used[16] = {0};
    size_t common = 0;
    for (size_t i = 0; i < ka; i++) {
        for (size_t j = 0; j < kb; j++) {
            if (used[j]) continue;
            int same = ta[i].n == tb[j].n && !memcmp(ta[i].p, tb[j].p, ta[i].n);
            if (same || (ta[i].n > 3 && tb[j].n > 3 &&
                         pol__jaro_winkler(ta[i].p, ta[i].n, tb[j].p, tb[j].n) >= 0.92)) {
                used[j] = 1;
                common++;
                break;
            }
        }
    }
    size_t small = ka < kb ? ka : kb;
    return (double)common / (double)small;
}

/* Latin-1 supplement and Latin Extended-A letters folded to ASCII, indexed by code point - 0xC0. */
static const char *const fold_c0[] = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",  /* C0 */
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss", /* D0 */
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",  /* E0 */
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",  /* F0 */
};

size_t pol__fold_ascii(const char *in, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    int space = 1; /* drop leading spaces and collapse runs */
    if (cap == 0) return 0;
    for (size_t i = 0; i < n && k + 3 < cap;) {
        unsigned char c = (unsigned char)in[i];
        const char *rep = NULL;
        char one[2] = {0, 0};
        if (c < 0x80) {
            i++;
            if (c >= 'A' && c <= 'Z') c = (unsigned char)(c - 'A' + 'a');
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                one[0] = (char)c;
                rep = one;
            } else if (c == '\'') {
                continue; /* o'brien == obrien */
            } else {
                rep = " ";
            }
        } else if ((c & 0xE0) == 0xC0 && i + 1 < n) {
            unsigned cp = ((c & 0x1Fu) << 6) | ((unsigned char)in[i + 1] & 0x3Fu);
            i += 2;
            if (cp >= 0xC0 && cp < 0x100)
                rep = fold_c0[cp - 0xC0];
            else if (cp >= 0x100 && cp < 0x180) {
                /* Latin Extended-A: pairs of capital/small letters of one base letter. */
                static const char base[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiij"
                                           "jjjkkklllllllllllnnnnnnnnnoooooooorrrrrrssssssssttt"
                                           "tttuuuuuuuuuuuuwwyyyzzzzzzs";
                size_t idx = cp - 0x100;
                one[0] = idx < sizeof base - 1 ? base[idx] : ' ';
                rep = one;
            } else {
                rep = " ";
            }
        } else {
            /* Other scripts: keep the bytes so names still compare equal to themselves. */
            size_t len = (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            if (i + len > n) len = n - i;
            if (k + len + 1 >= cap) break;
            memcpy(out + k, in + i, len);
            k += len;
            i += len;
            space = 0;
            continue;
        }
        if (!rep) continue;
        for (; *rep && k + 1 < cap; rep++) {
            if (*rep == ' ') {
                if (space) continue;
                space = 1;
            } else {
                space = 0;
            }
            out[k++] = *rep;
        }
    }
    while (k && out[k - 1] == ' ') k--;
    out[k] = '\0';
    return k;
}
