/* Command-line front end: subcommands, help, and one-line error reporting. */
#ifndef SB_CLI_H
#define SB_CLI_H

/* Runs `shuibao <command> ...`; returns the process exit status (0 ok, 1 error, 2 usage). */
int SbMain(int argc, char **argv);

#endif
