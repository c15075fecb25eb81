/*
 * settings.c - the milter's parameters, checked once (see settings.h).
 */
#include "auto-config.h"

#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/daemon.h"
#include "wrappers/milter/settings.h"

static struct settings settings_now;
static char settings_host[256];

/* What milter_infected_action stands for in the policy (its word order). */
static const enum policy_action settings_infected[] = {
	POLICY_REJECT, POLICY_QUARANTINE, POLICY_DISCARD, POLICY_TAG,
};

int settings_load(const char **error_r)
{
	struct settings *s = &settings_now;
	struct policy_settings ps;
	const char *p;

	policy_free(&s->policy);
	memset(s, 0, sizeof(*s));
	s->infected = config_milter_infected_action();
	s->failure = config_milter_failure_action();
	s->limit = config_milter_limit_action();
	s->socket = config_str(CONF_MILTER_SOCKET);
	if (*s->socket == '\0') {
		*error_r = "milter_socket is empty";
		return -1;
	}
	s->reject_reply = config_str(CONF_MILTER_REJECT_REPLY);
	for (p = s->reject_reply; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) {
			*error_r = "milter_reject_reply must be one line of printable ASCII";
			return -1;
		}
	s->add_headers = (int)config_num(CONF_MILTER_ADD_HEADERS);
	s->skip_authenticated = (int)config_num(CONF_MILTER_SKIP_AUTHENTICATED);
	s->memory_max = (size_t)config_num(CONF_MILTER_MEMORY_MAX);
	s->mta_timeout_s = (int)(config_num(CONF_MILTER_MTA_TIMEOUT) / 1000);
	client_options_from_config(&s->client);
	s->client.mode = CLIENT_MODE_STREAM;
	s->client.timeout_ms = (int)config_num(CONF_MILTER_SCAN_TIMEOUT);
	daemon_hostname(config_str(CONF_MILTER_HOSTNAME), settings_host, sizeof(settings_host));
	s->hostname = settings_host;
	policy_settings_from_config(&ps, settings_infected[s->infected]);
	if ((s->policy = policy_new(&ps, error_r)) == NULL)
		return -1;
	s->facts = policy_active(s->policy);
	return 0;
}

const struct settings *settings(void)
{
	return &settings_now;
}
