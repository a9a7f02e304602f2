/* polish — runs a fuzz target without libFuzzer, so every `make test` (gcc, ASan+UBSan) gives each
 * target a short run: every file of the corpus (seeds and regression inputs), then `-mutants=N`
 * mutants of each (bit flips, interesting values in 1/2/4-byte fields, truncations, chunks
 * deleted or repeated), from a fixed pseudo-random sequence keyed on the file's name, so a failure
 * reproduces. A crash, leak or UB report aborts the process and fails the test; the input being
 * run is named on stderr first, and with `-save=PATH` each mutant is written there before it runs.
 * An input that uses more than `-timeout=S` seconds of CPU (default 30) aborts too, as libFuzzer's
 * -timeout does; the test environment also caps single allocations (ASAN_OPTIONS
 * max_allocation_size_mb, as libFuzzer's -malloc_limit_mb), so an input that makes the library
 * allocate hundreds of megabytes fails even when the machine has them.
 *
 *   replay_<target> [-mutants=N] [-timeout=S] [-save=PATH] FILE|DIR...
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long n_mutants;
static const char *save_path;
static unsigned long timeout_s = 30;

static void on_timeout(int sig)
{
    (void)sig;
    static const char msg[] = "replay: timeout: the input above used more CPU than -timeout\n";
    if (write(2, msg, sizeof msg - 1) < 0) abort();
    abort();
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s; /* xorshift64* */
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h ? h : 1;
}

/* Mutates buf[0..*n) in place (capacity cap >= 2 * original size + 16). */
static void mutate(unsigned char *buf, size_t *n, size_t cap, uint64_t *s)
{
    static const uint32_t interesting[] = {0,    1,      0x7f,   0x80,       0xff,      0x100,
                                           0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
                                           0x80000000u, 0xffffffffu};
    int ops = 1 + (int)(rng_next(s) % 4);
    for (int k = 0; k < ops && *n > 0; k++) {
        size_t at = (size_t)(rng_next(s) % *n);
        switch (rng_next(s) % 6) {
        case 0: /* flip one bit */
            buf[at] ^= (unsigned char)(1u << (rng_next(s) % 8));
            break;
        case 1: /* a random byte */
            buf[at] = (unsigned char)rng_next(s);
            break;
        case 2: { /* an interesting value in a 1, 2 or 4-byte field, either byte order */
            uint32_t v = interesting[rng_next(s) % (sizeof interesting / sizeof *interesting)];
            size_t w = (size_t)1 << (rng_next(s) % 3);
            int be = (int)(rng_next(s) & 1);
            for (size_t i = 0; i < w && at + i < *n; i++)
                buf[at + i] = (unsigned char)(v >> (8 * (be ? w - 1 - i : i)));
            break;
        }
        case 3: /* truncate */
            *n = at;
            break;
        case 4: { /* delete a chunk */
            size_t len = 1 + (size_t)(rng_next(s) % 64);
            if (len > *n - at) len = *n - at;
            memmove(buf + at, buf + at + len, *n - at - len);
            *n -= len;
            break;
        }
        default: { /* repeat a chunk */
            size_t len = 1 + (size_t)(rng_next(s) % 64);
            if (len > *n - at) len = *n - at;
            if (*n + len > cap) break;
            memmove(buf + at + len, buf + at, *n - at);
            *n += len;
            break;
        }
        }
    }
}

/* Runs one input from a buffer of exactly its size, as libFuzzer does, so that ASan sees a read
 * one byte past the end. */
static void run_one(const unsigned char *buf, size_t n)
{
    unsigned char *copy = malloc(n ? n : 1);
    if (!copy) abort();
    memcpy(copy, buf, n);
    struct itimerval it = {{0, 0}, {(time_t)timeout_s, 0}}, off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_PROF, &it, NULL); /* CPU time, so a busy machine does not count */
    LLVMFuzzerTestOneInput(copy, n);
    setitimer(ITIMER_PROF, &off, NULL);
    free(copy);
}

static int save(const unsigned char *buf, size_t n)
{
    FILE *f = fopen(save_path, "wb");
    if (!f) return 0;
    int ok = fwrite(buf, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static int run_file(const char *path, unsigned long *runs)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 0;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t cap = (n > 0 ? (size_t)n : 0) * 2 + 16;
    unsigned char *seed = malloc(cap), *buf = malloc(cap);
    if (!seed || !buf || n < 0 || (n > 0 && fread(seed, 1, (size_t)n, f) != (size_t)n)) {
        free(seed);
        free(buf);
        fclose(f);
        fprintf(stderr, "replay: cannot read %s\n", path);
        return 0;
    }
    fclose(f);
    fprintf(stderr, "replay: %s\n", path);
    run_one(seed, (size_t)n);
    ++*runs;
    const char *base = strrchr(path, '/');
    uint64_t key = hash_str(base ? base + 1 : path);
    for (unsigned long i = 0; i < n_mutants; i++) {
        uint64_t s = key ^ (0x9E3779B97F4A7C15ULL * (i + 1));
        size_t len = (size_t)n;
        memcpy(buf, seed, len);
        mutate(buf, &len, cap, &s);
        fprintf(stderr, "replay: %s mutant %lu (%zu bytes)%s%s\n", path, i, len,
                save_path ? " saved as " : "", save_path ? save_path : "");
        if (save_path && !save(buf, len)) {
            fprintf(stderr, "replay: cannot write %s\n", save_path);
            free(seed);
            free(buf);
            return 0;
        }
        run_one(buf, len);
        ++*runs;
    }
    free(seed);
    free(buf);
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of a folder, in name order (hidden files skipped). */
static int run_dir(const char *dir, unsigned long *files, unsigned long *runs)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int ok = 1;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **t = realloc(names, cap * sizeof *names);
            if (!t) {
                ok = 0;
                break;
            }
            names = t;
        }
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(len))) {
            ok = 0;
            break;
        }
        snprintf(names[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (ok && run_file(names[i], runs))
            ++*files;
        else
            ok = 0;
        free(names[i]);
    }
    free(names);
    return ok;
}

int main(int argc, char **argv)
{
    unsigned long files = 0, runs = 0;
    int bad = 0;
    signal(SIGPROF, on_timeout);
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "-mutants=", 9)) {
            n_mutants = strtoul(argv[i] + 9, NULL, 10);
            continue;
        }
        if (!strncmp(argv[i], "-timeout=", 9)) {
            timeout_s = strtoul(argv[i] + 9, NULL, 10);
            continue;
        }
        if (!strncmp(argv[i], "-save=", 6)) {
            save_path = argv[i] + 6;
            continue;
        }
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s does not exist\n", argv[i]);
            bad = 1;
        } else if (S_ISDIR(st.st_mode)) {
            if (!run_dir(argv[i], &files, &runs)) bad = 1;
        } else if (run_file(argv[i], &runs)) {
            files++;
        } else {
            bad = 1;
        }
    }
    if (!files) fprintf(stderr, "replay: no input files\n");
    printf("replay: %lu files, %lu inputs run, none crashed\n", files, runs);
    return bad || !files ? 1 : 0;
}
