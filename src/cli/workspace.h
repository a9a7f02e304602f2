/* polish — the workspace commands of the command line (init, add, ls, show, fix ID, approve,
 * reject, undo, history, export, watch). Public API only. */
#ifndef POLISH_CLI_WORKSPACE_H
#define POLISH_CLI_WORKSPACE_H

/* Runs workspace command `cmd` with its arguments; returns the exit code, or -1 when `cmd` is not
 * a workspace command. */
int cli_workspace(const char *cmd, int argc, char **argv);

/* `polish fix ID...` in a workspace (no -o, every argument an item id that is not a file name)?
 * Then cli_workspace("fix", ...) handles it; `polish fix IN -o OUT/` stays the file command. */
int cli_workspace_fix_wanted(int argc, char **argv);

/* Lines for `polish --help`. */
extern const char cli_workspace_usage[];

#endif
