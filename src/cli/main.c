/* polish — the command line. Uses the public API only; every per-operation flag, help text and
 * listing is generated from the operation registry. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include "polish/polish.h"
#include "cli/serve.h"
#include "cli/workspace.h"

/* Exit codes (docs/cli.md); a batch stopped by SIGINT/SIGTERM exits 128 + the signal. */
enum { EXIT_ALL_OK = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2, EXIT_FATAL = 3 };

/* The first SIGINT or SIGTERM asks the library to stop cleanly (the items in flight finish or
 * stop at their next check, temporary files are removed, the report keeps what finished); a
 * second one ends the process at once. */
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    if (got_signal) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    got_signal = sig;
    pol_cancel();
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

typedef struct cli {
    pol_options opt;
    const char *output;
    const char *report;
    int json, quiet, markdown;
    const char **inputs;
    size_t n_inputs;
    const char *prog;
    pol_group_rule group;
    const char *groups_file; /* --groups: one group per line, files separated by tabs */
    unsigned op_flags;       /* `polish DOMAIN OP`: the op's flags (POL_OP_DOCUMENT, _NO_INPUT) */
} cli;

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("polish: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\nTry 'polish --help'.\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static void usage(FILE *f)
{
    fputs("usage: polish COMMAND [ARGS]\n"
          "\n"
          "Commands:\n"
          "  inspect FILE... [--json]              say what is wrong, in numbers\n"
          "  fix FILE|DIR... -o OUTDIR             apply each item's automatic recipe\n"
          "  run RECIPE.yml FILE|DIR... -o OUT     apply a written recipe\n"
          "  DOMAIN OP [--PARAM VALUE]... IN -o OUT  run one operation\n"
          "  ops [DOMAIN]                          list operations (--json, --markdown)\n"
          "  report [merge] STREAM.jsonl... -o OUT render or merge report streams\n"
          "  plan RECIPE.yml FILE|DIR... -o OUT/ --shards N   split a batch into shards\n"
          "  run --plan OUT/plan.json [--stage S] [--shard I] run one shard\n"
          "  run --plan OUT/plan.json --mpi     under mpirun: the shards as MPI ranks\n"
          "  merge OUT/plan.json                   merge the shards' reports, check all done\n"
          "  serve --port P                        the workspace of this folder in the browser\n"
          "  help [DOMAIN | DOMAIN.OP]             explain a domain or an operation\n"
          "  --version                             print the version\n"
          "\n",
          f);
    fputs(cli_workspace_usage, f);
    fputs("\n"
          "Options:\n"
          "  -o, --output PATH     output folder (or file, for one input)\n"
          "  --report FILE         write the run report (.json, or .html for people)\n"
          "  --json                machine-readable output on stdout\n"
          "  -q, --quiet           no progress and no summary\n"
          "  -j, --jobs N          items processed at once (default: all cores)\n"
          "  --overwrite           replace existing outputs\n"
          "  --lenient             salvage what can be read from damaged input\n"
          "  --dry-run             show the plan; read and write nothing\n"
          "  --skip-existing       keep outputs that exist (resume a stopped batch)\n"
          "  --fsync               flush each output to the disk before it is moved into place\n"
          "  --limit KEY=VALUE     pixels, bytes, frames, rows, columns, field-bytes, duration\n"
          "  --group RULE          items that are groups of files: stem (frame.0001.beauty.exr +\n"
          "                        frame.0001.depth.exr), folder, all\n"
          "  --groups FILE         explicit groups: one a line, its files separated by tabs\n"
          "  --max-pixels N        same as --limit pixels=N\n"
          "\n"
          "'-' as the input reads standard input; '-o -' writes the output to standard output.\n"
          "\n"
          "Exit status: 0 every item succeeded, 1 some item failed (or the report could not be\n"
          "written), 2 usage or recipe error (nothing ran), 3 nothing could run.\n",
          f);
}

/* ---- registry listings ---------------------------------------------------------------------- */

static const char *type_word(const pol_param_desc *p)
{
    switch (p->type) {
    case POL_PARAM_BOOL:
        return "BOOL";
    case POL_PARAM_INT:
        return "INT";
    case POL_PARAM_NUM:
        return "NUM";
    case POL_PARAM_STR:
        return "TEXT";
    case POL_PARAM_ENUM:
        return p->choices;
    }
    return "?";
}

static void param_line(FILE *f, const pol_param_desc *p)
{
    char head[96];
    if (p->type == POL_PARAM_BOOL)
        snprintf(head, sizeof head, "--%s[=BOOL]", p->name);
    else
        snprintf(head, sizeof head, "--%s %s", p->name, type_word(p));
    fprintf(f, "  %-34s %s", head, p->help ? p->help : "");
    int paren = 0;
    if (p->def) {
        fprintf(f, " (default %s", p->def);
        paren = 1;
    }
    if ((p->type == POL_PARAM_INT || p->type == POL_PARAM_NUM) && p->min <= p->max) {
        char lo[32], hi[32];
        fprintf(f, "%s%s..%s", paren ? "; range " : " (range ", pol_num_str(p->min, lo, sizeof lo),
                pol_num_str(p->max, hi, sizeof hi));
        paren = 1;
    }
    if (p->unit) {
        fprintf(f, "%s%s", paren ? "; in " : " (in ", p->unit);
        paren = 1;
    }
    if (p->flags & POL_PARAM_REQUIRED) {
        fputs(paren ? "; required" : " (required", f);
        paren = 1;
    }
    if (p->when) {
        const char *eq = strchr(p->when, '=');
        if (eq)
            fprintf(f, "%sonly with --%.*s %s", paren ? "; " : " (", (int)(eq - p->when), p->when,
                    eq + 1);
        paren = 1;
    }
    fputs(paren ? ")\n" : "\n", f);
    for (size_t i = 0; p->choice_help && p->choice_help[i]; i++)
        fprintf(f, "  %-34s   %s\n", "", p->choice_help[i]);
}

static void help_op(const pol_op_desc *op)
{
    printf("%s.%s — %s\n\n", op->domain, op->name, op->summary);
    printf("usage: polish %s %s [OPTIONS]%s%s\n", op->domain, op->name,
           op->flags & POL_OP_NO_INPUT ? "" : " INPUT...",
           op->flags & POL_OP_DOCUMENT ? " [-o OUTPUT.json]" : " -o OUTPUT");
    printf("in a recipe:  steps: [{op: %s, ...}]\n\n", op->name);
    if (op->n_inputs || op->n_outputs) {
        printf("inputs and outputs besides the item:\n");
        for (int out = 0; out < 2; out++) {
            const pol_port_desc *ports = out ? op->outputs : op->inputs;
            size_t n = out ? op->n_outputs : op->n_inputs;
            for (size_t i = 0; i < n; i++) {
                const pol_port_desc *pt = &ports[i];
                char head[96];
                snprintf(head, sizeof head, "--%s %s", pt->name,
                         pt->kind == POL_PORT_FOLDER ? "DIR" : "FILE");
                printf("  %-34s %s %s%s%s%s\n", head, out ? "(output)" : "(input)",
                       pt->help ? pt->help : "", pt->flags & POL_PORT_REQUIRED ? " Required." : "",
                       pt->flags & POL_PORT_SHARED ? " Loaded once for the whole batch." : "",
                       pt->flags & POL_PORT_BATCH ? " One file for the whole batch, in the "
                                                    "output folder."
                                                  : "");
            }
        }
        printf("\n");
    }
    if (op->n_params) {
        printf("parameters:\n");
        for (size_t i = 0; i < op->n_params; i++) param_line(stdout, &op->params[i]);
    } else {
        printf("no parameters\n");
    }
    const pol_op_desc *dop = pol_domain_deliver_op(op->domain);
    if (dop && dop != op && dop->n_params) {
        /* name the delivery op's own first options, not another domain's */
        printf("\nDelivery options of %s.%s (", dop->domain, dop->name);
        for (size_t i = 0; i < dop->n_params && i < 3; i++)
            printf("%s--%s", i ? ", " : "", dop->params[i].name);
        printf("%s) are accepted too; see 'polish help %s.%s'.\n", dop->n_params > 3 ? ", ..." : "",
               dop->domain, dop->name);
    }
}

static int cmd_ops(cli *c, int argc, char **argv)
{
    const char *domain = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            c->json = 1;
        else if (strcmp(argv[i], "--markdown") == 0)
            c->markdown = 1;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: polish ops [DOMAIN] [--json | --markdown]\n\n"
                   "Lists the operations, one a line, its name first.\n");
            return EXIT_ALL_OK;
        } else if (argv[i][0] == '-')
            die_usage("ops: unknown option %s", argv[i]);
        else
            domain = argv[i];
    }
    int known = !domain;
    for (size_t i = 0; i < pol_domain_count(); i++)
        known |= domain && !strcmp(domain, pol_domain_name(i));
    if (!known) die_usage("ops: unknown domain '%s'", domain);
    size_t n = pol_op_count(domain);
    if (c->json) {
        char *doc = pol_registry_json(domain);
        if (!doc) {
            fputs("polish: out of memory\n", stderr);
            return EXIT_FATAL;
        }
        printf("%s\n", doc);
        free(doc);
        return EXIT_ALL_OK;
    }
    if (c->markdown) {
        printf("# Operations\n\nGenerated by `polish ops --markdown` from the operation registry; "
               "do not edit by hand.\n");
        for (size_t d = 0; d < pol_domain_count(); d++) {
            const char *dn = pol_domain_name(d);
            if (domain && strcmp(dn, domain) != 0) continue;
            printf("\n## %s\n\n%s\n", dn, pol_domain_summary(d));
            for (size_t i = 0; i < pol_op_count(dn); i++) {
                const pol_op_desc *op = pol_op_at(dn, i);
                printf("\n### %s.%s\n\n%s\n\n", op->domain, op->name, op->summary);
                if (op->n_inputs || op->n_outputs) {
                    printf("| port | direction | kind | help |\n|---|---|---|---|\n");
                    for (int out = 0; out < 2; out++) {
                        const pol_port_desc *ports = out ? op->outputs : op->inputs;
                        size_t np = out ? op->n_outputs : op->n_inputs;
                        for (size_t k = 0; k < np; k++)
                            printf("| `--%s` | %s | %s%s%s%s | %s |\n", ports[k].name,
                                   out ? "output" : "input",
                                   ports[k].kind == POL_PORT_ASSET  ? "item"
                                   : ports[k].kind == POL_PORT_FILE ? "file"
                                                                    : "folder",
                                   ports[k].flags & POL_PORT_REQUIRED ? ", required" : "",
                                   ports[k].flags & POL_PORT_SHARED ? ", loaded once per batch"
                                                                     : "",
                                   ports[k].flags & POL_PORT_BATCH ? ", one per batch" : "",
                                   ports[k].help ? ports[k].help : "");
                    }
                    printf("\n");
                }
                if (!op->n_params) {
                    printf("No parameters.\n");
                    continue;
                }
                printf("| parameter | type | default | range | help |\n|---|---|---|---|---|\n");
                for (size_t k = 0; k < op->n_params; k++) {
                    const pol_param_desc *p = &op->params[k];
                    printf("| `--%s` | ", p->name);
                    for (const char *t = type_word(p); *t; t++) /* a | would end the cell */
                        printf(*t == '|' ? "\\|" : "%c", *t);
                    printf(" | %s | ", p->def ? p->def : "");
                    if ((p->type == POL_PARAM_INT || p->type == POL_PARAM_NUM) && p->min <= p->max) {
                        char lo[32], hi[32];
                        printf("%s..%s", pol_num_str(p->min, lo, sizeof lo),
                               pol_num_str(p->max, hi, sizeof hi));
                    }
                    printf(" | %s", p->help ? p->help : "");
                    if (p->unit) printf(" Unit: %s.", p->unit);
                    if (p->when) {
                        const char *eq = strchr(p->when, '=');
                        if (eq)
                            printf(" Only with `--%.*s %s`.", (int)(eq - p->when), p->when,
                                   eq + 1);
                    }
                    for (size_t h = 0; p->choice_help && p->choice_help[h]; h++)
                        printf("<br>`%.*s`%s", (int)strcspn(p->choice_help[h], ":"),
                               p->choice_help[h], p->choice_help[h] + strcspn(p->choice_help[h], ":"));
                    printf(" |\n");
                }
            }
        }
        return EXIT_ALL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        const pol_op_desc *op = pol_op_at(domain, i);
        char full[128];
        snprintf(full, sizeof full, "%s.%s", op->domain, op->name);
        printf("%-28s %s\n", full, op->summary);
    }
    return EXIT_ALL_OK;
}

static int cmd_help(cli *c, int argc, char **argv)
{
    (void)c;
    if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        usage(stdout);
        printf("\nDomains:\n");
        for (size_t i = 0; i < pol_domain_count(); i++)
            printf("  %-10s %s\n", pol_domain_name(i), pol_domain_summary(i));
        return EXIT_ALL_OK;
    }
    const pol_op_desc *op = pol_op_find_full(argv[0]);
    if (!op && argc > 1) op = pol_op_find(argv[0], argv[1]);
    if (op) {
        help_op(op);
        return EXIT_ALL_OK;
    }
    for (size_t i = 0; i < pol_domain_count(); i++) {
        if (strcmp(argv[0], pol_domain_name(i)) == 0) {
            printf("%s — %s\n\noperations:\n", argv[0], pol_domain_summary(i));
            for (size_t k = 0; k < pol_op_count(argv[0]); k++) {
                const pol_op_desc *o = pol_op_at(argv[0], k);
                printf("  %-20s %s\n", o->name, o->summary);
            }
            return EXIT_ALL_OK;
        }
    }
    die_usage("help: no domain or operation named '%s' (see 'polish ops')", argv[0]);
}

/* ---- running batches ------------------------------------------------------------------------ */

static void progress(const pol_progress *p, void *user)
{
    (void)user;
    double rate = p->elapsed > 0 ? (double)p->done / p->elapsed : 0;
    double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    int width = 24, fill = p->total ? (int)((double)width * (double)p->done / (double)p->total) : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r[%s] %zu/%zu items  %.1f/s  ETA %.0fs", bar, p->done, p->total, rate, eta);
    if (p->failed) fprintf(stderr, "  %zu failed", p->failed);
    fprintf(stderr, "\033[K");
    if (p->done == p->total) fputc('\n', stderr);
    fflush(stderr);
}

/* Common options; returns 1 when argv[*i] was one (and consumed its value). */
static int common_option(cli *c, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    pol_err err;
    pol_err_clear(&err);
#define NEED_VALUE()                                                                               \
    do {                                                                                           \
        if (*i + 1 >= argc) die_usage("%s needs a value", a);                                      \
    } while (0)
    if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
        NEED_VALUE();
        c->output = argv[++*i];
    } else if (!strncmp(a, "--output=", 9)) {
        c->output = a + 9;
    } else if (!strcmp(a, "--report")) {
        NEED_VALUE();
        c->report = argv[++*i];
    } else if (!strncmp(a, "--report=", 9)) {
        c->report = a + 9;
    } else if (!strcmp(a, "--json")) {
        c->json = 1;
    } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
        c->quiet = 1;
    } else if (!strcmp(a, "-j") || !strcmp(a, "--jobs") || !strncmp(a, "--jobs=", 7) ||
               (!strncmp(a, "-j", 2) && a[2])) {
        const char *v;
        if (!strncmp(a, "--jobs=", 7))
            v = a + 7;
        else if (a[1] == 'j' && a[2])
            v = a + 2;
        else {
            NEED_VALUE();
            v = argv[++*i];
        }
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || n < 0 || n > 1024) die_usage("--jobs: '%s' is not a count", v);
        c->opt.threads = (int)n;
    } else if (!strcmp(a, "--group") || !strncmp(a, "--group=", 8)) {
        const char *v;
        if (a[7] == '=')
            v = a + 8;
        else {
            NEED_VALUE();
            v = argv[++*i];
        }
        c->group = !strcmp(v, "stem")     ? POL_GROUP_STEM
                   : !strcmp(v, "folder") ? POL_GROUP_FOLDER
                   : !strcmp(v, "all")    ? POL_GROUP_ALL
                   : !strcmp(v, "none")   ? POL_GROUP_NONE
                                          : (die_usage("--group: '%s' is not stem, folder, all or none", v),
                                             POL_GROUP_NONE);
    } else if (!strcmp(a, "--groups")) {
        NEED_VALUE();
        c->groups_file = argv[++*i];
        c->group = POL_GROUP_LIST;
    } else if (!strcmp(a, "--overwrite")) {
        c->opt.overwrite = 1;
    } else if (!strcmp(a, "--lenient")) {
        c->opt.lenient = 1;
    } else if (!strcmp(a, "--dry-run")) {
        c->opt.dry_run = 1;
    } else if (!strcmp(a, "--skip-existing")) {
        c->opt.skip_existing = 1;
    } else if (!strcmp(a, "--fsync")) {
        c->opt.fsync = 1;
    } else if (!strcmp(a, "--limit")) {
        NEED_VALUE();
        if (pol_limits_set(&c->opt.limits, argv[++*i], &err)) die_usage("%s", err.msg);
    } else if (!strcmp(a, "--max-pixels")) {
        NEED_VALUE();
        char spec[128];
        snprintf(spec, sizeof spec, "pixels=%s", argv[++*i]);
        if (pol_limits_set(&c->opt.limits, spec, &err)) die_usage("%s", err.msg);
    } else {
        return 0;
    }
#undef NEED_VALUE
    return 1;
}

static void add_input(cli *c, const char *path)
{
    const char **v = realloc(c->inputs, (c->n_inputs + 1) * sizeof *v);
    if (!v) {
        fputs("polish: out of memory\n", stderr);
        exit(EXIT_FATAL);
    }
    c->inputs = v;
    c->inputs[c->n_inputs++] = path;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* -o names a folder unless there is one file input and -o looks like a file name. */
static void output_target(const cli *c, pol_batch *b)
{
    b->outdir = c->output;
    b->outfile = NULL;
    if (!c->output) return;
    size_t len = strlen(c->output);
    if (len && c->output[len - 1] == '/') return;
    if (is_dir(c->output)) return;
    const char *base = strrchr(c->output, '/');
    base = base ? base + 1 : c->output;
    const char *dot = strrchr(base, '.');
    if (!(dot && dot != base && dot[1])) return;
    /* A name with an extension is a file: one file input only (or none, for an op that makes
     * its item). */
    if (pol_path_is_frame_pattern(base)) { /* out/shot.####.png: each frame by its number */
        b->outfile = c->output;
        b->outdir = NULL;
        return;
    }
    if (c->n_inputs == 0 && (c->op_flags & POL_OP_NO_INPUT)) {
        b->outfile = c->output;
        b->outdir = NULL;
        return;
    }
    if (c->n_inputs != 1 || is_dir(c->inputs[0]))
        die_usage("-o %s names a file, but the input is %s; give a folder (end it with '/')",
                  c->output, c->n_inputs != 1 ? "several files" : "a folder");
    b->outfile = c->output;
    b->outdir = NULL;
}

/* ---- standard input and output ("-") ------------------------------------------------------- */

static char *std_dir; /* a private temporary folder while '-' is in use */

static void std_cleanup(void)
{
    if (!std_dir) return;
    char cmd_path[4096];
    /* Remove what we made: the saved input, the output folder and its one file. */
    const char *const names[] = {"stdin", NULL};
    for (int i = 0; names[i]; i++) {
        snprintf(cmd_path, sizeof cmd_path, "%s/%s", std_dir, names[i]);
        unlink(cmd_path);
    }
    snprintf(cmd_path, sizeof cmd_path, "%s/out", std_dir);
    DIR *d = opendir(cmd_path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
                continue;
            char f[4352];
            snprintf(f, sizeof f, "%s/%s", cmd_path, e->d_name);
            unlink(f);
        }
        closedir(d);
        rmdir(cmd_path);
    }
    rmdir(std_dir);
    free(std_dir);
    std_dir = NULL;
}

static const char *make_std_dir(void)
{
    if (std_dir) return std_dir;
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/polish-std-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        fprintf(stderr, "polish: cannot make a temporary folder for '-': %s\n", strerror(errno));
        exit(EXIT_FATAL);
    }
    std_dir = strdup(tmpl);
    if (!std_dir) exit(EXIT_FATAL);
    atexit(std_cleanup);
    return std_dir;
}

/* '-' as an input: standard input saved to a private file (formats need to seek). */
/* Standard input saved to a private file, at most the `bytes` limit (0: none). */
static const char *stdin_to_file(uint64_t limit)
{
    static char path[4200];
    snprintf(path, sizeof path, "%s/stdin", make_std_dir());
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "polish: cannot save standard input: %s\n", strerror(errno));
        exit(EXIT_FATAL);
    }
    char buf[65536];
    size_t n;
    uint64_t total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        total += n;
        if (limit && total > limit) {
            fclose(f);
            unlink(path);
            fprintf(stderr,
                    "polish: -: standard input is larger than the bytes limit (%llu bytes; "
                    "raise it with --limit bytes=N)\n",
                    (unsigned long long)limit);
            exit(EXIT_SOME_FAILED);
        }
        if (fwrite(buf, 1, n, f) != n) break;
    }
    int bad = ferror(stdin) || ferror(f);
    if (fclose(f) != 0 || bad) {
        fprintf(stderr, "polish: cannot save standard input: %s\n", strerror(errno));
        exit(EXIT_FATAL);
    }
    return path;
}

/* '-o -': the one output file, copied to standard output. An item that wrote several files (a
 * records item's quarantine and review sets) cannot go to one stream: refused (-1), nothing lost
 * silently. Returns 1 when copied, 0 when there was nothing, -1 on a problem. */
static int copy_output_to_stdout(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    char name[1024] = "";
    int files = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        files++;
        snprintf(name, sizeof name, "%s", e->d_name);
    }
    closedir(d);
    if (files == 0) return 0;
    if (files > 1) {
        fprintf(stderr, "polish: the item wrote %d files (e.g. a quarantine beside the clean "
                        "table); standard output takes one: use -o FOLDER\n", files);
        return -1;
    }
    char f[4352];
    if (snprintf(f, sizeof f, "%s/%s", dir, name) >= (int)sizeof f) return -1;
    FILE *in = fopen(f, "rb");
    if (!in) return -1;
    char buf[65536];
    size_t n;
    int copied = 1;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, stdout) != n) {
            copied = -1;
            break;
        }
    if (ferror(in)) copied = -1;
    fclose(in);
    if (fflush(stdout) != 0) copied = -1;
    return copied;
}

/* --groups FILE: one group per line, its files separated by tabs. Dies on a bad file. */
static const char ***read_groups(const char *path, char **text, size_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) die_usage("--groups %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    char *buf = NULL;
    for (;;) {
        if (len + 4096 > cap) {
            char *nb = realloc(buf, cap = cap * 2 + 8192);
            if (!nb) die_usage("--groups %s: out of memory", path);
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        if (!got) break;
        len += got;
        if (len > (64u << 20)) die_usage("--groups %s: larger than 64 MiB", path);
    }
    fclose(f);
    buf[len] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += buf[i] == '\n';
    const char ***g = calloc(lines, sizeof *g);
    if (!g) die_usage("--groups %s: out of memory", path);
    *n = 0;
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = '\0';
        if (!ll || line[0] == '#') continue;
        size_t members = 1;
        for (char *t = line; *t; t++) members += *t == '\t';
        const char **m = calloc(members + 1, sizeof *m);
        if (!m) die_usage("--groups %s: out of memory", path);
        size_t k = 0;
        for (char *tok = line, *tab; tok; tok = tab) {
            tab = strchr(tok, '\t');
            if (tab) *tab++ = '\0';
            if (*tok) m[k++] = tok;
        }
        g[(*n)++] = m;
    }
    if (!*n) die_usage("--groups %s: no groups in the file", path);
    *text = buf;
    return g;
}

static void free_groups(const char ***g, char *text, size_t n)
{
    for (size_t i = 0; g && i < n; i++) free((void *)g[i]);
    free((void *)g);
    free(text);
}

/* report.html -> report.jsonl; report.jsonl stays. */
static char *report_stream_path(const char *report)
{
    size_t len = strlen(report);
    if (len > 6 && !strcmp(report + len - 6, ".jsonl")) return strdup(report);
    const char *slash = strrchr(report, '/');
    const char *dot = strrchr(report, '.');
    size_t stem = dot && (!slash || dot > slash + 1) ? (size_t)(dot - report) : len;
    char *p = malloc(stem + 7);
    if (!p) return NULL;
    memcpy(p, report, stem);
    memcpy(p + stem, ".jsonl", 7);
    return p;
}

/* mkdir -p of a file's folder. */
static int make_parent(const char *path)
{
    char *p = strdup(path);
    if (!p) return -1;
    char *slash = strrchr(p, '/');
    int rc = 0;
    if (slash && slash != p) {
        *slash = '\0';
        for (char *s = p + 1; *s && !rc; s++) {
            if (*s != '/') continue;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
            *s = '/';
        }
        if (!rc && mkdir(p, 0777) != 0 && errno != EEXIST) rc = -1;
    }
    free(p);
    return rc;
}

static int run_batch(cli *c, const pol_pipeline *p, pol_batch_mode mode, const char *command)
{
    pol_err cerr;
    if (mode == POL_BATCH_PROCESS && pol_pipeline_check(p, &cerr)) die_usage("%s", cerr.msg);
    if (c->group == POL_GROUP_LIST && c->n_inputs)
        die_usage("%s: --groups names the inputs; give no other input", command);
    int makes = c->n_inputs == 0 && (c->op_flags & POL_OP_NO_INPUT);
    int document = (c->op_flags & POL_OP_DOCUMENT) != 0;
    if (c->n_inputs == 0 && c->group != POL_GROUP_LIST && !makes)
        die_usage("%s: no input files", command);
    if (c->output && !*c->output)
        die_usage("%s: -o is empty; name an output folder or file", command);
    int to_stdout = c->output && !strcmp(c->output, "-");
    size_t n_std = 0;
    for (size_t i = 0; i < c->n_inputs; i++) n_std += !strcmp(c->inputs[i], "-");
    if (n_std > 1) die_usage("%s: standard input ('-') can be read only once", command);
    if (to_stdout && document) die_usage("%s: without -o the result goes to standard output", command);
    if (to_stdout && (c->n_inputs != 1 || mode != POL_BATCH_PROCESS))
        die_usage("%s: '-o -' (standard output) takes exactly one input file", command);
    if (to_stdout && c->json) die_usage("%s: '-o -' and --json both want standard output", command);
    if (n_std)
        for (size_t i = 0; i < c->n_inputs; i++)
            if (!strcmp(c->inputs[i], "-")) c->inputs[i] = stdin_to_file(pol_limits_get(&c->opt.limits, "bytes"));
    char out_std[4200];
    pol_batch b = {.mode = mode, .options = &c->opt, .report_path = c->report, .group = c->group};
    char *groups_text = NULL;
    const char ***groups = NULL;
    if (c->group == POL_GROUP_LIST) {
        groups = read_groups(c->groups_file, &groups_text, &b.n_groups);
        b.groups = (const char *const *const *)groups;
    }
    if (mode == POL_BATCH_PROCESS) {
        if (!c->output && !c->opt.dry_run && !document)
            die_usage("%s: -o OUTPUT is required", command);
        if (to_stdout) {
            snprintf(out_std, sizeof out_std, "%s/out", make_std_dir());
            b.outdir = out_std;
        } else {
            output_target(c, &b);
        }
    }
    if (c->report) {
        /* Refuse an unwritable report before anything runs, not after the outputs are written. */
        char dir[4096];
        const char *slash = strrchr(c->report, '/');
        if (!*c->report) die_usage("--report is empty");
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - c->report + (slash == c->report)) : 1,
                 slash ? c->report : ".");
        size_t ol = c->output ? strlen(c->output) : 0;
        while (ol > 1 && c->output[ol - 1] == '/') ol--;
        int is_outdir = c->output && strlen(dir) == ol && !strncmp(dir, c->output, ol);
        if (access(dir, W_OK | X_OK) != 0 && !(errno == ENOENT && is_outdir))
            die_usage("--report %s: cannot write in %s: %s", c->report, dir, strerror(errno));
    }
    if (c->opt.dry_run && mode == POL_BATCH_PROCESS && !c->json) {
        char *plan = pol_pipeline_describe(p);
        if (plan) fputs(plan, stdout);
        free(plan);
    }
    int tty = isatty(STDERR_FILENO);
    if (tty && !c->quiet && !c->json && mode == POL_BATCH_PROCESS && !c->opt.dry_run)
        b.progress = progress;
    pol_report *r = pol_report_new(command);
    if (!r) {
        fputs("polish: out of memory\n", stderr);
        return EXIT_FATAL;
    }
    char *stream_path = NULL;
    if (c->report) {
        size_t len = strlen(c->report);
        pol_report_want_thumbnails(r, len > 5 && (!strcmp(c->report + len - 5, ".html") ||
                                                  !strcmp(c->report + len - 4, ".htm")));
        /* The report is streamed as items finish (<stem>.jsonl beside a .json/.html report),
         * so a killed batch keeps what finished and a page can follow it. */
        stream_path = report_stream_path(c->report);
        pol_err serr;
        if (!stream_path || make_parent(stream_path) != 0 ||
            pol_report_stream(r, stream_path, c->opt.overwrite, &serr)) {
            fprintf(stderr, "polish: cannot write the report stream %s: %s\n",
                    stream_path ? stream_path : c->report,
                    stream_path ? serr.msg : "out of memory");
            free(stream_path);
            pol_report_free(r);
            return EXIT_FATAL;
        }
    }
    pol_err err;
    pol_batch_result res;
    pol_status st = pol_batch_run(p, c->inputs, c->n_inputs, &b, r, &res, &err);
    int code = EXIT_ALL_OK;
    if (st == POL_ERR_PARTIAL)
        code = EXIT_SOME_FAILED;
    else if (st == POL_ERR_CANCELLED) {
        code = 128 + (got_signal ? got_signal : SIGINT);
        if (!c->quiet) fprintf(stderr, "\npolish: %s\n", err.msg);
    } else if (st) {
        fprintf(stderr, "polish: %s\n", err.msg);
        free(stream_path);
        pol_report_free(r);
        free_groups(groups, groups_text, b.n_groups);
        return st == POL_ERR_ARG ? EXIT_USAGE : EXIT_FATAL;
    }
    if (document && !c->output && !c->opt.dry_run) {
        /* the result documents are the output: on standard output, JSON */
        char *j = pol_report_documents(r);
        if (j) printf("%s\n", j);
        free(j);
    } else if (c->json) {
        char *j = pol_report_json(r);
        if (j) printf("%s\n", j);
        free(j);
    } else if (mode == POL_BATCH_INSPECT || c->opt.dry_run) {
        char *t = pol_report_text(r);
        if (t) fputs(t, stdout);
        free(t);
    }
    if (!c->json || code) {
        char *e = pol_report_errors(r);
        if (e && *e) {
            for (char *line = strtok(e, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "polish: error: %s\n", line);
        }
        free(e);
    }
    if (!c->quiet) {
        char *notes = pol_report_notes(r);
        if (notes && *notes)
            for (char *line = strtok(notes, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "polish: note: %s\n", line);
        free(notes);
    }
    if (to_stdout && res.ok) {
        int cp = copy_output_to_stdout(out_std);
        if (cp != 1) {
            if (cp == 0) fprintf(stderr, "polish: cannot write the output to standard output\n");
            code = EXIT_SOME_FAILED;
        }
    }
    if (!c->quiet && !c->json && mode == POL_BATCH_PROCESS && !c->opt.dry_run && !to_stdout &&
        !(document && !c->output)) {
        int wrote = b.outdir && res.ok > 0;
        fprintf(stderr, "polish: %zu ok, %zu failed", res.ok, res.failed);
        if (res.cancelled) fprintf(stderr, ", %zu not finished", res.cancelled);
        fprintf(stderr, "%s%s\n", wrote ? "; outputs in " : "", wrote ? b.outdir : "");
    }
    if (c->report && strcmp(c->report, stream_path) != 0) {
        pol_err werr;
        if (pol_report_write(r, c->report, &werr)) {
            /* The items ran and their outputs stand: a lost report is a failure, not "nothing
             * could run". */
            fprintf(stderr, "polish: cannot write the report: %s\n", werr.msg);
            if (code == EXIT_ALL_OK) code = EXIT_SOME_FAILED;
        } else if (!c->quiet && !c->json) {
            fprintf(stderr, "polish: report in %s\n", c->report);
        }
    }
    free(stream_path);
    pol_report_free(r);
    free_groups(groups, groups_text, b.n_groups);
    return code;
}

/* The options `fix` takes: the parameters and ports of every automatic step, from the registry. */
static void fix_options_help(void)
{
    printf("\nOptions of the automatic steps: --NAME VALUE sets NAME on every automatic step that "
           "takes it,\n--OP.NAME VALUE on one op's steps. A step that needs a file runs only when "
           "it is given.\nA domain's delivery options set how its items are written (and read). "
           "--no-NAME sets a flag false.\n");
    for (size_t d = 0; d < pol_domain_count(); d++) {
        const char *dn = pol_domain_name(d);
        for (size_t i = 0; i < pol_op_count(dn); i++) {
            const pol_op_desc *op = pol_op_at(dn, i);
            int deliver = (op->flags & POL_OP_DELIVER) != 0;
            if (!(op->flags & POL_OP_AUTO) && !deliver) continue;
            if (!op->n_params && !op->n_inputs && !op->n_outputs) continue;
            int col = printf("  %s.%s%s:", dn, op->name, deliver ? " (delivery)" : "");
            for (size_t k = 0; k < op->n_inputs + op->n_outputs + op->n_params; k++) {
                char w[160];
                if (k < op->n_inputs)
                    snprintf(w, sizeof w, " --%s %s%s", op->inputs[k].name, "PATH",
                             op->inputs[k].flags & POL_PORT_REQUIRED ? " (runs only with it)" : "");
                else if (k < op->n_inputs + op->n_outputs)
                    snprintf(w, sizeof w, " --%s PATH", op->outputs[k - op->n_inputs].name);
                else
                    snprintf(w, sizeof w, " --%s",
                             op->params[k - op->n_inputs - op->n_outputs].name);
                if (col + (int)strlen(w) > 96) col = printf("\n     ") - 1;
                col += printf("%s", w);
            }
            printf("\n");
        }
    }
}

static void command_help(const char *command)
{
    if (!strcmp(command, "inspect"))
        printf("usage: polish inspect FILE|DIR... [--json] [--report FILE]\n\n"
               "Loads each item and says what is wrong with it, in numbers; writes nothing.\n");
    else if (!strcmp(command, "fix")) {
        printf("usage: polish fix FILE|DIR... -o OUTPUT [OPTIONS]\n\n"
               "Applies each item's automatic recipe (its domain's safe steps) and writes the\n"
               "result under OUTPUT with the input's name. '-' reads standard input; '-o -'\n"
               "writes standard output.\n");
        fix_options_help();
    }
    else
        printf("usage: polish run RECIPE.yml FILE|DIR... -o OUTPUT [OPTIONS]\n\n"
               "Applies a written recipe (docs/recipes.md) to each item.\n");
    printf("\n");
    usage(stdout);
}

static void parse_plain(cli *c, int argc, char **argv, const char *command)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help(command);
            exit(EXIT_ALL_OK);
        }
        if (common_option(c, argc, argv, &i)) continue;
        if (!strcmp(argv[i], "--")) {
            for (i++; i < argc; i++) add_input(c, argv[i]);
            break;
        }
        if (argv[i][0] == '-' && argv[i][1]) die_usage("%s: unknown option %s", command, argv[i]);
        add_input(c, argv[i]);
    }
}

static int cmd_inspect(cli *c, int argc, char **argv)
{
    parse_plain(c, argc, argv, "inspect");
    pol_pipeline *p;
    pol_err err;
    if (pol_pipeline_new_auto(&p, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_FATAL;
    }
    int code = run_batch(c, p, POL_BATCH_INSPECT, "inspect");
    pol_pipeline_free(p);
    return code;
}

static int bool_word(const char *s, int *out);

/* polish fix IN... -o OUT [--NAME VALUE | --OP.NAME VALUE]...: options of the automatic steps */
static int cmd_fix(cli *c, int argc, char **argv)
{
    if (cli_workspace_fix_wanted(argc, argv)) return cli_workspace("fix", argc, argv);
    pol_pipeline *p;
    pol_err err;
    if (pol_pipeline_new_auto(&p, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_FATAL;
    }
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help("fix");
            pol_pipeline_free(p);
            return EXIT_ALL_OK;
        }
        if (common_option(c, argc, argv, &i)) continue;
        if (!strcmp(argv[i], "--")) {
            for (i++; i < argc; i++) add_input(c, argv[i]);
            break;
        }
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            if (a[0] == '-' && a[1]) die_usage("fix: unknown option %s", a);
            add_input(c, a);
            continue;
        }
        char name[256];
        const char *eq = strchr(a + 2, '='), *value = eq ? eq + 1 : NULL;
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nlen >= sizeof name) die_usage("option %s is too long", a);
        memcpy(name, a + 2, nlen);
        name[nlen] = '\0';
        int kind = pol_pipeline_auto_option_kind(p, name), b;
        if (!kind && !value && !strncmp(name, "no-", 3) &&
            pol_pipeline_auto_option_kind(p, name + 3) == 1) {
            memmove(name, name + 3, strlen(name + 3) + 1); /* --no-header: header false */
            kind = 1;
            value = "false";
        }
        if (!kind)
            die_usage("fix: unknown option --%s (no automatic step takes it; see 'polish help "
                      "fix')",
                      name);
        if (!value) {
            if (kind == 1 && i + 1 < argc && bool_word(argv[i + 1], &b))
                value = argv[++i];
            else if (kind == 1)
                value = "true";
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 &&
                     strcmp(argv[i + 1], "-o") != 0)
                value = argv[++i];
            else
                die_usage("--%s needs a value", name);
        }
        if (pol_pipeline_set_auto_option(p, name, value, &err)) die_usage("%s", err.msg);
    }
    int code = run_batch(c, p, POL_BATCH_PROCESS, "fix");
    pol_pipeline_free(p);
    return code;
}

/* The shard index from the scheduler when --shard is not given: Slurm job arrays, Kubernetes
 * Indexed Jobs, GNU parallel (whose sequence numbers start at 1). -1 when none is set. */
static long shard_from_env(void)
{
    static const char *const vars[] = {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX",
                                       "PARALLEL_SEQ"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        if (!v || !*v) continue;
        long n = strtol(v, &end, 10);
        if (*end || n < 0) die_usage("run: %s=%s is not a shard index", vars[i], v);
        return i == 2 ? n - 1 : n;
    }
    return -1;
}

static long count_arg(const char *flag, const char *v, long min)
{
    char *end;
    long n = v ? strtol(v, &end, 10) : -1;
    if (!v || !*v || *end || n < min) die_usage("%s needs a whole number >= %ld", flag, min);
    return n;
}

/* polish plan RECIPE.yml INPUTS... -o OUT/ --shards N */
static int cmd_plan(cli *c, int argc, char **argv)
{
    if (argc < 1) die_usage("plan: a recipe file is needed");
    long shards = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: polish plan RECIPE.yml FILE|DIR... -o OUT/ --shards N\n\n"
                   "Writes OUT/plan.json and nothing else: every item with its outputs and its "
                   "shard,\nbalanced by size. Then run each shard (polish run --plan "
                   "OUT/plan.json --shard I)\nand merge (polish merge OUT/plan.json). See "
                   "docs/SCALE.md.\n");
            return EXIT_ALL_OK;
        }
    }
    const char *recipe = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shards")) {
            shards = count_arg("--shards", i + 1 < argc ? argv[++i] : NULL, 1);
            continue;
        }
        if (!strncmp(argv[i], "--shards=", 9)) {
            shards = count_arg("--shards", argv[i] + 9, 1);
            continue;
        }
        if (common_option(c, argc, argv, &i)) continue;
        if (argv[i][0] == '-' && argv[i][1]) die_usage("plan: unknown option %s", argv[i]);
        add_input(c, argv[i]);
    }
    if (!shards) die_usage("plan: --shards N is needed");
    if (!c->output) die_usage("plan: -o OUT/ is needed (the plan goes to OUT/plan.json)");
    if (!c->n_inputs) die_usage("plan: no input files");
    pol_plan_spec spec = {.recipe = recipe,
                          .inputs = c->inputs,
                          .n_inputs = c->n_inputs,
                          .outdir = c->output,
                          .shards = (size_t)shards,
                          .options = &c->opt,
                          .group = c->group};
    char *path = NULL;
    pol_err err;
    pol_status st = pol_plan_make(&spec, &path, &err);
    if (st) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return st == POL_ERR_ARG || st == POL_ERR_RECIPE ? EXIT_USAGE : EXIT_FATAL;
    }
    size_t stages = pol_plan_stages(path, &err);
    if (c->json) {
        /* The path as a JSON string: quotes, backslashes and control bytes escaped. */
        fputs("{\"plan\": \"", stdout);
        for (const unsigned char *q = (const unsigned char *)path; *q; q++)
            if (*q == '"' || *q == '\\')
                printf("\\%c", *q);
            else if (*q < 0x20)
                printf("\\u%04x", *q);
            else
                putchar(*q);
        printf("\", \"stages\": %zu}\n", stages);
    }
    else if (!c->quiet)
        fprintf(stderr, "polish: plan in %s (%zu stage%s, %ld shards)\n", path, stages,
                stages == 1 ? "" : "s", shards);
    free(path);
    return EXIT_ALL_OK;
}

/* One shard of one stage: runs it, prints its errors; *st its status, with the first error in
 * `err` when an item failed. Returns the exit code. */
static int run_shard(cli *c, const char *plan, size_t stage, long shard, pol_status *st,
                     pol_err *err)
{
    pol_report *r = pol_report_new("run --plan");
    if (!r) return EXIT_FATAL;
    pol_batch_result res = {0};
    *st = pol_plan_run(plan, stage, (size_t)shard, &c->opt, r, &res, err);
    int code = *st == POL_OK ? EXIT_ALL_OK : *st == POL_ERR_PARTIAL ? EXIT_SOME_FAILED : 0;
    if (*st && *st != POL_ERR_PARTIAL) {
        fprintf(stderr, "polish: %s\n", err->msg);
        code = *st == POL_ERR_ARG ? EXIT_USAGE : EXIT_FATAL;
    } else {
        char *e = pol_report_errors(r);
        if (*st && e && *e) { /* the first failed item's error, for the other ranks of an MPI job */
            size_t n = strcspn(e, "\n");
            snprintf(err->msg, sizeof err->msg, "%.*s", (int)(n < sizeof err->msg ? n : 1000), e);
        }
        if (e && *e)
            for (char *line = strtok(e, "\n"); line; line = strtok(NULL, "\n"))
                fprintf(stderr, "polish: error: %s\n", line);
        free(e);
        if (c->json) {
            char *j = pol_report_json(r);
            if (j) printf("%s\n", j);
            free(j);
        } else if (!c->quiet) {
            fprintf(stderr, "polish: shard %ld: %zu ok, %zu failed\n", shard, res.ok, res.failed);
        }
    }
    pol_report_free(r);
    return code;
}

/* polish run --plan OUT/plan.json --mpi [--stage S]: the shards as the ranks of one MPI job
 * (mpirun -np N, N = the plan's shards), every stage in turn (or stage S), a stage starting when
 * every rank finished the one before; a stage whose parts must communicate can. */
static int run_plan_mpi(cli *c, const char *plan, long stage)
{
    size_t rank = 0, size = 1;
    pol_err err;
    pol_status st = pol_mpi_begin(NULL, NULL, &rank, &size, &err);
    if (st) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_FATAL;
    }
    size_t n = stage ? (size_t)stage : pol_plan_stages(plan, &err);
    if (!n) st = err.code ? err.code : POL_ERR_FORMAT;
    int code = st ? EXIT_FATAL : EXIT_ALL_OK;
    if (st) fprintf(stderr, "polish: %s\n", err.msg);
    /* (a rank that cannot read the plan still agrees once, so the others hear it) */
    for (size_t s = stage ? (size_t)stage : 1; s <= (n ? n : 1); s++) {
        int one = EXIT_ALL_OK;
        if (!st) one = run_shard(c, plan, s, (long)rank, &st, &err);
        /* every rank learns whether another failed, and which: none waits for a dead one */
        pol_status all = pol_mpi_agree(st, &err);
        if (all) {
            if (rank == 0)
                fprintf(stderr, "polish: stage %zu stopped: %s\n", s, err.msg);
            code = st ? (one ? one : EXIT_FATAL) : EXIT_FATAL;
            break;
        }
        if (rank == 0 && !c->quiet && !c->json)
            fprintf(stderr, "polish: stage %zu done on %zu ranks\n", s, size);
    }
    pol_mpi_end();
    return code;
}

/* polish run --plan OUT/plan.json [--stage S] [--shard I | --mpi] */
static int cmd_run_plan(cli *c, int argc, char **argv)
{
    const char *plan = NULL;
    long stage = 0, shard = -1;
    int mpi = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--plan")) {
            if (i + 1 >= argc) die_usage("--plan needs a plan file");
            plan = argv[++i];
        } else if (!strncmp(argv[i], "--plan=", 7)) {
            plan = argv[i] + 7;
        } else if (!strcmp(argv[i], "--stage")) {
            stage = count_arg("--stage", i + 1 < argc ? argv[++i] : NULL, 1);
        } else if (!strcmp(argv[i], "--shard")) {
            shard = count_arg("--shard", i + 1 < argc ? argv[++i] : NULL, 0);
        } else if (!strcmp(argv[i], "--mpi")) {
            mpi = 1;
        } else if (!common_option(c, argc, argv, &i)) {
            die_usage("run --plan: unexpected %s (the plan names the inputs)", argv[i]);
        }
    }
    if (c->output) die_usage("run --plan: the plan names the output folder; no -o");
    if (mpi && shard >= 0) die_usage("run --plan --mpi: each rank is its shard; no --shard");
    if (mpi) return run_plan_mpi(c, plan, stage);
    if (shard < 0) shard = shard_from_env();
    if (shard < 0)
        die_usage("run --plan: which shard? --shard I, or SLURM_ARRAY_TASK_ID, "
                  "JOB_COMPLETION_INDEX or PARALLEL_SEQ (or --mpi under mpirun)");
    pol_err err;
    pol_status st;
    return run_shard(c, plan, (size_t)stage, shard, &st, &err);
}

/* polish merge OUT/plan.json */
static int cmd_merge(cli *c, int argc, char **argv)
{
    const char *plan = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: polish merge OUT/plan.json\n\nWrites OUT/report.json and "
                   "OUT/report.html from the shards' report streams; exits 0 only when every "
                   "planned item\nis done, otherwise lists what is missing.\n");
            return EXIT_ALL_OK;
        }
        if (common_option(c, argc, argv, &i)) continue;
        if (plan || (argv[i][0] == '-' && argv[i][1])) die_usage("merge: unexpected %s", argv[i]);
        plan = argv[i];
    }
    if (!plan) die_usage("merge: which plan? (OUT/plan.json)");
    char *missing = NULL;
    pol_err err;
    pol_status st = pol_plan_merge(plan, &missing, &err);
    if (st && st != POL_ERR_PARTIAL) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return st == POL_ERR_ARG || st == POL_ERR_NOT_FOUND || st == POL_ERR_FORMAT ? EXIT_USAGE
                                                                                 : EXIT_FATAL;
    }
    if (st) {
        fprintf(stderr, "polish: %s:\n%s", err.msg, missing ? missing : "");
        free(missing);
        return EXIT_SOME_FAILED;
    }
    free(missing);
    if (!c->quiet) fprintf(stderr, "polish: every planned item is done; report merged\n");
    return EXIT_ALL_OK;
}

static int cmd_run(cli *c, int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--plan") || !strncmp(argv[i], "--plan=", 7))
            return cmd_run_plan(c, argc, argv);
    if (argc < 1) die_usage("run: a recipe file is needed");
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            command_help("run");
            return EXIT_ALL_OK;
        }
    pol_pipeline *p;
    pol_err err;
    if (pol_pipeline_load_recipe(argv[0], &p, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return err.code == POL_ERR_RECIPE || err.code == POL_ERR_ARG ? EXIT_USAGE : EXIT_FATAL;
    }
    parse_plain(c, argc - 1, argv + 1, "run");
    int code = run_batch(c, p, POL_BATCH_PROCESS, "run");
    pol_pipeline_free(p);
    return code;
}

/* "true", "false", "yes", "no", "on", "off": the value of a boolean flag written with a space
 * (--per-lead false). Digits and single letters are not taken: they may be file names. */
static int bool_word(const char *s, int *out)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i]) == 0) {
            *out = i % 2 == 0;
            return 1;
        }
    return 0;
}

/* polish DOMAIN OP [--param value]... IN -o OUT */
/* Does `path` end in one of the '|'-separated extensions `types`? */
static int has_type(const char *path, const char *types)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!types || !dot || (slash && dot < slash) || !dot[1]) return 0;
    size_t el = strlen(dot + 1);
    for (const char *t = types; *t;) {
        const char *e = strchr(t, '|');
        size_t tl = e ? (size_t)(e - t) : strlen(t);
        if (tl == el && !strncasecmp(t, dot + 1, el)) return 1;
        t += tl + (e ? 1 : 0);
    }
    return 0;
}

/* `polish forecast apply model.json F.csv`: when an op that takes items is given several files,
 * a leading one of the type a required file port reads fills that port if no flag named it. */
static void positional_ports(cli *c, const pol_op_desc *op, pol_pipeline *p, size_t step,
                             unsigned given)
{
    if (op->flags & POL_OP_NO_INPUT) return;
    for (size_t k = 0; k < op->n_inputs && k < 32 && c->n_inputs > 1; k++) {
        const pol_port_desc *pt = &op->inputs[k];
        if ((given & (1u << k)) || pt->kind != POL_PORT_FILE || !(pt->flags & POL_PORT_REQUIRED) ||
            !has_type(c->inputs[0], pt->types) || is_dir(c->inputs[0]))
            continue;
        pol_err err;
        if (pol_pipeline_set_port(p, step, pt->name, c->inputs[0], &err)) die_usage("%s", err.msg);
        memmove(c->inputs, c->inputs + 1, (c->n_inputs - 1) * sizeof *c->inputs);
        c->n_inputs--;
    }
}

static int cmd_op(cli *c, const char *domain, int argc, char **argv)
{
    if (argc < 1) die_usage("%s: which operation? (see 'polish ops %s')", domain, domain);
    const pol_op_desc *op = pol_op_find(domain, argv[0]);
    if (!op && argc > 1 && argv[1][0] != '-') { /* `polish text kb add` is op kb-add */
        char two[128];
        snprintf(two, sizeof two, "%s-%s", argv[0], argv[1]);
        if ((op = pol_op_find(domain, two)) != NULL) {
            argc--;
            argv++;
        }
    }
    if (!op) die_usage("%s has no operation '%s' (see 'polish ops %s')", domain, argv[0], domain);
    const pol_op_desc *dop = pol_domain_deliver_op(domain);
    c->op_flags = op->flags;
    pol_pipeline *p;
    pol_err err;
    size_t step;
    if (pol_pipeline_new(domain, &p, &err) || pol_pipeline_add_step(p, op->name, &step, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        return EXIT_FATAL;
    }
    unsigned ports_given = 0; /* input ports named by a flag (bit per port) */
    for (int i = 1; i < argc; i++) {
        if (common_option(c, argc, argv, &i)) continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help_op(op);
            pol_pipeline_free(p);
            return EXIT_ALL_OK;
        }
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) add_input(c, argv[i]);
            break;
        }
        if (strncmp(a, "--", 2) != 0 || !a[2]) {
            if (a[0] == '-' && a[1]) die_usage("%s.%s: unknown option %s", domain, op->name, a);
            add_input(c, a);
            continue;
        }
        char name[128];
        const char *value = NULL;
        const char *eq = strchr(a + 2, '=');
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nlen >= sizeof name) die_usage("option %s is too long", a);
        memcpy(name, a + 2, nlen);
        name[nlen] = '\0';
        if (eq) value = eq + 1;
        int negated = 0;
        const pol_param_desc *pd = pol_op_param(op, name);
        int to_deliver = 0;
        if (!pd && dop && dop != op && (pd = pol_op_param(dop, name))) to_deliver = 1;
        if (!pd && !strncmp(name, "no-", 3)) {
            pd = pol_op_param(op, name + 3);
            if (!pd && dop && dop != op && (pd = pol_op_param(dop, name + 3))) to_deliver = 1;
            if (pd && pd->type == POL_PARAM_BOOL)
                negated = 1;
            else
                pd = NULL;
        }
        if (!pd && (pol_op_input(op, name) || pol_op_output(op, name))) {
            if (!value) {
                if (i + 1 >= argc) die_usage("--%s needs a path", name);
                value = argv[++i];
            }
            if (pol_pipeline_set_port(p, step, name, value, &err)) die_usage("%s", err.msg);
            for (size_t k = 0; k < op->n_inputs && k < 32; k++)
                if (!strcmp(op->inputs[k].name, name)) ports_given |= 1u << k;
            continue;
        }
        if (!pd)
            die_usage("%s.%s has no option --%s (see 'polish help %s.%s')", domain, op->name, name,
                      domain, op->name);
        if (negated) {
            if (value) die_usage("--no-%s takes no value", pd->name);
            value = "false";
        } else if (!value) {
            int b;
            if (pd->type == POL_PARAM_BOOL && i + 1 < argc && bool_word(argv[i + 1], &b))
                value = argv[++i]; /* --per-lead false */
            else if (pd->type == POL_PARAM_BOOL)
                value = "true";
            else if (i + 1 < argc)
                value = argv[++i];
            else
                die_usage("--%s needs a value", name);
        }
        pol_status st = to_deliver ? pol_pipeline_set_deliver_arg(p, pd->name, value, &err)
                                   : pol_pipeline_set_arg(p, step, pd->name, value, &err);
        if (st) die_usage("%s", err.msg);
    }
    positional_ports(c, op, p, step, ports_given);
    char command[160];
    snprintf(command, sizeof command, "%s %s", domain, op->name);
    int code = run_batch(c, p, POL_BATCH_PROCESS, command);
    pol_pipeline_free(p);
    return code;
}

/* polish report FILE.jsonl [FILE.jsonl...] -o OUT.(html|json|jsonl): renders a report stream
 * (also one cut short by a killed batch), merging several into one. */
static int cmd_report(cli *c, int argc, char **argv)
{
    int i = 0;
    if (argc > 0 && !strcmp(argv[0], "merge")) i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: polish report [merge] STREAM.jsonl... -o OUT.html|OUT.json|OUT.jsonl\n"
                   "Renders the report stream of a batch (finished or killed); several streams "
                   "are merged into one report.\n");
            return EXIT_ALL_OK;
        }
        if (common_option(c, argc, argv, &i)) continue;
        if (argv[i][0] == '-' && argv[i][1]) die_usage("report: unknown option %s", argv[i]);
        add_input(c, argv[i]);
    }
    if (!c->n_inputs) die_usage("report: which report stream? (a .jsonl file)");
    if (!c->output && !c->json) die_usage("report: -o OUT.html|OUT.json|OUT.jsonl is required");
    pol_report *all = NULL;
    pol_err err;
    for (size_t k = 0; k < c->n_inputs; k++) {
        pol_report *one;
        if (pol_report_read(c->inputs[k], &one, &err)) {
            fprintf(stderr, "polish: %s\n", err.msg);
            pol_report_free(all);
            return err.code == POL_ERR_NOT_FOUND ? EXIT_USAGE : EXIT_FATAL;
        }
        if (!all) {
            all = one;
            continue;
        }
        pol_status st = pol_report_merge(all, one, &err);
        pol_report_free(one);
        if (st) {
            fprintf(stderr, "polish: %s\n", err.msg);
            pol_report_free(all);
            return EXIT_FATAL;
        }
    }
    int code = EXIT_ALL_OK;
    if (c->json) {
        char *j = pol_report_json(all);
        if (j) printf("%s\n", j);
        free(j);
    }
    if (c->output && pol_report_write(all, c->output, &err)) {
        fprintf(stderr, "polish: %s\n", err.msg);
        code = EXIT_FATAL;
    }
    pol_report_free(all);
    return code;
}

int main(int argc, char **argv)
{
    cli c;
    memset(&c, 0, sizeof c);
    pol_options_default(&c.opt);
    c.prog = argv[0];
    catch_signals();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    int code;
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("polish %s\n", pol_version());
        return EXIT_ALL_OK;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return EXIT_ALL_OK;
    }
    if (!strcmp(cmd, "ops"))
        code = cmd_ops(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "help"))
        code = cmd_help(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "inspect"))
        code = cmd_inspect(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "fix"))
        code = cmd_fix(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "run"))
        code = cmd_run(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "report"))
        code = cmd_report(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "plan"))
        code = cmd_plan(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "merge"))
        code = cmd_merge(&c, argc - 2, argv + 2);
    else if (!strcmp(cmd, "serve"))
        code = pol_cli_serve(argc - 2, argv + 2);
    else if ((code = cli_workspace(cmd, argc - 2, argv + 2)) >= 0)
        ;
    else {
        int is_domain = 0;
        for (size_t i = 0; i < pol_domain_count(); i++)
            is_domain |= !strcmp(cmd, pol_domain_name(i));
        if (!is_domain) die_usage("unknown command '%s'", cmd);
        code = cmd_op(&c, cmd, argc - 2, argv + 2);
    }
    free(c.inputs);
    return code;
}
