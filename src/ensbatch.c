/*
 * ensbatch: declarative batch runner for Alibaba Cloud ENS
 * system-maintenance reboots.  main(): the command table and its
 * parser are in cmd.c.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"

int
main(int argc, char **argv)
{
	static char	 name[] = "version";
	char		*version[] = { name, NULL };

	if (argc < 2) {
		cmd_list(stderr);
		return (EXIT_USAGE);
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cmd_list(stdout);
		return (EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0)
		return (cmd_run(1, version));
	return (cmd_run(argc - 1, argv + 1));
}
