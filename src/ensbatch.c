/*
 * ensbatch: declarative batch runner for Alibaba Cloud ENS
 * system-maintenance reboots.  main(): the command table and its
 * parser are in cmd.c; here the standard descriptors are made safe
 * and what the command wrote is checked.
 */
#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/msg.h"

/*
 * A closed standard descriptor would be taken by the next file opened
 * (a report written to stdout's descriptor).  Hold each with a device:
 * stdout with /dev/full, so that output to a closed stdout still fails.
 * Returns whether stdout was closed.
 */
static int
main_hold_descriptors(void)
{
	static const char *const	 dev[] = { "/dev/null", "/dev/full",
					     "/dev/null" };
	int				 fd, closed = 0;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		if (fd == STDOUT_FILENO)
			closed = 1;
		if (open(dev[fd], fd == 0 ? O_RDONLY : O_WRONLY) != fd &&
		    fd == STDOUT_FILENO)
			(void)open("/dev/null", O_WRONLY);
	}
	return (closed);
}

/*
 * Flush and close stdout (jq's check): a command whose output was not
 * written fails, exit 3 unless it had already failed otherwise.
 */
static int
main_check_output(int rc, int closed)
{
	int	failed, saved;

	errno = 0;
	failed = fflush(stdout) != 0 || ferror(stdout);
	saved = errno;
	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		saved = errno;
	}
	if (!failed)
		return (rc);
	if (closed)
		msg_error("writing output failed: standard output is closed");
	else
		msg_error("writing output failed: %s",
		    strerror(saved != 0 ? saved : EIO));
	return (rc == EXIT_OK ? EXIT_ENV : rc);
}

/*
 * Secrets live in memory (credentials, signing keys): a core dump would
 * write them to disk.  No core file, and not dumpable at all.
 */
static void
main_no_core(void)
{
	struct rlimit	rl;

	rl.rlim_cur = rl.rlim_max = 0;
	(void)setrlimit(RLIMIT_CORE, &rl);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	static char	 name[] = "version";
	char		*version[] = { name, NULL };
	int		 closed, rc;

	main_no_core();
	closed = main_hold_descriptors();
	/* A reader that went away is a write error, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	msg_setup(NULL, 0, 0);
	if (argc < 2) {
		cmd_list(stderr);
		rc = EXIT_USAGE;
	} else if (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		cmd_list(stdout);
		rc = EXIT_OK;
	} else if (strcmp(argv[1], "--version") == 0)
		rc = cmd_run(1, version);
	else
		rc = cmd_run(argc - 1, argv + 1);
	return (main_check_output(rc, closed));
}
