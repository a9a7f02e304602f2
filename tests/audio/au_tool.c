/* polish — audio test and benchmark helper: makes degraded input from real speech (pink or white
 * noise at a given SNR, mains hum with harmonics and drift), scores results (SI-SDR against the
 * clean reference), cross-checks loudness and true peak with libebur128, makes wrong-kind input
 * (tones, a chord, silence) and malformed files.
 *
 *   au_tool mix CLEAN OUT [noise=pink|white|none] [snr=DB] [hum=0|50|60] [humdb=DB] [drift=HZ]
 *                         [seed=N] [gain=DB]
 *   au_tool sisdr REF EST            SI-SDR in dB (same length required)
 *   au_tool ebur128 FILE             "LUFS TRUEPEAK_DBTP" (libebur128)
 *   au_tool info FILE                "frames rate channels"
 *   au_tool gen KIND OUT secs rate channels   KIND: tone|chord|silence|speechlike
 *   au_tool concat OUT IN...          joins mono files of one rate (a longer speech file)
 *   au_tool loop IN OUT secs          repeats IN up to secs (benchmarks)
 *   au_tool bad KIND OUT              corrupt|empty|truncated|midframe|text|long10h
 *   au_tool same A B                  exit 0 when the decoded samples are identical
 */
#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static float *read_all(const char *path, SF_INFO *info)
{
    memset(info, 0, sizeof *info);
    SNDFILE *f = sf_open(path, SFM_READ, info);
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL));
        exit(2);
    }
    float *x = malloc((size_t)info->frames * (size_t)info->channels * sizeof *x + 4);
    if (!x || sf_readf_float(f, x, info->frames) != info->frames) {
        fprintf(stderr, "%s: short read\n", path);
        exit(2);
    }
    sf_close(f);
    return x;
}

static void write_all(const char *path, const float *x, sf_count_t frames, int rate, int ch, int fmt)
{
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = fmt};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, sf_strerror(NULL));
        exit(2);
    }
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_TRUE);
    if (sf_writef_float(f, x, frames) != frames) exit(2);
    sf_close(f);
}

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return ((rng >> 11) + 0.5) / 9007199254740992.0;
}
static double gauss(void) { return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand()); }

static const char *opt(int argc, char **argv, const char *key, const char *def)
{
    size_t n = strlen(key);
    for (int i = 0; i < argc; i++)
        if (!strncmp(argv[i], key, n) && argv[i][n] == '=') return argv[i] + n + 1;
    return def;
}

static double power(const float *x, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) e += (double)x[i] * x[i];
    return e / (double)(n ? n : 1);
}

static int cmd_mix(int argc, char **argv)
{
    SF_INFO in;
    float *x = read_all(argv[2], &in);
    size_t n = (size_t)in.frames * (size_t)in.channels;
    const char *noise = opt(argc, argv, "noise", "pink");
    double snr = atof(opt(argc, argv, "snr", "5"));
    double hum = atof(opt(argc, argv, "hum", "0"));
    double humdb = atof(opt(argc, argv, "humdb", "0"));
    double drift = atof(opt(argc, argv, "drift", "0"));
    double gain = atof(opt(argc, argv, "gain", "0"));
    rng ^= (uint64_t)atoll(opt(argc, argv, "seed", "1")) * 0x9E3779B97F4A7C15ull;
    double ps = power(x, n);
    float *y = malloc(n * sizeof *y);
    float *v = calloc(n, sizeof *v);
    if (strcmp(noise, "none")) {
        /* pink: white through Kellet's economy filter (-3 dB/octave within 0.5 dB) */
        double b0 = 0, b1 = 0, b2 = 0;
        for (size_t i = 0; i < n; i++) {
            double w = gauss();
            if (!strcmp(noise, "pink")) {
                b0 = 0.99765 * b0 + w * 0.0990460;
                b1 = 0.96300 * b1 + w * 0.2965164;
                b2 = 0.57000 * b2 + w * 1.0526913;
                v[i] = (float)(b0 + b1 + b2 + w * 0.1848);
            } else {
                v[i] = (float)w;
            }
        }
        double k = sqrt(ps / power(v, n) / pow(10, snr / 10));
        for (size_t i = 0; i < n; i++) v[i] = (float)(v[i] * k);
    }
    if (hum > 0) {
        /* hum: fundamental and harmonics 2..7 falling off, the whole at humdb below the speech
         * power; the frequency drifts slowly by +-drift Hz */
        float *h = calloc(n, sizeof *h);
        double amp[8] = {0, 1, 0.5, 0.7, 0.3, 0.35, 0.15, 0.2};
        double phase = 0;
        for (size_t i = 0; i < (size_t)in.frames; i++) {
            double t = (double)i / in.samplerate;
            double f = hum + drift * sin(2 * M_PI * t / 7.0);
            phase += 2 * M_PI * f / in.samplerate;
            double s = 0;
            for (int k = 1; k < 8; k++) s += amp[k] * sin(k * phase + k * 0.7);
            for (int c = 0; c < in.channels; c++) h[i * (size_t)in.channels + (size_t)c] = (float)s;
        }
        double k = sqrt(ps / power(h, n) / pow(10, humdb / 10));
        for (size_t i = 0; i < n; i++) v[i] += (float)(h[i] * k);
        free(h);
    }
    double g = pow(10, gain / 20);
    for (size_t i = 0; i < n; i++) y[i] = (float)((x[i] + v[i]) * g);
    write_all(argv[3], y, in.frames, in.samplerate, in.channels, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    free(x);
    free(y);
    free(v);
    return 0;
}

static int cmd_sisdr(char **argv)
{
    SF_INFO a, b;
    float *r = read_all(argv[2], &a), *e = read_all(argv[3], &b);
    if (getenv("AU_SISDR_LAG")) {
        /* benchmarks: a peer that delays its output is scored with the delay taken out */
        long lag = atol(getenv("AU_SISDR_LAG"));
        if (lag > 0 && lag < b.frames) {
            memmove(e, e + (size_t)lag * (size_t)b.channels,
                    (size_t)(b.frames - lag) * (size_t)b.channels * sizeof *e);
            b.frames -= lag;
        }
    }
    if (a.frames != b.frames && getenv("AU_SISDR_TRUNCATE") && a.channels == b.channels &&
        a.samplerate == b.samplerate) {
        /* benchmarks: a peer that changes the length is scored on the common part */
        fprintf(stderr, "lengths differ (%lld, %lld): scoring the common part\n",
                (long long)a.frames, (long long)b.frames);
        if (b.frames < a.frames) a.frames = b.frames;
        b.frames = a.frames;
    }
    if (a.frames != b.frames || a.channels != b.channels || a.samplerate != b.samplerate) {
        fprintf(stderr, "shape differs: %lld/%d/%d vs %lld/%d/%d\n", (long long)a.frames,
                a.channels, a.samplerate, (long long)b.frames, b.channels, b.samplerate);
        return 3;
    }
    size_t n = (size_t)a.frames * (size_t)a.channels;
    double dot = 0, rr = 0;
    for (size_t i = 0; i < n; i++) {
        dot += (double)r[i] * e[i];
        rr += (double)r[i] * r[i];
    }
    double alpha = dot / rr, num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double t = alpha * r[i], d = e[i] - t;
        num += t * t;
        den += d * d;
    }
    printf("%.3f\n", 10 * log10(num / (den > 1e-30 ? den : 1e-30)));
    free(r);
    free(e);
    return 0;
}

static int cmd_ebur128(char **argv)
{
    SF_INFO in;
    float *x = read_all(argv[2], &in);
    ebur128_state *st = ebur128_init((unsigned)in.channels, (unsigned long)in.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, x, (size_t)in.frames);
    double l, tp = 0;
    ebur128_loudness_global(st, &l);
    for (int c = 0; c < in.channels; c++) {
        double p;
        ebur128_true_peak(st, (unsigned)c, &p);
        if (p > tp) tp = p;
    }
    printf("%.3f %.3f\n", l, 20 * log10(tp > 1e-12 ? tp : 1e-12));
    ebur128_destroy(&st);
    free(x);
    return 0;
}

static int cmd_gen(char **argv)
{
    const char *kind = argv[2];
    double secs = atof(argv[4]);
    int rate = atoi(argv[5]), ch = atoi(argv[6]);
    size_t frames = (size_t)(secs * rate);
    float *x = calloc(frames * (size_t)ch + 1, sizeof *x);
    for (size_t i = 0; i < frames; i++) {
        double t = (double)i / rate, s = 0;
        if (!strcmp(kind, "tone")) s = 0.3 * sin(2 * M_PI * 440 * t);
        if (!strcmp(kind, "chord")) /* a sustained A minor chord with vibrato, notes changing */
            for (int k = 0; k < 3; k++) {
                static const double f[3] = {220, 261.63, 329.63};
                double seg = floor(t / 1.5);
                double ff = f[k] * (fmod(seg, 2) ? 1.122 : 1) * (1 + 0.003 * sin(2 * M_PI * 5 * t));
                s += 0.12 * sin(2 * M_PI * ff * t) + 0.04 * sin(4 * M_PI * ff * t);
            }
        for (int c = 0; c < ch; c++) x[i * (size_t)ch + (size_t)c] = (float)s;
    }
    write_all(argv[3], x, (sf_count_t)frames, rate, ch, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    free(x);
    return 0;
}

static int cmd_concat(int argc, char **argv)
{
    SF_INFO first = {0};
    float *all = NULL;
    size_t total = 0;
    for (int i = 3; i < argc; i++) {
        SF_INFO in;
        float *x = read_all(argv[i], &in);
        if (i == 3) first = in;
        all = realloc(all, (total + (size_t)in.frames) * sizeof *all);
        memcpy(all + total, x, (size_t)in.frames * sizeof *x);
        total += (size_t)in.frames;
        free(x);
    }
    write_all(argv[2], all, (sf_count_t)total, first.samplerate, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    free(all);
    return 0;
}

static int cmd_loop(char **argv)
{
    SF_INFO in;
    float *x = read_all(argv[2], &in);
    size_t want = (size_t)(atof(argv[4]) * in.samplerate) * (size_t)in.channels;
    size_t n = (size_t)in.frames * (size_t)in.channels;
    float *y = malloc(want * sizeof *y);
    for (size_t i = 0; i < want; i++) y[i] = x[i % n];
    write_all(argv[3], y, (sf_count_t)(want / (size_t)in.channels), in.samplerate, in.channels,
              in.format);
    free(x);
    free(y);
    return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static int cmd_bad(char **argv)
{
    const char *kind = argv[2];
    FILE *f = fopen(argv[3], "wb");
    if (!f) return 2;
    unsigned char h[44] = "RIFF\0\0\0\0WAVEfmt \x10\0\0\0\x01\0\x01\0\x80\x3e\0\0\0\x7d\0\0\x02\0\x10\0data";
    uint32_t samples = 1600;
    if (!strcmp(kind, "long10h")) {
        /* a real 10-hour 8 kHz mono WAV of silence, written sparse: the header is all polish
         * needs to refuse it, and the file is there in full if it does read it */
        uint32_t bytes = 10u * 3600u * 8000u * 2u;
        put32(h + 4, 36 + bytes);
        put32(h + 24, 8000);
        put32(h + 28, 16000);
        put32(h + 40, bytes);
        fwrite(h, 1, 44, f);
        fflush(f);
        if (ftruncate(fileno(f), 44 + (off_t)bytes) != 0) return 2;
    } else if (!strcmp(kind, "text")) {
        fputs("this is not audio, just a text file\n", f);
    } else if (!strcmp(kind, "corrupt")) {
        /* a WAVE header whose format chunk is garbage */
        memcpy(h + 20, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12);
        put32(h + 4, 36 + samples * 2);
        put32(h + 40, samples * 2);
        fwrite(h, 1, 44, f);
        for (uint32_t i = 0; i < samples; i++) fputc(i & 0xff, f), fputc(0, f);
    } else {
        uint32_t have = !strcmp(kind, "empty") ? 0 : samples;
        uint32_t claim = !strcmp(kind, "truncated") ? samples * 4 : have;
        put32(h + 4, 36 + claim * 2);
        put32(h + 40, claim * 2);
        fwrite(h, 1, 44, f);
        size_t bytes = have * 2;
        if (!strcmp(kind, "midframe")) {
            /* stereo 16-bit: the data ends one byte into a frame */
            h[22] = 2;
            put32(h + 28, 16000 * 4);
            h[32] = 4;
            fseek(f, 0, SEEK_SET);
            put32(h + 40, samples * 4);
            fwrite(h, 1, 44, f);
            bytes = (size_t)(samples / 2) * 4 + 1;
        }
        for (size_t i = 0; i < bytes; i++) fputc((int)(i * 37) & 0xff, f);
    }
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: au_tool mix|sisdr|ebur128|info|gen|concat|loop|bad ...\n");
        return 2;
    }
    if (!strcmp(argv[1], "mix") && argc >= 4) return cmd_mix(argc, argv);
    if (!strcmp(argv[1], "sisdr") && argc >= 4) return cmd_sisdr(argv);
    if (!strcmp(argv[1], "ebur128")) return cmd_ebur128(argv);
    if (!strcmp(argv[1], "info")) {
        SF_INFO in;
        free(read_all(argv[2], &in));
        printf("%lld %d %d\n", (long long)in.frames, in.samplerate, in.channels);
        return 0;
    }
    if (!strcmp(argv[1], "same")) { /* same decoded samples? */
        SF_INFO a, b;
        float *x = read_all(argv[2], &a), *y = read_all(argv[3], &b);
        int same = a.frames == b.frames && a.channels == b.channels && a.samplerate == b.samplerate &&
                   !memcmp(x, y, (size_t)a.frames * (size_t)a.channels * sizeof *x);
        printf("%s\n", same ? "same" : "different");
        free(x);
        free(y);
        return same ? 0 : 1;
    }
    if (!strcmp(argv[1], "gen") && argc >= 7) return cmd_gen(argv);
    if (!strcmp(argv[1], "concat") && argc >= 4) return cmd_concat(argc, argv);
    if (!strcmp(argv[1], "loop") && argc >= 5) return cmd_loop(argv);
    if (!strcmp(argv[1], "bad") && argc >= 4) return cmd_bad(argv);
    fprintf(stderr, "au_tool: bad arguments\n");
    return 2;
}
