/*
 * settings.c - the filter's parameters, checked once (see settings.h).
 */
#include "auto-config.h"

#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/daemon.h"
#include "wrappers/filter/settings.h"

static struct settings settings_now;

/* What filter_infected_action stands for in the policy (its word order). */
static const enum policy_action settings_infected[] = {
	POLICY_QUARANTINE, POLICY_DISCARD, POLICY_STRIP, POLICY_TAG, POLICY_REJECT,
};
static char settings_host[256];

int settings_load(const char **error_r)
{
	struct settings *s = &settings_now;
	struct policy_settings ps;

	policy_free(&s->policy);
	memset(s, 0, sizeof(*s));
	s->mode = config_filter_mode();
	s->infected = config_filter_infected_action();
	s->failure = config_filter_failure_action();
	s->limit = config_filter_limit_action();
	if (s->mode == CONF_FILTER_MODE_AFTER_QUEUE &&
	    s->infected == CONF_FILTER_INFECTED_ACTION_REJECT) {
		*error_r = "filter_infected_action = reject needs filter_mode = before-queue: after "
			   "the queue a rejection makes Postfix bounce the virus to a (forged) sender";
		return -1;
	}
	if (s->mode == CONF_FILTER_MODE_AFTER_QUEUE && s->limit == CONF_FILTER_LIMIT_ACTION_REJECT) {
		*error_r = "filter_limit_action = reject needs filter_mode = before-queue: after "
			   "the queue a rejection makes Postfix bounce the message to a (forged) sender";
		return -1;
	}
	s->listen = config_str(CONF_FILTER_LISTEN);
	s->forward = config_str(CONF_FILTER_FORWARD);
	if (*s->forward == '\0') {
		*error_r = "filter_forward is empty";
		return -1;
	}
	s->quarantine_dir = config_str(CONF_FILTER_QUARANTINE_DIR);
	s->max_size = (size_t)config_num(CONF_FILTER_MAX_MESSAGE_SIZE);
	s->memory_max = (size_t)config_num(CONF_FILTER_MEMORY_MAX);
	s->max_connections = (int)config_num(CONF_FILTER_MAX_CONNECTIONS);
	s->client_timeout_ms = (int)config_num(CONF_FILTER_CLIENT_TIMEOUT);
	s->forward_timeout_ms = (int)config_num(CONF_FILTER_FORWARD_TIMEOUT);
	s->message_timeout_ms = (int)config_num(CONF_FILTER_MESSAGE_TIMEOUT);
	/* Before the queue Postfix waits smtpd_proxy_timeout for every reply. */
	if (s->mode == CONF_FILTER_MODE_BEFORE_QUEUE &&
	    s->message_timeout_ms > SETTINGS_BEFORE_QUEUE_MAX_MS)
		s->message_timeout_ms = SETTINGS_BEFORE_QUEUE_MAX_MS;
	if (s->mode == CONF_FILTER_MODE_BEFORE_QUEUE &&
	    s->forward_timeout_ms > SETTINGS_BEFORE_QUEUE_MAX_MS)
		s->forward_timeout_ms = SETTINGS_BEFORE_QUEUE_MAX_MS;
	s->add_headers = (int)config_num(CONF_FILTER_ADD_HEADERS);
	daemon_hostname(config_str(CONF_FILTER_HOSTNAME), settings_host, sizeof(settings_host));
	s->hostname = settings_host;
	policy_settings_from_config(&ps, settings_infected[s->infected]);
	policy_free(&s->policy);
	if ((s->policy = policy_new(&ps, error_r)) == NULL)
		return -1;
	if (s->mode == CONF_FILTER_MODE_AFTER_QUEUE && policy_may(s->policy, POLICY_REJECT)) {
		*error_r = "a policy action reject (banned_action, banned_encrypted, signature_rules) "
			   "needs filter_mode = before-queue: after the queue a rejection bounces";
		return -1;
	}
	s->facts = policy_active(s->policy);
	return 0;
}

const struct settings *settings(void)
{
	return &settings_now;
}
