/*
 * Common options and helpers shared by the commands.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/manifest.h"
#include "ensbatch/options.h"
#include "ensbatch/rules.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

void
options_usage(const struct cmd_entry *cmd, FILE *f)
{
	fprintf(f, "usage: ensbatch %s %s\n", cmd->name, cmd->usage);
}

int
options_common(struct options *o, int ch, const char *arg,
    const struct cmd_entry *cmd)
{
	const char	*why;

	switch (ch) {
	case OPT_ENDPOINT:
		if ((why = rules_endpoint_problem(arg)) != NULL) {
			fprintf(stderr, "ensbatch %s: --endpoint: %s\n",
			    cmd->name, why);
			return (-1);
		}
		o->endpoint = arg;
		return (1);
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			o->color = OPTIONS_COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			o->color = OPTIONS_COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			o->color = OPTIONS_COLOR_NEVER;
		else {
			fprintf(stderr, "ensbatch %s: --color must be auto, "
			    "always or never\n", cmd->name);
			return (-1);
		}
		return (1);
	case OPT_HELP:
		o->help = 1;
		return (1);
	case 'q':
		o->quiet = 1;
		return (1);
	case 'v':
		o->verbose = 1;
		return (1);
	}
	return (0);
}

int
options_use_color(const struct options *o, FILE *f)
{
	const char	*nc;

	switch (o->color) {
	case OPTIONS_COLOR_ALWAYS:
		return (1);
	case OPTIONS_COLOR_NEVER:
		return (0);
	case OPTIONS_COLOR_AUTO:
		break;
	}
	if ((nc = getenv("NO_COLOR")) != NULL && *nc != '\0')
		return (0);
	return (isatty(fileno(f)));
}

int
options_now(const char *arg, const struct manifest *m, int64_t *now,
    char **cause)
{
	const char	*zone = NULL;
	char		*why = NULL;

	*cause = NULL;
	if (arg == NULL) {
		*now = timefmt_now();
		return (0);
	}
	if (m != NULL && m->timezone.text != NULL &&
	    timefmt_zone_check(m->timezone.text, &why) == 0)
		zone = m->timezone.text;
	free(why);
	if (timefmt_parse(arg, zone, now, &why) != 0) {
		*cause = xasprintf("--now: %s", why);
		free(why);
		return (-1);
	}
	return (0);
}

struct manifest *
options_load(const char *path, const char *now_arg, struct diags *d,
    int64_t *now, char **cause)
{
	struct manifest	*m;

	*cause = NULL;
	if ((m = manifest_load(path, d)) == NULL)
		return (NULL);
	if (options_now(now_arg, m, now, cause) != 0) {
		manifest_free(m);
		return (NULL);
	}
	rules_check(m, *now, d);
	return (m);
}
