/*
 * ensbatch-sim: a local simulator of the ENS API for rehearsals and
 * tests.  One fleet of maintenance events, one access key, a real
 * HTTP(S) server on loopback that verifies V3 and V1 signatures like the
 * real endpoint, optional seeded faults and a JSON Lines request log.
 *
 * Modules: ensbatch-sim.c (main, options), sim-fleet.c (fleet file,
 * generated fleets, --emit-manifest), sim-auth.c (signatures, nonces),
 * sim-api.c (the actions), sim-server.c (libmicrohttpd, faults, log).
 */
#ifndef ENSBATCH_SIM_H
#define ENSBATCH_SIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit status of ensbatch-sim, documented in ensbatch-sim(1). */
enum sim_exit {
	SIM_EXIT_OK = 0,	/* stopped by SIGINT or SIGTERM */
	SIM_EXIT_USAGE = 2,	/* bad command line or fleet file */
	SIM_EXIT_ENV = 3	/* could not start: socket, TLS, files */
};

#define SIM_HOST_ID		"ens.aliyuncs.com"
#define SIM_API_VERSION		"2017-11-10"
#define SIM_REBOOT_TYPE		"SystemMaintenance.Reboot"
#define SIM_MAX_URL		(64 * 1024)
#define SIM_MAX_BODY		(1024 * 1024)
#define SIM_SKEW_MS		(15 * 60 * 1000)

/* ---------------------------------------------------------------- fleet */

enum sim_status {
	SIM_INQUIRING,
	SIM_SCHEDULED,
	SIM_EXECUTING,
	SIM_EXECUTED,
	SIM_FAILED,
	SIM_CANCELED,
	SIM_AVOIDED
};

/* Status of an instance in DescribeInstances. */
enum sim_istatus {
	SIM_RUNNING,
	SIM_STARTING,
	SIM_STOPPED,
	SIM_EXPIRED
};

/* How a reboot ends: --reboot-fail, --stuck or the fleet file's outcome. */
enum sim_outcome {
	SIM_OUTCOME_OK,		/* Executed, instance Running */
	SIM_OUTCOME_FAILED,	/* Failed, instance Running */
	SIM_OUTCOME_STUCK	/* Executed, instance Stopped */
};

#define SIM_NEVER	INT64_MAX

/*
 * An event's life is a function of time (fleet_status_at): status
 * (prev before since), then Executing from start, then its outcome
 * from end.  Requests move start, end and since; nothing else changes
 * the state, so a view at any moment (--lag) is exact.
 */
struct sim_event {
	char		*id;
	char		*resource;
	char		*type;
	char		*level;
	char		*reason;
	enum sim_status	 status;	/* until start */
	enum sim_status	 prev;		/* before since */
	int64_t		 since;		/* when status began */
	int64_t		 not_before;
	int64_t		 publish_time;
	int64_t		 start;		/* Executing from, or SIM_NEVER */
	int64_t		 end;		/* outcome from, or SIM_NEVER */
	int64_t		 lag_ms;	/* shown late by; -1: --lag */
	enum sim_outcome outcome;
	int		 outcome_given;	/* in the fleet file */
	size_t		 instance;	/* index in fleet instances */
	enum sim_status	 logged;	/* last status in the log */
	int		 end_queued;
};

/* One instance: the events of one ResourceId. */
struct sim_instance {
	const char		*id;		/* an event's resource */
	size_t			 first;		/* in members */
	size_t			 n;
	size_t			 order;		/* first event's index */
	size_t			 pos;		/* in fleet inorder */
	enum sim_istatus	 logged;
};

/* The events of one type (without "Instance:"), in fleet order. */
struct sim_type_group {
	const char	*type;
	size_t		*events;	/* fleet indices */
	size_t		 n;
};

/* A moment at which an event may change status (for the log). */
struct sim_pending {
	int64_t		 time;
	uint64_t	 seq;
	size_t		 event;
};

struct sim_fleet {
	struct sim_event	*events;	/* in fleet order */
	size_t			 nevents;
	struct sim_event	**byid;		/* sorted by id */
	struct sim_instance	*instances;	/* sorted by id */
	size_t			 ninstances;
	struct sim_instance	**inorder;	/* in fleet order */
	size_t			*members;	/* event indices */
	struct sim_type_group	*types;		/* sorted by type */
	size_t			 ntypes;
	int64_t			 reboot_ms;

	struct sim_pending	*pending;	/* a min-heap */
	size_t			 npending;
	size_t			 pendingcap;
	uint64_t		 pendingseq;
};

/* How reboots go, from the command line (fleet_prepare). */
struct sim_lifecycle {
	int64_t		 reboot_ms;
	int64_t		 lag_ms;
	double		 p_fail;
	double		 p_stuck;
	uint64_t	 fault_seed;
};

/*
 * Load a fleet file.  now gives the default not_before (now + 7 days)
 * and the publish time.  Returns the fleet (caller frees), or NULL with
 * every problem in *cause, one "FILE:LINE:COL: error: ..." per line.
 */
struct sim_fleet	*fleet_load(const char *, int64_t, char **);

/* n Inquiring reboot events with ids derived from seed. */
struct sim_fleet	*fleet_generate(size_t, uint64_t, int64_t);
void			 fleet_free(struct sim_fleet *);

/*
 * Index the instances and set up every event's life at now: outcomes
 * drawn from the fault seed for events without one, lags, and the
 * moments to log.
 */
void			 fleet_prepare(struct sim_fleet *,
			    const struct sim_lifecycle *, int64_t);

/* The event with that id, or NULL. */
struct sim_event	*fleet_find(const struct sim_fleet *, const char *);

/* The instance with that id, or NULL. */
struct sim_instance	*fleet_find_instance(const struct sim_fleet *,
			    const char *);

/* The events of type (an "Instance:" prefix is ignored), or NULL. */
const struct sim_type_group *fleet_type_group(const struct sim_fleet *,
			    const char *);

/* An event's true status at t. */
enum sim_status		 fleet_status_at(const struct sim_event *, int64_t);

/* An event's status as shown at now (now less its lag). */
enum sim_status		 fleet_status_shown(const struct sim_event *,
			    int64_t);

/*
 * An instance's status at now, true or (shown set) as its events show
 * it: Starting while one of them is executing, else as the last reboot
 * that ended left it, else Running.
 */
enum sim_istatus	 fleet_instance_at(const struct sim_fleet *,
			    const struct sim_instance *, int64_t, int);

/* Reboot ev now (immediate), or schedule it at plan_time. */
void			 fleet_reboot_now(struct sim_fleet *,
			    struct sim_event *, int64_t);
void			 fleet_schedule(struct sim_fleet *,
			    struct sim_event *, int64_t, int64_t);

/*
 * Apply every moment up to now in time order, calling fn for each
 * status change (event, its instance, the time, the new statuses).
 */
typedef void (*fleet_transition_fn)(void *, const struct sim_event *,
    const struct sim_instance *, int64_t, enum sim_status,
    enum sim_istatus);
void			 fleet_advance(struct sim_fleet *, int64_t,
			    fleet_transition_fn, void *);

const char		*fleet_status_name(enum sim_status);
int			 fleet_status_parse(const char *, enum sim_status *);
const char		*fleet_istatus_name(enum sim_istatus);
int			 fleet_istatus_parse(const char *, enum sim_istatus *);

/* Is type a reboot event type (an "Instance:" prefix is ignored)? */
int			 fleet_type_is(const char *, const char *);

/*
 * --emit-manifest: check early that the fleet has an event to put in
 * the canary group (0, or -1 and *cause), then write the manifest for
 * endpoint atomically (0, or -1 and *cause).
 */
int	fleet_manifest_check(const struct sim_fleet *, char **);
int	fleet_emit_manifest(const struct sim_fleet *, const char *,
	    const char *, char **);

/* splitmix64: the simulator's only pseudo-random generator. */
uint64_t	sim_rand(uint64_t *);
double		sim_rand_unit(uint64_t *);

/* ---------------------------------------------------------- requests */

/* A decoded query or form parameter. */
struct sim_param {
	char	*key;
	char	*value;
};

struct sim_params {
	struct sim_param	*v;
	size_t			 n;
};

/* The first value of key, or NULL. */
const char	*params_get(const struct sim_params *, const char *);

/*
 * Split an encoded "a=b&c=d" into decoded parameters (appended to p).
 * 0, or -1 if an escape is malformed.
 */
int		 params_parse(struct sim_params *, const char *, size_t);
void		 params_free(struct sim_params *);

/* What the server hands to the simulator for one request. */
struct sim_request {
	const char		*method;
	const char		*remote;	/* numeric address */
	struct sim_params	 query;		/* from the URL */
	struct sim_params	 form;		/* from a form body */
	struct sim_params	 all;		/* query, then form */
	const void		*body;
	size_t			 bodylen;
	/* Header lookup, any case; NULL if absent. */
	const char		*(*header)(void *, const char *);
	void			*header_arg;
};

/*
 * An answer: either an error (code and message set, body NULL) or a
 * success body (a JSON object without RequestId).
 */
struct sim_reply {
	unsigned int	 status;
	char		*code;
	char		*message;
	json_t		*body;
	json_t		*items;		/* for the log; an array */
};

void	reply_error(struct sim_reply *, unsigned int, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));
void	reply_clear(struct sim_reply *);

/* ---------------------------------------------------------------- auth */

enum sim_sig {
	SIM_SIG_NONE,
	SIM_SIG_V3,
	SIM_SIG_V1
};

struct sim_nonces;

struct sim_nonces	*nonces_new(size_t, int64_t);
void			 nonces_free(struct sim_nonces *);

/*
 * What authentication found out, filled as far as it got even when it
 * failed (for the log).  action, version and nonce are borrowed from
 * the request; access_key_id is owned (auth_clear frees it).
 */
struct sim_auth {
	enum sim_sig	 sig;
	char		*access_key_id;
	const char	*action;
	const char	*version;
	const char	*nonce;		/* set when the rest passed */
};

struct sim;

/*
 * Verify a request's signature (V3 or V1) at now, all but its nonce:
 * pure, no lock needed.  Returns 0 with auth->nonce set, or -1 with the
 * error in reply.
 */
int	auth_verify(const struct sim *, const struct sim_request *, int64_t,
	    struct sim_auth *, struct sim_reply *);

/*
 * Then record the nonce of a verified request at now: 0, or -1 with
 * SignatureNonceUsed in reply.  Call with the simulator locked.
 */
int	auth_use_nonce(struct sim *, const struct sim_auth *, int64_t,
	    struct sim_reply *);
void	auth_clear(struct sim_auth *);

/* ----------------------------------------------------------------- api */

/* An action's request as api_prepare read it. */
struct api_call;

/*
 * Read what an action's parameters (borrowed until api_call_free) say
 * on their own, before the simulator is locked: the call, or NULL if
 * the action is not one the simulator implements.
 */
struct api_call	*api_prepare(const char *, const struct sim_params *);
void		 api_call_free(struct api_call *);

/*
 * Run an authenticated, prepared action at now.  Fills reply.  Call
 * with the simulator locked.
 */
void	api_dispatch(struct sim *, const struct api_call *, int64_t,
	    struct sim_reply *);

/* Is action one the simulator implements? */
int	api_known(const char *);

/* -------------------------------------------------------------- server */

/*
 * Faults drawn for each authenticated request, in this order: throttle
 * and fail before the action runs (they replace it), lose instead of
 * running it, drop and corrupt after it ran (they spoil its answer).
 * Each kind draws a number whatever the others decide (lose only when
 * its probability is not 0, so that older seeds keep their faults), so
 * the stream advances by 4 or 5 per authenticated request and a seed
 * gives the same faults for the same sequence of requests.
 */
enum sim_fault {
	SIM_FAULT_THROTTLE,
	SIM_FAULT_FAIL,
	SIM_FAULT_DROP,		/* apply, then close without answering */
	SIM_FAULT_CORRUPT,	/* apply, then answer 200 with junk */
	SIM_FAULT_LOSE,		/* close without applying or answering */
	SIM_FAULT_COUNT,
	SIM_FAULT_NONE = SIM_FAULT_COUNT
};

/*
 * Three locks, never two at once: lock for the fleet and what requests
 * change; stop_lock for stopping, so that waiting out --latency does not
 * wait for the fleet; log_lock for the log file, written outside lock in
 * the order of the tickets that lock hands out.
 */
struct sim {
	pthread_mutex_t		 lock;		/* the block below */
	struct sim_fleet	*fleet;
	struct sim_nonces	*nonces;
	uint64_t		 fault_rng;
	uint64_t		 seq;
	uint64_t		 log_tickets;	/* handed out */

	pthread_mutex_t		 stop_lock;	/* stopping */
	pthread_cond_t		 wake;		/* stopping was set */
	int			 stopping;

	pthread_mutex_t		 log_lock;	/* log_written */
	pthread_cond_t		 log_turn;	/* log_written moved */
	uint64_t		 log_written;	/* tickets written */

	FILE			*log;		/* set before start */
	pthread_t		 ticker;	/* logs transitions */
	int			 ticker_running;

	/* Read-only after start. */
	const char		*access_key_id;
	const char		*access_key_secret;
	int64_t			 latency_ms;
	int64_t			 clock_skew_ms;	/* the sim clock is ahead */
	double			 fault_p[SIM_FAULT_COUNT];
};

struct sim_server;

/* The simulator's clock: the system's plus --clock-skew (ms). */
int64_t			 sim_now(const struct sim *);

/*
 * Initialise the locks and the conditions of s (wake on the monotonic
 * clock); sim_destroy_lock undoes it.
 */
void			 sim_init_lock(struct sim *);
void			 sim_destroy_lock(struct sim *);

/*
 * Serve on the listening socket fd (bound and listening, IPv6 when ipv6
 * is set; the server owns it), with TLS when cert and key (PEM text)
 * are not NULL.  Returns the server, or NULL with *cause.
 */
struct sim_server	*server_start(struct sim *, int, const char *,
			    const char *, int, char **);

/* Wake the connections waiting out --latency, then stop serving. */
void			 server_stop(struct sim_server *);

#endif
