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
 *               "status":..|null[,"adopted":true]}  adopted: confirmed
 *               by the operator's --adopt-status, not by the events
 *   settle     {"type":"settle","time":ms,"event":..,"outcome":"passed|
 *               failed|error","reason":..|null,"message":..|null,
 *               "event_status":..|null,"instance_status":..|null,
 *               "executed_at":ms|null}     how an accepted request ended
 *   batch      {"type":"batch","time":ms,"group":..,"batch":K}  batch K
 *               (1-based) of the group settled: its pause may begin
 *   group      {"type":"group","time":ms,"group":..}  the group finished
 *               within its budget: its soak began
 *   resume     {"type":"resume","time":ms}
 */
#ifndef ENSBATCH_JOURNAL_H
#define ENSBATCH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "ensbatch/ens.h"

/* How an accepted request ended (SPEC section 5), once it did. */
enum journal_settle {
	JOURNAL_SETTLE_NONE,	/* not final yet */
	JOURNAL_SETTLE_PASSED,	/* settled, and passed its check */
	JOURNAL_SETTLE_FAILED,	/* RebootFailed, InstanceNotRunning, ... */
	JOURNAL_SETTLE_ERROR	/* NotSettled */
};

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
	int64_t			 requested_at;	/* ms epoch of the last
						   request */
	char			*group;		/* of the last request */
	size_t			 batch;		/* 1-based, of the last
						   request */
	char			*request_id;	/* of its answer, or NULL */
	int			 adopted;	/* confirmed by --adopt-status
						   from the event's status, not
						   proven by the events */
	/* Settle records. */
	enum journal_settle	 settle;
	char			*settle_type;	/* RebootFailed, ... */
	char			*settle_message;
	int64_t			 settled_at;	/* ms epoch, 0 = not yet */
	int64_t			 executed_at;	/* first seen Executed */
};

/* One target's line of a result record. */
struct journal_item {
	const char		*event;
	enum journal_state	 state;
	const char		*code;		/* NULL for none */
	const char		*message;	/* NULL for none */
};

/* A result record: the answer to a call. */
struct journal_answer {
	const char		*outcome;	/* ok, api_error, not_sent,
						   unknown */
	const char		*request_id;	/* NULL for none */
	const struct journal_item *items;
	size_t			 n;
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

#ifdef ENSBATCH_TESTING
void		 journal_apply_state(struct journal_event *,
		    enum journal_state, int);
void		 journal_apply_reconcile(struct journal_event *,
		    enum journal_state, const char *, int);
uint64_t	 journal_syncs(const struct journal *);
#endif

/*
 * Parse journal text without opening anything (tests, fuzzing).  path
 * is only used in messages.  The result can be queried, not written.
 */
struct journal	*journal_parse(const char *, size_t, const char *, char **);

/*
 * Read a journal without locking or writing it (ensbatch status, while
 * an apply may still be running).  Regular files only.
 */
struct journal	*journal_read(const char *, char **);

void		 journal_free(struct journal *);

/*
 * One apply at a time per manifest name and account (access key id),
 * whatever journal each uses: an exclusive lock on a file under
 * $XDG_RUNTIME_DIR/ensbatch (or /tmp/ensbatch-UID), held until
 * journal_unlock_run.  The file says who holds it (pid, user@host,
 * journal, since when), and a loser's *cause quotes it.  Returns a
 * descriptor, or -1 with *cause.
 */
int		 journal_lock_run(const char *, const char *, const char *,
		    char **);
void		 journal_unlock_run(int);

/* The manifest hash the journal was written for (borrowed). */
const char	*journal_sha256(const struct journal *);

/* What is known about an event, or NULL if it never was requested. */
const struct journal_event *journal_lookup(const struct journal *,
		    const char *);

/* Events requested whose outcome is unknown, for reconciliation. */
size_t		 journal_in_doubt(const struct journal *,
		    const struct journal_event ***);

/*
 * Records.  Each is fsync'd before returning, unless the journal is
 * held.  0, or -1 with *cause (a journal that cannot be written stops
 * the run before the next call).
 */
/*
 * Group commit.  While held, records are written at once but made
 * durable only by journal_sync, one fsync for all of them: whoever
 * holds the journal must journal_sync before it sends any request
 * that a record written since describes, and when it stops holding.
 * journal_sync without anything new to sync costs nothing.
 */
void		 journal_hold(struct journal *, int);
int		 journal_sync(struct journal *, char **);
/*
 * A call: seq out, group name, batch index, items, and for each item
 * the event's status before it (NULL, or entries NULL, when unknown).
 */
int		 journal_call(struct journal *, uint64_t *, const char *,
		    size_t, const struct ens_item *, const char *const *,
		    size_t, char **);
int		 journal_result(struct journal *, uint64_t,
		    const struct journal_answer *, char **);
/*
 * The events' view of a request whose outcome was unknown.  A
 * JOURNAL_NOT_SENT here means "proven untouched": the request still
 * counts towards the at most 3 per event.
 */
int		 journal_reconcile(struct journal *, const char *,
		    enum journal_state, const char *, char **);
/*
 * The operator's --adopt-status: a request in doubt whose event is now
 * past it (status) is taken as accepted.  A reconcile record, confirmed
 * and adopted, so that a further resume follows it and never sends it.
 */
int		 journal_adopt(struct journal *, const char *, const char *,
		    char **);
/*
 * How an accepted request ended: outcome, reason (failure type) and
 * message, the final event and instance status (NULL when unknown), the
 * time the event was first seen Executed (0 = never).
 */
int		 journal_settle(struct journal *, const char *,
		    enum journal_settle, const char *, const char *,
		    const char *, const char *, int64_t, char **);
/* Batch k (0-based) of group settled; the group finished. */
int		 journal_batch(struct journal *, const char *, size_t,
		    char **);
int		 journal_group(struct journal *, const char *, char **);
/* When batch k (0-based) of group settled (ms epoch), or 0. */
int64_t		 journal_batch_done(const struct journal *, const char *,
		    size_t);
/* When group finished (ms epoch), or 0. */
int64_t		 journal_group_done(const struct journal *, const char *);

#endif
