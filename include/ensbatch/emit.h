/*
 * Writing a starter manifest through libyaml's emitter: a canary group
 * with the first target and a fleet group with the rest.  Used by
 * "ensbatch events --format yaml" and by ensbatch-sim --emit-manifest.
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
};

/* Appends to out.  Returns 0, or -1 with *cause (caller frees). */
int	emit_manifest(struct buf *, const struct emit_spec *, char **);

#endif
