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
emit(struct emitter *em, yaml_event_t *ev)
{
	if (em->failed)
		yaml_event_delete(ev);
	else if (!yaml_emitter_emit(&em->e, ev))
		em->failed = 1;
}

static void
scalar(struct emitter *em, const char *value)
{
	yaml_event_t	ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)value, (int)strlen(value), 1, 1,
	    YAML_ANY_SCALAR_STYLE))
		fatal("out of memory in libyaml");
	emit(em, &ev);
}

static void
pair(struct emitter *em, const char *key, const char *value)
{
	scalar(em, key);
	scalar(em, value);
}

static void
map_start(struct emitter *em, int flow)
{
	yaml_event_t	ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, flow ?
	    YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	emit(em, &ev);
}

static void
map_end(struct emitter *em)
{
	yaml_event_t	ev;

	yaml_mapping_end_event_initialize(&ev);
	emit(em, &ev);
}

static void
seq_start(struct emitter *em, int flow)
{
	yaml_event_t	ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, flow ?
	    YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
	emit(em, &ev);
}

static void
seq_end(struct emitter *em)
{
	yaml_event_t	ev;

	yaml_sequence_end_event_initialize(&ev);
	emit(em, &ev);
}

static void
group(struct emitter *em, const char *name, const char *policy,
    const char *after, const struct emit_target *t, size_t n)
{
	size_t	i;

	map_start(em, 0);
	pair(em, "name", name);
	pair(em, "policy", policy);
	if (after != NULL) {
		scalar(em, "after");
		seq_start(em, 1);
		scalar(em, after);
		seq_end(em);
	}
	scalar(em, "targets");
	seq_start(em, 0);
	for (i = 0; i < n; i++) {
		map_start(em, 0);
		pair(em, "event", t[i].event);
		pair(em, "resource", t[i].resource);
		map_end(em);
	}
	seq_end(em);
	map_end(em);
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
	emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	emit(&em, &ev);
	map_start(&em, 0);
	pair(&em, "ensbatch", "1");
	pair(&em, "name", spec->name);
	if (spec->description != NULL)
		pair(&em, "description", spec->description);
	if (spec->endpoint != NULL) {
		scalar(&em, "api");
		map_start(&em, 0);
		pair(&em, "endpoint", spec->endpoint);
		map_end(&em);
	}
	scalar(&em, "policies");
	map_start(&em, 0);
	scalar(&em, "canary");
	map_start(&em, 0);
	pair(&em, "ops", "immediate");
	pair(&em, "batch_size", "1");
	pair(&em, "pause", "0s");
	map_end(&em);
	scalar(&em, "fleet");
	map_start(&em, 0);
	pair(&em, "ops", "immediate");
	pair(&em, "batch_size", "20");
	pair(&em, "pause", "0s");
	pair(&em, "max_failures", "10%");
	map_end(&em);
	map_end(&em);
	scalar(&em, "groups");
	seq_start(&em, 0);
	if (spec->ntargets > 0)
		group(&em, "canary", "canary", NULL, spec->targets, 1);
	if (spec->ntargets > 1)
		group(&em, "fleet", "fleet", "canary", spec->targets + 1,
		    spec->ntargets - 1);
	seq_end(&em);
	map_end(&em);
	yaml_document_end_event_initialize(&ev, 1);
	emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	emit(&em, &ev);
	if (em.failed)
		*cause = xasprintf("cannot write the manifest: %s",
		    em.e.problem != NULL ? em.e.problem : "write error");
	yaml_emitter_delete(&em.e);
	return (em.failed ? -1 : 0);
}
