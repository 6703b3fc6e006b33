/*
 * ensbatch events: discovery of SystemMaintenance.Reboot events, as a
 * table, JSON, CSV for a targets_file, or a starter manifest that
 * validates.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "ensbatch/buf.h"
#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/diag.h"
#include "ensbatch/emit.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/manifest.h"
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
	{ OPT_LEVEL, 0, "level", CMD_STRING, "L,...",
	  "only events of one of these levels (such as CRITICAL)", 0, 0 },
	{ OPT_NOT_BEFORE_UNTIL, 0, "not-before-until", CMD_STRING, "TIME",
	  "only events the platform may reboot by TIME (NotBefore)", 0, 0 },
	{ OPT_MANIFEST, 0, "manifest", CMD_STRING, "M.yaml",
	  "take the API settings and time zone of this manifest", 0, 0 },
	{ OPT_FORMAT, 0, "format", CMD_CHOICE, "table|yaml|json|csv",
	  "a table, a starter manifest, JSON, or a targets_file CSV", 0, 0 },
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
	EVENTS_JSON,
	EVENTS_CSV
};

/* The statuses the API gives a reboot event. */
static const char *const events_statuses[] = {
	"Inquiring", "Scheduled", "Executing", "Executed", "Failed",
	"Canceled", "Avoided"
};
#define EVENTS_NSTATUSES \
	(sizeof(events_statuses) / sizeof(events_statuses[0]))

/* A comma-separated list, split in a copy of its own. */
struct events_list {
	char	*copy;
	char	**v;
	size_t	 n;		/* 0: no filter */
};

/* What events are shown. */
struct events_filter {
	struct events_list	 statuses;
	struct events_list	 levels;
	int64_t			 until;		/* INT64_MAX: any NotBefore */
	int			 waiting;	/* Inquiring and Scheduled only */
};

/* Split "a,b,c" (empty items dropped); s may be NULL. */
static void
events_split(const char *s, struct events_list *l)
{
	char	*p, *comma;
	size_t	 cap = 8;

	memset(l, 0, sizeof(*l));
	if (s == NULL)
		return;
	l->copy = xstrdup(s);
	l->v = xcalloc(cap, sizeof(*l->v));
	for (p = l->copy; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0')
			continue;
		if (l->n + 1 >= cap) {
			cap *= 2;
			l->v = xreallocarray(l->v, cap, sizeof(*l->v));
		}
		l->v[l->n++] = p;
	}
	l->v[l->n] = NULL;
}

static void
events_list_free(struct events_list *l)
{
	free(l->v);
	free(l->copy);
}

/* Whether word is in the list (letter case ignored); an empty list: yes. */
static int
events_in(const struct events_list *l, const char *word)
{
	size_t	i;

	if (l->n == 0)
		return (1);
	for (i = 0; word != NULL && i < l->n; i++) {
		if (strcasecmp(l->v[i], word) == 0)
			return (1);
	}
	return (0);
}

/*
 * Whether the filter shows an event.  An event without a NotBefore
 * (-1) is not shown under --not-before-until: nothing says it is due.
 */
static int
events_wanted(const struct events_filter *f, const struct ens_event *ev)
{
	if (!events_in(&f->statuses, ev->status) ||
	    !events_in(&f->levels, ev->level))
		return (0);
	if (f->until != INT64_MAX && (ev->not_before < 0 ||
	    ev->not_before > f->until))
		return (0);
	if (f->waiting && strcmp(ev->status, "Inquiring") != 0 &&
	    strcmp(ev->status, "Scheduled") != 0)
		return (0);
	return (1);
}

/* Every --status value must be a status the API gives; -1 if not. */
static int
events_check_statuses(const struct events_list *l)
{
	const char	*hint;
	size_t		 i, j;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < EVENTS_NSTATUSES; j++) {
			if (strcasecmp(l->v[i], events_statuses[j]) == 0)
				break;
		}
		if (j < EVENTS_NSTATUSES)
			continue;
		hint = manifest_suggest(l->v[i], events_statuses,
		    EVENTS_NSTATUSES);
		msg_error("--status: unknown status \"%s\"%s%s%s; the "
		    "statuses are Inquiring, Scheduled, Executing, Executed, "
		    "Failed, Canceled and Avoided", l->v[i],
		    hint != NULL ? " (did you mean \"" : "",
		    hint != NULL ? hint : "", hint != NULL ? "\"?)" : "");
		return (-1);
	}
	return (0);
}

#define EVENTS_COLUMNS	5

/* Column c of an event's table row; t holds a formatted time. */
static const char *
events_cell(const struct ens_event *ev, size_t c, char *t, size_t len)
{
	const char	*v = NULL;

	switch (c) {
	case 0:
		v = ev->event;
		break;
	case 1:
		v = ev->resource;
		break;
	case 2:
		v = ev->status;
		break;
	case 3:
		if (ev->not_before < 0)
			break;
		timefmt_utc(ev->not_before, t, len);
		v = t;
		break;
	case 4:
		v = ev->level;
		break;
	}
	return (v != NULL && *v != '\0' ? v : "-");
}

/* The table, each column as wide as its longest cell. */
static void
events_print_table(const struct ens_event *ev, size_t n)
{
	static const char *const head[EVENTS_COLUMNS] = { "EVENT",
	    "RESOURCE", "STATUS", "NOT_BEFORE (UTC)", "LEVEL" };
	const char	*cell;
	char		 t[TIMEFMT_LEN];
	size_t		 w[EVENTS_COLUMNS], i, c, len;

	for (c = 0; c < EVENTS_COLUMNS; c++)
		w[c] = strlen(head[c]);
	for (i = 0; i < n; i++) {
		for (c = 0; c < EVENTS_COLUMNS; c++) {
			len = strlen(events_cell(&ev[i], c, t, sizeof(t)));
			if (len > w[c])
				w[c] = len;
		}
	}
	/* The header, then the rows; the last column is not padded. */
	for (i = 0; i <= n; i++) {
		for (c = 0; c < EVENTS_COLUMNS; c++) {
			cell = i == 0 ? head[c] :
			    events_cell(&ev[i - 1], c, t, sizeof(t));
			if (c + 1 < EVENTS_COLUMNS)
				printf("%-*s  ", (int)w[c], cell);
			else
				printf("%s\n", cell);
		}
	}
}

/* The targets_file CSV: the header, then one event,resource a line. */
static void
events_print_csv(const struct ens_event *ev, size_t n)
{
	size_t	i;

	printf("event,resource\n");
	for (i = 0; i < n; i++)
		printf("%s,%s\n", ev[i].event, ev[i].resource);
}

static int
events_print_json(const struct ens_event *ev, size_t n)
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

/*
 * A starter manifest with the events that still wait for a reboot,
 * after comments that say what to review.
 */
static int
events_print_yaml(const struct ens_event *ev, size_t n,
    const char *endpoint)
{
	struct emit_spec	 spec;
	struct emit_target	*t;
	struct buf		 b;
	char			 name[64], *cause = NULL;
	time_t			 now = time(NULL);
	struct tm		 tm;
	size_t			 i;
	int			 rc;

	t = xcalloc(n + 1, sizeof(*t));
	for (i = 0; i < n; i++) {
		t[i].event = ev[i].event;
		t[i].resource = ev[i].resource;
	}
	gmtime_r(&now, &tm);
	strftime(name, sizeof(name), "ens-reboots-%Y%m%d", &tm);
	memset(&spec, 0, sizeof(spec));
	spec.name = name;
	spec.description = "starter manifest from ensbatch events; review "
	    "the groups and policies before applying";
	spec.endpoint = endpoint;
	spec.targets = t;
	spec.ntargets = n;
	spec.rollout = 1;
	buf_init(&b);
	buf_addf(&b, "# Starter manifest: %zu event%s waiting for a reboot "
	    "(Inquiring or Scheduled).\n"
	    "# Review before applying:\n"
	    "#  - name, and a ticket: the change this rollout belongs to;\n"
	    "#  - the canary group: the instance that goes first, alone, "
	    "then soaks 10m;\n"
	    "#  - the waves (5%%, 25%%, the rest), each after the one "
	    "before settled and soaked;\n"
	    "#  - each policy: batch_size, pause and max_failures (the "
	    "failures that stop\n"
	    "#    the run), settle_timeout, and whether the reboots should "
	    "rather be\n"
	    "#    scheduled in a window;\n"
	    "#  - check: replace the placeholder command with your health "
	    "probe (it gets\n"
	    "#    $ENSBATCH_RESOURCE; exit 0 = healthy);\n"
	    "#  - then: ensbatch validate --online, ensbatch plan, and an "
	    "approval.\n", n, n == 1 ? "" : "s");
	if ((rc = emit_manifest(&b, &spec, &cause)) != 0) {
		msg_error("%s", cause);
		free(cause);
	} else
		fwrite(b.data, 1, b.len, stdout);
	buf_free(&b);
	if (n == 0)
		msg_warn("no event waits for a reboot: the manifest has no "
		    "targets");
	free(t);
	return (rc);
}

/*
 * --manifest: load it for its api: block and time zone (its deadlines
 * do not matter here).  NULL after printing why (exit 2).
 */
static struct manifest *
events_manifest(const char *path)
{
	struct diags	*d = diags_new();
	struct manifest	*m;
	char		*cause = NULL;
	int64_t		 now;

	m = options_load(path, NULL, 0, d, &now, &cause);
	diags_print(d, stderr, msg_color());
	if (m != NULL && diags_count(d, DIAG_ERROR) > 0) {
		manifest_free(m);
		m = NULL;
	}
	if (m == NULL)
		fprintf(stderr, "%s: invalid manifest\n", path);
	free(cause);
	diags_free(d);
	return (m);
}

/* The filters from the command line; -1 after a usage error. */
static int
events_filter_init(struct events_filter *f, const struct cmd_args *a,
    const struct manifest *m)
{
	const char	*until = cmd_value(a, OPT_NOT_BEFORE_UNTIL);
	char		*why = NULL;
	int		 format;

	format = cmd_choice(a, OPT_FORMAT, EVENTS_TABLE);
	memset(f, 0, sizeof(*f));
	f->until = INT64_MAX;
	f->waiting = format == EVENTS_YAML || format == EVENTS_CSV;
	events_split(cmd_value(a, OPT_STATUS), &f->statuses);
	events_split(cmd_value(a, OPT_LEVEL), &f->levels);
	if (events_check_statuses(&f->statuses) != 0)
		return (-1);
	if (until != NULL && timefmt_parse(until, m != NULL ? m->r_zone :
	    NULL, &f->until, &why) != 0) {
		msg_error("--not-before-until: %s", why);
		free(why);
		return (-1);
	}
	return (0);
}

/* Print the events the filter wants, in the format asked for. */
static int
events_print(const struct cmd_args *a, const struct manifest *m,
    const struct events_filter *f, struct ens_event *ev, size_t nev)
{
	const char	*endpoint = a->o.endpoint;
	size_t		 i, k;

	/* Wanted events first (swapped, so each is still owned once). */
	for (i = 0, k = 0; i < nev; i++) {
		if (events_wanted(f, &ev[i])) {
			struct ens_event	tmp = ev[k];

			ev[k++] = ev[i];
			ev[i] = tmp;
		}
	}
	if (endpoint == NULL && m != NULL)
		endpoint = m->api.endpoint.text;
	switch ((enum events_format)cmd_choice(a, OPT_FORMAT, EVENTS_TABLE)) {
	case EVENTS_TABLE:
		events_print_table(ev, k);
		break;
	case EVENTS_CSV:
		events_print_csv(ev, k);
		break;
	case EVENTS_JSON:
		/* A failure to write is reported by main(). */
		(void)events_print_json(ev, k);
		break;
	case EVENTS_YAML:
		if (events_print_yaml(ev, k, endpoint) != 0)
			return (EXIT_ENV);
		break;
	}
	return (EXIT_OK);
}

static int
cmd_events_exec(struct cmd_args *a)
{
	struct events_filter	 f;
	struct events_list	 res;
	struct manifest		*m = NULL;
	struct creds		 creds;
	struct ens_client	*ens = NULL;
	struct ens_reply	 reply;
	struct ens_event	*ev = NULL;
	const char		*path = cmd_value(a, OPT_MANIFEST);
	char			*cause = NULL;
	size_t			 nev = 0;
	int			 rc = EXIT_USAGE;

	memset(&f, 0, sizeof(f));
	memset(&creds, 0, sizeof(creds));
	memset(&reply, 0, sizeof(reply));
	events_split(cmd_value(a, OPT_RESOURCE), &res);
	if ((path != NULL && (m = events_manifest(path)) == NULL) ||
	    events_filter_init(&f, a, m) != 0)
		goto out;
	if ((ens = options_connect(&a->o, m, &creds, &cause)) == NULL) {
		msg_error("%s", cause);
		rc = EXIT_ENV;
		goto out;
	}
	if (ens_describe_events(ens, (const char *const *)res.v, res.n,
	    ENS_REBOOT_EVENT, &ev, &nev, &reply) != 0) {
		rc = msg_api_failure(&reply, "DescribeHistoryEvents failed");
		goto out;
	}
	rc = events_print(a, m, &f, ev, nev);
out:
	ens_events_free(ev, nev);
	ens_reply_clear(&reply);
	ens_client_free(ens);
	creds_free(&creds);
	manifest_free(m);
	events_list_free(&f.statuses);
	events_list_free(&f.levels);
	events_list_free(&res);
	free(cause);
	return (rc);
}
