/*
 * The JUnit XML report (SPEC section 7).  Callers fill this plain model;
 * report.c alone knows libxml2.  Strings given to report_* functions are
 * copied.
 */
#ifndef ENSBATCH_REPORT_H
#define ENSBATCH_REPORT_H

#include <stddef.h>
#include <stdint.h>

enum report_outcome {
	REPORT_PASSED,
	REPORT_FAILURE,		/* the API answered a code other than 200 */
	REPORT_ERROR,		/* transport error, outcome unknown */
	REPORT_SKIPPED		/* not attempted: dry-run, abort, ... */
};

struct report_case {
	char			*classname;	/* MANIFEST.GROUP */
	char			*name;		/* "RESOURCE EVENT" */
	double			 time;		/* seconds */
	enum report_outcome	 outcome;
	char			*type;		/* failure/error type */
	char			*message;
	char			*system_out;	/* NULL for none */
};

struct report_property {
	char	*name;
	char	*value;
};

struct report;

struct report_suite {
	struct report		*report;	/* the one it is in */
	char			*name;		/* group name */
	char			*package;	/* manifest name */
	int64_t			 timestamp;	/* ms epoch, shown in UTC */
	double			 time;		/* seconds */
	struct report_property	*props;
	size_t			 nprops;
	struct report_case	*cases;
	size_t			 ncases;
	size_t			 cases_cap;
};

struct report {
	char			*name;		/* manifest name */
	char			*hostname;	/* NULL: gethostname(); the
						   caller may set an xstrdup'd
						   string, report_free frees */
	struct report_property	*props;		/* the run's, written once
						   (first suite) */
	size_t			 nprops;
	struct report_suite	*suites;
	size_t			 nsuites;
};

/* name: manifest name.  Caller frees with report_free(). */
struct report		*report_new(const char *);
void			 report_free(struct report *);

/*
 * Add a suite at the end, or with report_suite_add_first before all
 * others (the run's own suite, which a reader should see first).  The
 * pointer stays valid until the next report_suite_add*.
 */
struct report_suite	*report_suite_add(struct report *, const char *,
			    int64_t);
struct report_suite	*report_suite_add_first(struct report *,
			    const char *, int64_t);

/*
 * Properties.  The run's (ticket, manifest, operator, ...) are set once
 * per name with report_run_property (a second call replaces the
 * value) and written once, at the top: JUnit's schema allows
 * <properties> only inside a <testsuite>, so they go into the first
 * one.  A suite's own (report_property_add) are written only where they
 * differ from the run's: one with the name and value of a run property
 * is left out.
 */
void			 report_run_property(struct report *, const char *,
			    const char *);
void			 report_property_add(struct report_suite *,
			    const char *, const char *);

/*
 * Who runs this: "user@host" (USER, else the password entry, else the
 * uid; gethostname, else "localhost").  Caller frees.
 */
char			*report_operator(void);
/*
 * Add a test case.  type, message and system_out may be NULL.  A positive
 * time is also added to the suite's time; a caller that knows the
 * group's wall-clock time may overwrite it afterwards.
 */
void			 report_case_add(struct report_suite *,
			    const char *, const char *, double,
			    enum report_outcome, const char *, const char *,
			    const char *);

/*
 * Write the report to path atomically (temporary file in the same
 * directory, then rename).  C0 control characters other than tab, CR
 * and LF are stripped from every string.  Returns 0, or -1 with a
 * message in *cause (caller frees).
 */
int			 report_write(const struct report *, const char *,
			    char **);

#endif
