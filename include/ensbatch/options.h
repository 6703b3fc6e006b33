/*
 * Options shared by every command, and small helpers for the commands'
 * own option parsing.
 */
#ifndef ENSBATCH_OPTIONS_H
#define ENSBATCH_OPTIONS_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "ensbatch/cmd.h"

struct manifest;
struct diags;
struct creds;
struct ens_client;

enum options_color {
	OPTIONS_COLOR_AUTO,
	OPTIONS_COLOR_ALWAYS,
	OPTIONS_COLOR_NEVER
};

struct options {
	const char		*endpoint;	/* borrowed from argv */
	const char		*profile;
	const char		*signature;
	const char		*cacert;
	const char		*timeout;
	int			 retries;	/* -1 = not given */
	int			 rate;		/* 0 = not given */
	int			 quiet;
	int			 verbose;
	enum options_color	 color;
	int			 help;
	volatile sig_atomic_t	*stop;		/* apply's signal flag */
};

/* Long-option codes above the range of short options. */
enum {
	OPT_ENDPOINT = 256,
	OPT_PROFILE,
	OPT_SIGNATURE,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_RATE,
	OPT_COLOR,
	OPT_HELP,
	OPT_NOW,
	OPT_FORMAT,
	OPT_OUT,
	OPT_REPORT,
	OPT_ONLINE,
	OPT_YES,
	OPT_PARALLEL,
	OPT_NO_PREFLIGHT,
	OPT_STATUS,
	OPT_RESOURCE,
	OPT_JOURNAL,
	OPT_RESUME,
	OPT_PLAN,
	OPT_WAIT,
	OPT_RECONCILE_WINDOW
};

#define OPTIONS_SHORT	"qv"
/* The options of commands that talk to the API. */
#define OPTIONS_NET \
	{ "profile", required_argument, NULL, OPT_PROFILE }, \
	{ "signature", required_argument, NULL, OPT_SIGNATURE }, \
	{ "cacert", required_argument, NULL, OPT_CACERT }, \
	{ "timeout", required_argument, NULL, OPT_TIMEOUT }, \
	{ "retries", required_argument, NULL, OPT_RETRIES }, \
	{ "rate", required_argument, NULL, OPT_RATE }

#define OPTIONS_LONG \
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT }, \
	{ "color", required_argument, NULL, OPT_COLOR }, \
	{ "help", no_argument, NULL, OPT_HELP }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }

/* Set the defaults of the common options. */
void	options_init(struct options *);

/*
 * Handle one common option from getopt_long.  Returns 1 when handled,
 * 0 when ch is not a common option, -1 after printing a usage error.
 */
int	options_common(struct options *, int, const char *,
	    const struct cmd_entry *);

/* Print "usage: ensbatch NAME USAGE" to f. */
void	options_usage(const struct cmd_entry *, FILE *);

/* Whether to color output on f, given --color and NO_COLOR. */
int	options_use_color(const struct options *, FILE *);

/*
 * Resolve --now (NULL = the clock) for a manifest: local times are read
 * in the manifest's time zone when it is valid.  0, or -1 and *cause.
 */
int	options_now(const char *, const struct manifest *, int64_t *,
	    char **);

/*
 * Load and validate one manifest: manifest_load, --now, rules_check
 * (without the PlanTime deadline rule when deadlines is 0).
 * Diagnostics collect in diags (not printed).  Returns the manifest
 * (NULL if it could not be parsed), and *now.  A bad --now is a usage
 * error: returns NULL with *cause set.  Caller frees the manifest.
 */
struct manifest	*options_load(const char *, const char *, int,
		    struct diags *, int64_t *, char **);

/*
 * Connect to ENS for a command: credentials (profile, environment,
 * files), then the API settings, command line over the manifest's api:
 * block (m may be NULL) over the defaults.  Returns the client, or NULL
 * with *cause (an environment problem: exit 3).  *creds must be freed
 * with creds_free after the client.
 */
struct ens_client	*options_connect(const struct options *,
			    const struct manifest *, struct creds *, char **);

#endif
