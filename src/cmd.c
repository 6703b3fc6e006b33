/*
 * The command table and its one parser: getopt_long built from each
 * entry's option lists, the usage line and the --help text built from
 * the same lists.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "ensbatch/cmd.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/manifest.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/testable.h"
#include "ensbatch/xmalloc.h"

/* Adding a command: its entry here, in the order of "ensbatch --help". */
const struct cmd_entry *const cmd_table[] = {
	&cmd_validate_entry,
	&cmd_plan_entry,
	&cmd_apply_entry,
	&cmd_status_entry,
	&cmd_events_entry,
	&cmd_version_entry,
	NULL
};

/* Every command takes --help, listed last. */
static const struct cmd_option cmd_help_option[] = {
	{ OPT_HELP, 0, "help", CMD_FLAG, NULL,
	  "print this help and exit", 0, 0 },
	CMD_OPTIONS_END
};

#define CMD_WIDTH	79	/* of usage and help lines */
#define CMD_HELP_COLUMN	34	/* at most, for an option's help */
#define CMD_LONG_BASE	256	/* getopt_long value of option id 0 */

/* Calls fn for each option of an entry, --help last. */
static void
cmd_each_option(const struct cmd_entry *e,
    void (*fn)(const struct cmd_option *, void *), void *arg)
{
	const struct cmd_option	*o;
	size_t			 i;

	for (i = 0; i < CMD_FRAGMENTS && e->options[i] != NULL; i++) {
		for (o = e->options[i]; o->long_name != NULL; o++)
			fn(o, arg);
	}
	for (o = cmd_help_option; o->long_name != NULL; o++)
		fn(o, arg);
}

/* A usage line item: "[--long METAVAR]". */
static char *
cmd_usage_item(const struct cmd_option *o)
{
	if (o->kind == CMD_FLAG)
		return (xasprintf("[--%s]", o->long_name));
	return (xasprintf("[--%s %s]", o->long_name, o->metavar));
}

struct cmd_wrap {
	struct buf	*b;
	size_t		 col;		/* of the current line */
	size_t		 indent;	/* of continuation lines */
};

/* Append a word to a wrapped line. */
static void
cmd_wrap_word(struct cmd_wrap *w, const char *word)
{
	size_t	len = strlen(word);

	if (w->col > w->indent && w->col + 1 + len > CMD_WIDTH) {
		buf_addf(w->b, "\n%*s", (int)w->indent, "");
		w->col = w->indent;
	} else if (w->col != w->indent) {
		buf_add(w->b, " ", 1);
		w->col++;
	}
	buf_add(w->b, word, len);
	w->col += len;
}

static void
cmd_usage_option(const struct cmd_option *o, void *arg)
{
	char	*item = cmd_usage_item(o);

	cmd_wrap_word(arg, item);
	free(item);
}

/* The usage line, wrapped, without a newline at the end. */
static void
cmd_usage_line(const struct cmd_entry *e, struct buf *b)
{
	struct cmd_wrap	 w;
	size_t		 start = b->len;

	buf_addf(b, "usage: ensbatch %s", e->name);
	w.b = b;
	w.col = b->len - start;
	w.indent = w.col + 1;
	cmd_each_option(e, cmd_usage_option, &w);
	if (*e->args != '\0')
		cmd_wrap_word(&w, e->args);
}

/* The left column of an option's help line: "  -q, --quiet". */
static char *
cmd_help_left(const struct cmd_option *o)
{
	char	 sh[8];

	if (o->short_name != 0)
		snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
	else
		snprintf(sh, sizeof(sh), "    ");
	if (o->kind == CMD_FLAG)
		return (xasprintf("  %s--%s", sh, o->long_name));
	return (xasprintf("  %s--%s %s", sh, o->long_name, o->metavar));
}

static void
cmd_help_width(const struct cmd_option *o, void *arg)
{
	size_t	*width = arg;
	char	*left = cmd_help_left(o);

	if (strlen(left) + 2 > *width && strlen(left) + 2 <= CMD_HELP_COLUMN)
		*width = strlen(left) + 2;
	free(left);
}

struct cmd_help_state {
	struct buf	*b;
	size_t		 column;
};

/* One option's help line(s), the description word-wrapped. */
static void
cmd_help_option_line(const struct cmd_option *o, void *arg)
{
	struct cmd_help_state	*h = arg;
	struct cmd_wrap		 w;
	char			*left = cmd_help_left(o), *copy, *word, *next;

	buf_add(h->b, left, strlen(left));
	if (strlen(left) + 2 > h->column)
		buf_addf(h->b, "\n%*s", (int)h->column, "");
	else
		buf_addf(h->b, "%*s", (int)(h->column - strlen(left)), "");
	w.b = h->b;
	w.col = w.indent = h->column;
	copy = xstrdup(o->help);
	for (word = copy; word != NULL; word = next) {
		if ((next = strchr(word, ' ')) != NULL)
			*next++ = '\0';
		cmd_wrap_word(&w, word);
	}
	buf_add(h->b, "\n", 1);
	free(copy);
	free(left);
}

void
cmd_help(const struct cmd_entry *e, FILE *f)
{
	struct cmd_help_state	h;
	struct buf		b;

	buf_init(&b);
	cmd_usage_line(e, &b);
	buf_addf(&b, "\n\n%s\n\noptions:\n", e->summary);
	h.b = &b;
	h.column = 0;
	cmd_each_option(e, cmd_help_width, &h.column);
	cmd_each_option(e, cmd_help_option_line, &h);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}

/* "usage: ..." after a usage error. */
static void
cmd_usage(const struct cmd_entry *e)
{
	struct buf	b;

	buf_init(&b);
	cmd_usage_line(e, &b);
	buf_add(&b, "\n", 1);
	fwrite(b.data, 1, b.len, stderr);
	buf_free(&b);
}

void
cmd_list(FILE *f)
{
	const struct cmd_entry	*const *cmd;

	fputs("usage: ensbatch COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (cmd = cmd_table; *cmd != NULL; cmd++)
		fprintf(f, "  %-10s %s\n", (*cmd)->name, (*cmd)->summary);
	fputs("\n\"ensbatch COMMAND --help\" shows a command's options; "
	    "see ensbatch(1).\n", f);
}

/* The getopt_long tables of an entry, built once per parse. */
struct cmd_getopt {
	struct buf		 shorts;
	struct option		*longs;
	size_t			 nlongs;
	const struct cmd_option	*by_id[OPT_COUNT];
};

static void
cmd_getopt_add(const struct cmd_option *o, void *arg)
{
	struct cmd_getopt	*g = arg;
	struct option		*l;

	if (o->id <= OPT_NONE || o->id >= OPT_COUNT ||
	    g->by_id[o->id] != NULL)
		fatal("option --%s: bad or repeated id %d", o->long_name,
		    o->id);
	g->by_id[o->id] = o;
	if (o->short_name != 0) {
		buf_add(&g->shorts, &o->short_name, 1);
		if (o->kind != CMD_FLAG)
			buf_add(&g->shorts, ":", 1);
	}
	g->longs = xreallocarray(g->longs, g->nlongs + 2, sizeof(*g->longs));
	l = &g->longs[g->nlongs++];
	l->name = o->long_name;
	l->has_arg = o->kind == CMD_FLAG ? no_argument : required_argument;
	l->flag = NULL;
	l->val = CMD_LONG_BASE + o->id;
	memset(&g->longs[g->nlongs], 0, sizeof(*g->longs));
}

/* The option getopt_long returned (a short letter or a long value). */
static const struct cmd_option *
cmd_getopt_find(const struct cmd_getopt *g, int ch)
{
	size_t	i;

	if (ch >= CMD_LONG_BASE && ch < CMD_LONG_BASE + OPT_COUNT)
		return (g->by_id[ch - CMD_LONG_BASE]);
	for (i = 0; i < OPT_COUNT; i++) {
		if (g->by_id[i] != NULL && g->by_id[i]->short_name == ch)
			return (g->by_id[i]);
	}
	return (NULL);
}

/* "a, b or c" from "a|b|c".  Caller frees. */
TESTABLE char *
cmd_choices(const char *metavar)
{
	struct buf	 b;
	const char	*p, *bar, *last = strrchr(metavar, '|');

	buf_init(&b);
	for (p = metavar; p != NULL; p = bar != NULL ? bar + 1 : NULL) {
		bar = strchr(p, '|');
		if (p != metavar)
			buf_adds(&b, p - 1 == last ? " or " : ", ");
		buf_add(&b, p, bar != NULL ? (size_t)(bar - p) : strlen(p));
	}
	return (buf_detach(&b));
}

/* The index of value among the '|'-separated metavar, or -1. */
TESTABLE int
cmd_choice_index(const char *metavar, const char *value)
{
	const char	*p, *bar;
	size_t		 len;
	int		 i = 0;

	for (p = metavar; p != NULL; p = bar != NULL ? bar + 1 : NULL, i++) {
		bar = strchr(p, '|');
		len = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(value) == len && strncmp(p, value, len) == 0)
			return (i);
	}
	return (-1);
}

/* Check and store one option's value; -1 after a message. */
static int
cmd_store(struct cmd_args *a, const struct cmd_option *o, const char *arg)
{
	char	*end, *list;
	long	 v;

	a->given[o->id] = 1;
	a->value[o->id] = arg;
	switch (o->kind) {
	case CMD_FLAG:
	case CMD_STRING:
		break;
	case CMD_CHOICE:
		if ((a->choice[o->id] = cmd_choice_index(o->metavar,
		    arg)) < 0) {
			list = cmd_choices(o->metavar);
			msg_error("--%s must be %s", o->long_name, list);
			free(list);
			return (-1);
		}
		break;
	case CMD_NUMBER:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < o->min ||
		    v > o->max) {
			msg_error("--%s must be %ld to %ld", o->long_name,
			    o->min, o->max);
			return (-1);
		}
		a->number[o->id] = v;
		break;
	}
	return (0);
}

/* Report a getopt_long error. */
static void
cmd_getopt_error(const struct cmd_args *a, const struct cmd_getopt *g,
    int ch, const char *word)
{
	const struct cmd_option	*o;
	int			 len;

	len = (int)strcspn(word, "=");
	if (ch == ':' && (o = cmd_getopt_find(g, optopt)) != NULL)
		msg_error("option --%s needs a value (%s)", o->long_name,
		    o->metavar);
	else if (optopt != 0 && optopt < CMD_LONG_BASE)
		msg_error("unknown option -%c", optopt);
	else
		msg_error("unknown option %.*s", len, word);
}

/*
 * Parse the options and check the number of arguments.  Returns -1
 * (go on), or an exit code: EXIT_OK after --help, EXIT_USAGE.
 */
TESTABLE int
cmd_parse(struct cmd_args *a, int argc, char **argv)
{
	struct cmd_getopt	 g;
	const struct cmd_option	*o;
	char			*cause = NULL;
	int			 ch, rc = EXIT_USAGE;

	memset(&g, 0, sizeof(g));
	buf_init(&g.shorts);
	buf_add(&g.shorts, ":", 1);	/* ':' for a missing value */
	cmd_each_option(a->entry, cmd_getopt_add, &g);
	opterr = 0;
	/* 0, not 1: glibc then forgets the state of an earlier parse (a
	 * pointer into that argv), as the unit tests parse many. */
	optind = 0;
	while ((ch = getopt_long(argc, argv, g.shorts.data, g.longs,
	    NULL)) != -1) {
		if (ch == '?' || ch == ':' ||
		    (o = cmd_getopt_find(&g, ch)) == NULL) {
			cmd_getopt_error(a, &g, ch, argv[optind - 1]);
			goto usage;
		}
		if (cmd_store(a, o, optarg != NULL ? optarg : "") != 0)
			goto out;
	}
	if (cmd_has(a, OPT_HELP)) {
		cmd_help(a->entry, stdout);
		rc = EXIT_OK;
		goto out;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < a->entry->lower) {
		msg_error("missing %s", a->entry->args);
		goto usage;
	}
	if (a->entry->upper >= 0 && a->argc > a->entry->upper) {
		msg_error("unexpected argument \"%s\"",
		    a->argv[a->entry->upper]);
		goto usage;
	}
	if (options_from_args(&a->o, a, &cause) != 0) {
		msg_error("%s", cause);
		goto out;
	}
	rc = -1;
	goto out;
usage:
	cmd_usage(a->entry);
out:
	free(cause);
	free(g.longs);
	buf_free(&g.shorts);
	return (rc);
}

/* An unknown command: say so, with the closest name if one is close. */
static void
cmd_unknown(const char *name)
{
	const char	**names;
	const char	 *hint;
	size_t		  n;

	for (n = 0; cmd_table[n] != NULL; n++)
		continue;
	names = xcalloc(n, sizeof(*names));
	for (n = 0; cmd_table[n] != NULL; n++)
		names[n] = cmd_table[n]->name;
	if ((hint = manifest_suggest(name, names, n)) != NULL)
		msg_error("unknown command \"%s\"; did you mean \"%s\"?",
		    name, hint);
	else
		msg_error("unknown command \"%s\"", name);
	free(names);
	cmd_list(stderr);
}

int
cmd_run(int argc, char **argv)
{
	const struct cmd_entry	*const *cmd;
	struct cmd_args		 a;
	int			 rc;

	for (cmd = cmd_table; *cmd != NULL; cmd++) {
		if (strcmp(argv[0], (*cmd)->name) == 0)
			break;
	}
	if (*cmd == NULL) {
		msg_setup(NULL, 0, 0);
		cmd_unknown(argv[0]);
		return (EXIT_USAGE);
	}
	msg_setup((*cmd)->name, 0, 0);
	memset(&a, 0, sizeof(a));
	a.entry = *cmd;
	if ((rc = cmd_parse(&a, argc, argv)) != -1)
		return (rc);
	msg_setup((*cmd)->name, a.o.quiet, options_use_color(&a.o, stderr));
	return ((*cmd)->exec(&a));
}

int
cmd_has(const struct cmd_args *a, int id)
{
	return (a->given[id]);
}

const char *
cmd_value(const struct cmd_args *a, int id)
{
	return (a->given[id] ? a->value[id] : NULL);
}

long
cmd_number(const struct cmd_args *a, int id, long dflt)
{
	return (a->given[id] ? a->number[id] : dflt);
}

int
cmd_choice(const struct cmd_args *a, int id, int dflt)
{
	return (a->given[id] ? a->choice[id] : dflt);
}
