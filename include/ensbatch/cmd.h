/*
 * The command table: one src/cmd-<verb>.c per command, each exporting
 * one struct cmd_entry.
 */
#ifndef ENSBATCH_CMD_H
#define ENSBATCH_CMD_H

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments after the name */
	const char	*summary;	/* one line for "ensbatch --help" */
	/* argv[0] is the command name; returns an enum exit_code. */
	int		(*exec)(int, char **);
};

extern const struct cmd_entry cmd_apply_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_plan_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_version_entry;

#endif
