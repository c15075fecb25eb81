/*
 * admin.c - the commands beside a normal run: --status, --rollback and
 * --publish.
 */
#include "auto-config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/log.h"
#include "updater/cvd.h"
#include "updater/file.h"
#include "updater/lock.h"
#include "updater/notify.h"
#include "updater/pause.h"
#include "updater/reason.h"
#include "updater/run.h"
#include "updater/state.h"

static void admin_print_cooldown(const char *origin, time_t until)
{
	printf("cooldown: %s %lld\n", origin, (long long)until);
}

enum update_result admin_status(const char *root)
{
	char id[INSTALL_ID_MAX] = "", dir[PATH_MAX], real[PATH_MAX] = "";
	struct set s = {0};
	const char *err;
	size_t n, i;
	char **ids;
	struct stat st;

	if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mxscan-update: database_root %s: %s\n", root,
			errno ? strerror(errno) : "not a directory");
		return UPDATE_CONFIG;
	}
	if (install_current(root, id) == 0) {
		snprintf(dir, sizeof(dir), "%s/versions/%s", root, id);
		if (realpath(dir, real) == NULL)
			real[0] = '\0';
		if (set_read(dir, &s, &err) < 0)
			log_warn("%s", err);
	}
	printf("current: %s\n", id);
	printf("current_path: %s\n", real);
	printf("signatures: %llu\n", s.signatures);
	for (i = 0; i < s.ndbs; i++)
		printf("database: %s %u\n", s.dbs[i].name, s.dbs[i].version);
	for (i = 0; i < s.nbundles; i++)
		printf("bundle: %s %s\n", s.bundles[i].url, s.bundles[i].sha256);
	set_free(&s);
	ids = install_list(root, &n);
	for (i = 0; i < n; i++)
		printf("version: %s\n", ids[i]);
	install_list_free(ids);
	if (state_load(root, &err) == 0)
		state_each_cooldown(time(NULL), admin_print_cooldown);
	state_free();
	printf("locked: %s\n", lock_is_held(root) ? "yes" : "no");
	return UPDATE_OK;
}

enum update_result admin_rollback(struct run *r, const char *id)
{
	char target[INSTALL_ID_MAX], dir[PATH_MAX], setfile[PATH_MAX], old[INSTALL_ID_MAX];
	enum notify_status ns;
	const char *err;
	enum update_result res;

	res = pipeline_open(r);
	if (res != UPDATE_OK)
		return res;
	snprintf(old, sizeof(old), "%s", r->cur_id);
	if (id != NULL) {
		if (install_id_ok(id) < 0)
			return run_fail(r, UPDATE_CONFIG, "--rollback: bad version id");
		snprintf(target, sizeof(target), "%s", id);
	} else if (!*old || install_previous(r->root, old, target) < 0) {
		return run_fail(r, UPDATE_CONFIG, "--rollback: no previous version");
	}
	snprintf(dir, sizeof(dir), "%s/%s", r->versions, target);
	snprintf(setfile, sizeof(setfile), "%s/" SET_FILE, dir);
	if (access(setfile, F_OK) != 0)
		return run_fail(r, UPDATE_CONFIG, "--rollback: %s is not a proven version", dir);
	if (strcmp(target, old) == 0) {
		log_info("version %s is already current", target);
		return UPDATE_OK;
	}
	pause_point("swap");
	if (install_point(r->root, target, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	log_info("current is now %s (was %s)", target, *old ? old : "(none)");
	pause_point("notify");
	ns = notify_reload(dir, config_num(CONF_UPDATE_RELOAD_TIMEOUT), &err);
	if (ns == NOTIFY_LOADED)
		return UPDATE_OK;
	snprintf(r->why, sizeof(r->why), "%s", err);
	if (ns == NOTIFY_NODAEMON) {
		log_warn("%s", r->why);
		return UPDATE_NODAEMON;
	}
	log_error("%s", r->why);
	if (*old && install_point(r->root, old, &err) < 0) {
		log_error("putting back %s: %s", old, err);
		return UPDATE_ROLLBACK_FAILED;
	}
	return UPDATE_REJECTED;
}

/* admin_publish_file - copy FROM to DIR/NAME through a temporary name. */
static int admin_publish_file(const char *from, const char *dir, const char *name,
			      const char **error_r)
{
	static __thread char why[REASON_MAX];
	char to[PATH_MAX], tmp[PATH_MAX];

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	unlink(tmp);
	if (file_copy(from, tmp, error_r) < 0)
		return -1;
	if (rename(tmp, to) < 0) {
		reason_set(why, error_r, "rename %s to %s: %s", tmp, to, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

enum update_result admin_publish(struct run *r, const char *dir)
{
	char cur[PATH_MAX], from[PATH_MAX], name[PATH_MAX], id[INSTALL_ID_MAX];
	struct set s = {0};
	const char *err;
	size_t i;
	enum update_result res = UPDATE_OK;

	if (install_current(r->root, id) < 0)
		return run_fail(r, UPDATE_DISK, "--publish: no current version");
	snprintf(cur, sizeof(cur), "%s/%s", r->versions, id);
	if (set_read(cur, &s, &err) < 0)
		return run_fail(r, UPDATE_DISK, "%s", err);
	if (file_mkdirs(dir, 0755, &err) < 0) {
		set_free(&s);
		return run_fail(r, UPDATE_DISK, "--publish: %s", err);
	}
	for (i = 0; i < s.ndbs && res == UPDATE_OK; i++) {
		snprintf(name, sizeof(name), "%s.cvd", s.dbs[i].name);
		snprintf(from, sizeof(from), "%s/%s", cur, name);
		if (admin_publish_file(from, dir, name, &err) < 0)
			res = run_fail(r, UPDATE_DISK, "--publish: %s", err);
#ifdef HAVE_CL_CVDVERIFY_EX
		/* Its detached signature too, for mirrors' 1.5 clients. */
		if (res == UPDATE_OK &&
		    cvd_sign_name(s.dbs[i].name, s.dbs[i].version, name, sizeof(name)) == 0) {
			snprintf(from, sizeof(from), "%s/%s", cur, name);
			if (access(from, F_OK) == 0 && admin_publish_file(from, dir, name, &err) < 0)
				res = run_fail(r, UPDATE_DISK, "--publish: %s", err);
		}
#endif
	}
	for (i = 0; i < s.nbundles && res == UPDATE_OK; i++) {
		snprintf(from, sizeof(from), "%s/" SET_SOURCES "/%s", cur, s.bundles[i].source);
		if (admin_publish_file(from, dir, s.bundles[i].source, &err) < 0) {
			res = run_fail(r, UPDATE_DISK, "--publish: %s", err);
			break;
		}
		snprintf(from, sizeof(from), "%s/" SET_SOURCES "/%s.minisig", cur,
			 s.bundles[i].source);
		snprintf(name, sizeof(name), "%s.minisig", s.bundles[i].source);
		if (admin_publish_file(from, dir, name, &err) < 0)
			res = run_fail(r, UPDATE_DISK, "--publish: %s", err);
	}
	set_free(&s);
	if (res == UPDATE_OK && file_fsync_path(dir, &err) < 0)
		res = run_fail(r, UPDATE_DISK, "--publish: %s", err);
	if (res == UPDATE_OK)
		log_info("published version %s to %s", id, dir);
	return res;
}
