/*
 * Writing a starter manifest through libyaml's emitter.  Used by
 * "ensbatch events --format yaml" (a rollout) and by ensbatch-sim
 * --emit-manifest (a canary group with the first target and a fleet
 * group with the rest, for tests and rehearsals).
 */
#ifndef ENSBATCH_EMIT_H
#define ENSBATCH_EMIT_H

#include <stddef.h>

#include "ensbatch/buf.h"

struct emit_target {
	const char	*event;
	const char	*resource;
};

struct emit_spec {
	const char		*name;		/* manifest name */
	const char		*description;	/* or NULL */
	const char		*endpoint;	/* api.endpoint, or NULL */
	const struct emit_target *targets;
	size_t			 ntargets;
	/*
	 * A rollout: a canary of 1 that settles, passes its check and
	 * soaks, then waves of 5%, 25% and the rest, each after the one
	 * before, within failure budgets.
	 */
	int			 rollout;
};

/* The sizes of the rollout's waves after the canary, for n targets. */
void	emit_waves(size_t, size_t *, size_t *, size_t *);

/* Appends to out.  Returns 0, or -1 with *cause (caller frees). */
int	emit_manifest(struct buf *, const struct emit_spec *, char **);

#endif
