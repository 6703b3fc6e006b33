/*
 * The JUnit XML report (SPEC section 7), shaped for the Jenkins xUnit
 * plugin's junit-10 schema (tests/junit-10.xsd encodes what we promise).
 * This is the only file that knows libxml2: the model in report.h is
 * plain C, and every string is cleaned here before libxml2 sees it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "ensbatch/buf.h"
#include "ensbatch/report.h"
#include "ensbatch/xmalloc.h"

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX	255
#endif

/* Longest time we show: far beyond any run, and safe to multiply. */
#define REPORT_TIME_MAX	1e12

/* "YYYY-MM-DDTHH:MM:SS" and "<seconds>.<ms>" fit comfortably. */
#define REPORT_NUMLEN	64

static char	*report_strdup(const char *);
static char	*report_clean(const char *);
static int64_t	 report_ms(double);
static void	 report_fmt_ms(int64_t, char *, size_t);
static void	 report_fmt_stamp(int64_t, char *, size_t);
static const char *report_hostname(const struct report *, char *, size_t);
static xmlNodePtr report_elem(xmlNodePtr, const char *);
static void	 report_attr(xmlNodePtr, const char *, const char *);
static void	 report_attr_num(xmlNodePtr, const char *, uintmax_t);
static void	 report_text(xmlNodePtr, const char *);
static void	 report_add_case(xmlNodePtr, const struct report_case *);
static int64_t	 report_add_suite(xmlNodePtr, const struct report *,
		    size_t, const char *, size_t *, size_t *, size_t *);
static xmlDocPtr report_build(const struct report *);
static int	 report_write_all(int, const void *, size_t);
static void	 report_sync_dir(const char *);

/* xstrdup that maps NULL to "" for strings the report must have. */
static char *
report_strdup(const char *s)
{
	return (xstrdup(s != NULL ? s : ""));
}

struct report *
report_new(const char *name)
{
	struct report	*r;

	r = xcalloc(1, sizeof *r);
	r->name = report_strdup(name);
	return (r);
}

void
report_free(struct report *r)
{
	struct report_suite	*s;
	struct report_case	*c;
	size_t			 i, j;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsuites; i++) {
		s = &r->suites[i];
		for (j = 0; j < s->nprops; j++) {
			free(s->props[j].name);
			free(s->props[j].value);
		}
		free(s->props);
		for (j = 0; j < s->ncases; j++) {
			c = &s->cases[j];
			free(c->classname);
			free(c->name);
			free(c->type);
			free(c->message);
			free(c->system_out);
		}
		free(s->cases);
		free(s->name);
		free(s->package);
	}
	free(r->suites);
	free(r->name);
	free(r->hostname);
	free(r);
}

/*
 * Add a suite for one group.  The array doubles whenever its length
 * reaches a power of two, so it grows geometrically without a capacity
 * field; that is why earlier suite pointers do not survive this call.
 */
struct report_suite *
report_suite_add(struct report *r, const char *name, int64_t timestamp)
{
	struct report_suite	*s;
	size_t			 n = r->nsuites;

	if (n == 0 || (n & (n - 1)) == 0)
		r->suites = xreallocarray(r->suites, n == 0 ? 1 : 2 * n,
		    sizeof *r->suites);
	s = &r->suites[r->nsuites++];
	memset(s, 0, sizeof *s);
	s->name = report_strdup(name);
	s->package = report_strdup(r->name);
	s->timestamp = timestamp;
	return (s);
}

void
report_property_add(struct report_suite *s, const char *name,
    const char *value)
{
	struct report_property	*p;

	s->props = xreallocarray(s->props, s->nprops + 1, sizeof *s->props);
	p = &s->props[s->nprops++];
	p->name = report_strdup(name);
	p->value = report_strdup(value);
}

/*
 * Add a test case.  Its time (when positive) is added to the suite's
 * time; a caller that knows the group's wall-clock time may overwrite
 * s->time after adding the cases.
 */
void
report_case_add(struct report_suite *s, const char *classname,
    const char *name, double time, enum report_outcome outcome,
    const char *type, const char *message, const char *system_out)
{
	struct report_case	*c;

	if (s->ncases == s->cases_cap) {
		s->cases_cap = s->cases_cap == 0 ? 8 : 2 * s->cases_cap;
		s->cases = xreallocarray(s->cases, s->cases_cap,
		    sizeof *s->cases);
	}
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof *c);
	c->classname = report_strdup(classname);
	c->name = report_strdup(name);
	c->time = time;
	c->outcome = outcome;
	if (type != NULL)
		c->type = xstrdup(type);
	if (message != NULL)
		c->message = xstrdup(message);
	if (system_out != NULL)
		c->system_out = xstrdup(system_out);
	if (time > 0.0)
		s->time += time;
}

/*
 * Make s safe for XML 1.0 (caller frees): C0 control characters other
 * than tab, LF and CR are dropped (one is enough to break Jenkins'
 * parser), and every byte sequence that is not well-formed UTF-8
 * (stray continuation bytes, overlong forms, surrogates, truncated
 * sequences, code points above U+10FFFF) as well as U+FFFE and U+FFFF,
 * which XML forbids, becomes U+FFFD.  Invalid input is replaced one
 * maximal ill-formed subsequence at a time, as Unicode recommends.
 */
static char *
report_clean(const char *s)
{
	static const char	 repl[] = "\xef\xbf\xbd";
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b;
	unsigned char		 lo, hi;
	uint32_t		 cp;
	size_t			 need, i;

	buf_init(&b);
	while (*p != '\0') {
		if (*p < 0x80) {
			if (*p >= 0x20 || *p == '\t' || *p == '\n' ||
			    *p == '\r')
				buf_addc(&b, (char)*p);
			p++;
			continue;
		}

		/* Lead byte: length and the range of the second byte. */
		lo = 0x80;
		hi = 0xbf;
		if (*p >= 0xc2 && *p <= 0xdf)
			need = 1;
		else if (*p >= 0xe0 && *p <= 0xef) {
			need = 2;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			need = 3;
			if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
		} else {
			buf_add(&b, repl, sizeof repl - 1);
			p++;
			continue;
		}

		cp = *p & (0x3f >> need);
		for (i = 1; i <= need; i++) {
			if (p[i] < (i == 1 ? lo : 0x80) ||
			    p[i] > (i == 1 ? hi : 0xbf))
				break;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (i <= need || cp == 0xfffe || cp == 0xffff)
			buf_add(&b, repl, sizeof repl - 1);
		else
			buf_add(&b, p, need + 1);
		p += i;
	}
	return (buf_detach(&b));
}

/*
 * Seconds to whole milliseconds, rounded.  Negative, zero and NaN give
 * 0; huge values (and infinity) are clamped.
 */
static int64_t
report_ms(double t)
{
	if (!(t > 0.0))
		return (0);
	if (t > REPORT_TIME_MAX)
		t = REPORT_TIME_MAX;
	return ((int64_t)(t * 1000.0 + 0.5));
}

/*
 * "12345.679": seconds with exactly three decimals, built from integer
 * milliseconds so that no locale can put a comma or a thousands
 * separator in it.
 */
static void
report_fmt_ms(int64_t ms, char *out, size_t len)
{
	if (ms < 0)
		ms = 0;
	snprintf(out, len, "%" PRId64 ".%03d", ms / 1000, (int)(ms % 1000));
}

/*
 * A millisecond epoch as "YYYY-MM-DDTHH:MM:SS" in UTC.  junit-10 only
 * accepts this form, without fraction or zone designator, so the 'Z'
 * is left out and the zone is a documented convention.  Instants that
 * do not fit four-digit years show as the epoch.
 */
static void
report_fmt_stamp(int64_t ms, char *out, size_t len)
{
	struct tm	tm;
	time_t		t;
	int64_t		secs;

	secs = ms / 1000;
	if (ms % 1000 < 0)
		secs--;
	t = (time_t)secs;
	if ((int64_t)t != secs || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) {
		t = 0;
		gmtime_r(&t, &tm);
	}
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/*
 * The hostname to show: the report's, else this machine's, else
 * "localhost".  Returns r->hostname or out (borrowed).
 */
static const char *
report_hostname(const struct report *r, char *out, size_t len)
{
	const char	*host = out;

	memset(out, 0, len);
	if (r->hostname != NULL && *r->hostname != '\0')
		host = r->hostname;
	else if (gethostname(out, len - 1) != 0 || *out == '\0')
		snprintf(out, len, "localhost");
	return (host);
}

/* A new child element; libxml2 returning NULL means out of memory. */
static xmlNodePtr
report_elem(xmlNodePtr parent, const char *name)
{
	xmlNodePtr	n;

	if ((n = xmlNewChild(parent, NULL, BAD_CAST name, NULL)) == NULL)
		fatal("out of memory building the report");
	return (n);
}

/* Set an attribute to a cleaned copy of value (libxml2 escapes it). */
static void
report_attr(xmlNodePtr n, const char *name, const char *value)
{
	char	*v;

	v = report_clean(value);
	if (xmlNewProp(n, BAD_CAST name, BAD_CAST v) == NULL)
		fatal("out of memory building the report");
	free(v);
}

static void
report_attr_num(xmlNodePtr n, const char *name, uintmax_t value)
{
	char	num[REPORT_NUMLEN];

	snprintf(num, sizeof num, "%ju", value);
	report_attr(n, name, num);
}

/* Append text content: a text node, so no entity is ever interpreted. */
static void
report_text(xmlNodePtr n, const char *text)
{
	xmlNodePtr	 t;
	char		*v;

	v = report_clean(text);
	if ((t = xmlNewText(BAD_CAST v)) == NULL ||
	    xmlAddChild(n, t) == NULL)
		fatal("out of memory building the report");
	free(v);
}

/* One <testcase>, with its outcome element and <system-out>. */
static void
report_add_case(xmlNodePtr parent, const struct report_case *c)
{
	xmlNodePtr	 tc, n;
	char		 num[REPORT_NUMLEN];

	tc = report_elem(parent, "testcase");
	report_attr(tc, "classname", c->classname);
	report_attr(tc, "name", c->name);
	report_fmt_ms(report_ms(c->time), num, sizeof num);
	report_attr(tc, "time", num);

	switch (c->outcome) {
	case REPORT_PASSED:
		break;
	case REPORT_FAILURE:
	case REPORT_ERROR:
		n = report_elem(tc, c->outcome == REPORT_FAILURE ?
		    "failure" : "error");
		if (c->type != NULL)
			report_attr(n, "type", c->type);
		if (c->message != NULL) {
			report_attr(n, "message", c->message);
			report_text(n, c->message);
		}
		break;
	case REPORT_SKIPPED:
		n = report_elem(tc, "skipped");
		if (c->message != NULL)
			report_attr(n, "message", c->message);
		break;
	}

	if (c->system_out != NULL)
		report_text(report_elem(tc, "system-out"), c->system_out);
}

/*
 * One <testsuite> (the idx'th, which is also its id).  Adds its counts
 * to the totals and returns its time in milliseconds, so that the root
 * time is exactly the sum of the times shown.
 */
static int64_t
report_add_suite(xmlNodePtr root, const struct report *r, size_t idx,
    const char *host, size_t *tests, size_t *failures, size_t *errors)
{
	const struct report_suite	*s = &r->suites[idx];
	xmlNodePtr			 ts, props, p;
	size_t				 i, nfail = 0, nerr = 0, nskip = 0;
	int64_t				 ms;
	char				 num[REPORT_NUMLEN];

	for (i = 0; i < s->ncases; i++) {
		switch (s->cases[i].outcome) {
		case REPORT_PASSED:
			break;
		case REPORT_FAILURE:
			nfail++;
			break;
		case REPORT_ERROR:
			nerr++;
			break;
		case REPORT_SKIPPED:
			nskip++;
			break;
		}
	}
	ms = report_ms(s->time);

	ts = report_elem(root, "testsuite");
	report_attr(ts, "name", s->name);
	report_attr_num(ts, "tests", s->ncases);
	report_attr_num(ts, "failures", nfail);
	report_attr_num(ts, "errors", nerr);
	report_attr_num(ts, "skipped", nskip);
	report_fmt_ms(ms, num, sizeof num);
	report_attr(ts, "time", num);
	report_fmt_stamp(s->timestamp, num, sizeof num);
	report_attr(ts, "timestamp", num);
	report_attr(ts, "hostname", host);
	report_attr_num(ts, "id", idx);
	report_attr(ts, "package", s->package);

	if (s->nprops > 0) {
		props = report_elem(ts, "properties");
		for (i = 0; i < s->nprops; i++) {
			p = report_elem(props, "property");
			report_attr(p, "name", s->props[i].name);
			report_attr(p, "value", s->props[i].value);
		}
	}
	for (i = 0; i < s->ncases; i++)
		report_add_case(ts, &s->cases[i]);

	*tests += s->ncases;
	*failures += nfail;
	*errors += nerr;
	return (ms);
}

/* The whole document; caller frees with xmlFreeDoc(). */
static xmlDocPtr
report_build(const struct report *r)
{
	xmlDocPtr	 doc;
	xmlNodePtr	 root;
	size_t		 i, tests = 0, failures = 0, errors = 0;
	int64_t		 ms = 0;
	const char	*host;
	char		 hostbuf[HOST_NAME_MAX + 1];
	char		 num[REPORT_NUMLEN];

	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, BAD_CAST "testsuites",
	    NULL)) == NULL)
		fatal("out of memory building the report");
	xmlDocSetRootElement(doc, root);

	host = report_hostname(r, hostbuf, sizeof hostbuf);
	for (i = 0; i < r->nsuites; i++)
		ms += report_add_suite(root, r, i, host, &tests, &failures,
		    &errors);

	report_attr(root, "name", r->name);
	report_attr_num(root, "tests", tests);
	report_attr_num(root, "failures", failures);
	report_attr_num(root, "errors", errors);
	report_fmt_ms(ms, num, sizeof num);
	report_attr(root, "time", num);
	return (doc);
}

/* write(2) until done; -1 with errno set on failure. */
static int
report_write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/*
 * Best effort: make the rename itself durable.  Failing here does not
 * make the report wrong, so errors are ignored.
 */
static void
report_sync_dir(const char *path)
{
	char		*dir = NULL, *slash;
	int		 fd = -1;

	dir = xstrdup(path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		free(dir);
		dir = xstrdup(".");
	} else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto out;
	(void)fsync(fd);

out:
	if (fd != -1)
		close(fd);
	free(dir);
}

/*
 * Serialize the report and replace path with it atomically: readers
 * see either the old file or the complete new one, never a torn file.
 * The temporary file sits next to path (same file system, so rename
 * is atomic) and is removed again on any failure.
 */
int
report_write(const struct report *r, const char *path, char **cause)
{
	xmlDocPtr	 doc = NULL;
	xmlChar		*mem = NULL;
	char		*tmp = NULL;
	int		 fd = -1, made = 0, size = 0, rv = -1, saved;
	mode_t		 mask;

	*cause = NULL;

	doc = report_build(r);
	xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (mem == NULL || size <= 0) {
		*cause = xasprintf("cannot write %s: cannot serialize the "
		    "report", path);
		goto out;
	}

	tmp = xasprintf("%s.tmp.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	made = 1;

	/* mkstemp gives 0600; a report is an ordinary file. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    report_write_all(fd, mem, (size_t)size) == -1 ||
	    fsync(fd) == -1) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	saved = close(fd);
	fd = -1;
	if (saved == -1 || rename(tmp, path) == -1) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		goto out;
	}
	made = 0;	/* renamed: nothing left to unlink */
	report_sync_dir(path);
	rv = 0;

out:
	if (fd != -1)
		close(fd);
	if (made)
		unlink(tmp);
	free(tmp);
	xmlFree(mem);
	xmlFreeDoc(doc);
	return (rv);
}
