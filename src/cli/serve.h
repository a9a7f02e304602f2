/* polish serve — the command (src/cli/serve.c). */
#ifndef POLISH_CLI_SERVE_H
#define POLISH_CLI_SERVE_H

/* `polish serve ARGS...` (argv after "serve"); returns the exit status. */
int pol_cli_serve(int argc, char **argv);

#endif
