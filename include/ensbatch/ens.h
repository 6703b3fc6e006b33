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
#define ENS_MAX_RESOURCES	50	/* ResourceIds per describe call */
#define ENS_MAX_INSTANCES	100	/* InstanceIds per DescribeInstances */

struct ens_config {
	const char		*endpoint;	/* host or URL */
	enum sign_version	 signature;
	const struct creds	*creds;		/* borrowed */
	const char		*cacert;
	long			 timeout_ms;
	int			 retries;
	int			 rate;		/* requests per second */
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

struct ens_item_result {
	int		 found;		/* the answer named this item */
	int		 code;		/* 200 = success */
	char		*code_text;	/* the Code as sent ("200") */
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

/*
 * BatchEventRebootInstance for items[0..n).  Retries only answers that
 * prove the request was not processed.  The reply's results are
 * parallel to items.
 */
void	ens_batch_reboot(struct ens_client *, const struct ens_item *,
	    size_t, struct ens_reply *);

/*
 * Several batches at once, at most parallel calls in flight; replies[i]
 * answers batches[i] of counts[i] items.
 */
void	ens_batch_reboot_many(struct ens_client *,
	    const struct ens_item *const *, const size_t *, size_t, size_t,
	    struct ens_reply *);

/*
 * DescribeHistoryEvents for the given resources (any number; sent in
 * chunks of ENS_MAX_RESOURCES, every page) and event types (comma-
 * joined, e.g. "Instance:SystemMaintenance.Reboot").  Returns 0 and
 * the events (caller frees with ens_events_free), or -1 with the reply
 * describing the failure.  The reply must be zeroed or used before: it
 * is cleared first.
 */
int	ens_describe_events(struct ens_client *, const char *const *,
	    size_t, const char *, struct ens_event **, size_t *,
	    struct ens_reply *);
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

#endif
