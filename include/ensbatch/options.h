/*
 * The options shared by every command (their table fragments are in
 * cmd.h), and helpers the commands share: --now, loading a manifest,
 * connecting to the API.
 */
#ifndef ENSBATCH_OPTIONS_H
#define ENSBATCH_OPTIONS_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

struct manifest;
struct diags;
struct creds;
struct ens_client;
struct cmd_args;

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
	volatile sig_atomic_t	*stop;		/* apply's signal flag */
	size_t			 parallel;	/* requests in flight, 0 = 4 */
};

/* Every option of every command, as the parser reports it. */
enum options_id {
	OPT_NONE,
	OPT_HELP,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_COLOR,
	OPT_ENDPOINT,
	OPT_PROFILE,
	OPT_SIGNATURE,
	OPT_CACERT,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_RATE,
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
	OPT_RECONCILE_WINDOW,
	OPT_NOT_BEFORE_UNTIL,
	OPT_LEVEL,
	OPT_MANIFEST,
	OPT_TARGETS_CSV,
	OPT_COUNT
};

/*
 * Fill the common options from a parsed command line, checking the
 * values the table cannot (--endpoint, --timeout).  0, or -1 with
 * *cause (a usage error; caller frees).
 */
int	options_from_args(struct options *, const struct cmd_args *, char **);

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

/*
 * The digest a journal is tied to: the manifest's SHA-256, or with
 * targets files, the SHA-256 of it and theirs, so that --resume and
 * status refuse a changed targets file too.  out: HASH_HEX_LEN bytes.
 */
void	options_inputs_sha256(const struct manifest *, char *);

/*
 * Where apply writes its journal and status reads it by default:
 * NAME.journal.jsonl beside the report, or here.  Caller frees.
 */
char	*options_journal_path(const char *, const char *);

#endif
