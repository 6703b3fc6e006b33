/*
 * ensbatch events: discovery of SystemMaintenance.Reboot events, as a
 * table, JSON, or a starter manifest that validates.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "ensbatch/buf.h"
#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/emit.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

static int	cmd_events_exec(struct cmd_args *);

/* The order of --format's values is that of enum events_format. */
static const struct cmd_option events_options[] = {
	{ OPT_STATUS, 0, "status", CMD_STRING, "S,...",
	  "only events with one of these statuses", 0, 0 },
	{ OPT_RESOURCE, 0, "resource", CMD_STRING, "ID,...",
	  "only the events of these instances", 0, 0 },
	{ OPT_FORMAT, 0, "format", CMD_CHOICE, "table|yaml|json",
	  "the output: a table, a starter manifest, or JSON", 0, 0 },
	CMD_OPTIONS_END
};

const struct cmd_entry cmd_events_entry = {
	"events",
	"list system-maintenance reboot events (discovery)",
	"", 0, 0,
	{ events_options, options_verbose, options_endpoint, options_net,
	  NULL },
	cmd_events_exec
};

enum events_format {
	EVENTS_TABLE,
	EVENTS_YAML,
	EVENTS_JSON
};

/* Split "a,b,c" into a NULL-terminated array (caller frees both). */
static char **
split_list(const char *s, char **copy, size_t *n)
{
	char	**v, *p, *comma;
	size_t	  cap = 8;

	*copy = xstrdup(s);
	v = xcalloc(cap, sizeof(*v));
	*n = 0;
	for (p = *copy; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0')
			continue;
		if (*n + 1 >= cap) {
			cap *= 2;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[(*n)++] = p;
	}
	v[*n] = NULL;
	return (v);
}

static int
status_wanted(char **statuses, size_t n, const char *status)
{
	size_t	i;

	if (n == 0)
		return (1);
	for (i = 0; i < n; i++) {
		if (strcasecmp(statuses[i], status) == 0)
			return (1);
	}
	return (0);
}

static void
print_table(const struct ens_event *ev, size_t n)
{
	char	t[TIMEFMT_LEN];
	size_t	i;

	printf("%-34s  %-24s  %-10s  %-20s  %s\n", "EVENT", "RESOURCE",
	    "STATUS", "NOT_BEFORE (UTC)", "LEVEL");
	for (i = 0; i < n; i++) {
		if (ev[i].not_before >= 0)
			timefmt_utc(ev[i].not_before, t, sizeof(t));
		else
			snprintf(t, sizeof(t), "-");
		printf("%-34s  %-24s  %-10s  %-20s  %s\n", ev[i].event,
		    ev[i].resource, ev[i].status, t, ev[i].level);
	}
}

static int
print_json(const struct ens_event *ev, size_t n)
{
	json_t	*arr, *o;
	size_t	 i;
	int	 rc;

	arr = json_array();
	for (i = 0; i < n; i++) {
		o = json_object();
		json_object_set_new(o, "EventId", json_string(ev[i].event));
		json_object_set_new(o, "EventType", json_string(ev[i].type));
		json_object_set_new(o, "EventStatus",
		    json_string(ev[i].status));
		json_object_set_new(o, "EventLevel", json_string(ev[i].level));
		json_object_set_new(o, "ResourceId",
		    json_string(ev[i].resource));
		json_object_set_new(o, "NotBefore",
		    json_integer(ev[i].not_before));
		json_object_set_new(o, "PublishTime",
		    json_integer(ev[i].publish_time));
		json_object_set_new(o, "Reason", json_string(ev[i].reason));
		json_array_append_new(arr, o);
	}
	rc = json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(arr);
	return (rc);
}

/* A starter manifest with the events that still wait for a reboot. */
static int
print_yaml(const struct ens_event *ev, size_t n, const char *endpoint)
{
	struct emit_spec	 spec;
	struct emit_target	*t;
	struct buf		 b;
	char			 name[64], *cause = NULL;
	time_t			 now = time(NULL);
	struct tm		 tm;
	size_t			 i, k = 0;
	int			 rc;

	t = xcalloc(n + 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].status, "Inquiring") != 0 &&
		    strcmp(ev[i].status, "Scheduled") != 0)
			continue;
		t[k].event = ev[i].event;
		t[k++].resource = ev[i].resource;
	}
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), "ens-reboots-%Y%m%d", &tm);
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.description = "starter manifest from ensbatch events; review "
	    "the groups and policies before applying";
	spec.endpoint = endpoint;
	spec.targets = t;
	spec.ntargets = k;
	buf_init(&b);
	if ((rc = emit_manifest(&b, &spec, &cause)) != 0) {
		msg_error("%s", cause);
		free(cause);
	} else
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	if (k == 0)
		msg_warn("no event waits for a reboot: the manifest has no "
		    "targets");
	free(t);
	return (rc);
}

static int
cmd_events_exec(struct cmd_args *a)
{
	struct creds		 creds;
	struct ens_client	*ens = NULL;
	struct ens_reply	 reply;
	struct ens_event	*ev = NULL;
	enum events_format	 format;
	const char		*status_arg = cmd_value(a, OPT_STATUS);
	const char		*res_arg = cmd_value(a, OPT_RESOURCE);
	char			**statuses = NULL, **res = NULL;
	char			*scopy = NULL, *rcopy = NULL, *cause = NULL;
	size_t			 nstat = 0, nres = 0, nev = 0, i, k;
	int			 rc = EXIT_USAGE;

	memset(&creds, 0, sizeof(creds));
	memset(&reply, 0, sizeof(reply));
	format = (enum events_format)cmd_choice(a, OPT_FORMAT, EVENTS_TABLE);
	if (status_arg != NULL)
		statuses = split_list(status_arg, &scopy, &nstat);
	if (res_arg != NULL)
		res = split_list(res_arg, &rcopy, &nres);

	if ((ens = options_connect(&a->o, NULL, &creds, &cause)) == NULL) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (ens_describe_events(ens, (const char *const *)res, nres,
	    "Instance:" ENS_REBOOT_TYPE, &ev, &nev, &reply) != 0) {
		rc = msg_api_failure(&reply, "DescribeHistoryEvents failed");
		goto out;
	}
	/* Wanted events first (swapped, so each is still owned once). */
	for (i = 0, k = 0; i < nev; i++) {
		if (status_wanted(statuses, nstat, ev[i].status)) {
			struct ens_event	tmp = ev[k];

			ev[k++] = ev[i];
			ev[i] = tmp;
		}
	}
	rc = EXIT_OK;
	switch (format) {
	case EVENTS_TABLE:
		print_table(ev, k);
		break;
	case EVENTS_JSON:
		if (print_json(ev, k) != 0)
			rc = EXIT_ENV;
		break;
	case EVENTS_YAML:
		if (print_yaml(ev, k, a->o.endpoint) != 0)
			rc = EXIT_ENV;
		break;
	}
out:
	ens_events_free(ev, nev);
	ens_reply_clear(&reply);
	ens_client_free(ens);
	creds_free(&creds);
	free(statuses);
	free(res);
	free(scopy);
	free(rcopy);
	free(cause);
	return (rc);
}
