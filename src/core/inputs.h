/* polish — collecting a batch's inputs (files and folders) and recognising each one (internal). */
#ifndef POLISH_CORE_INPUTS_H
#define POLISH_CORE_INPUTS_H

#include <sys/types.h>
#include "core/internal.h"

/* A file's identity: device and inode (names can lie: links, "./a.jpg" vs "a.jpg"). */
typedef struct pol__fileid {
    dev_t dev;
    ino_t ino;
} pol__fileid;

typedef struct pol__input {
    char *path; /* as given or found */
    char *rel;  /* output-relative name: base name, or the path inside a given folder */
    int named;  /* given on the command line, not found in a folder */
} pol__input;

typedef struct pol__inputs {
    pol__input *v;
    size_t n, cap;
    /* Identities of every input file and walked folder, sorted (pol__inputs_has). */
    pol__fileid *ids;
    size_t n_ids, cap_ids;
    /* Entries left out, each {path, reason}: FIFOs and devices, folders seen before (links),
     * folders too deep, the output folder, files found in a folder that no domain recognises. */
    pol__jv *skipped;
} pol__inputs;

/*
 * Expands files and folders into items. Folders are walked in name order, hidden entries skipped,
 * each folder once (by device and inode, so symbolic-link loops end), at most 64 deep; the output
 * folder `outdir` (may be NULL or not exist yet) is never walked. In folders, only regular files are
 * taken, and only those some domain recognises (`want`, when not NULL, must be that domain); named
 * files are always taken (and fail later if they are not usable). Never opens a FIFO or device.
 * A path that does not exist and is a frame pattern ("shot.####.exr", pol_path_is_frame_pattern)
 * names the files numbered so, in frame order (POL_ERR_NOT_FOUND when none is there).
 * Returns POL_OK, POL_ERR_NOMEM or POL_ERR_NOT_FOUND.
 */
pol_status pol__inputs_collect(pol__inputs *in, const char *const *paths, size_t n,
                               const char *outdir, const pol__domain *want, pol_err *err);
void pol__inputs_free(pol__inputs *in);
/* Is this identity an input file (or a walked input folder)? */
int pol__inputs_has(const pol__inputs *in, dev_t dev, ino_t ino);

/* Recognises an input by content (every domain's sniff) without blocking: a FIFO, socket or device
 * is refused before anything is read. An extension that claims another domain is an error. */
pol_status pol__recognise(pol_run *run, const char *path, const pol__domain *want,
                          const pol__domain **out);

/* The domain a file's content (else its extension) says it is, or NULL; reads its head without
 * blocking, like pol__recognise, but decides nothing for an item. */
const pol__domain *pol__sniff_domain(const char *path);

#endif
