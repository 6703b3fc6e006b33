/*
 * A starter manifest through libyaml's emitter, so that quoting and
 * escaping are libyaml's business.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "ensbatch/emit.h"
#include "ensbatch/xmalloc.h"

struct emitter {
	yaml_emitter_t	 e;
	int		 failed;
};

static void
emit_emit(struct emitter *em, yaml_event_t *ev)
{
	if (em->failed)
		yaml_event_delete(ev);
	else if (!yaml_emitter_emit(&em->e, ev))
		em->failed = 1;
}

static void
emit_scalar(struct emitter *em, const char *value)
{
	yaml_event_t	ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)value, (int)strlen(value), 1, 1,
	    YAML_ANY_SCALAR_STYLE))
		fatal("out of memory in libyaml");
	emit_emit(em, &ev);
}

static void
emit_pair(struct emitter *em, const char *key, const char *value)
{
	emit_scalar(em, key);
	emit_scalar(em, value);
}

static void
emit_map_start(struct emitter *em, int flow)
{
	yaml_event_t	ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, flow ?
	    YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	emit_emit(em, &ev);
}

static void
emit_map_end(struct emitter *em)
{
	yaml_event_t	ev;

	yaml_mapping_end_event_initialize(&ev);
	emit_emit(em, &ev);
}

static void
emit_seq_start(struct emitter *em, int flow)
{
	yaml_event_t	ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, flow ?
	    YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	emit_emit(em, &ev);
}

static void
emit_seq_end(struct emitter *em)
{
	yaml_event_t	ev;

	yaml_sequence_end_event_initialize(&ev);
	emit_emit(em, &ev);
}

static void
emit_group(struct emitter *em, const char *name, const char *policy,
    const char *after, const struct emit_target *t, size_t n)
{
	size_t	i;

	emit_map_start(em, 0);
	emit_pair(em, "name", name);
	emit_pair(em, "policy", policy);
	if (after != NULL) {
		emit_scalar(em, "after");
		emit_seq_start(em, 1);
		emit_scalar(em, after);
		emit_seq_end(em);
	}
	emit_scalar(em, "targets");
	emit_seq_start(em, 0);
	for (i = 0; i < n; i++) {
		emit_map_start(em, 0);
		emit_pair(em, "event", t[i].event);
		emit_pair(em, "resource", t[i].resource);
		emit_map_end(em);
	}
	emit_seq_end(em);
	emit_map_end(em);
}

/* The policy of a rollout's group: outcome keys and a check. */
static void
emit_policy(struct emitter *em, const char *name, const char *batch,
    const char *pause, const char *budget, const char *soak)
{
	emit_scalar(em, name);
	emit_map_start(em, 0);
	emit_pair(em, "ops", "immediate");
	emit_pair(em, "batch_size", batch);
	emit_pair(em, "pause", pause);
	emit_pair(em, "max_failures", budget);
	emit_pair(em, "settle_timeout", "30m");
	emit_scalar(em, "check");
	emit_map_start(em, 0);
	emit_pair(em, "command", "test -n \"$ENSBATCH_RESOURCE\"");
	emit_pair(em, "timeout", "5m");
	emit_pair(em, "interval", "15s");
	emit_map_end(em);
	emit_pair(em, "soak", soak);
	emit_map_end(em);
}

/* pct% of n, rounded up, but no more than is left. */
static size_t
emit_share(size_t n, size_t pct, size_t left)
{
	size_t	w = (n * pct + 99) / 100;

	return (w < left ? w : left);
}

void
emit_waves(size_t n, size_t *w1, size_t *w2, size_t *w3)
{
	size_t	left = n > 0 ? n - 1 : 0;

	*w1 = emit_share(n, 5, left);
	left -= *w1;
	*w2 = emit_share(n, 25, left);
	*w3 = left - *w2;
}

/* Canary, then growing waves, each after the one before. */
static void
emit_rollout(struct emitter *em, const struct emit_spec *spec)
{
	static const char *const names[] = { "wave-1", "wave-2", "wave-3" };
	const char		*prev = "canary";
	size_t			 w[3], i, first = 1;

	emit_waves(spec->ntargets, &w[0], &w[1], &w[2]);
	emit_scalar(em, "policies");
	emit_map_start(em, 0);
	emit_policy(em, "canary", "1", "0s", "0", "10m");
	emit_policy(em, "waves", "20", "1m", "10%", "5m");
	emit_map_end(em);
	emit_scalar(em, "groups");
	emit_seq_start(em, 0);
	if (spec->ntargets > 0)
		emit_group(em, "canary", "canary", NULL, spec->targets, 1);
	for (i = 0; i < 3; i++) {
		if (w[i] == 0)
			continue;
		emit_group(em, names[i], "waves", prev, spec->targets + first,
		    w[i]);
		prev = names[i];
		first += w[i];
	}
	emit_seq_end(em);
}

/* A canary group with the first target, a fleet group with the rest. */
static void
emit_plain(struct emitter *em, const struct emit_spec *spec)
{
	emit_scalar(em, "policies");
	emit_map_start(em, 0);
	emit_scalar(em, "canary");
	emit_map_start(em, 0);
	emit_pair(em, "ops", "immediate");
	emit_pair(em, "batch_size", "1");
	emit_pair(em, "pause", "0s");
	emit_map_end(em);
	emit_scalar(em, "fleet");
	emit_map_start(em, 0);
	emit_pair(em, "ops", "immediate");
	emit_pair(em, "batch_size", "20");
	emit_pair(em, "pause", "0s");
	emit_pair(em, "max_failures", "10%");
	emit_map_end(em);
	emit_map_end(em);
	emit_scalar(em, "groups");
	emit_seq_start(em, 0);
	if (spec->ntargets > 0)
		emit_group(em, "canary", "canary", NULL, spec->targets, 1);
	if (spec->ntargets > 1)
		emit_group(em, "fleet", "fleet", "canary", spec->targets + 1,
		    spec->ntargets - 1);
	emit_seq_end(em);
}

static int
emit_output(void *data, unsigned char *text, size_t len)
{
	buf_add(data, text, len);
	return (1);
}

int
emit_manifest(struct buf *out, const struct emit_spec *spec, char **cause)
{
	struct emitter	em;
	yaml_event_t	ev;

	*cause = NULL;
	memset(&em, 0, sizeof(em));
	if (!yaml_emitter_initialize(&em.e))
		fatal("cannot initialise libyaml");
	yaml_emitter_set_output(&em.e, emit_output, out);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_width(&em.e, 100);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	emit_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit_emit(&em, &ev);
	emit_map_start(&em, 0);
	emit_pair(&em, "ensbatch", "1");
	emit_pair(&em, "name", spec->name);
	if (spec->description != NULL)
		emit_pair(&em, "description", spec->description);
	if (spec->endpoint != NULL) {
		emit_scalar(&em, "api");
		emit_map_start(&em, 0);
		emit_pair(&em, "endpoint", spec->endpoint);
		emit_map_end(&em);
	}
	if (spec->rollout)
		emit_rollout(&em, spec);
	else
		emit_plain(&em, spec);
	emit_map_end(&em);
	yaml_document_end_event_initialize(&ev, 1);
	emit_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit_emit(&em, &ev);
	if (em.failed)
		*cause = xasprintf("cannot write the manifest: %s",
		    em.e.problem != NULL ? em.e.problem : "write error");
	yaml_emitter_delete(&em.e);
	return (em.failed ? -1 : 0);
}
