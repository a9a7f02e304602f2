/* polish — text.kb-add: approved documents into the knowledge base (SQLite FTS5, BM25). */
#include "text/text.h"

static const pol_param_desc params[] = {
    {"max-chars", POL_PARAM_INT, "600", 120, 20000, NULL,
     "Largest passage, in bytes: paragraphs are kept whole up to this size.", .unit = "B"},
};

static const pol_port_desc inputs[] = {
    {"kb", POL_PORT_FILE, NULL, "db", POL_PORT_REQUIRED,
     "The knowledge base to add to (created when missing); each document is added in one "
     "transaction, replacing its earlier passages."},
};

static pol_status run(pol_run *run, pol_asset *asset, const pol_args *args)
{
    pol__text *t = pol__text_of(asset);
    const char *kb = pol__input_path(args, "kb", 0);
    if (!kb) return pol__fail(run, POL_ERR_ARG, "no --kb given");
    switch (t->kind) {
    case POL_TEXT_PLAIN:
    case POL_TEXT_MARKDOWN:
    case POL_TEXT_HTML:
    case POL_TEXT_FAQ_CSV:
        break;
    default:
        return pol__fail(run, POL_ERR_FORMAT,
                         "%s is a %s, not a document: the knowledge base takes Markdown, text, "
                         "HTML or a CSV of questions and answers",
                         asset->source_path, pol__text_kind_name(t->kind));
    }
    pol__chunk_list c;
    if (pol__text_chunk(t->kind, t->buf, t->len, (size_t)pol__arg_int(args, "max-chars"), &c))
        return pol__fail(run, POL_ERR_NOMEM, "out of memory");
    pol__measure_str(run, "kind", pol__text_kind_name(t->kind));
    pol__measure_int(run, "passages", (long long)c.n);
    long added = 0, removed = 0;
    int unchanged = 0;
    pol_status st = POL_OK;
    if (!c.n) pol__warn(run, "%s holds no text; no passages added", asset->source_path);
    /* even with no passages: a document emptied since it was added loses its old passages */
    st = pol__kb_add(run, kb, asset->source_path, &c, &added, &removed, &unchanged);
    pol__chunks_free(&c);
    if (st) return st;
    if (unchanged)
        pol__decline(run, "%s is already in %s unchanged", asset->source_path, kb);
    else if (added)
        pol__decide(run, "%ld passages of %s added to %s%s", added, asset->source_path, kb,
                    removed ? " (its earlier passages replaced)" : "");
    pol__jv *doc = pol__jv_obj();
    pol__jv_set(doc, "kb", pol__jv_str(kb));
    pol__jv_set(doc, "source", pol__jv_str(asset->source_path));
    pol__jv_set(doc, "kind", pol__jv_str(pol__text_kind_name(t->kind)));
    pol__jv_set(doc, "added", pol__jv_int(added));
    pol__jv_set(doc, "replaced", pol__jv_int(removed));
    pol__jv_set(doc, "unchanged", pol__jv_bool(unchanged));
    pol__document(run, doc);
    return POL_OK;
}

const pol_op_desc pol__text_op_kb_add = {
    .domain = "text",
    .name = "kb-add",
    .summary = "Add approved documents (Markdown, text, HTML, FAQ CSV) to a knowledge base",
    .params = params,
    .n_params = POL_ARRAY_LEN(params),
    .run = run,
    .flags = POL_OP_DOCUMENT,
    .inputs = inputs,
    .n_inputs = POL_ARRAY_LEN(inputs),
};
