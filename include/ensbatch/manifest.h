/*
 * The manifest model: YAML (libyaml event API) -> plain C structures,
 * every value with its position.  The loader checks the structure
 * (yaml-syntax, yaml-limits, yaml-tag, duplicate-key, unknown-key, type,
 * required, version, targets-file); rules.c interprets values and resolves the
 * fields marked "resolved".
 */
#ifndef ENSBATCH_MANIFEST_H
#define ENSBATCH_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "ensbatch/diag.h"
#include "ensbatch/hash.h"

#define MANIFEST_MAX_SIZE	(64UL * 1024 * 1024)
#define MANIFEST_MAX_DEPTH	64
#define MANIFEST_ALIAS_BUDGET	100000	/* nodes reachable through aliases */

/* A scalar as written: text NULL when the key is absent. */
struct mscalar {
	char		*text;
	struct pos	 pos;
	int		 plain;		/* unquoted plain scalar */
};

enum ops {
	OPS_NONE = 0,			/* missing or invalid */
	OPS_IMMEDIATE,
	OPS_SCHEDULED
};

struct policy {
	char		*name;		/* NULL for an inline policy */
	struct pos	 pos;		/* the name key, or the mapping */

	struct mscalar	 ops;
	struct mscalar	 batch_size;
	struct mscalar	 pause;
	struct mscalar	 max_failures;
	struct mscalar	 start;
	struct mscalar	 stagger;
	struct mscalar	 window_end;
	struct mscalar	 min_lead;
	/* Outcome keys (SPEC section 5). */
	struct mscalar	 settle_timeout;
	struct mscalar	 soak;
	struct pos	 check_pos;	/* the check value; line 0 = none */
	struct mscalar	 check_command;	/* check: STRING, or check.command */
	struct mscalar	 check_timeout;
	struct mscalar	 check_interval;

	/* Resolved by rules_check(). */
	int		 ok;		/* all values valid */
	uint32_t	 diag;		/* its first error, 0 = none */
	enum ops	 r_ops;
	int		 r_batch_size;
	int64_t		 r_pause;	/* ms */
	int		 r_max_fail_pct;/* max_failures given as "N%" */
	int64_t		 r_max_failures;/* count, or percent if _pct */
	int64_t		 r_start;	/* ms epoch, scheduled only */
	int64_t		 r_stagger;	/* ms */
	int		 r_has_window_end;
	int64_t		 r_window_end;	/* ms epoch */
	int64_t		 r_min_lead;	/* ms */
	int64_t		 r_settle_timeout; /* ms, default 30m */
	int64_t		 r_soak;	/* ms, default 0 */
	const char	*r_check;	/* borrowed command, NULL = none */
	int64_t		 r_check_timeout; /* ms, default 5m */
	int64_t		 r_check_interval; /* ms, default 15s */
};

/* A target; its ids live in the manifest's string arena. */
struct target {
	char		*event;
	char		*resource;
	struct pos	 pos;		/* the item (mapping or CSV line) */
	struct pos	 event_pos;
	struct pos	 resource_pos;
	uint32_t	 diag;		/* first error about it, 0 = none */
};

struct manifest_group {
	char		*name;
	struct pos	 pos;		/* the group's mapping */
	struct pos	 name_pos;

	struct policy	*policy;	/* borrowed or inline_policy */
	struct policy	*inline_policy;	/* owned */
	char		*policy_ref;	/* policy: NAME */
	struct pos	 policy_pos;

	char		**after;
	struct pos	*after_pos;
	size_t		 nafter;

	struct mscalar	 targets_file;
	struct target	*targets;
	size_t		 ntargets;
	size_t		 targets_cap;

	/* Resolved by rules_check(). */
	size_t		*r_after;	/* indices of after groups */
	size_t		 r_nafter;
	uint32_t	 diag;		/* first group-level error, 0 = none */
};

struct api_opts {
	struct mscalar	 endpoint;
	struct mscalar	 signature;
	struct mscalar	 timeout;
	struct mscalar	 retries;
	struct mscalar	 rate;

	/* Resolved by rules_check(); "not given" values as noted. */
	int64_t		 r_timeout;	/* ms, 0 = not given */
	int		 r_retries;	/* -1 = not given */
	int		 r_rate;	/* 0 = not given */
};

struct targets_file {
	char		*path;		/* as opened */
	char		 sha256[HASH_HEX_LEN];
};

struct manifest_chunk;

struct manifest {
	char		*path;
	uint32_t	 file;		/* source index in diags */
	char		 sha256[HASH_HEX_LEN];

	struct mscalar	 version;
	struct mscalar	 name;
	struct mscalar	 ticket;
	struct mscalar	 description;
	struct mscalar	 timezone;
	struct api_opts	 api;

	struct policy	*policies;
	size_t		 npolicies;
	struct manifest_group	*groups;
	size_t		 ngroups;
	struct pos	 groups_pos;	/* the "groups" value */

	struct targets_file *files;	/* targets_file CSVs read */
	size_t		 nfiles;
	struct manifest_chunk *strings;	/* arena of the targets' ids */

	/* Resolved by rules_check(). */
	const char	*r_zone;	/* borrowed: timezone text or "UTC" */
	size_t		*r_order;	/* groups in run order */
	size_t		 r_ntargets;
};

/*
 * Load a manifest.  Problems go to diags.  Returns NULL when the file
 * could not be read or parsed at all; otherwise a model, possibly with
 * errors recorded in diags (check diags_count).  Caller frees with
 * manifest_free().
 */
struct manifest	*manifest_load(const char *, struct diags *);
void		 manifest_free(struct manifest *);

/* The closest of candidates to word, or NULL if none is close. */
const char	*manifest_suggest(const char *, const char *const *, size_t);

/*
 * The UTF-8 check of a file read in chunks: a character split between
 * two chunks is held in pend until the next one completes it.  line
 * and col (1-based, characters) are those of the next byte not yet
 * checked, or of the first bad byte once bad is set.
 */
struct manifest_utf8 {
	uint32_t	 line;
	uint32_t	 col;
	unsigned char	 pend[4];
	size_t		 npend;
	int		 bad;
};

#ifdef ENSBATCH_TESTING
/*
 * Is text[0..len) valid UTF-8 without NUL?  0, or -1 with *line and
 * *col (1-based, characters) at the first bad byte.
 */
int		 manifest_utf8_check(const char *, size_t, uint32_t *,
		    uint32_t *);
void		 manifest_utf8_init(struct manifest_utf8 *);
/* Check the next chunk: 0, or -1 once a bad byte was met. */
int		 manifest_utf8_feed(struct manifest_utf8 *, const void *,
		    size_t);
/* The end of the text: a character left incomplete is bad. */
int		 manifest_utf8_end(struct manifest_utf8 *);
#endif

#endif
