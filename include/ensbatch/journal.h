/*
 * The journal: an append-only JSON Lines file, one record before each
 * reboot call and one after it, each flushed to disk (fsync) before the
 * program goes on.  It is what lets a crashed or interrupted run be
 * resumed without requesting any reboot twice.
 *
 * Records (every line a JSON object with "type"):
 *   start      {"type":"start","version":1,"name":..,"manifest_sha256":..,
 *               "time":ms}                       first line of a journal
 *   call       {"type":"call","seq":N,"group":..,"batch":K,"time":ms,
 *               "items":[{"event","resource","ops","plan_time",
 *               "before"}]}       before: the event's status seen by the
 *                                preflight, or null when unknown
 *   result     {"type":"result","seq":N,"time":ms,"request_id":..|null,
 *               "outcome":"ok|api_error|not_sent|unknown",
 *               "items":[{"event","state":"confirmed|failed|not_sent|
 *               unknown","code":..|null,"message":..|null}]}
 *   reconcile  {"type":"reconcile","time":ms,"event":..,"state":..,
 *               "status":..|null}
 *   resume     {"type":"resume","time":ms}
 */
#ifndef ENSBATCH_JOURNAL_H
#define ENSBATCH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ensbatch/ens.h"

enum journal_state {
	JOURNAL_NONE,		/* never requested */
	JOURNAL_CONFIRMED,	/* the API said 200, or events confirmed it */
	JOURNAL_FAILED,		/* the API refused it: nothing happened */
	JOURNAL_NOT_SENT,	/* never reached the API */
	JOURNAL_UNKNOWN		/* requested, outcome not known */
};

/* What the journal knows about one event. */
struct journal_event {
	char			*event;
	char			*resource;
	enum journal_state	 state;
	int			 scheduled;
	int64_t			 plan_time;	/* of the last request */
	int			 sends;		/* requests that may have
						   reached the API */
	char			*before;	/* status before the request,
						   NULL when unknown */
	char			*detail;	/* code/message, or NULL */
};

struct journal;

/*
 * Start a new journal at path; refuses (-1, *cause) when the file
 * exists, since that means an earlier run that --resume should finish.
 */
struct journal	*journal_create(const char *, const char *, const char *,
		    char **);

/*
 * Reopen a journal for --resume: reads and checks it (the manifest hash
 * must match; a truncated last line is tolerated and cut off; any other
 * damage is an error naming the line), then appends a resume record.
 */
struct journal	*journal_resume(const char *, const char *, char **);

/*
 * Parse journal text without opening anything (tests, fuzzing).  path
 * is only used in messages.  The result can be queried, not written.
 */
struct journal	*journal_parse(const char *, size_t, const char *, char **);

void		 journal_free(struct journal *);

/* The manifest hash the journal was written for (borrowed). */
const char	*journal_sha256(const struct journal *);

/* What is known about an event, or NULL if it never was requested. */
const struct journal_event *journal_lookup(const struct journal *,
		    const char *);

/* Events requested whose outcome is unknown, for reconciliation. */
size_t		 journal_in_doubt(const struct journal *,
		    const struct journal_event ***);

/*
 * Records.  Each is fsync'd before returning.  0, or -1 with *cause (a
 * journal that cannot be written stops the run before the next call).
 */
/*
 * A call: seq out, group name, batch index, items, and for each item
 * the event's status before it (NULL, or entries NULL, when unknown).
 */
int		 journal_call(struct journal *, uint64_t *, const char *,
		    size_t, const struct ens_item *, const char *const *,
		    size_t, char **);
int		 journal_result(struct journal *, uint64_t,
		    const struct ens_reply *, const struct ens_item *, size_t,
		    const enum journal_state *, char **);
int		 journal_reconcile(struct journal *, const char *,
		    enum journal_state, const char *, char **);

#endif
