/* entry.c - the senti-serve program: `senti serve ARGS` runs it as `senti-serve ARGS`.
 * It is a program of its own so that libmicrohttpd (and the TLS libraries it brings) is
 * loaded only by the service, not at every start of the other commands. */
#include "serve/serve.h"

int main(int argc, char **argv) { return cmd_serve(argc, argv); }
