/*
 * prune.c - version pruning (see prune.h).
 */
#include "auto-config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "updater/file.h"
#include "updater/install.h"
#include "updater/prune.h"

void prune_versions(const char *root, const char *current, int keep)
{
	char prev[INSTALL_ID_MAX] = "";
	size_t n, i, kept = 0;
	char **ids = install_list(root, &n);

	if (current != NULL && install_previous(root, current, prev) < 0)
		prev[0] = '\0';
	for (i = n; i-- > 0;) {
		int protect = (current != NULL && strcmp(ids[i], current) == 0) ||
			      (*prev && strcmp(ids[i], prev) == 0);
		char path[PATH_MAX];
		const char *err;

		if (protect || kept < (size_t)keep) {
			kept++;
			continue;
		}
		snprintf(path, sizeof(path), "%s/versions/%s", root, ids[i]);
		if (file_remove_tree(path, &err) < 0) {
			log_warn("pruning: %s", err);
			continue;
		}
		log_info("pruned version %s", ids[i]);
	}
	install_list_free(ids);
}
