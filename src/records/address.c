/* polish — addresses: USPS Publication 28 streets, states, postcodes, countries, cities. */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "records/std.h"

/*
 * Output convention: the USPS standard abbreviations (Publication 28, appendix C) written in title
 * case, without periods: "123 N Main St Apt 4B". Title case reads better in CRMs and mail merges
 * than the all-capitals form USPS prints, and it converts back to it losslessly.
 */

/* ---- words ---------------------------------------------------------------------------------- */

typedef struct word {
    const char *s;
    size_t n;
} word;

static int word_is(word w, const char *s)
{
    return strlen(s) == w.n && strncasecmp(w.s, s, w.n) == 0;
}

/* Matches `w` (periods ignored: "St." "N.E.") against a space-separated list of spellings. */
static int in_spellings(word w, const char *list)
{
    char buf[32];
    size_t k = 0;
    for (size_t i = 0; i < w.n && k + 1 < sizeof buf; i++)
        if (w.s[i] != '.') buf[k++] = (char)tolower((unsigned char)w.s[i]);
    buf[k] = '\0';
    if (!k) return 0;
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == k && memcmp(p, buf, k) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* Street suffixes: the standard abbreviation, then the spellings that mean it (lower case). */
static const struct {
    const char *abbr, *spellings;
} suffixes[] = {
    {"Aly", "alley allee ally aly"},
    {"Anx", "annex anex annx anx"},
    {"Arc", "arcade arc"},
    {"Ave", "avenue av ave aven avenu avn avnue avenues"},
    {"Byu", "bayou bayoo byu"},
    {"Bch", "beach bch"},
    {"Bnd", "bend bnd"},
    {"Blf", "bluff bluf blf"},
    {"Btm", "bottom bot btm bottm"},
    {"Blvd", "boulevard boul boulv blvd bvd"},
    {"Br", "branch brnch br"},
    {"Brg", "bridge brdge brg"},
    {"Brk", "brook brk"},
    {"Byp", "bypass bypa bypas byps byp"},
    {"Cp", "camp cmp cp"},
    {"Cyn", "canyon canyn cnyn cyn"},
    {"Cpe", "cape cpe"},
    {"Cswy", "causeway causwa cswy"},
    {"Ctr", "center cen cent centr centre cnter cntr ctr"},
    {"Cir", "circle circ circl crcl crcle cir"},
    {"Clf", "cliff clf"},
    {"Clb", "club clb"},
    {"Cmn", "common cmn"},
    {"Cor", "corner cor"},
    {"Crse", "course crse"},
    {"Ct", "court ct crt"},
    {"Cts", "courts cts"},
    {"Cv", "cove cv"},
    {"Crk", "creek crk"},
    {"Cres", "crescent crsent crsnt cres"},
    {"Xing", "crossing crssng xing"},
    {"Dl", "dale dl"},
    {"Dm", "dam dm"},
    {"Dv", "divide div dvd dv"},
    {"Dr", "drive driv drv dr"},
    {"Est", "estate est"},
    {"Ests", "estates ests"},
    {"Expy", "expressway exp expr express expw expy"},
    {"Ext", "extension extn extnsn ext"},
    {"Fls", "falls fls"},
    {"Fry", "ferry frry fry"},
    {"Fld", "field fld"},
    {"Flds", "fields flds"},
    {"Flt", "flat flt"},
    {"Frd", "ford frd"},
    {"Frst", "forest forests frst"},
    {"Frg", "forge forg frg"},
    {"Frk", "fork frk"},
    {"Ft", "fort frt ft"},
    {"Fwy", "freeway freewy frway frwy fwy"},
    {"Gdn", "garden gardn grden grdn gdn"},
    {"Gdns", "gardens gdns grdns"},
    {"Gtwy", "gateway gatewy gatway gtway gtwy"},
    {"Gln", "glen gln"},
    {"Grn", "green grn"},
    {"Grv", "grove grov grv"},
    {"Hbr", "harbor harb harbr hrbor hbr"},
    {"Hvn", "haven hvn"},
    {"Hts", "heights ht hts"},
    {"Hwy", "highway highwy hiway hiwy hway hwy"},
    {"Hl", "hill hl"},
    {"Hls", "hills hls"},
    {"Holw", "hollow hllw hollows holws holw"},
    {"Inlt", "inlet inlt"},
    {"Is", "island islnd is"},
    {"Jct", "junction jction jctn junctn juncton jct"},
    {"Ky", "key ky"},
    {"Knl", "knoll knol knl"},
    {"Lk", "lake lk"},
    {"Lks", "lakes lks"},
    {"Lndg", "landing lndng lndg"},
    {"Ln", "lane ln"},
    {"Lgt", "light lgt"},
    {"Loop", "loop loops"},
    {"Mall", "mall"},
    {"Mnr", "manor mnr"},
    {"Mdw", "meadow mdw"},
    {"Mdws", "meadows medows mdws"},
    {"Ml", "mill ml"},
    {"Mls", "mills mls"},
    {"Msn", "mission missn mssn msn"},
    {"Mtwy", "motorway mtwy"},
    {"Mt", "mount mnt mt"},
    {"Mtn", "mountain mntain mntn mountin mtin mtn"},
    {"Nck", "neck nck"},
    {"Orch", "orchard orchrd orch"},
    {"Oval", "oval ovl"},
    {"Park", "park prk parks"},
    {"Pkwy", "parkway parkwy pkway pkwy pky parkways pkwys"},
    {"Pass", "pass"},
    {"Path", "path paths"},
    {"Pike", "pike pikes"},
    {"Pne", "pine pne"},
    {"Pnes", "pines pnes"},
    {"Pl", "place pl"},
    {"Pln", "plain pln"},
    {"Plns", "plains plns"},
    {"Plz", "plaza plza plz"},
    {"Pt", "point pt"},
    {"Pts", "points pts"},
    {"Prt", "port prt"},
    {"Pr", "prairie prr pr"},
    {"Radl", "radial rad radiel radl"},
    {"Rnch", "ranch ranches rnchs rnch"},
    {"Rpd", "rapid rpd"},
    {"Rpds", "rapids rpds"},
    {"Rst", "rest rst"},
    {"Rdg", "ridge rdge rdg"},
    {"Riv", "river rvr rivr riv"},
    {"Rd", "road rd"},
    {"Rds", "roads rds"},
    {"Rte", "route rte"},
    {"Row", "row"},
    {"Run", "run"},
    {"Shl", "shoal shl"},
    {"Shr", "shore shoar shr"},
    {"Skwy", "skyway skwy"},
    {"Spg", "spring spng sprng spg"},
    {"Spgs", "springs spngs sprngs spgs"},
    {"Spur", "spur spurs"},
    {"Sq", "square sqr sqre squ sq"},
    {"Sta", "station statn stn sta"},
    {"Strm", "stream streme strm"},
    {"St", "street strt str st"},
    {"Sts", "streets sts"},
    {"Smt", "summit sumit sumitt smt"},
    {"Ter", "terrace terr ter"},
    {"Trce", "trace traces trce"},
    {"Trak", "track tracks trk trks trak"},
    {"Trfy", "trafficway trfy"},
    {"Trl", "trail trails trls trl"},
    {"Tunl", "tunnel tunel tunls tunnels tunnl tunl"},
    {"Tpke", "turnpike trnpk turnpk tpke"},
    {"Un", "union un"},
    {"Vly", "valley vally vlly vly"},
    {"Via", "viaduct vdct viadct via"},
    {"Vw", "view vw"},
    {"Vlg", "village vill villag villg villiage vlg"},
    {"Vl", "ville vl"},
    {"Vis", "vista vist vst vsta vis"},
    {"Walk", "walk walks"},
    {"Way", "way wy"},
    {"Wls", "wells wls"},
};

static const struct {
    const char *abbr, *spellings;
} directions[] = {
    {"N", "north n"},
    {"S", "south s"},
    {"E", "east e"},
    {"W", "west w"},
    {"NE", "northeast ne north-east"},
    {"NW", "northwest nw north-west"},
    {"SE", "southeast se south-east"},
    {"SW", "southwest sw south-west"},
};

/* Secondary unit designators (Pub. 28 appendix C2). */
static const struct {
    const char *abbr, *spellings;
} units[] = {
    {"Apt", "apartment apt apt# appt aptmt"},
    {"Bldg", "building bldg bld"},
    {"Bsmt", "basement bsmt"},
    {"Dept", "department dept"},
    {"Fl", "floor fl flr"},
    {"Frnt", "front frnt"},
    {"Hngr", "hangar hngr"},
    {"Lbby", "lobby lbby"},
    {"Lot", "lot"},
    {"Lowr", "lower lowr"},
    {"Ofc", "office ofc"},
    {"Ph", "penthouse ph"},
    {"Pier", "pier"},
    {"Rear", "rear"},
    {"Rm", "room rm"},
    {"Side", "side"},
    {"Slip", "slip"},
    {"Spc", "space spc"},
    {"Stop", "stop"},
    {"Ste", "suite ste ste# suit"},
    {"Trlr", "trailer trlr"},
    {"Unit", "unit"},
    {"Uppr", "upper uppr"},
};

/* Every spelling of the tables above in a hash index, built once: standardising a million
 * streets looks up several words each. */
typedef struct spelling {
    char key[24]; /* folded: lower case, no periods */
    const char *abbr;
} spelling;

enum { IDX_SIZE = 1024 };
typedef struct spell_index {
    spelling slot[IDX_SIZE];
} spell_index;

static spell_index idx_suffixes, idx_directions, idx_units;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static uint32_t hash_key(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void index_add(spell_index *ix, const char *key, size_t n, const char *abbr)
{
    if (n == 0 || n >= sizeof ix->slot[0].key) return;
    uint32_t j = hash_key(key, n) & (IDX_SIZE - 1);
    while (ix->slot[j].abbr) {
        if (strlen(ix->slot[j].key) == n && memcmp(ix->slot[j].key, key, n) == 0) return;
        j = (j + 1) & (IDX_SIZE - 1);
    }
    memcpy(ix->slot[j].key, key, n);
    ix->slot[j].key[n] = '\0';
    ix->slot[j].abbr = abbr;
}

static void index_build(spell_index *ix, const void *table, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        const char *const *e = (const char *const *)((const char *)table + i * stride);
        for (const char *p = e[1]; *p;) {
            const char *sp = strchr(p, ' ');
            size_t len = sp ? (size_t)(sp - p) : strlen(p);
            index_add(ix, p, len, e[0]);
            if (!sp) break;
            p = sp + 1;
        }
    }
}

static void build_indexes(void)
{
    index_build(&idx_suffixes, suffixes, sizeof suffixes / sizeof suffixes[0], sizeof suffixes[0]);
    index_build(&idx_directions, directions, sizeof directions / sizeof directions[0],
                sizeof directions[0]);
    index_build(&idx_units, units, sizeof units / sizeof units[0], sizeof units[0]);
}

static const char *lookup_idx(word w, spell_index *ix)
{
    char buf[24];
    size_t k = 0;
    for (size_t i = 0; i < w.n; i++) {
        if (w.s[i] == '.') continue;
        if (k + 1 >= sizeof buf) return NULL;
        buf[k++] = (char)tolower((unsigned char)w.s[i]);
    }
    if (!k) return NULL;
    pthread_once(&idx_once, build_indexes);
    uint32_t j = hash_key(buf, k) & (IDX_SIZE - 1);
    while (ix->slot[j].abbr) {
        if (memcmp(ix->slot[j].key, buf, k) == 0 && ix->slot[j].key[k] == '\0')
            return ix->slot[j].abbr;
        j = (j + 1) & (IDX_SIZE - 1);
    }
    return NULL;
}

#define LOOKUP(w, t) lookup_idx((w), &idx_##t)

/* ---- streets -------------------------------------------------------------------------------- */

static int all_one_case(const char *s, size_t n)
{
    int up = 0, low = 0;
    for (size_t i = 0; i < n; i++) {
        if (isupper((unsigned char)s[i])) up = 1;
        if (islower((unsigned char)s[i])) low = 1;
    }
    return !(up && low);
}

/* Appends `w` in title case ("MAIN" -> "Main", "4b" -> "4B", "1ST" -> "1st", "o'neil" ->
 * "O'Neil"). */
static size_t put_title(char *out, word w)
{
    size_t o = 0;
    int digit_seen = 0, start = 1;
    /* Ordinals ("1ST", "22nd") keep a lower-case ending. */
    size_t lead = 0;
    while (lead < w.n && isdigit((unsigned char)w.s[lead])) lead++;
    int ordinal = lead && w.n - lead == 2 &&
                  (word_is((word){w.s + lead, 2}, "st") || word_is((word){w.s + lead, 2}, "nd") ||
                   word_is((word){w.s + lead, 2}, "rd") || word_is((word){w.s + lead, 2}, "th"));
    for (size_t i = 0; i < w.n; i++) {
        unsigned char c = (unsigned char)w.s[i];
        if (isdigit(c)) {
            digit_seen = 1;
            out[o++] = (char)c;
            start = 0;
            continue;
        }
        if (isalpha(c)) {
            /* Unit letters after digits ("4B") go upper. */
            if (ordinal)
                out[o++] = (char)tolower(c);
            else if (digit_seen || start)
                out[o++] = (char)toupper(c);
            else
                out[o++] = (char)tolower(c);
            start = 0;
            continue;
        }
        out[o++] = (char)c;
        start = c == '-' || c == '\'' || c == '/';
    }
    return o;
}

static size_t put_str(char *out, const char *s)
{
    size_t n = strlen(s);
    memcpy(out, s, n);
    return n;
}

size_t pol__street_std(const char *in, size_t n, char *out, size_t cap)
{
    enum { MAXW = 48 };
    word w[MAXW];
    size_t nw = 0;
    if (cap < n + 16) return (size_t)-1;
    int recase = all_one_case(in, n);
    /* Split on spaces and commas; "#4" becomes "#", "4"; a period ends a word. */
    for (size_t i = 0; i < n && nw < MAXW;) {
        while (i < n && (in[i] == ' ' || in[i] == ',' || in[i] == '\t')) i++;
        if (i >= n) break;
        size_t s = i;
        if (in[i] == '#') {
            w[nw++] = (word){in + i, 1};
            i++;
            continue;
        }
        while (i < n && in[i] != ' ' && in[i] != ',' && in[i] != '\t' && in[i] != '#') i++;
        size_t e = i;
        /* Trailing periods go ("St." "Apt."); inner ones stay ("N.E." is matched anyway). */
        while (e > s + 1 && in[e - 1] == '.') e--;
        if (e == s + 1 && in[s] == '.') continue;
        w[nw++] = (word){in + s, e - s};
    }
    if (nw == MAXW) {
        /* Too many words to be an address line: leave it as it is. */
        memcpy(out, in, n);
        out[n] = '\0';
        return n;
    }
    /* "P.O. Box", "PO Box", "P O Box", "Post Office Box" -> "PO Box". */
    size_t o = 0, i = 0;
    if (nw >= 2 && in_spellings(w[0], "po pob") && word_is(w[1], "box")) {
        o += put_str(out + o, "PO Box");
        i = 2;
    } else if (nw >= 3 && word_is(w[0], "p") && word_is(w[1], "o") && word_is(w[2], "box")) {
        o += put_str(out + o, "PO Box");
        i = 3;
    } else if (nw >= 3 && word_is(w[0], "post") && word_is(w[1], "office") &&
               word_is(w[2], "box")) {
        o += put_str(out + o, "PO Box");
        i = 3;
    }
    /* Where the street part ends: at the first unit designator (or '#') after a word or two. */
    size_t unit_at = nw;
    for (size_t k = i + 2; k < nw; k++) {
        if ((w[k].n == 1 && w[k].s[0] == '#') || LOOKUP(w[k], units)) {
            /* "Apt" needs something after it, except the stand-alone ones ("Rear", "Frnt"). */
            unit_at = k;
            break;
        }
    }
    /* The suffix: the last suffix word of the street part (before a post-directional), not the
     * first word after the number ("123 Park Ave": "Park" is the name). */
    /* Skip the house number ("12", "12B", "12-14") and a fraction ("1/2"), not "5th". */
    size_t first_name = i;
    if (first_name < unit_at && isdigit((unsigned char)w[first_name].s[0])) {
        word h = w[first_name];
        int ordinal = h.n > 2 && (in_spellings((word){h.s + h.n - 2, 2}, "st nd rd th"));
        if (!ordinal) first_name++;
        if (first_name < unit_at && memchr(w[first_name].s, '/', w[first_name].n) &&
            isdigit((unsigned char)w[first_name].s[0]))
            first_name++;
    }
    size_t end = unit_at;
    int post_dir = 0;
    if (end > first_name + 2 && LOOKUP(w[end - 1], directions) && LOOKUP(w[end - 2], suffixes)) {
        post_dir = 1;
        end--;
    }
    size_t suffix_at = nw;
    if (end > first_name + 1 && LOOKUP(w[end - 1], suffixes)) suffix_at = end - 1;
    /* A pre-directional is followed by a name and more ("N Main St"); "North St" is a name. */
    size_t pre_dir = nw;
    if (first_name + 1 < end && LOOKUP(w[first_name], directions) &&
        (suffix_at == nw ? end - first_name >= 2 : suffix_at - first_name >= 2))
        pre_dir = first_name;

    for (size_t k = i; k < nw; k++) {
        if (o) out[o++] = ' ';
        const char *std = NULL;
        if (k == suffix_at)
            std = LOOKUP(w[k], suffixes);
        else if (k == pre_dir || (post_dir && k == end))
            std = LOOKUP(w[k], directions);
        else if (k == unit_at && !(w[k].n == 1 && w[k].s[0] == '#'))
            std = LOOKUP(w[k], units);
        if (std) {
            o += put_str(out + o, std);
            /* "Apt4" was split as one word: keep what followed the designator. */
            continue;
        }
        if (k > unit_at && w[k].s[0] == '#' && w[k].n == 1 && k == unit_at + 1) {
            o--; /* "Apt # 4" -> "Apt 4" */
            continue;
        }
        if (recase || k > unit_at)
            o += put_title(out + o, w[k]);
        else {
            memcpy(out + o, w[k].s, w[k].n);
            o += w[k].n;
        }
        if (o + 16 > cap) return (size_t)-1;
    }
    out[o] = '\0';
    return o;
}

size_t pol__unit_std(const char *in, size_t n, char *out, size_t cap)
{
    /* The street rules find a designator after the street; here it comes first. */
    if (cap < n + 24) return (size_t)-1;
    char tmp[64];
    if (n + 8 > sizeof tmp) {
        memcpy(out, in, n);
        out[n] = '\0';
        return n;
    }
    /* The prefix takes the input's case, so an all-lower or all-upper line is still recased. */
    int has_upper = 0;
    for (size_t i = 0; i < n; i++) has_upper |= isupper((unsigned char)in[i]) != 0;
    memcpy(tmp, has_upper ? "1 X " : "1 x ", 4);
    memcpy(tmp + 4, in, n);
    size_t k = pol__street_std(tmp, n + 4, out, cap);
    if (k == (size_t)-1 || k < 4 || strncasecmp(out, "1 X ", 4) != 0) {
        memcpy(out, in, n);
        out[n] = '\0';
        return n;
    }
    memmove(out, out + 4, k - 3);
    return k - 4;
}

/* ---- states --------------------------------------------------------------------------------- */

static const struct {
    const char *code, *names;
    char region[3];
} states[] = {
    {"AL", "alabama|ala", "US"},
    {"AK", "alaska|alas", "US"},
    {"AZ", "arizona|ariz", "US"},
    {"AR", "arkansas|ark", "US"},
    {"CA", "california|calif|cal", "US"},
    {"CO", "colorado|colo|col", "US"},
    {"CT", "connecticut|conn", "US"},
    {"DE", "delaware|del", "US"},
    {"DC", "district of columbia|washington dc|d c", "US"},
    {"FL", "florida|fla", "US"},
    {"GA", "georgia", "US"},
    {"HI", "hawaii", "US"},
    {"ID", "idaho|ida", "US"},
    {"IL", "illinois|ill|ills", "US"},
    {"IN", "indiana|ind", "US"},
    {"IA", "iowa", "US"},
    {"KS", "kansas|kans|kan", "US"},
    {"KY", "kentucky|ken|kent", "US"},
    {"LA", "louisiana", "US"},
    {"ME", "maine", "US"},
    {"MD", "maryland", "US"},
    {"MA", "massachusetts|mass", "US"},
    {"MI", "michigan|mich", "US"},
    {"MN", "minnesota|minn", "US"},
    {"MS", "mississippi|miss", "US"},
    {"MO", "missouri", "US"},
    {"MT", "montana|mont", "US"},
    {"NE", "nebraska|nebr|neb", "US"},
    {"NV", "nevada|nev", "US"},
    {"NH", "new hampshire", "US"},
    {"NJ", "new jersey", "US"},
    {"NM", "new mexico|n mex", "US"},
    {"NY", "new york", "US"},
    {"NC", "north carolina|n carolina", "US"},
    {"ND", "north dakota|n dak|n dakota", "US"},
    {"OH", "ohio", "US"},
    {"OK", "oklahoma|okla", "US"},
    {"OR", "oregon|ore|oreg", "US"},
    {"PA", "pennsylvania|penn|penna", "US"},
    {"RI", "rhode island", "US"},
    {"SC", "south carolina|s carolina", "US"},
    {"SD", "south dakota|s dak|s dakota", "US"},
    {"TN", "tennessee|tenn", "US"},
    {"TX", "texas|tex", "US"},
    {"UT", "utah", "US"},
    {"VT", "vermont", "US"},
    {"VA", "virginia|virg", "US"},
    {"WA", "washington|wash", "US"},
    {"WV", "west virginia|w va|w virginia", "US"},
    {"WI", "wisconsin|wis|wisc", "US"},
    {"WY", "wyoming|wyo", "US"},
    {"PR", "puerto rico", "US"},
    {"GU", "guam", "US"},
    {"VI", "virgin islands|us virgin islands", "US"},
    {"AS", "american samoa", "US"},
    {"MP", "northern mariana islands", "US"},
    {"AA", "armed forces americas", "US"},
    {"AE", "armed forces europe", "US"},
    {"AP", "armed forces pacific", "US"},
    {"AB", "alberta|alta", "CA"},
    {"BC", "british columbia", "CA"},
    {"MB", "manitoba|man", "CA"},
    {"NB", "new brunswick", "CA"},
    {"NL", "newfoundland and labrador|newfoundland|labrador|nfld", "CA"},
    {"NS", "nova scotia", "CA"},
    {"NT", "northwest territories", "CA"},
    {"NU", "nunavut", "CA"},
    {"ON", "ontario|ont", "CA"},
    {"PE", "prince edward island|pei", "CA"},
    {"QC", "quebec|québec|que|pq", "CA"},
    {"SK", "saskatchewan|sask", "CA"},
    {"YT", "yukon|yukon territory", "CA"},
    {"NSW", "new south wales", "AU"},
    {"VIC", "victoria", "AU"},
    {"QLD", "queensland", "AU"},
    {"SA", "south australia", "AU"},
    {"WA", "western australia", "AU"},
    {"TAS", "tasmania", "AU"},
    {"NT", "northern territory", "AU"},
    {"ACT", "australian capital territory", "AU"},
};

/* Lower case, periods dropped, runs of spaces/hyphens as one space: "N. Dak." -> "n dak". */
static size_t fold(const char *in, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '.' || c == ' ' || c == '\t' || c == '-' || c == '_' || c == ',') {
            if (k && buf[k - 1] != ' ') buf[k++] = ' ';
            continue;
        }
        buf[k++] = (char)tolower(c);
    }
    while (k && buf[k - 1] == ' ') k--;
    buf[k] = '\0';
    return k;
}

/* `key` is one of the '|'-separated entries of `list`. */
static int in_entries(const char *list, const char *key, size_t k)
{
    for (const char *p = list; *p;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == k && memcmp(p, key, k) == 0) return 1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

/* States by folded name or code: several entries may share a key ("nt" is in Canada and
 * Australia). */
enum { ST_SIZE = 1024, ST_MAX = 4 };
static struct {
    char key[40];
    short n;
    short st[ST_MAX];
} st_index[ST_SIZE];
static pthread_once_t st_once = PTHREAD_ONCE_INIT;

static void st_add(const char *key, size_t n, short st)
{
    char buf[40];
    if (n == 0 || n >= sizeof buf) return;
    for (size_t i = 0; i < n; i++) buf[i] = (char)tolower((unsigned char)key[i]);
    buf[n] = '\0';
    uint32_t j = hash_key(buf, n) & (ST_SIZE - 1);
    while (st_index[j].n && strcmp(st_index[j].key, buf) != 0) j = (j + 1) & (ST_SIZE - 1);
    memcpy(st_index[j].key, buf, n + 1);
    for (short i = 0; i < st_index[j].n; i++)
        if (st_index[j].st[i] == st) return;
    if (st_index[j].n < ST_MAX) st_index[j].st[st_index[j].n++] = st;
}

static void st_build(void)
{
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        st_add(states[i].code, strlen(states[i].code), (short)i);
        for (const char *p = states[i].names; *p;) {
            const char *e = strchr(p, '|');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            st_add(p, len, (short)i);
            if (!e) break;
            p = e + 1;
        }
    }
}

static const char *st_find(const char *key, size_t k, const char *want)
{
    pthread_once(&st_once, st_build);
    uint32_t j = hash_key(key, k) & (ST_SIZE - 1);
    while (st_index[j].n) {
        if (strcmp(st_index[j].key, key) == 0) {
            /* The region's own entry first; US lists often carry Canadian provinces, but an
             * Australian list means Australian states. */
            for (short i = 0; i < st_index[j].n; i++)
                if (strcasecmp(states[st_index[j].st[i]].region, want) == 0)
                    return states[st_index[j].st[i]].code;
            if (strcasecmp(want, "AU") == 0) return NULL;
            return states[st_index[j].st[0]].code;
        }
        j = (j + 1) & (ST_SIZE - 1);
    }
    return NULL;
}

const char *pol__state_code(const char *in, size_t n, const char *region)
{
    char buf[48];
    size_t k = fold(in, n, buf, sizeof buf);
    if (!k || k >= sizeof buf - 1) return NULL;
    const char *want = region && *region ? region : "US";
    const char *code = st_find(buf, k, want);
    if (code) return code;
    /* "N.Y." folds to "n y": the letters alone may be the code. */
    char tight[48];
    size_t t = 0;
    for (size_t i = 0; i < k; i++)
        if (buf[i] != ' ') tight[t++] = buf[i];
    tight[t] = '\0';
    if (t != k && t >= 2 && t <= 3) return st_find(tight, t, want);
    return NULL;
}

/* ---- postcodes ------------------------------------------------------------------------------ */

size_t pol__postcode_std(const char *in, size_t n, const char *region, char *out, size_t cap)
{
    while (n && (unsigned char)in[n - 1] <= ' ') n--;
    while (n && (unsigned char)*in <= ' ') in++, n--;
    if (cap < 16 || n >= cap) {
        if (cap) out[0] = '\0';
        return 0;
    }
    memcpy(out, in, n);
    out[n] = '\0';
    char a[16];
    size_t k = 0, digits = 0, letters = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (isalnum(c)) {
            if (k >= sizeof a - 1) return 0;
            a[k++] = (char)toupper(c);
            digits += isdigit(c) != 0;
            letters += isalpha(c) != 0;
        } else if (c != ' ' && c != '-' && c != '.') {
            return 0;
        }
    }
    a[k] = '\0';
    const char *r = region && *region ? region : "US";
    if (strcasecmp(r, "US") == 0) {
        if (letters) return 0;
        /* A spreadsheet drops leading zeros (02134 -> 2134, 02134-1234 -> 21341234). */
        if (k == 3 || k == 4) return (size_t)snprintf(out, cap, "%0*d%s", 5 - (int)k, 0, a);
        if (k == 5) {
            memcpy(out, a, 6);
            return 5;
        }
        if (k == 8) return (size_t)snprintf(out, cap, "0%.4s-%s", a, a + 4);
        if (k == 9) return (size_t)snprintf(out, cap, "%.5s-%s", a, a + 5);
        return 0;
    }
    if (strcasecmp(r, "CA") == 0) {
        if (k == 6 && isalpha((unsigned char)a[0]) && isdigit((unsigned char)a[1]) &&
            isalpha((unsigned char)a[2]) && isdigit((unsigned char)a[3]) &&
            isalpha((unsigned char)a[4]) && isdigit((unsigned char)a[5]))
            return (size_t)snprintf(out, cap, "%.3s %s", a, a + 3);
        return 0;
    }
    if (strcasecmp(r, "GB") == 0 || strcasecmp(r, "UK") == 0) {
        /* Outward code (2-4) + inward code (digit, two letters). */
        if (k < 5 || k > 7) return 0;
        const char *inw = a + k - 3;
        if (!isdigit((unsigned char)inw[0]) || !isalpha((unsigned char)inw[1]) ||
            !isalpha((unsigned char)inw[2]) || !isalpha((unsigned char)a[0]))
            return 0;
        int has_digit = 0;
        for (size_t i = 1; i < k - 3; i++) has_digit |= isdigit((unsigned char)a[i]) != 0;
        if (!has_digit) return 0;
        return (size_t)snprintf(out, cap, "%.*s %s", (int)(k - 3), a, inw);
    }
    if (strcasecmp(r, "AU") == 0 || strcasecmp(r, "NZ") == 0 || strcasecmp(r, "AT") == 0 ||
        strcasecmp(r, "BE") == 0 || strcasecmp(r, "CH") == 0 || strcasecmp(r, "DK") == 0 ||
        strcasecmp(r, "NO") == 0) {
        if (letters) return 0;
        if (k == 3 && strcasecmp(r, "AU") == 0) return (size_t)snprintf(out, cap, "0%s", a);
        return k == 4 ? (size_t)snprintf(out, cap, "%s", a) : 0;
    }
    if (strcasecmp(r, "DE") == 0 || strcasecmp(r, "FR") == 0 || strcasecmp(r, "ES") == 0 ||
        strcasecmp(r, "IT") == 0 || strcasecmp(r, "FI") == 0 || strcasecmp(r, "MX") == 0) {
        if (letters) return 0;
        if (k == 4 && (strcasecmp(r, "DE") == 0 || strcasecmp(r, "FR") == 0))
            return (size_t)snprintf(out, cap, "0%s", a);
        return k == 5 ? (size_t)snprintf(out, cap, "%s", a) : 0;
    }
    if (strcasecmp(r, "IN") == 0)
        return !letters && k == 6 ? (size_t)snprintf(out, cap, "%s", a) : 0;
    if (strcasecmp(r, "NL") == 0) {
        if (k == 6 && digits == 4 && letters == 2 && isalpha((unsigned char)a[4]))
            return (size_t)snprintf(out, cap, "%.4s %s", a, a + 4);
        return 0;
    }
    return 0;
}

/* ---- countries ------------------------------------------------------------------------------ */

static const struct {
    const char *code, *names;
} countries[] = {
    {"US", "us|usa|united states|united states of america|america|u s|u s a|unitedstates"},
    {"GB",
     "gb|uk|united kingdom|great britain|britain|england|scotland|wales|northern ireland|u k"},
    {"CA", "ca|can|canada"},
    {"AU", "au|aus|australia"},
    {"NZ", "nz|new zealand"},
    {"IE", "ie|ireland|eire|republic of ireland"},
    {"DE", "de|deu|germany|deutschland"},
    {"FR", "fr|fra|france"},
    {"ES", "es|esp|spain|españa|espana"},
    {"IT", "it|ita|italy|italia"},
    {"NL", "nl|nld|netherlands|the netherlands|holland|nederland"},
    {"BE", "be|bel|belgium|belgique|belgie"},
    {"CH", "ch|che|switzerland|schweiz|suisse"},
    {"AT", "at|aut|austria|österreich|osterreich"},
    {"SE", "se|swe|sweden|sverige"},
    {"NO", "no|nor|norway|norge"},
    {"DK", "dk|dnk|denmark|danmark"},
    {"FI", "fi|fin|finland|suomi"},
    {"PL", "pl|pol|poland|polska"},
    {"PT", "pt|prt|portugal"},
    {"MX", "mx|mex|mexico|méxico"},
    {"BR", "br|bra|brazil|brasil"},
    {"AR", "ar|arg|argentina"},
    {"IN", "in|ind|india"},
    {"CN", "cn|chn|china|people's republic of china|prc"},
    {"JP", "jp|jpn|japan"},
    {"KR", "kr|kor|south korea|korea|republic of korea"},
    {"SG", "sg|sgp|singapore"},
    {"HK", "hk|hkg|hong kong"},
    {"PH", "ph|phl|philippines"},
    {"ZA", "za|zaf|south africa"},
    {"IL", "il|isr|israel"},
    {"AE", "ae|are|uae|united arab emirates"},
    {"PR", "pr|puerto rico"},
};

const char *pol__country_code(const char *in, size_t n)
{
    char buf[48];
    size_t k = fold(in, n, buf, sizeof buf);
    if (!k || k >= sizeof buf - 1) return NULL;
    for (size_t i = 0; i < sizeof countries / sizeof countries[0]; i++)
        if (in_entries(countries[i].names, buf, k)) return countries[i].code;
    return NULL;
}

/* ---- cities --------------------------------------------------------------------------------- */

size_t pol__city_std(const char *in, size_t n, char *out, size_t cap)
{
    if (cap < n + 1) return (size_t)-1;
    int recase = all_one_case(in, n);
    size_t o = 0;
    size_t i = 0, words = 0;
    while (i < n) {
        while (i < n && (in[i] == ' ' || in[i] == '\t')) i++;
        if (i >= n) break;
        size_t s = i;
        while (i < n && in[i] != ' ' && in[i] != '\t') i++;
        word w = {in + s, i - s};
        if (words++) out[o++] = ' ';
        if (!recase) {
            memcpy(out + o, w.s, w.n);
            o += w.n;
        } else if (words > 1 && (word_is(w, "of") || word_is(w, "the") || word_is(w, "on") ||
                                 word_is(w, "upon") || word_is(w, "and"))) {
            for (size_t k = 0; k < w.n; k++) out[o++] = (char)tolower((unsigned char)w.s[k]);
        } else {
            o += put_title(out + o, w);
            if (w.n > 3 && strncasecmp(w.s, "mc", 2) == 0)
                out[o - w.n + 2] = (char)toupper((unsigned char)out[o - w.n + 2]);
        }
    }
    out[o] = '\0';
    return o;
}
