/*
 * privs.h - the one audited place where a program gives up root.
 */
#ifndef MX_PRIVS_H
#define MX_PRIVS_H

/*
 * privs_drop - when running as root and USER is not empty, switch to
 * USER: resolve it, setgroups, setresgid, setresuid, then verify that
 * root cannot be regained.  Returns 0 (also when nothing was to be done),
 * or -1 with *error_r set; callers treat a failure as fatal.
 */
int privs_drop(const char *user, const char **error_r);

#endif
