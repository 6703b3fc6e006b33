/*
 * The floor for loading a manifest: read a file and let libyaml turn it
 * into events, doing nothing with them.  bench/large-manifest.sh
 * compares validate and plan with this scan of the same file.
 *
 *	yaml-scan FILE
 */
#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

int
main(int argc, char **argv)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	FILE		*f;
	unsigned long	 n = 0;
	int		 done = 0, rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: yaml-scan FILE\n");
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
	printf("%lu events\n", n);
	rc = 0;
delete:
	yaml_parser_delete(&parser);
out:
	fclose(f);
	return (rc);
}
