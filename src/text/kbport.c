/* polish — the knowledge base as a shared input port of text ops (opened once per batch). */
#include "text/kbport.h"

pol_status pol__text_kb_input(pol_run *run, const pol_args *args, pol_asset **ka, pol__kb **kb)
{
    *kb = NULL;
    pol_status st = pol__input_asset(run, args, "kb", 0, ka);
    if (st) return st;
    pol__text *t = pol__text_of(*ka);
    if (t->kind != POL_TEXT_KB || !t->kb) {
        const char *p = (*ka)->source_path;
        pol__asset_unref(*ka);
        *ka = NULL;
        return pol__fail(run, POL_ERR_FORMAT,
                         "--kb %s is not a knowledge base; make one with `polish text kb add DOCS "
                         "--kb FILE`", p ? p : "");
    }
    if (pol__kb_chunks(t->kb) == 0) {
        pol_status e = pol__fail(run, POL_ERR_EMPTY,
                                 "--kb %s is empty (0 passages): add approved documents with "
                                 "`polish text kb add DOCS --kb %s` first; the answer is unchanged",
                                 (*ka)->source_path, (*ka)->source_path);
        pol__asset_unref(*ka);
        *ka = NULL;
        return e;
    }
    *kb = t->kb;
    return POL_OK;
}
