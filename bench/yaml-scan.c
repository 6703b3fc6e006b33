/*
 * The floor for loading a manifest: read a file and let libyaml turn it
 * into events, doing nothing with them; then read each targets file
 * named after it whole and split it into lines, the least a CSV reader
 * does.  bench/large-manifest.sh compares validate and plan with this
 * scan of the same files.
 *
 *	yaml-scan MANIFEST [TARGETS.csv ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Read a file in blocks and count its lines; -1 if it cannot be read. */
static long
scan_lines(const char *path)
{
	static char	 block[65536];
	FILE		*f;
	size_t		 n;
	const char	*p, *end;
	long		 lines = 0;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return (-1);
	}
	while ((n = fread(block, 1, sizeof(block), f)) > 0) {
		end = block + n;
		for (p = block; (p = memchr(p, '\n', (size_t)(end - p))) !=
		    NULL; p++)
			lines++;
	}
	fclose(f);
	return (lines);
}

int
main(int argc, char **argv)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	FILE		*f;
	unsigned long	 n = 0;
	long		 lines = 0, l;
	int		 done = 0, rc = 1, i;

	if (argc < 2) {
		fprintf(stderr, "usage: yaml-scan MANIFEST [TARGETS.csv ...]\n");
		return (2);
	}
	if ((f = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return (1);
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yaml-scan: cannot initialise libyaml\n");
		goto out;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "yaml-scan: %s\n",
			    parser.problem != NULL ? parser.problem :
			    "parse error");
			goto delete;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		n++;
	}
	for (i = 2; i < argc; i++) {
		if ((l = scan_lines(argv[i])) < 0)
			goto delete;
		lines += l;
	}
	printf("%lu events, %ld lines of targets files\n", n, lines);
	rc = 0;
delete:
	yaml_parser_delete(&parser);
out:
	fclose(f);
	return (rc);
}
