/*
 * config-dump - prints the compiled parameter table, one parameter per
 * line as "name|type|default|min|max" (config_print_table), so that
 * tests/integration/t_config_doc.py can compare it with doc/mxscan.conf.5.
 */
#include "auto-config.h"

#include <stdio.h>

#include "common/config.h"

int main(void)
{
	config_print_table(stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}
