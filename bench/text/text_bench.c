/* polish bench — the text domain on one core:
 *   text_bench check DIR CHUNKS ANSWERS   median and p99 time to check an answer against a
 *                                         knowledge base of about CHUNKS passages (built in DIR)
 *   text_bench redact N OUT.jsonl         PII redaction of N generated messages: time, recall,
 *                                         leak rate; writes them (with gold spans) for redact-pii
 *   text_bench chats N OUT.json           a chat export of N generated conversations */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "../../tests/text/gen_chat.h"
#include "../../tests/text/gen_check.h"
#include "../../tests/text/gen_pii.h"
#include "text/check.h"
#include "text/redact.h"
#include "text/textutil.h"
#include "text/text.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int bench_check(const char *dir, long want_chunks, int answers)
{
    char kbp[512];
    snprintf(kbp, sizeof kbp, "%s/kb-%ld.db", dir, want_chunks);
    mkdir(dir, 0755);
    pol_err e;
    pol_err_clear(&e);
    pol_run run = {.err = &e};
    struct stat st;
    gc_business target;
    gc_rng tr = {777};
    gc_business_make(&target, 0, &tr);
    if (stat(kbp, &st) != 0) {
        /* handbooks of many businesses: the target's own document, then others, each as one
         * source of about 1,000 passages */
        long total = 0;
        int b = 0, doc = 0;
        const char *ext = "md";
        char *d0 = gc_document(&target, &ext);
        pol__chunk_list c;
        pol__text_chunk(POL_TEXT_MARKDOWN, d0, strlen(d0), 600, &c);
        long a, r;
        int same;
        if (pol__kb_add(&run, kbp, "target.md", &c, &a, &r, &same)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        total += a;
        pol__chunks_free(&c);
        free(d0);
        while (total < want_chunks) {
            pol__sbuf hb = {0};
            long in_doc = 0;
            while (in_doc < 1000 && total + in_doc < want_chunks) {
                gc_business B;
                gc_rng r2 = {(uint64_t)b * 104729 + 17};
                gc_business_make(&B, b % 4, &r2);
                snprintf(B.name, sizeof B.name, "Business %d", b);
                B.format = 0;
                char *d = gc_document(&B, &ext);
                pol__chunk_list cc;
                pol__text_chunk(POL_TEXT_MARKDOWN, d, strlen(d), 600, &cc);
                in_doc += (long)cc.n;
                pol__chunks_free(&cc);
                pol__sbuf_puts(&hb, d);
                pol__sbuf_puts(&hb, "\n\n");
                free(d);
                b++;
            }
            pol__text_chunk(POL_TEXT_MARKDOWN, hb.p, hb.n, 600, &c);
            char src[64];
            snprintf(src, sizeof src, "handbook-%d.md", doc++);
            if (pol__kb_add(&run, kbp, src, &c, &a, &r, &same)) {
                fprintf(stderr, "%s\n", e.msg);
                return 1;
            }
            total += a;
            pol__chunks_free(&c);
            free(hb.p);
        }
    }
    pol__kb *kb = NULL;
    double o0 = now();
    if (pol__kb_open(kbp, &kb, &e)) {
        fprintf(stderr, "%s\n", e.msg);
        return 1;
    }
    printf("  opening the knowledge base (once per batch, passages indexed in memory): %.0f ms\n",
           (now() - o0) * 1e3);
    double *t = malloc((size_t)answers * sizeof *t), *w = malloc((size_t)answers * sizeof *w);
    long claims = 0;
    double t0 = now();
    for (int i = 0; i < answers; i++) {
        gc_answer A;
        gc_answer_make(&A, &target, 0, &tr, 40);
        pol__check c;
        double s = cpu(), sw = now();
        if (pol__check_run(kb, A.text, A.len, NULL, &c, &e)) {
            fprintf(stderr, "%s\n", e.msg);
            return 1;
        }
        t[i] = cpu() - s;
        w[i] = now() - sw;
        claims += (long)c.n;
        pol__check_free(&c);
    }
    double all = now() - t0;
    qsort(t, (size_t)answers, sizeof *t, cmp_d);
    qsort(w, (size_t)answers, sizeof *w, cmp_d);
    printf("  kb: %ld passages; %d answers, %ld claims (%.1f per answer)\n", pol__kb_chunks(kb),
           answers, claims, (double)claims / answers);
    printf("  check CPU time per answer (one core): median %.3f ms, p99 %.3f ms, max %.3f ms\n",
           t[answers / 2] * 1e3, t[(int)(answers * 0.99)] * 1e3, t[answers - 1] * 1e3);
    printf("  wall time per answer (shared machine): median %.3f ms, p99 %.3f ms; %.0f answers/s\n",
           w[answers / 2] * 1e3, w[(int)(answers * 0.99)] * 1e3, answers / all);
    free(t);
    free(w);
    pol__kb_close(kb);
    return 0;
}

static void json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\') fputc('\\', f);
        if (s[i] == '\n') {
            fputs("\\n", f);
            continue;
        }
        fputc(s[i], f);
    }
    fputc('"', f);
}

static int bench_redact(int n, const char *out)
{
    gc_rng r = {99991};
    gp_doc *docs = malloc((size_t)n * sizeof *docs);
    for (int i = 0; i < n; i++) gp_make(&docs[i], &r);
    long gold = 0, leaked = 0, decoys = 0, lost = 0, hit[POL_PII_COUNT] = {0}, cnt[POL_PII_COUNT] = {0};
    double t0 = now();
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        pol__pii_found f;
        pol__pii_find(docs[i].text, docs[i].len, (1L << POL_PII_COUNT) - 1, NULL, "US", &f);
        size_t len;
        char *o = pol__redact_apply(docs[i].text, docs[i].len, &f, POL_REDACT_LABEL, NULL, &len);
        bytes += docs[i].len;
        /* scoring outside the timed part would be fairer; it is cheap next to finding */
        for (int g = 0; g < docs[i].n; g++) {
            char v[128];
            snprintf(v, sizeof v, "%.*s", (int)(docs[i].s[g].end - docs[i].s[g].start), docs[i].text + docs[i].s[g].start);
            gold++;
            cnt[docs[i].s[g].type]++;
            if (strstr(o, v)) leaked++;
            else hit[docs[i].s[g].type]++;
        }
        for (int g = 0; g < docs[i].nd; g++) {
            char v[128];
            snprintf(v, sizeof v, "%.*s", (int)(docs[i].decoy[g].end - docs[i].decoy[g].start), docs[i].text + docs[i].decoy[g].start);
            decoys++;
            lost += !strstr(o, v);
        }
        free(o);
        pol__pii_free(&f);
    }
    double dt = now() - t0;
    printf("  polish: %d messages (%.1f MB) in %.3f s, %.1f MB/s; leak rate %.4f (%ld of %ld); "
           "look-alikes redacted %.4f (%ld of %ld)\n",
           n, bytes / 1e6, dt, bytes / 1e6 / dt, (double)leaked / gold, leaked, gold,
           (double)lost / decoys, lost, decoys);
    printf("  polish per type (share no longer readable):");
    for (int k = 0; k < POL_PII_COUNT; k++)
        printf(" %s %.3f", pol__pii_name((pol__pii)k), cnt[k] ? (double)hit[k] / cnt[k] : 1.0);
    printf("\n");
    FILE *f = fopen(out, "w");
    if (!f) return 1;
    for (int i = 0; i < n; i++) {
        fputs("{\"text\":", f);
        json_str(f, docs[i].text, docs[i].len);
        fputs(",\"pii\":[", f);
        for (int g = 0; g < docs[i].n; g++) {
            fprintf(f, "%s[\"%s\",", g ? "," : "", pol__pii_name(docs[i].s[g].type));
            json_str(f, docs[i].text + docs[i].s[g].start, docs[i].s[g].end - docs[i].s[g].start);
            fputc(']', f);
        }
        fputs("],\"decoys\":[", f);
        for (int g = 0; g < docs[i].nd; g++) {
            if (g) fputc(',', f);
            json_str(f, docs[i].text + docs[i].decoy[g].start, docs[i].decoy[g].end - docs[i].decoy[g].start);
        }
        fputs("]}\n", f);
    }
    fclose(f);
    free(docs);
    return 0;
}

static int bench_chats(int n, const char *out)
{
    FILE *f = fopen(out, "w");
    if (!f) return 1;
    gc_rng r = {5150};
    fputs("{\"conversations\": [\n", f);
    for (int i = 0; i < n; i++) {
        gt_convo c;
        gt_make(&c, &r, i);
        fprintf(f, "%s%s\n", i ? "," : "", c.json);
    }
    fputs("]}\n", f);
    return fclose(f) ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "check")) return bench_check(argv[2], atol(argv[3]), atoi(argv[4]));
    if (argc >= 4 && !strcmp(argv[1], "redact")) return bench_redact(atoi(argv[2]), argv[3]);
    if (argc >= 4 && !strcmp(argv[1], "chats")) return bench_chats(atoi(argv[2]), argv[3]);
    fprintf(stderr, "usage: text_bench check DIR CHUNKS ANSWERS | redact N OUT.jsonl | chats N OUT.json\n");
    return 2;
}
