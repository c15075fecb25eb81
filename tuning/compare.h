/*
 * compare.h - the project's side-by-side benchmark in one run.
 */
#ifndef MX_COMPARE_H
#define MX_COMPARE_H

/* compare_main - "mxscan-tune compare". */
int compare_main(int argc, char **argv);

#endif
