/*
 * The command table: one src/cmd-<verb>.c per command, each exporting
 * one struct cmd_entry that declares its options and arguments.  One
 * parser (cmd.c) reads the command line from the entry, builds the
 * usage line and the --help text, and calls the entry's exec with the
 * parsed arguments.
 *
 * Adding a command: one src/cmd-<verb>.c with its entry, and one line
 * in cmd_table (cmd.c).  Adding an option: one OPT_ id (options.h) and
 * one struct cmd_option in the command's option list.
 */
#ifndef ENSBATCH_CMD_H
#define ENSBATCH_CMD_H

#include <stdio.h>

#include "ensbatch/options.h"

/* What an option takes. */
enum cmd_kind {
	CMD_FLAG,		/* no value */
	CMD_STRING,		/* any value */
	CMD_CHOICE,		/* one of the '|'-separated metavar */
	CMD_NUMBER		/* a decimal integer in [min, max] */
};

struct cmd_option {
	int		 id;		/* enum options_id */
	char		 short_name;	/* 0: none */
	const char	*long_name;
	enum cmd_kind	 kind;
	const char	*metavar;	/* the value, for usage and --help */
	const char	*help;		/* one line for --help */
	long		 min;		/* CMD_NUMBER only */
	long		 max;
};

/* An option list ends with an entry whose long_name is NULL. */
#define CMD_OPTIONS_END	{ 0, 0, NULL, CMD_FLAG, NULL, NULL, 0, 0 }
#define CMD_FRAGMENTS	6

struct cmd_args;

struct cmd_entry {
	const char	*name;
	const char	*summary;	/* one line for "ensbatch --help" */
	const char	*args;		/* positional, e.g. "MANIFEST..." */
	int		 lower;		/* positional arguments: at least */
	int		 upper;		/* at most, -1 for no limit */
	/* Option lists, shared fragments first; NULL-terminated. */
	const struct cmd_option *options[CMD_FRAGMENTS];
	/* Returns an enum exit_code. */
	int		(*exec)(struct cmd_args *);
};

/* The parsed command line, given to exec. */
struct cmd_args {
	const struct cmd_entry	*entry;
	struct options		 o;		/* the common options */
	int			 given[OPT_COUNT];
	const char		*value[OPT_COUNT];	/* borrowed from argv */
	long			 number[OPT_COUNT];	/* CMD_NUMBER */
	int			 choice[OPT_COUNT];	/* CMD_CHOICE index */
	int			 argc;			/* positional */
	char			**argv;
};

/* Every command, NULL-terminated. */
extern const struct cmd_entry *const cmd_table[];

extern const struct cmd_entry cmd_apply_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_plan_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_version_entry;

/* The shared option fragments (options.c). */
extern const struct cmd_option options_output[];	/* -q, --color */
extern const struct cmd_option options_verbose[];	/* -v */
extern const struct cmd_option options_endpoint[];	/* --endpoint */
extern const struct cmd_option options_net[];		/* the API options */

/*
 * Run "ensbatch ARGV...": argv[0] is the command name.  Parses the
 * command line with the entry's options (a usage error is exit 2) and
 * returns the exit code of the command.
 */
int	cmd_run(int, char **);

/* Print the list of commands ("ensbatch --help") to f. */
void	cmd_list(FILE *);

/* Print the usage line and option list of a command to f. */
void	cmd_help(const struct cmd_entry *, FILE *);

/* Whether an option was given; its value (NULL if not given). */
int		 cmd_has(const struct cmd_args *, int);
const char	*cmd_value(const struct cmd_args *, int);
/* A CMD_NUMBER or CMD_CHOICE value, or dflt when not given. */
long		 cmd_number(const struct cmd_args *, int, long);
int		 cmd_choice(const struct cmd_args *, int, int);

#ifdef ENSBATCH_TESTING
/* The index of a value among the '|'-separated choices, or -1. */
int	 cmd_choice_index(const char *, const char *);
/* "a, b or c" from "a|b|c" (caller frees). */
char	*cmd_choices(const char *);
/*
 * Parse argv (argv[0] the command name) into a->entry's options: -1
 * to go on, else the exit code (EXIT_OK after --help, EXIT_USAGE).
 */
int	 cmd_parse(struct cmd_args *, int, char **);

/*
 * apply: whether a file can be created at path (its directory exists
 * and is writable, and path is not a directory).  0, or -1 with *cause.
 */
int	 apply_writable(const char *, char **);
#endif

#endif
