/*
 * Exit status of ensbatch, documented in ensbatch(1).  Stable.
 */
#ifndef ENSBATCH_EXITCODE_H
#define ENSBATCH_EXITCODE_H

enum exit_code {
	EXIT_OK = 0,		/* every target succeeded / manifest valid */
	EXIT_FAILED = 1,	/* the run finished with failed targets */
	EXIT_USAGE = 2,		/* usage error or invalid manifest */
	EXIT_ENV = 3,		/* environment error before any reboot */
	EXIT_PENDING = 4,	/* registered reboots have not happened yet */
	EXIT_INTERRUPTED = 130	/* interrupted by a signal */
};

#endif
