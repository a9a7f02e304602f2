/* polish — personal names: case (Mc, Mac, O', particles), suffixes, white space. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "records/std.h"

/* Lower-case words between given name and surname: "Ludwig van Beethoven", "Maria de la Cruz". */
static const char *const particles[] = {
    "van", "von", "de",  "der", "den", "del", "della", "di", "da", "du", "la",  "le",  "dos",
    "das", "do",  "ten", "ter", "bin", "ibn", "al",    "el", "y",  "zu", "vom", "des", "st."};

/* Generational and professional suffixes, in their usual written form. */
static const struct {
    const char *in, *out;
} suffixes[] = {
    {"jr", "Jr."},   {"jr.", "Jr."},   {"sr", "Sr."},  {"sr.", "Sr."},   {"ii", "II"},
    {"iii", "III"},  {"iv", "IV"},     {"vi", "VI"},   {"2nd", "2nd"},   {"3rd", "3rd"},
    {"esq", "Esq."}, {"esq.", "Esq."}, {"phd", "PhD"}, {"ph.d.", "PhD"}, {"md", "MD"},
    {"m.d.", "MD"},  {"dds", "DDS"},   {"cpa", "CPA"},
};

/* Surnames where "Mac" is followed by a capital; elsewhere "Mac" is part of the word (Mack,
 * Macy, Machado, Macias). */
static const char *const mac_names[] = {
    "macdonald", "mackenzie",    "macleod",     "macgregor",   "macmillan",  "macarthur",
    "macintyre", "mackay",       "maclean",     "macneil",     "macpherson", "macdougall",
    "macaulay",  "maclachlan",   "macinnes",    "macfarlane",  "mackinnon",  "macqueen",
    "macrae",    "macalister",   "maccallum",   "maccormack",  "macdougal",  "macewan",
    "macfadyen", "macgillivray", "macintosh",   "mackintosh",  "maclaren",   "maclennan",
    "macmahon",  "macnamara",    "macnaughton", "macneill",    "macdonnell", "macaskill",
    "macbride",  "maccarthy",    "macdowell",   "maclaughlin", "macguire",   "macmanus",
};

static int in_list(const char *const *list, size_t n, const char *w, size_t len)
{
    int c0 = tolower((unsigned char)w[0]);
    for (size_t i = 0; i < n; i++)
        if (list[i][0] == c0 && strlen(list[i]) == len && strncasecmp(list[i], w, len) == 0)
            return 1;
    return 0;
}

/* Appends one code point, cased. Returns bytes written or 0 when out of room. */
static size_t put_cased(utf8proc_int32_t cp, int upper, char *out, size_t room)
{
    utf8proc_int32_t c = upper ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
    if (room < 4) return 0;
    return (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out);
}

/* Writes `w` (len bytes) with the first letter and the letters after a hyphen or an apostrophe
 * following one letter (O'Brien, D'Angelo) upper-cased, the rest lower-cased. */
static size_t case_word(const char *w, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    int start = 1;           /* next letter starts a part */
    size_t part_letters = 0; /* letters in the current part */
    while (i < len) {
        unsigned char b = (unsigned char)w[i];
        if (b < 0x80 && b != '-' && b != '\'') {
            /* ASCII: no table lookups needed. */
            if (o + 1 >= cap) return (size_t)-1;
            if (isalpha(b)) {
                out[o++] = (char)(start ? toupper(b) : tolower(b));
                start = 0;
                part_letters++;
            } else {
                out[o++] = (char)b;
            }
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            /* Invalid UTF-8: copy the byte as it is. */
            if (o + 1 >= cap) return (size_t)-1;
            out[o++] = w[i++];
            continue;
        }
        if (cp == '-' || cp == '\'' || cp == 0x2019) {
            int after_one = (cp != '-' && part_letters == 1);
            if (o + (size_t)k >= cap) return (size_t)-1;
            memcpy(out + o, w + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
            /* O'Brien, but "Dont'e" stays; hyphens always start a part. */
            start = cp == '-' || after_one;
            part_letters = 0;
            continue;
        }
        size_t n = put_cased(cp, start, out + o, cap - o - 1);
        if (!n) return (size_t)-1;
        o += n;
        i += (size_t)k;
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
            start = 0;
            part_letters++;
        }
    }
    out[o] = '\0';
    return o;
}

/* The letters of the word are one case (so its case carries no information). ASCII letters
 * decide when there are any: tools that upper-case only ASCII leave "ZOë". */
static int one_case(const char *w, size_t len)
{
    int up = 0, low = 0, aup = 0, alow = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)w[i];
        if (c < 0x80) {
            aup |= isupper(c) != 0;
            alow |= islower(c) != 0;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            i++;
            continue;
        }
        i += (size_t)k;
        if (utf8proc_isupper(cp))
            up = 1;
        else if (utf8proc_islower(cp))
            low = 1;
    }
    if (aup || alow) return !(aup && alow);
    return !(up && low);
}

size_t pol__name_std(const char *in, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0, words = 0;
    if (!cap) return (size_t)-1;
    while (i < n) {
        while (i < n && (in[i] == ' ' || in[i] == '\t' || in[i] == '\n' || in[i] == '\r')) i++;
        if (i >= n) break;
        size_t s = i;
        while (i < n && in[i] != ' ' && in[i] != '\t' && in[i] != '\n' && in[i] != '\r') i++;
        size_t len = i - s;
        const char *w = in + s;
        /* A trailing comma ("Smith, Jr.") stays after the word. */
        int comma = w[len - 1] == ',';
        if (comma) len--;
        if (words && o + 1 < cap) out[o++] = ' ';
        if (o + len + 8 >= cap) return (size_t)-1;
        words++;
        if (!len) {
            out[o++] = ',';
            continue;
        }
        int more = 0;
        for (size_t j = i; j < n && !more; j++)
            if (in[j] != ' ' && in[j] != '\t') more = 1;
        const char *suf = NULL;
        if (words > 1 && len <= 5)
            for (size_t k = 0; k < sizeof suffixes / sizeof suffixes[0]; k++)
                if (strlen(suffixes[k].in) == len && strncasecmp(suffixes[k].in, w, len) == 0)
                    suf = suffixes[k].out;
        if (suf) {
            size_t l = strlen(suf);
            memcpy(out + o, suf, l);
            o += l;
        } else if (!one_case(w, len)) {
            /* Mixed case was typed on purpose: DeShawn, McKenzie, LaToya. */
            memcpy(out + o, w, len);
            o += len;
        } else if (words > 1 && more &&
                   in_list(particles, sizeof particles / sizeof particles[0], w, len)) {
            for (size_t k = 0; k < len; k++) out[o++] = (char)tolower((unsigned char)w[k]);
        } else if (len == 1 || (len == 2 && w[1] == '.')) {
            /* An initial. */
            out[o++] = (char)toupper((unsigned char)w[0]);
            if (len == 2) out[o++] = '.';
        } else {
            size_t k = case_word(w, len, out + o, cap - o);
            if (k == (size_t)-1) return (size_t)-1;
            if (len > 3 && strncasecmp(w, "mc", 2) == 0 && isalpha((unsigned char)w[2]))
                out[o + 2] = (char)toupper((unsigned char)out[o + 2]);
            else if (len > 5 && in_list(mac_names, sizeof mac_names / sizeof mac_names[0], w, len))
                out[o + 3] = (char)toupper((unsigned char)out[o + 3]);
            o += k;
        }
        if (comma) out[o++] = ',';
    }
    /* "Smith ," or a lone trailing comma is not part of a name. */
    while (o && (out[o - 1] == ',' || out[o - 1] == ' ')) o--;
    out[o] = '\0';
    return o;
}
