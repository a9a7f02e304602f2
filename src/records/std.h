/* polish — records standardisers: phones, names, emails, addresses, dates, text (pure functions).
 */
#ifndef POLISH_RECORDS_STD_H
#define POLISH_RECORDS_STD_H

#include <stddef.h>

/*
 * Every function here is pure and thread-safe: input as (pointer, length) — need not be
 * NUL-terminated — output into a caller buffer. They never allocate (except pol__text_clean on
 * non-ASCII input, which uses utf8proc internally).
 */

/* ---- text ----------------------------------------------------------------------------------- */

/* Unicode NFC; non-breaking and other Unicode spaces become ' '; zero-width characters (ZWSP,
 * BOM, word joiner, soft hyphen) and control characters are removed; trimmed; with `collapse`,
 * runs of white space (newlines too) become one space, else only runs of spaces and tabs.
 * Returns the output length (out is NUL-terminated), or (size_t)-1 when `cap` is too small
 * (cap >= 3*n+1 is always enough) or on OOM. Invalid UTF-8 bytes are kept as they are. */
size_t pol__text_clean(const char *in, size_t n, char *out, size_t cap, int collapse);

/* ---- phones --------------------------------------------------------------------------------- */

typedef enum pol__phone_status {
    POL_PHONE_EMPTY,   /* no digits at all */
    POL_PHONE_VALID,   /* a dialable number of its country */
    POL_PHONE_INVALID, /* digits, but not a valid number (length, area code, ...) */
} pol__phone_status;

typedef struct pol__phone {
    pol__phone_status status;
    int cc;         /* country calling code (1, 44, ...), 0 when unknown */
    char e164[20];  /* "+12025550143" when VALID, else "" */
    char ext[12];   /* extension digits ("123") or "" */
    char region[3]; /* "US", "CA", "GB" ... when known */
    int fictional;  /* NANP 555-0100..0199 (reserved for fiction) */
} pol__phone;

/* Parses a phone number written in any common style ("(202) 555-0143", "+44 20 7946 0958",
 * "202.555.0143 x12", "0044 ...", "1-800-FLOWERS") with `region` (ISO 3166 alpha-2, e.g. "US")
 * as the default country for national numbers. Returns out->status. */
pol__phone_status pol__phone_parse(const char *s, size_t n, const char *region, pol__phone *out);

/* Country calling code of a region ("US" -> 1, "GB" -> 44), 0 when unknown. */
int pol__phone_region_cc(const char *region);

/* ---- names ---------------------------------------------------------------------------------- */

/* Cases a personal name (or one part of it): "mcdonald" -> "McDonald", "o'brien" -> "O'Brien",
 * "JEAN-LUC VAN DER BERG" -> "Jean-Luc van der Berg", "smith jr" -> "Smith Jr.", "john iii" ->
 * "John III"; white space collapsed. Mixed-case input that already looks intentional ("DeShawn",
 * "MacKenzie") is kept. Returns the length, or (size_t)-1 when `cap` is too small (cap >= n+8). */
size_t pol__name_std(const char *in, size_t n, char *out, size_t cap);

/* ---- emails --------------------------------------------------------------------------------- */

typedef enum pol__email_status {
    POL_EMAIL_EMPTY,
    POL_EMAIL_OK,
    POL_EMAIL_INVALID, /* not addr-spec syntax (no @, bad domain, spaces ...) */
} pol__email_status;

/* Trims and lowercases (the domain always; the local part too — every major provider is
 * case-insensitive) into `out` (cap >= n+1). When the domain is a known misspelling
 * ("gmial.com"), *typo is set to the corrected domain ("gmail.com", static), else NULL. */
pol__email_status pol__email_std(const char *in, size_t n, char *out, size_t cap, const char **typo);

/* Replaces the domain of a standardised address in place (cap as above, plus the domain). */
int pol__email_fix_domain(char *email, size_t cap, const char *domain);

/* ---- addresses ------------------------------------------------------------------------------ */

/* Street line in USPS Publication 28 form, title case: "123 north main street apt. 4b" ->
 * "123 N Main St Apt 4B"; "P.O. Box 12" -> "PO Box 12". Returns the length or (size_t)-1 when
 * cap < n + 16. */
size_t pol__street_std(const char *in, size_t n, char *out, size_t cap);

/* Second address line: "apt. 4b" -> "Apt 4B", "suite 300" -> "Ste 300", "#4" -> "# 4". */
size_t pol__unit_std(const char *in, size_t n, char *out, size_t cap);

/* US state / territory / Canadian province / Australian state code of a name or code in any case
 * ("california", "Calif.", "ca", "New South Wales" with region AU) -> "CA"; NULL when unknown. */
const char *pol__state_code(const char *in, size_t n, const char *region);

/* Postcode normalised for `region`: US "2134" -> "02134" (when it came from a number), "021341234"
 * -> "02134-1234"; GB "sw1a1aa" -> "SW1A 1AA"; CA "k1a0b1" -> "K1A 0B1". Returns the length, 0
 * when it is not a valid postcode of the region (out then holds the trimmed input). */
size_t pol__postcode_std(const char *in, size_t n, const char *region, char *out, size_t cap);

/* ISO 3166 alpha-2 code of a country name or code ("United States", "USA", "U.K.", "deutschland")
 * or NULL. */
const char *pol__country_code(const char *in, size_t n);

/* City in title case ("NEW YORK" -> "New York", "st. louis" -> "St. Louis"). */
size_t pol__city_std(const char *in, size_t n, char *out, size_t cap);

/* ---- dates ---------------------------------------------------------------------------------- */

typedef enum pol__date_order {
    POL_DATE_MDY, /* US: 03/04/2020 is March 4 */
    POL_DATE_DMY, /* most of the world: 03/04/2020 is 3 April */
    POL_DATE_YMD,
} pol__date_order;

/* Default day/month order of a region ("US" -> MDY, "GB" -> DMY). */
pol__date_order pol__date_order_of(const char *region);

/* Parses a date in any common form ("2020-03-04", "3/4/2020", "04.03.2020", "March 4, 2020",
 * "4 Mar 2020", "20200304", "19081209" (FEBRL)) into "YYYY-MM-DD" (out[32]); a time of day
 * after it is kept as "THH:MM[:SS][zone]" so nothing is lost. Numeric dates whose order is
 * ambiguous use `order`; unambiguous ones (13/02/2020) are read as written. Returns 1 when it is
 * a valid date, 2 when valid but the day/month order was ambiguous, 0 otherwise. */
int pol__date_iso(const char *in, size_t n, pol__date_order order, char out[32]);

#endif
