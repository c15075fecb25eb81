#include "auto-config.h"
#include "tuning/compare.h"
int compare_main(int argc, char **argv) { (void)argc; (void)argv; return 2; }
