/* polish — fuzz target: the text domain's readers on arbitrary bytes. The first byte picks the
 * file name's extension (.json .csv .txt .md .html .yml), the rest is the file: the loader (UTF-8
 * check, sniffing), then by kind the chat-export reader with the lead, tag, summary, contact and
 * e-mail builders; the document chunker (Markdown, HTML, FAQ CSV); sentence, word and typed-value
 * splitting and the PII finder; and the routing-rules YAML reader. Must fail cleanly, never crash,
 * leak or hang. */
#include "fuzz.h"
#include "records/records.h"
#include "text/redact.h"
#include "text/textutil.h"
#include "text/transcript.h"

static void prose(const char *s, size_t n)
{
    pol__span *sp = NULL;
    long ns = pol__sentences(s, n, &sp);
    free(sp);
    (void)ns;
    pol__word *w = NULL;
    long nw = pol__words(s, n, &w);
    free(w);
    (void)nw;
    pol__vals v;
    pol__values(s, n, &v);
    pol__vals_free(&v);
    pol__pii_found f;
    pol__pii_find(s, n, -1L, NULL, "US", &f);
    pol__pii_free(&f);
}

static void chats(fuzz_ctx *c, const pol__text *t, const char *path)
{
    pol__transcripts tr;
    pol_err e;
    if (pol__transcripts_parse(t, &tr, &e) != POL_OK) return;
    pol__tag_rules rules;
    if (pol__tag_rules_builtin(&rules) == 0) {
        pol__followup f;
        if (pol__followup_extract(&c->run, &tr, "US", &rules, &f) == POL_OK) {
            pol__records *r = NULL;
            size_t a, b, d;
            if (pol__leads_records(&c->run, &f, 1, "csv", &r, &a, &b, &d) == POL_OK)
                pol__records_domain.data_free(r);
            r = NULL;
            if (pol__contacts_records(&c->run, &f, "csv", &r, &a) == POL_OK)
                pol__records_domain.data_free(r);
            pol__jv_free(pol__text_summary_doc(&f));
            size_t n = 0;
            free(pol__summary_eml(&f, "a <a@b.c>", NULL, path, &n));
            pol__followup_free(&f);
        }
        pol__tag_rules_free(&rules);
    }
    pol__transcripts_free(&tr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const ext[] = {".json", ".csv", ".txt", ".md", ".html", ".yml"};
    if (size < 1) return 0;
    const char *suffix = ext[data[0] % 6];
    char path[256];
    if (!fuzz_tmpfile(data + 1, size - 1, suffix, path, sizeof path)) return 0;
    const pol__domain *d = pol__domain_find("text");
    if (!d) abort();
    fuzz_ctx c;
    fuzz_ctx_init(&c, path);
    if (data[0] % 6 == 5) { /* a routing-rules file */
        pol__tag_rules r;
        if (pol__tag_rules_load(&c.run, path, &r) == POL_OK) pol__tag_rules_free(&r);
    } else {
        pol_asset *a = NULL;
        if (d->load(&c.run, path, &a) == POL_OK) {
            pol__text *t = pol__text_of(a);
            switch (t->kind) {
            case POL_TEXT_CHAT_JSON:
            case POL_TEXT_CHAT_CSV:
            case POL_TEXT_CHAT_TEXT:
                chats(&c, t, path);
                break;
            case POL_TEXT_KB:
                break;
            default: {
                pol__chunk_list ch;
                if (pol__text_chunk(t->kind, t->buf, t->len, 600, &ch) == 0) pol__chunks_free(&ch);
                prose(t->buf, t->len < 65536 ? t->len : 65536);
            }
            }
        }
        pol__asset_unref(a);
    }
    fuzz_ctx_free(&c);
    unlink(path);
    return 0;
}
