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
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/xmlIO.h>
#include <libxml/xmlwriter.h>

#include "ensbatch/safefile.h"
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

/* Bytes gathered before one write(2): libxml2 hands over 4 KB pieces. */
#define REPORT_CHUNK	(64 * 1024)

/*
 * One streamed write: the writer, the temporary file it feeds, what is
 * not written to it yet, and scratch buffers reused for every string.
 * failed is sticky: once a writer call fails, the rest of the document
 * is skipped.
 */
struct report_out {
	xmlTextWriterPtr	 w;
	int			 fd;
	int			 errnum;	/* first write(2) failure */
	int			 failed;
	struct buf		 pending;	/* up to REPORT_CHUNK */
	struct buf		 clean;
	struct buf		 text;
};

static char	*report_strdup(const char *);
static size_t	 report_room(const char *);
static char	*report_copy_into(char **, const char *);
static void	 report_props_free(struct report_property *, size_t);
static int	 report_prop_is_run(const struct report *,
		    const struct report_property *);
static void	 report_put_props(struct report_out *,
		    const struct report *, size_t);
static void	 report_clean(struct buf *, const char *);
static int64_t	 report_ms(double);
static void	 report_fmt_ms(int64_t, char *, size_t);
static void	 report_fmt_stamp(int64_t, char *, size_t);
static const char *report_hostname(const struct report *, char *, size_t);
static void	 report_count(const struct report_suite *, size_t *,
		    size_t *, size_t *);
static void	 report_check(struct report_out *, int);
static void	 report_start(struct report_out *, const char *);
static void	 report_end(struct report_out *);
static void	 report_attr(struct report_out *, const char *,
		    const char *);
static void	 report_attr_num(struct report_out *, const char *,
		    uintmax_t);
static void	 report_text(struct report_out *, const char *);
static void	 report_case_body(struct report_out *,
		    const struct report_case *);
static void	 report_put_case(struct report_out *,
		    const struct report_case *);
static void	 report_put_suite(struct report_out *,
		    const struct report *, size_t, const char *);
static void	 report_put(struct report_out *, const struct report *);
static void	 report_out_flush(struct report_out *);
static int	 report_out_write(void *, const char *, int);

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

static void
report_props_free(struct report_property *props, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(props[i].name);
		free(props[i].value);
	}
	free(props);
}

void
report_free(struct report *r)
{
	struct report_suite	*s;
	struct report_case	*c;
	size_t			 i, j;

	if (r == NULL)
		return;
	report_props_free(r->props, r->nprops);
	for (i = 0; i < r->nsuites; i++) {
		s = &r->suites[i];
		report_props_free(s->props, s->nprops);
		/* A case's strings are one block, classname first. */
		for (j = 0; j < s->ncases; j++) {
			c = &s->cases[j];
			free(c->classname);
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
	s->report = r;
	s->name = report_strdup(name);
	s->package = report_strdup(r->name);
	s->timestamp = timestamp;
	return (s);
}

/* Add a suite before all others: the run's, which readers see first. */
struct report_suite *
report_suite_add_first(struct report *r, const char *name,
    int64_t timestamp)
{
	struct report_suite	 first;

	first = *report_suite_add(r, name, timestamp);
	memmove(&r->suites[1], &r->suites[0],
	    (r->nsuites - 1) * sizeof *r->suites);
	r->suites[0] = first;
	return (&r->suites[0]);
}

/* Set a property of the whole run; a name set again gets the new value. */
void
report_run_property(struct report *r, const char *name, const char *value)
{
	struct report_property	*p;
	size_t			 i;

	for (i = 0; i < r->nprops; i++) {
		p = &r->props[i];
		if (strcmp(p->name, name != NULL ? name : "") == 0) {
			free(p->value);
			p->value = report_strdup(value);
			return;
		}
	}
	r->props = xreallocarray(r->props, r->nprops + 1, sizeof *r->props);
	p = &r->props[r->nprops++];
	p->name = report_strdup(name);
	p->value = report_strdup(value);
}

/*
 * "user@host" for the operator property: USER as the shell has it,
 * else the password entry's name, else the bare uid.
 */
char *
report_operator(void)
{
	const struct passwd	*pw;
	const char		*user = getenv("USER");
	char			 host[HOST_NAME_MAX + 1];
	char			 uid[REPORT_NUMLEN];

	if (user == NULL || *user == '\0') {
		if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
			user = pw->pw_name;
		else {
			snprintf(uid, sizeof uid, "uid %ju",
			    (uintmax_t)getuid());
			user = uid;
		}
	}
	memset(host, 0, sizeof host);
	if (gethostname(host, sizeof host - 1) != 0 || *host == '\0')
		snprintf(host, sizeof host, "localhost");
	return (xasprintf("%s@%s", user, host));
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

/* The room s takes in a block of strings: none for NULL. */
static size_t
report_room(const char *s)
{
	return (s != NULL ? strlen(s) + 1 : 0);
}

/* Copy s (may be NULL) to *p, moving *p past it; returns the copy. */
static char *
report_copy_into(char **p, const char *s)
{
	char	*copy = *p;
	size_t	 n = report_room(s);

	if (s == NULL)
		return (NULL);
	memcpy(copy, s, n);
	*p += n;
	return (copy);
}

/*
 * Add a test case.  Its strings are copied into one block that
 * classname heads (report_free frees that alone): a report of
 * thousands of targets costs one allocation per case, not five.  Its
 * time (when positive) is added to the suite's time; a caller that
 * knows the group's wall-clock time may overwrite s->time after adding
 * the cases.
 */
void
report_case_add(struct report_suite *s, const char *classname,
    const char *name, double time, enum report_outcome outcome,
    const char *type, const char *message, const char *system_out)
{
	struct report_case	*c;
	char			*p;

	if (s->ncases == s->cases_cap) {
		s->cases_cap = s->cases_cap == 0 ? 8 : 2 * s->cases_cap;
		s->cases = xreallocarray(s->cases, s->cases_cap,
		    sizeof *s->cases);
	}
	c = &s->cases[s->ncases++];
	memset(c, 0, sizeof *c);
	if (classname == NULL)
		classname = "";
	if (name == NULL)
		name = "";
	p = xmalloc(report_room(classname) + report_room(name) +
	    report_room(type) + report_room(message) +
	    report_room(system_out));
	c->classname = report_copy_into(&p, classname);
	c->name = report_copy_into(&p, name);
	c->type = report_copy_into(&p, type);
	c->message = report_copy_into(&p, message);
	c->system_out = report_copy_into(&p, system_out);
	c->time = time;
	c->outcome = outcome;
	if (time > 0.0)
		s->time += time;
}

/*
 * Put s into b (emptied first), made safe for XML 1.0: C0 control
 * characters other than tab, LF and CR are dropped (one is enough to
 * break Jenkins' parser), and every byte sequence that is not
 * well-formed UTF-8 (stray continuation bytes, overlong forms,
 * surrogates, truncated sequences, code points above U+10FFFF) as well
 * as U+FFFE and U+FFFF, which XML forbids, becomes U+FFFD.  Invalid
 * input is replaced one maximal ill-formed subsequence at a time, as
 * Unicode recommends.  b is reused for every string of the report.
 */
static void
report_clean(struct buf *b, const char *s)
{
	static const char	 repl[] = "\xef\xbf\xbd";
	const unsigned char	*p = (const unsigned char *)s, *run;
	unsigned char		 lo, hi;
	uint32_t		 cp;
	size_t			 need, i;

	buf_reset(b);
	while (*p != '\0') {
		/* ASCII to keep, copied a run at a time. */
		run = p;
		while ((*p >= 0x20 && *p < 0x80) || *p == '\t' ||
		    *p == '\n' || *p == '\r')
			p++;
		if (p != run) {
			buf_add(b, run, (size_t)(p - run));
			continue;
		}
		if (*p < 0x80) {
			p++;	/* any other C0 control character */
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
			buf_add(b, repl, sizeof repl - 1);
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
			buf_add(b, repl, sizeof repl - 1);
		else
			buf_add(b, p, need + 1);
		p += i;
	}
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

/* Outcome counts of one suite. */
static void
report_count(const struct report_suite *s, size_t *nfail, size_t *nerr,
    size_t *nskip)
{
	size_t	i;

	*nfail = *nerr = *nskip = 0;
	for (i = 0; i < s->ncases; i++) {
		switch (s->cases[i].outcome) {
		case REPORT_PASSED:
			break;
		case REPORT_FAILURE:
			(*nfail)++;
			break;
		case REPORT_ERROR:
			(*nerr)++;
			break;
		case REPORT_SKIPPED:
			(*nskip)++;
			break;
		}
	}
}

/*
 * Note the result of an xmlTextWriter call: negative is a failure, and
 * so is a write(2) that failed under it (report_out_write hides those
 * from libxml2).
 */
static void
report_check(struct report_out *o, int rc)
{
	if (rc < 0 || o->errnum != 0)
		o->failed = 1;
}

static void
report_start(struct report_out *o, const char *name)
{
	if (!o->failed)
		report_check(o, xmlTextWriterStartElement(o->w,
		    BAD_CAST name));
}

static void
report_end(struct report_out *o)
{
	if (!o->failed)
		report_check(o, xmlTextWriterEndElement(o->w));
}

/* An attribute with a cleaned copy of value (libxml2 escapes it). */
static void
report_attr(struct report_out *o, const char *name, const char *value)
{
	if (!o->failed) {
		report_clean(&o->clean, value);
		report_check(o, xmlTextWriterWriteAttribute(o->w,
		    BAD_CAST name, BAD_CAST o->clean.data));
	}
}

static void
report_attr_num(struct report_out *o, const char *name, uintmax_t value)
{
	char	num[REPORT_NUMLEN];

	snprintf(num, sizeof num, "%ju", value);
	report_attr(o, name, num);
}

/*
 * Text content, cleaned and escaped here rather than by
 * xmlTextWriterWriteString, which would also turn '"' into &quot;:
 * escaping exactly what libxml2's tree serializer did (&, <, > and CR,
 * which a parser would otherwise read as LF) keeps reports identical
 * to those written before the writer streamed.  Raw text is never
 * parsed, so no entity is interpreted.
 */
static void
report_text(struct report_out *o, const char *text)
{
	const char	*p;
	size_t		 n;

	if (!o->failed) {
		report_clean(&o->clean, text);
		buf_reset(&o->text);
		p = o->clean.data;
		for (;;) {
			n = strcspn(p, "&<>\r");
			buf_add(&o->text, p, n);
			p += n;
			if (*p == '\0')
				break;
			switch (*p++) {
			case '&':
				buf_adds(&o->text, "&amp;");
				break;
			case '<':
				buf_adds(&o->text, "&lt;");
				break;
			case '>':
				buf_adds(&o->text, "&gt;");
				break;
			case '\r':
				buf_adds(&o->text, "&#13;");
				break;
			}
		}
		report_check(o, xmlTextWriterWriteRaw(o->w,
		    BAD_CAST o->text.data));
	}
}

/*
 * The text of a <failure> or <error>: the message, then the
 * testcase's system-out.  GitLab and junit-viewer show this text and
 * never <system-out>, so that is where the ids, batch, RequestId and
 * times must also be for a target that went wrong.
 */
static void
report_case_body(struct report_out *o, const struct report_case *c)
{
	char	*body;

	if (c->system_out == NULL || *c->system_out == '\0') {
		if (c->message != NULL)
			report_text(o, c->message);
		return;
	}
	body = xasprintf("%s%s%s", c->message != NULL ? c->message : "",
	    c->message != NULL ? "\n\n" : "", c->system_out);
	report_text(o, body);
	free(body);
}

/* One <testcase>, with its outcome element and <system-out>. */
static void
report_put_case(struct report_out *o, const struct report_case *c)
{
	char	num[REPORT_NUMLEN];

	report_start(o, "testcase");
	report_attr(o, "classname", c->classname);
	report_attr(o, "name", c->name);
	report_fmt_ms(report_ms(c->time), num, sizeof num);
	report_attr(o, "time", num);

	switch (c->outcome) {
	case REPORT_PASSED:
		break;
	case REPORT_FAILURE:
	case REPORT_ERROR:
		report_start(o, c->outcome == REPORT_FAILURE ?
		    "failure" : "error");
		if (c->type != NULL)
			report_attr(o, "type", c->type);
		if (c->message != NULL)
			report_attr(o, "message", c->message);
		report_case_body(o, c);
		report_end(o);
		break;
	case REPORT_SKIPPED:
		report_start(o, "skipped");
		if (c->message != NULL)
			report_attr(o, "message", c->message);
		report_end(o);
		break;
	}

	if (c->system_out != NULL) {
		report_start(o, "system-out");
		report_text(o, c->system_out);
		report_end(o);
	}
	report_end(o);
}

/* Is p, a suite's property, the same as one of the run's? */
static int
report_prop_is_run(const struct report *r, const struct report_property *p)
{
	size_t	i;

	for (i = 0; i < r->nprops; i++) {
		if (strcmp(r->props[i].name, p->name) == 0 &&
		    strcmp(r->props[i].value, p->value) == 0)
			return (1);
	}
	return (0);
}

/*
 * The <properties> of the idx'th suite: the first one carries the run's
 * (junit-10 has no place for them under <testsuites>, and junit-viewer,
 * Jenkins and GitLab ignore what is there), then every suite those of
 * its own that differ from the run's.  No element when nothing is left.
 */
static void
report_put_props(struct report_out *o, const struct report *r, size_t idx)
{
	const struct report_suite	*s = &r->suites[idx];
	const struct report_property	*p;
	size_t				 i, n, own = 0;

	for (i = 0; i < s->nprops; i++)
		own += !report_prop_is_run(r, &s->props[i]);
	if (own == 0 && (idx != 0 || r->nprops == 0))
		return;
	report_start(o, "properties");
	n = idx == 0 ? r->nprops : 0;
	for (i = 0; i < n + s->nprops; i++) {
		p = i < n ? &r->props[i] : &s->props[i - n];
		if (i >= n && report_prop_is_run(r, p))
			continue;
		report_start(o, "property");
		report_attr(o, "name", p->name);
		report_attr(o, "value", p->value);
		report_end(o);
	}
	report_end(o);
}

/* One <testsuite> (the idx'th, which is also its id). */
static void
report_put_suite(struct report_out *o, const struct report *r, size_t idx,
    const char *host)
{
	const struct report_suite	*s = &r->suites[idx];
	size_t				 i, nfail, nerr, nskip;
	char				 num[REPORT_NUMLEN];

	report_count(s, &nfail, &nerr, &nskip);
	report_start(o, "testsuite");
	report_attr(o, "name", s->name);
	report_attr_num(o, "tests", s->ncases);
	report_attr_num(o, "failures", nfail);
	report_attr_num(o, "errors", nerr);
	report_attr_num(o, "skipped", nskip);
	report_fmt_ms(report_ms(s->time), num, sizeof num);
	report_attr(o, "time", num);
	report_fmt_stamp(s->timestamp, num, sizeof num);
	report_attr(o, "timestamp", num);
	report_attr(o, "hostname", host);
	report_attr_num(o, "id", idx);
	report_attr(o, "package", s->package);

	report_put_props(o, r, idx);
	for (i = 0; i < s->ncases && !o->failed; i++)
		report_put_case(o, &s->cases[i]);
	report_end(o);
}

/*
 * The whole document, streamed.  The root's totals come first, so they
 * are summed from the model beforehand; its time is the sum of the
 * suite times as shown (whole milliseconds), not of the raw seconds.
 */
static void
report_put(struct report_out *o, const struct report *r)
{
	size_t		 i, tests = 0, failures = 0, errors = 0;
	size_t		 nfail, nerr, nskip;
	int64_t		 ms = 0;
	const char	*host;
	char		 hostbuf[HOST_NAME_MAX + 1];
	char		 num[REPORT_NUMLEN];

	for (i = 0; i < r->nsuites; i++) {
		report_count(&r->suites[i], &nfail, &nerr, &nskip);
		tests += r->suites[i].ncases;
		failures += nfail;
		errors += nerr;
		ms += report_ms(r->suites[i].time);
	}
	host = report_hostname(r, hostbuf, sizeof hostbuf);

	report_check(o, xmlTextWriterStartDocument(o->w, "1.0", "UTF-8",
	    NULL));
	report_start(o, "testsuites");
	report_attr(o, "name", r->name);
	report_attr_num(o, "tests", tests);
	report_attr_num(o, "failures", failures);
	report_attr_num(o, "errors", errors);
	report_fmt_ms(ms, num, sizeof num);
	report_attr(o, "time", num);
	for (i = 0; i < r->nsuites && !o->failed; i++)
		report_put_suite(o, r, i, host);
	report_end(o);
	if (!o->failed)
		report_check(o, xmlTextWriterEndDocument(o->w));
	if (!o->failed)
		report_check(o, xmlTextWriterFlush(o->w));
}

/*
 * Write what is pending to the temporary file.  A failure is kept in
 * o->errnum; everything after it is dropped.
 */
static void
report_out_flush(struct report_out *o)
{
	if (o->errnum == 0 && o->pending.len > 0 &&
	    safefile_write_all(o->fd, o->pending.data, o->pending.len) == -1)
		o->errnum = errno != 0 ? errno : EIO;
	buf_reset(&o->pending);
}

/*
 * libxml2's output callback: gather its pieces and write them to the
 * temporary file a chunk at a time (a report of thousands of targets
 * took hundreds of write calls).  A failure is hidden from libxml2,
 * which would otherwise print its own message.
 */
static int
report_out_write(void *ctx, const char *data, int len)
{
	struct report_out	*o = ctx;

	if (o->errnum == 0 && len > 0) {
		buf_add(&o->pending, data, (size_t)len);
		if (o->pending.len >= REPORT_CHUNK)
			report_out_flush(o);
	}
	return (len);
}

/*
 * Stream the report into a temporary file and replace path with it
 * atomically: readers see either the old file or the complete new one,
 * never a torn file.  The temporary file sits next to path (same file
 * system, so rename is atomic) and is removed again on any failure.
 */
int
report_write(const struct report *r, const char *path, char **cause)
{
	struct report_out	 o;
	struct safefile		 a;
	xmlOutputBufferPtr	 out;
	int			 rv = -1;

	*cause = NULL;
	memset(&o, 0, sizeof o);
	o.fd = -1;
	buf_init(&o.pending);
	buf_init(&o.clean);
	buf_init(&o.text);
	if (safefile_open(&a, path, cause) != 0)
		goto out;
	o.fd = a.fd;

	/* The writer owns out from here; both only fail for memory. */
	if ((out = xmlOutputBufferCreateIO(report_out_write, NULL, &o,
	    NULL)) == NULL)
		fatal("out of memory writing the report");
	if ((o.w = xmlNewTextWriter(out)) == NULL) {
		xmlOutputBufferClose(out);
		fatal("out of memory writing the report");
	}
	report_check(&o, xmlTextWriterSetIndent(o.w, 1));
	report_check(&o, xmlTextWriterSetIndentString(o.w, BAD_CAST "  "));
	report_put(&o, r);
	xmlFreeTextWriter(o.w);		/* flushes anything left */
	o.w = NULL;
	report_out_flush(&o);
	if (o.errnum != 0 || o.failed) {
		*cause = o.errnum != 0 ? xasprintf("cannot write %s: %s",
		    path, strerror(o.errnum)) : xasprintf("cannot write %s: "
		    "cannot serialize the report", path);
		safefile_abort(&a);
		goto out;
	}
	rv = safefile_commit(&a, cause);
out:
	buf_free(&o.pending);
	buf_free(&o.clean);
	buf_free(&o.text);
	return (rv);
}
