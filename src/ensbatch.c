/*
 * ensbatch: declarative batch runner for Alibaba Cloud ENS
 * system-maintenance reboots.  main() and the command table.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"

static const struct cmd_entry *const cmd_table[] = {
	&cmd_validate_entry,
	&cmd_plan_entry,
	&cmd_apply_entry,
	&cmd_status_entry,
	&cmd_events_entry,
	&cmd_version_entry,
	NULL
};

static void
usage(FILE *f)
{
	const struct cmd_entry	*const *cmd;

	fputs("usage: ensbatch COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (cmd = cmd_table; *cmd != NULL; cmd++)
		fprintf(f, "  %-10s %s\n", (*cmd)->name, (*cmd)->summary);
	fputs("\n\"ensbatch COMMAND --help\" shows a command's options; "
	    "see ensbatch(1).\n", f);
}

int
main(int argc, char **argv)
{
	const struct cmd_entry	*const *cmd;

	if (argc < 2) {
		usage(stderr);
		return (EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return (EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0)
		return (cmd_version_entry.exec(1, argv + 1));
	for (cmd = cmd_table; *cmd != NULL; cmd++) {
		if (strcmp(argv[1], (*cmd)->name) == 0)
			return ((*cmd)->exec(argc - 1, argv + 1));
	}
	fprintf(stderr, "ensbatch: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return (EXIT_USAGE);
}
