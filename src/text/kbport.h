/* polish — text ops' shared --kb input. */
#ifndef POLISH_TEXT_KBPORT_H
#define POLISH_TEXT_KBPORT_H
#include "text/text.h"

#define POL_TEXT_KB_PORT                                                                           \
    {"kb", POL_PORT_ASSET, "text", "db", POL_PORT_REQUIRED | POL_PORT_SHARED,                      \
     "The knowledge base of approved passages (made by text.kb-add), opened once for the batch."}

/* The knowledge base given to --kb (a reference in *ka, release with pol__asset_unref). Fails
 * with a clear message when it is not a knowledge base or holds no passages. */
pol_status pol__text_kb_input(pol_run *run, const pol_args *args, pol_asset **ka, pol__kb **kb);

#endif
