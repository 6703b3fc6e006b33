/*
 * The ENS API actions ensbatch uses, over sign and http: signing,
 * retries with backoff, rate limiting, and parsing of the JSON answers.
 * Above this module there are only outcomes, codes and messages.
 */
#ifndef ENSBATCH_ENS_H
#define ENSBATCH_ENS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ensbatch/creds.h"
#include "ensbatch/sign.h"

#define ENS_API_VERSION		"2017-11-10"
#define ENS_DEFAULT_ENDPOINT	"ens.aliyuncs.com"
#define ENS_REBOOT_TYPE		"SystemMaintenance.Reboot"
/* The EventTypes value that asks for it (DescribeHistoryEvents). */
#define ENS_REBOOT_EVENT	"Instance:" ENS_REBOOT_TYPE
#define ENS_CREDS_MARGIN_MS	300000	/* renew credentials this early */
#define ENS_MAX_RESOURCES	50	/* ResourceIds per describe call */
#define ENS_MAX_INSTANCES	100	/* InstanceIds per DescribeInstances */

struct ens_config {
	const char		*endpoint;	/* host or URL */
	enum sign_version	 signature;
	struct creds		*creds;		/* borrowed; renewed */
	const char		*cacert;
	long			 timeout_ms;
	int			 retries;
	/* Requests per second, 0 = any: the adaptive rate's ceiling. */
	int			 rate;
	size_t			 parallel;	/* reads in flight, 0 = 4 */
	long			 read_deadline_ms; /* paging one chunk of a
						   read, 0 = 5 min */
	int			 verbose;	/* one line per call on stderr */
	/* Set by signals: 1 = no new calls or retries, 2 = abort. */
	volatile sig_atomic_t	*stop;
};

enum ens_outcome {
	ENS_OK,			/* an answer with per-item results */
	ENS_API_ERROR,		/* rejected: nothing was done */
	ENS_NOT_SENT,		/* never reached the server */
	ENS_UNKNOWN		/* may or may not have taken effect */
};

struct ens_item {
	const char	*event;
	const char	*resource;
	int		 scheduled;
	int64_t		 plan_time;	/* ms, scheduled only */
};

/* What the answer says about one item. */
enum ens_item_state {
	ENS_ITEM_UNKNOWN,	/* not named, or not readably: reconcile */
	ENS_ITEM_ACCEPTED,	/* Code the integer 200, ids as requested */
	ENS_ITEM_REFUSED	/* Code an integer 400-499, ids as requested */
};

struct ens_item_result {
	enum ens_item_state state;
	int		 found;		/* state != ENS_ITEM_UNKNOWN */
	int		 code;		/* 200 when accepted, the refusal's
					   code, -1 when unknown */
	char		*code_text;	/* the Code as sent ("200", "true") */
	char		*message;
};

struct ens_reply {
	enum ens_outcome	 outcome;
	long			 http_status;
	char			*request_id;
	char			*code;		/* API error Code */
	char			*message;	/* API error Message or why */
	int			 tls;		/* a TLS problem */
	int			 attempts;
	struct ens_item_result	*results;	/* parallel to the items */
	size_t			 nresults;
};

struct ens_event {
	char	*event;		/* first: the pager reads ids there */
	char	*type;
	char	*status;
	char	*level;
	char	*resource;
	char	*reason;
	int64_t	 not_before;
	int64_t	 publish_time;
};

struct ens_instance {
	char	*instance;	/* InstanceId; first, like ens_event */
	char	*status;	/* Running, Starting, Stopped, ... */
	char	*name;		/* InstanceName, or NULL */
	char	*region;	/* EnsRegionId, or NULL */
};

struct ens_client;

/* Returns NULL with *cause for a bad endpoint.  Free with ens_client_free. */
struct ens_client	*ens_client_new(const struct ens_config *, char **);
void			 ens_client_free(struct ens_client *);
/* The URL calls go to ("https://ens.aliyuncs.com/"). */
const char		*ens_client_url(const struct ens_client *);

/* The current requests per second (0 = no limit); see ens_config. */
int			 ens_client_rate(const struct ens_client *);

/*
 * BatchEventRebootInstance for items[0..n): ens_batch_reboot_many with
 * one call.  The reply's results are parallel to items.
 */
void	ens_batch_reboot(struct ens_client *, const struct ens_item *,
	    size_t, struct ens_reply *);

/* One BatchEventRebootInstance call of a pipeline. */
struct ens_call {
	const struct ens_item	*items;
	size_t			 n;
	struct ens_reply	 reply;		/* set before done() */
	void			*arg;		/* the caller's */
};

/*
 * What the caller of a pipeline does around its calls; any may be
 * NULL.  start(arg, call) runs before a call is first sent (the caller
 * journals it there): 0 = send, -1 = do not send (done is not called
 * for it).  commit(arg) runs once after the start() of every call that
 * may start, a retry's too, and before any of them is sent (the caller
 * makes its journal durable there, one fsync for all): 0 = they may
 * go, -1 = none of them goes.  Calls are started and committed up to
 * parallel ahead of a free slot, so that an answer's slot is refilled
 * without waiting for an fsync; go(arg) runs before committed calls
 * are sent: 0 = send them, -1 = send none of them any more (the budget
 * came since their commit); none is sent after a first stop either.
 * Each call held back so ends with the reply ENS_NOT_SENT ("NotSent")
 * and its done.  done(arg, call) runs as soon as that call's reply is
 * final, after retries, while others may still be in flight; the
 * reply's results are parallel to the call's items and the caller
 * clears the reply.  An answer is done before the call that takes its
 * slot is sent, and the answers that arrived together are all done
 * before the next commit, which also runs once more at the end; an
 * answer's record need not be durable before the next call goes (a
 * crash leaves that call in doubt, as one in flight).  start, commit and go must not make ens calls on the
 * same client.
 */
struct ens_pipe {
	int	(*start)(void *, struct ens_call *);
	int	(*commit)(void *);
	int	(*go)(void *);
	void	(*done)(void *, struct ens_call *);
	void	 *arg;
};

/*
 * Send calls[0..n) in order with at most parallel transfers in flight;
 * a call starts as soon as a slot and the rate allow (the wait is the
 * time to the next possible start, never a fixed one), with the hooks
 * of pipe around it.  A call is sent again only when the answer proves
 * it was not processed, each time on a fresh connection (libcurl never
 * resends it).  Once stopping, calls not yet started get neither start
 * nor done.  pipe may be NULL: no hooks.
 */
void	ens_batch_reboot_many(struct ens_client *, struct ens_call *, size_t,
	    size_t, const struct ens_pipe *);

/*
 * DescribeHistoryEvents for the given resources (any number; sent in
 * chunks of ENS_MAX_RESOURCES, every page, up to ens_config.parallel
 * chunks at once) and event types (comma-joined, e.g.
 * "Instance:SystemMaintenance.Reboot").  Returns 0 and
 * the events (caller frees with ens_events_free), or -1 with the reply
 * describing the failure.  The reply must be zeroed or used before: it
 * is cleared first.
 */
int	ens_describe_events(struct ens_client *, const char *const *,
	    size_t, const char *, struct ens_event **, size_t *,
	    struct ens_reply *);
/*
 * The same, calling progress(arg, done, n) each time a chunk has been
 * read whole: done of the n resources have their answer.
 */
int	ens_describe_events_progress(struct ens_client *, const char *const *,
	    size_t, const char *, struct ens_event **, size_t *,
	    struct ens_reply *, void (*)(void *, size_t, size_t), void *);
void	ens_events_free(struct ens_event *, size_t);

/*
 * DescribeInstances for ids[0..n) (any number: chunks of
 * ENS_MAX_INSTANCES in InstanceIds as a JSON array, every page with
 * PageSize 100).  Returns 0 and the instances (caller frees with
 * ens_instances_free), or -1 with the reply describing the failure
 * (the reply is cleared first).  Read-only: retries like
 * DescribeHistoryEvents.
 */
int	ens_describe_instances(struct ens_client *, const char *const *,
	    size_t, struct ens_instance **, size_t *, struct ens_reply *);
void	ens_instances_free(struct ens_instance *, size_t);

void	ens_reply_clear(struct ens_reply *);

/*
 * Backoff before retry attempt (1-based): full jitter over
 * min(30 s, 1 s * 2^(attempt-1)), or the server's retry-after when it
 * gave one (capped at 60 s).  rnd is a uniform random 64-bit value.
 */
int64_t	ens_backoff(int, int64_t, uint64_t);

/*
 * Parse a BatchEventRebootInstance answer body into reply (results
 * parallel to items).  Returns 0, or -1 when the body is not a usable
 * answer (reply->message says why).  Exposed for tests and fuzzing.
 */
int	ens_parse_reboot(const char *, size_t, const struct ens_item *,
	    size_t, struct ens_reply *);

/* Parse one DescribeHistoryEvents page; appends to *events. */
int	ens_parse_events(const char *, size_t, struct ens_event **, size_t *,
	    int64_t *, char **);

/*
 * Parse one DescribeInstances page: appends to *instances, *total =
 * TotalCount.  Returns -1 with *cause (caller frees) when the page is
 * unusable: Code not the integer 0, Instances.Instance not an array,
 * TotalCount missing, or an entry without a string InstanceId and
 * Status.  Exposed for tests and fuzzing.
 */
int	ens_parse_instances(const char *, size_t, struct ens_instance **,
	    size_t *, int64_t *, char **);

/* What one attempt's answer means for the call (ens.c's judge). */
enum ens_verdict {
	ENS_V_OK,		/* 200: parse the results */
	ENS_V_FINAL,		/* the API refused: nothing was done */
	ENS_V_RETRY,		/* provably not processed: may resend */
	ENS_V_UNKNOWN		/* may have taken effect */
};

#ifdef ENSBATCH_TESTING
#include <jansson.h>

/*
 * Judge an HTTP answer: status, whether the body is the API's own JSON
 * error (api), its Code (or NULL), and whether the call is a read.
 */
enum ens_verdict ens_judge_answer(long, int, const char *, int);

/* Judge one Results[] entry (any JSON) for item; *code as below. */
enum ens_item_state ens_judge_item(json_t *, const struct ens_item *,
	    int *);

/*
 * A copy of an API string fit for a terminal, a journal and a report:
 * control characters (C0, DEL, C1), escape sequences and bidi controls
 * removed, newlines and tabs as spaces, and the access key secret and
 * STS token (plain or percent-encoded) masked wherever they appear.
 * creds may be NULL.  Caller frees.
 */
char	*ens_sanitize(const char *, const struct creds *);

/* Whether ens_sanitize gives s back as it is (*len: its length). */
int	 ens_sanitize_plain(const char *, const struct creds *, size_t *);

/* ens_sanitize without the shortcut for plain strings.  Caller frees. */
char	*ens_sanitize_full(const char *, const struct creds *);

/*
 * The adaptive rate: the next rate (requests per second, 0 = none)
 * after an answer, from the current one, the ceiling (0 = none) and a
 * count of successes since the last change (updated).
 */
int	 ens_rate_adapt(int, int, int *, int);

/*
 * The earliest monotonic ms a request may start at, after the last n
 * starts (oldest first) at rate requests per second (0 = any time: 0).
 */
int64_t	 ens_rate_due(const int64_t *, size_t, int);
/*
 * How many requests, up to limit, may start at now (the same starts
 * and rate) without waiting for the rate; when fewer than limit, the
 * last argument gets the time one more could start.
 */
size_t	 ens_rate_room(const int64_t *, size_t, int, int64_t, size_t,
	    int64_t *);
#endif

#endif
