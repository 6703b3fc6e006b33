/*
 * Replay inputs through a fuzz target without libFuzzer: every argument
 * is a file (or a directory whose files are read in name order) passed
 * once to LLVMFuzzerTestOneInput.  A crash or failed invariant aborts;
 * exit 0 means every input went through.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ensbatch/buf.h"
#include "ensbatch/xmalloc.h"

#include "fuzz.h"

#define REPLAY_MAX_SIZE	(64UL * 1024 * 1024)

static int
replay_file(const char *path)
{
	char	*text = NULL, *cause = NULL;
	size_t	 len = 0;

	if (buf_read_file(path, REPLAY_MAX_SIZE, &text, &len, &cause) != 0) {
		fprintf(stderr, "replay: %s\n", cause);
		free(cause);
		return (-1);
	}
	/* Names the input a crash happens on. */
	fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput((const uint8_t *)text, len);
	free(text);
	return (0);
}

static int
name_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Every regular file directly in dir, in name order. */
static int
replay_dir(const char *dir, size_t *count)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		**names = NULL, *path;
	size_t		 n = 0, i;
	int		 rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", dir,
		    strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = xreallocarray(names, n + 1, sizeof(*names));
		names[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (i = 0; i < n; i++) {
		path = names[i];
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) != 0)
				rc = -1;
			else
				(*count)++;
		}
		free(path);
	}
	free(names);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	size_t		 count = 0;
	int		 i, rc = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &count) != 0)
				rc = 1;
		} else if (replay_file(argv[i]) != 0)
			rc = 1;
		else
			count++;
	}
	printf("replayed %zu input%s\n", count, count == 1 ? "" : "s");
	return (rc);
}
