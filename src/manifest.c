/*
 * Manifest loader: libyaml events -> the model of manifest.h.  The small
 * parts of the document (policies, groups' keys, api) go through a node
 * tree that keeps every position; the targets lists, the bulk of a large
 * manifest, are streamed: each item is built as a few nodes, turned into
 * a struct target whose ids go to the manifest's string arena, and its
 * nodes are reused for the next item.  The loader owns the structural
 * rules (yaml-syntax, yaml-limits, yaml-tag, duplicate-key, unknown-key,
 * type, required, version, targets-file); values are interpreted by
 * rules.c.  No file is held whole: a manifest or a targets CSV is read
 * in blocks, each hashed and checked as UTF-8 (by a reader thread, for
 * a large file) and parsed as it comes, and diags reads a source line
 * back from the file when it prints one.  The bulk (the targets arrays
 * and the arena of their ids) is on huge pages.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "ensbatch/buf.h"
#include "ensbatch/hash.h"
#include "ensbatch/manifest.h"
#include "ensbatch/testable.h"
#include "ensbatch/xmalloc.h"

#define MANIFEST_CHUNK_SIZE	(256 * 1024)

enum ynode_kind {
	YN_NULL,
	YN_SCALAR,
	YN_SEQ,
	YN_MAP
};

struct mstream;

/*
 * A YAML node.  Every node is also kept in the loader's arena, which
 * alone frees them, so that aliases can share subtrees.  The nodes of
 * a streamed target are given back (to the spare list) and reused.
 */
struct ynode {
	enum ynode_kind	 kind;
	struct pos	 pos;
	int		 plain;
	char		*value;		/* scalars: vbuf, else NULL */
	size_t		 vlen;		/* strlen(value) */
	char		*vbuf;		/* kept across reuse */
	size_t		 vcap;
	struct ynode	**items;	/* sequences; maps: key, value, ... */
	size_t		 n;
	size_t		 cap;
	uint64_t	 weight;	/* nodes in the expanded subtree */
	struct mstream	*stream;	/* a streamed targets list */
};

/* One block of the manifest's string arena. */
struct manifest_chunk {
	struct manifest_chunk	*next;
	size_t			 used;
	size_t			 size;
	int			 huge;		/* from xhugealloc */
	char			 data[];
};

/* A diagnostic about a streamed target, given to diags at load time. */
struct mrecord {
	enum diag_severity	 severity;
	struct pos		 pos;
	const char		*rule;		/* static, or NULL */
	char			*msg;
	size_t			 item;		/* its item's index */
};

/* A streamed item kept as nodes (it has anchors or aliases). */
struct mslow {
	struct ynode	*node;
	size_t		 item;		/* its index in the list */
	size_t		 before;	/* streamed targets before it */
};

/*
 * A targets list read as it streams by: the targets of its plain
 * items, the diagnostics about them, and the items kept as nodes, all
 * replayed, in the list's order, when a group loads the list.
 */
struct mstream {
	struct target	*targets;
	size_t		 ntargets;
	size_t		 cap;
	struct mrecord	*recs;
	size_t		 nrecs;
	size_t		 recs_cap;
	struct mslow	*slow;
	size_t		 nslow;
	size_t		 slow_cap;
	size_t		 items;
	struct manifest_group *owner;	/* took targets, or NULL */
};

struct anchor {
	char		*name;
	struct ynode	*node;
};

struct loader {
	struct diags	*diags;
	uint32_t	 file;
	struct ynode	**arena;
	size_t		 narena;
	size_t		 arena_cap;
	struct ynode	**spare;	/* nodes to reuse */
	size_t		 nspare;
	size_t		 spare_cap;
	struct anchor	*anchors;
	size_t		 nanchors;
	uint64_t	 expanded;	/* nodes added through aliases */
	uint64_t	 anchored;	/* anchors defined so far */
	uint64_t	 aliased;	/* aliases met so far */
	char		*dir;		/* the manifest's directory */
	struct manifest	*m;

	struct mstream	**streams;	/* streamed lists, to free */
	size_t		 nstreams;
	struct ynode	*sseq;		/* the list streaming now */
	size_t		 sdepth;	/* depth with sseq on top */
	size_t		 item_arena;	/* narena when the item began */
	uint64_t	 item_anchored;
	uint64_t	 item_aliased;
	struct mstream	*defer;		/* diagnostics go here, not diags */
	size_t		 defer_item;
};

static const char *const top_keys[] = {
	"ensbatch", "name", "ticket", "description", "timezone", "api",
	"policies", "groups"
};
static const char *const api_keys[] = {
	"endpoint", "signature", "timeout", "retries", "rate"
};
static const char *const policy_keys[] = {
	"ops", "batch_size", "pause", "max_failures", "start", "stagger",
	"window_end", "min_lead", "settle_timeout", "soak", "check"
};
static const char *const health_keys[] = {
	"command", "timeout", "interval"
};
static const char *const group_keys[] = {
	"name", "policy", "after", "targets", "targets_file"
};
static const char *const target_keys[] = { "event", "resource" };

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

TESTABLE void	manifest_utf8_init(struct manifest_utf8 *);
TESTABLE int	manifest_utf8_feed(struct manifest_utf8 *, const void *,
		    size_t);
TESTABLE int	manifest_utf8_end(struct manifest_utf8 *);
static void	manifest_diag(struct loader *, enum diag_severity, struct pos,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

static const char *
manifest_kind_name(enum ynode_kind kind)
{
	switch (kind) {
	case YN_NULL:
		return ("null");
	case YN_SCALAR:
		return ("a scalar");
	case YN_SEQ:
		return ("a sequence");
	case YN_MAP:
		return ("a mapping");
	}
	return ("?");
}

/* Levenshtein distance, bounded inputs (keys and names). */
static size_t
manifest_edit_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, d;

	if (la > 64 || lb > 64)
		return (SIZE_MAX);
	row = xreallocarray(NULL, lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			d = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < d)
				d = row[j] + 1;
			if (row[j - 1] + 1 < d)
				d = row[j - 1] + 1;
			row[j] = d;
			prev = tmp;
		}
	}
	d = row[lb];
	free(row);
	return (d);
}

const char *
manifest_suggest(const char *word, const char *const *cands, size_t n)
{
	const char	*best = NULL;
	size_t		 i, d, bestd = SIZE_MAX, limit;

	limit = strlen(word) / 3 + 1;
	if (limit > 3)
		limit = 3;
	for (i = 0; i < n; i++) {
		d = manifest_edit_distance(word, cands[i]);
		if (d <= limit && d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return (best);
}

/* ------------------------------------------------------------------ */
/* Reading and checking the bytes. */

/* Are the 8 bytes at p ASCII without NUL? */
static int
manifest_ascii8(const unsigned char *p)
{
	uint64_t	w;

	memcpy(&w, p, sizeof(w));
	if ((w & 0x8080808080808080ULL) != 0)
		return (0);
	/* A zero byte: (w - 0x01..) & ~w & 0x80.. is not 0. */
	return (((w - 0x0101010101010101ULL) & ~w &
	    0x8080808080808080ULL) == 0);
}

/*
 * The offset of the first byte of text[0..len) that is not valid UTF-8
 * (overlongs, surrogates, past U+10FFFF) or is NUL; len if none.  Runs
 * of ASCII go 8 bytes at a time: this reads every byte of a manifest.
 */
static size_t
manifest_utf8_bad(const unsigned char *p, size_t len)
{
	size_t		i = 0, need, k;
	uint32_t	cp, min;

	while (i < len) {
		unsigned char	c;

		while (len - i >= 8 && manifest_ascii8(p + i))
			i += 8;
		if (i == len)
			break;
		if ((c = p[i]) == 0)
			return (i);
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			need = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			need = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			need = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return (i);
		if (len - i <= need)
			return (i);
		for (k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (i);
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return (i);
		i += need + 1;
	}
	return (len);
}

/* Advance st's line and column over p[0..n), which is valid. */
static void
manifest_utf8_count(struct manifest_utf8 *st, const unsigned char *p,
    size_t n)
{
	const unsigned char	*q = p, *end = p + n, *nl;

	while ((nl = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		st->line++;
		st->col = 1;
		q = nl + 1;
	}
	for (; q < end; q++) {
		if ((*q & 0xc0) != 0x80)
			st->col++;
	}
}

/* How many bytes the character led by c has, 0 if c leads none. */
static size_t
manifest_utf8_need(unsigned char c)
{
	if (c < 0x80)
		return (1);
	if ((c & 0xe0) == 0xc0)
		return (2);
	if ((c & 0xf0) == 0xe0)
		return (3);
	if ((c & 0xf8) == 0xf0)
		return (4);
	return (0);
}

/*
 * How many bytes at the end of p[0..n) begin a character that goes on
 * past n (0 to 3): they wait for the next chunk.
 */
static size_t
manifest_utf8_tail(const unsigned char *p, size_t n)
{
	size_t	k, need;

	for (k = 1; k <= 3 && k <= n; k++) {
		if ((p[n - k] & 0xc0) == 0x80)
			continue;
		need = manifest_utf8_need(p[n - k]);
		return (need > k ? k : 0);
	}
	return (0);
}

TESTABLE void
manifest_utf8_init(struct manifest_utf8 *st)
{
	memset(st, 0, sizeof(*st));
	st->line = 1;
	st->col = 1;
}

TESTABLE int
manifest_utf8_feed(struct manifest_utf8 *st, const void *data, size_t n)
{
	const unsigned char	*p = data;
	size_t			 need, take, tail, bad;

	if (st->bad)
		return (-1);
	if (st->npend > 0) {
		/* Complete the character the last chunk began. */
		need = manifest_utf8_need(st->pend[0]);
		take = need - st->npend < n ? need - st->npend : n;
		memcpy(st->pend + st->npend, p, take);
		st->npend += take;
		p += take;
		n -= take;
		if (st->npend < need) {
			/* Still short: bad unless its bytes continue. */
			if (manifest_utf8_tail(st->pend, st->npend) !=
			    st->npend) {
				st->bad = 1;
				return (-1);
			}
			return (0);
		}
		if (manifest_utf8_bad(st->pend, st->npend) != st->npend) {
			st->bad = 1;
			return (-1);
		}
		st->col++;
		st->npend = 0;
	}
	tail = manifest_utf8_tail(p, n);
	if ((bad = manifest_utf8_bad(p, n - tail)) != n - tail) {
		manifest_utf8_count(st, p, bad);
		st->bad = 1;
		return (-1);
	}
	manifest_utf8_count(st, p, n - tail);
	memcpy(st->pend, p + n - tail, tail);
	st->npend = tail;
	return (0);
}

TESTABLE int
manifest_utf8_end(struct manifest_utf8 *st)
{
	if (st->npend > 0)
		st->bad = 1;
	return (st->bad ? -1 : 0);
}

#ifdef ENSBATCH_TESTING
/*
 * Check that text is valid UTF-8 (no overlongs, no surrogates, nothing
 * past U+10FFFF) and has no NUL.  On failure set *line and *col of the
 * first bad byte (1-based, in characters) and return -1.
 */
TESTABLE int
manifest_utf8_check(const char *text, size_t len, uint32_t *line,
    uint32_t *col)
{
	struct manifest_utf8	st;
	int			rc;

	manifest_utf8_init(&st);
	if ((rc = manifest_utf8_feed(&st, text, len)) == 0)
		rc = manifest_utf8_end(&st);
	*line = st.line;
	*col = st.col;
	return (rc);
}
#endif

/*
 * A file read in blocks, never held whole: its size, SHA-256 and UTF-8
 * check are taken as the bytes go by.  A reader thread reads, hashes
 * and checks the blocks while the parser takes the ones before them (2
 * cores: the hash costs the parser nothing); the parser gets exactly
 * the bytes hashed, in order, and none of a block with a bad byte.
 * A small file, or one read where no thread can be made, is read by
 * the parser itself, block by block.
 */
#define MANIFEST_BLOCK_SIZE	(64 * 1024)
#define MANIFEST_BLOCKS		4

struct mblock {
	size_t		 len;
	int		 bad;		/* the UTF-8 check failed by its end */
	unsigned char	 data[MANIFEST_BLOCK_SIZE];
};

struct mfile {
	int			 fd;
	const char		*shown;		/* the name messages use */

	/* The reader's (the thread's until manifest_finish joins it). */
	uint64_t		 size;		/* bytes read so far */
	struct hash_ctx		*hash;
	struct manifest_utf8	 utf8;
	int			 rerr;		/* as manifest_open's */
	char			*cause;
	size_t			 prod;		/* the block it fills next */

	/* The ring: nfull blocks from cons on, then ended. */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct mblock		*blocks;
	size_t			 nfull;
	int			 ended;		/* EOF or rerr after them */
	int			 rwait;		/* the reader waits for room */
	int			 cwait;		/* the parser waits for a block */
	int			 threaded;
	pthread_t		 thread;

	/* The parser's. */
	size_t			 cons;		/* the block it reads */
	size_t			 off;		/* in it, SIZE_MAX: none held */
	int			 err;		/* rerr, once reached */
	int			 bad;		/* a bad byte reached */
	int			 eof;
};

static void	*manifest_reader(void *);

/*
 * Open a regular file of at most MANIFEST_MAX_SIZE bytes to be read by
 * manifest_fill; messages call it shown.  A FIFO, a device or a
 * directory is refused before the first read, so that none can block or
 * stream without end; flags are added to open's (such as O_NOFOLLOW).
 * Returns 0 (the file is then read until manifest_finish); -1 with
 * *cause when the file cannot be opened; -2 with *cause when it is no
 * regular file or too large (a limit).
 */
static int
manifest_open(const char *path, const char *shown, int flags,
    struct mfile *mf, char **cause)
{
	struct stat	 sb;
	sigset_t	 all, old;
	int		 rc = -1;

	*cause = NULL;
	memset(mf, 0, sizeof(*mf));
	mf->shown = shown;
	mf->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY |
	    flags);
	if (mf->fd == -1) {
		*cause = xasprintf("cannot open %s: %s", shown,
		    strerror(errno));
		goto out;
	}
	if (fstat(mf->fd, &sb) != 0) {
		*cause = xasprintf("cannot read %s: %s", shown,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s is not a regular file (%s)", shown,
		    S_ISDIR(sb.st_mode) ? "a directory" :
		    S_ISFIFO(sb.st_mode) ? "a FIFO" :
		    S_ISSOCK(sb.st_mode) ? "a socket" : "a device");
		rc = -2;
		goto out;
	}
	if ((uintmax_t)sb.st_size > MANIFEST_MAX_SIZE) {
		*cause = xasprintf("%s is larger than %lu MiB", shown,
		    MANIFEST_MAX_SIZE >> 20);
		rc = -2;
		goto out;
	}
	manifest_utf8_init(&mf->utf8);
	mf->blocks = xreallocarray(NULL, MANIFEST_BLOCKS,
	    sizeof(*mf->blocks));
	mf->off = SIZE_MAX;
	if (pthread_mutex_init(&mf->lock, NULL) != 0 ||
	    pthread_cond_init(&mf->cond, NULL) != 0)
		fatal("cannot initialise a lock");
	/*
	 * A file of one block is read without a thread; the thread makes
	 * the hash (OpenSSL's first one takes some time).
	 */
	if (sb.st_size > MANIFEST_BLOCK_SIZE) {
		/* Signals go to the other threads, not to the reader. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		mf->threaded = pthread_create(&mf->thread, NULL,
		    manifest_reader, mf) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!mf->threaded)
		mf->hash = hash_sha256_new();
	return (0);
out:
	if (mf->fd != -1)
		close(mf->fd);
	mf->fd = -1;
	return (rc);
}

/*
 * The reader: read the next block of mf, hash and check it, and add it
 * to the ring.  Returns 0, or -1 at the end of the file or on an error
 * (mf->rerr and mf->cause set).  The file may grow while it is read:
 * past MANIFEST_MAX_SIZE it is refused.
 */
static int
manifest_read_block(struct mfile *mf)
{
	struct mblock	*b = &mf->blocks[mf->prod];
	ssize_t		 r;

	do
		r = read(mf->fd, b->data, sizeof(b->data));
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		mf->cause = xasprintf("cannot read %s: %s", mf->shown,
		    strerror(errno));
		mf->rerr = -1;
		return (-1);
	}
	if (r == 0) {
		manifest_utf8_end(&mf->utf8);
		return (-1);
	}
	mf->size += (uint64_t)r;
	if (mf->size > MANIFEST_MAX_SIZE) {
		mf->cause = xasprintf("%s is larger than %lu MiB", mf->shown,
		    MANIFEST_MAX_SIZE >> 20);
		mf->rerr = -2;
		return (-1);
	}
	hash_update(mf->hash, b->data, (size_t)r);
	manifest_utf8_feed(&mf->utf8, b->data, (size_t)r);
	b->len = (size_t)r;
	b->bad = mf->utf8.bad;
	mf->prod = (mf->prod + 1) % MANIFEST_BLOCKS;
	pthread_mutex_lock(&mf->lock);
	mf->nfull++;
	if (mf->cwait)
		pthread_cond_broadcast(&mf->cond);
	pthread_mutex_unlock(&mf->lock);
	return (0);
}

/*
 * The reader thread: blocks until the end while the ring has room.  A
 * full ring is woken up half empty, so that the threads wake each other
 * once every few blocks, not at each.
 */
static void *
manifest_reader(void *arg)
{
	struct mfile	*mf = arg;

	mf->hash = hash_sha256_new();
	for (;;) {
		pthread_mutex_lock(&mf->lock);
		mf->rwait = 1;
		while (mf->nfull == MANIFEST_BLOCKS)
			pthread_cond_wait(&mf->cond, &mf->lock);
		mf->rwait = 0;
		pthread_mutex_unlock(&mf->lock);
		if (manifest_read_block(mf) != 0)
			break;
	}
	pthread_mutex_lock(&mf->lock);
	mf->ended = 1;
	pthread_cond_broadcast(&mf->cond);
	pthread_mutex_unlock(&mf->lock);
	return (NULL);
}

/*
 * The parser's next block: 1 when one is held, 0 at the end (with
 * mf->err and mf->bad as the reader left them).  Gives back the one
 * read to its end.
 */
static int
manifest_next_block(struct mfile *mf)
{
	int	have;

	pthread_mutex_lock(&mf->lock);
	if (mf->off != SIZE_MAX) {
		mf->nfull--;
		mf->cons = (mf->cons + 1) % MANIFEST_BLOCKS;
		mf->off = SIZE_MAX;
		if (mf->rwait && mf->nfull <= MANIFEST_BLOCKS / 2)
			pthread_cond_broadcast(&mf->cond);
	}
	for (;;) {
		if (mf->nfull > 0 || mf->ended)
			break;
		if (mf->threaded) {
			mf->cwait = 1;
			pthread_cond_wait(&mf->cond, &mf->lock);
			mf->cwait = 0;
			continue;
		}
		pthread_mutex_unlock(&mf->lock);
		if (manifest_read_block(mf) != 0)
			mf->ended = 1;
		pthread_mutex_lock(&mf->lock);
	}
	have = mf->nfull > 0;
	if (have)
		mf->off = 0;
	else {
		mf->err = mf->rerr;
		mf->bad = mf->utf8.bad;
	}
	pthread_mutex_unlock(&mf->lock);
	return (have);
}

/*
 * Read the next bytes of mf into buf[0..size): how many; 0 at the end
 * of the file; -1 on an error (mf->err set, mf->cause once finished) or
 * at a bad byte (mf->bad set).
 */
static ssize_t
manifest_fill(struct mfile *mf, void *buf, size_t size)
{
	struct mblock	*b;
	size_t		 n;

	if (mf->err != 0 || mf->bad)
		return (-1);
	if (mf->eof)
		return (0);
	b = &mf->blocks[mf->cons];
	if (mf->off == SIZE_MAX || mf->off == b->len) {
		if (!manifest_next_block(mf)) {
			if (mf->err != 0 || mf->bad)
				return (-1);
			mf->eof = 1;
			return (0);
		}
		b = &mf->blocks[mf->cons];
		if (b->bad) {
			mf->bad = 1;
			return (-1);
		}
	}
	n = b->len - mf->off < size ? b->len - mf->off : size;
	memcpy(buf, b->data + mf->off, n);
	mf->off += n;
	return ((ssize_t)n);
}

/*
 * Let the reader read what the parser left of mf (its size and hash
 * cover the whole file), close it and put its SHA-256 in sha.  Returns
 * 0, or -1 or -2 with mf->cause (caller frees).
 */
static int
manifest_finish(struct mfile *mf, char *sha)
{
	while (manifest_next_block(mf))
		;
	if (mf->threaded && pthread_join(mf->thread, NULL) != 0)
		fatal("cannot join the reader");
	mf->err = mf->rerr;
	if (mf->err == 0)
		hash_final_hex(mf->hash, sha);
	else
		hash_abort(mf->hash);
	mf->hash = NULL;
	pthread_cond_destroy(&mf->cond);
	pthread_mutex_destroy(&mf->lock);
	free(mf->blocks);
	mf->blocks = NULL;
	close(mf->fd);
	mf->fd = -1;
	return (mf->err);
}

/* libyaml's read handler: the manifest's next bytes, checked. */
static int
manifest_yaml_read(void *data, unsigned char *buf, size_t size,
    size_t *got)
{
	struct mfile	*mf = data;
	ssize_t		 r;

	*got = 0;
	if ((r = manifest_fill(mf, buf, size)) < 0)
		return (0);	/* the caller reports it, not libyaml */
	*got = (size_t)r;
	return (1);
}

/*
 * The outcome of reading a file whose contents were checked as they
 * went by: a read error, a file past the size limit or bad UTF-8 drops
 * every diagnostic found in it since mark (as if it had been read
 * whole first, nothing else is said about such a file) and reports
 * that instead, at at (read errors) or at the bad byte.  Returns 0 if
 * the file was fine.
 */
static int
manifest_read_verdict(struct loader *l, struct mfile *mf, int rc,
    size_t mark, struct pos at, uint32_t file, const char *read_rule,
    const char *utf8_rule, const char *utf8_msg)
{
	struct pos	pos;

	if (rc == 0 && !mf->utf8.bad)
		return (0);
	diags_rollback(l->diags, mark);
	if (rc != 0) {
		diags_add(l->diags, DIAG_ERROR, at, read_rule, "%s",
		    mf->cause);
		free(mf->cause);
		mf->cause = NULL;
		return (-1);
	}
	pos.file = file;
	pos.line = mf->utf8.line;
	pos.col = mf->utf8.col;
	diags_add(l->diags, DIAG_ERROR, pos, utf8_rule, "%s", utf8_msg);
	return (-1);
}

/* ------------------------------------------------------------------ */
/* libyaml events -> node tree. */

/*
 * Room for one more item after the n of *v (capacity *cap, items of
 * size bytes), doubling.  Returns the array, perhaps moved.
 */
static void *
manifest_grow(void *v, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return (v);
	*cap = *cap == 0 ? 8 : *cap * 2;
	return (xreallocarray(v, *cap, size));
}

/*
 * Report a problem the loader found: to diags, or, while an item of a
 * streamed targets list is read, to that list, which gives it to diags
 * when a group loads the list (so that a syntax error further on still
 * leaves only that error, as with a tree read whole first).
 */
static void
manifest_diag(struct loader *l, enum diag_severity severity, struct pos pos,
    const char *rule, const char *fmt, ...)
{
	struct mstream	*s = l->defer;
	struct mrecord	*r;
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (s == NULL) {
		diags_add(l->diags, severity, pos, rule, "%s", msg);
		free(msg);
		return;
	}
	s->recs = manifest_grow(s->recs, s->nrecs, &s->recs_cap,
	    sizeof(*s->recs));
	r = &s->recs[s->nrecs++];
	r->severity = severity;
	r->pos = pos;
	r->rule = rule;
	r->msg = msg;
	r->item = l->defer_item;
}

/*
 * A copy of s[0..len) in the manifest's string arena, freed with the
 * manifest: one allocation per MANIFEST_CHUNK_SIZE bytes of ids, not
 * one per id.  A long string gets a block of its own, behind the one
 * being filled.
 */
static char *
manifest_strndup(struct manifest *m, const char *s, size_t len)
{
	struct manifest_chunk	*c = m->strings;
	char			*p;

	if (len + 1 > MANIFEST_CHUNK_SIZE / 4) {
		c = xmalloc(sizeof(*c) + len + 1);
		c->size = c->used = len + 1;
		c->huge = 0;
		if (m->strings == NULL) {
			c->next = NULL;
			m->strings = c;
		} else {
			c->next = m->strings->next;
			m->strings->next = c;
		}
		p = c->data;
	} else {
		if (c == NULL || c->size - c->used < len + 1) {
			if (c != NULL) {
				c = xhugealloc(XHUGE_SIZE);
				c->size = XHUGE_SIZE - sizeof(*c);
				c->huge = 1;
			} else {
				c = xmalloc(sizeof(*c) + MANIFEST_CHUNK_SIZE);
				c->size = MANIFEST_CHUNK_SIZE;
				c->huge = 0;
			}
			c->used = 0;
			c->next = m->strings;
			m->strings = c;
		}
		p = c->data + c->used;
		c->used += len + 1;
	}
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/*
 * Free an array of targets of capacity cap: one of more than
 * MANIFEST_CHUNK_SIZE bytes is from xhugealloc.
 */
static void
manifest_targets_free(struct target *v, size_t cap)
{
	if (cap * sizeof(*v) > MANIFEST_CHUNK_SIZE)
		xhugefree(v, cap * sizeof(*v));
	else
		free(v);
}

/*
 * A new zeroed target at the end of *v, grown by doubling; past
 * MANIFEST_CHUNK_SIZE bytes on huge pages, by whole ones.
 */
static struct target *
manifest_target_push(struct target **v, size_t *n, size_t *cap)
{
	struct target	*t, *nv;
	size_t		 bytes;

	if (*n == *cap && *cap * 2 * sizeof(**v) > MANIFEST_CHUNK_SIZE) {
		bytes = (*cap * 2 * sizeof(**v) + XHUGE_SIZE - 1) &
		    ~(XHUGE_SIZE - 1);
		nv = xhugealloc(bytes);
		memcpy(nv, *v, *n * sizeof(**v));
		manifest_targets_free(*v, *cap);
		*v = nv;
		*cap = bytes / sizeof(**v);
	}
	*v = manifest_grow(*v, *n, cap, sizeof(**v));
	t = &(*v)[(*n)++];
	memset(t, 0, sizeof(*t));
	return (t);
}

static struct ynode *
manifest_node_new(struct loader *l, enum ynode_kind kind,
    const yaml_mark_t *mark)
{
	struct ynode	*n;

	l->arena = manifest_grow(l->arena, l->narena, &l->arena_cap,
	    sizeof(*l->arena));
	if (l->nspare > 0) {
		n = l->spare[--l->nspare];
		n->value = NULL;
		n->vlen = 0;
		n->plain = 0;
		n->n = 0;
		n->stream = NULL;
	} else
		n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	n->pos.file = l->file;
	n->pos.line = (uint32_t)mark->line + 1;
	n->pos.col = (uint32_t)mark->column + 1;
	n->weight = 1;
	l->arena[l->narena++] = n;
	return (n);
}

/* Give the nodes made since arena index from back, for reuse. */
static void
manifest_nodes_release(struct loader *l, size_t from)
{
	while (l->narena > from) {
		l->spare = manifest_grow(l->spare, l->nspare, &l->spare_cap,
		    sizeof(*l->spare));
		l->spare[l->nspare++] = l->arena[--l->narena];
	}
}

/* A scalar's text, in the node's own buffer (kept across reuse). */
static void
manifest_node_set_value(struct ynode *n, const char *v, size_t len)
{
	if (n->vcap < len + 1) {
		n->vcap = len + 1 < 32 ? 32 : len + 1;
		free(n->vbuf);
		n->vbuf = xmalloc(n->vcap);
	}
	memcpy(n->vbuf, v, len);
	n->vbuf[len] = '\0';
	n->value = n->vbuf;
	n->vlen = len;
}

static void
manifest_node_append(struct ynode *parent, struct ynode *child)
{
	if (parent->n == parent->cap) {
		parent->cap = parent->cap == 0 ? 4 : parent->cap * 2;
		parent->items = xreallocarray(parent->items, parent->cap,
		    sizeof(*parent->items));
	}
	parent->items[parent->n++] = child;
	parent->weight += child->weight;
	if (parent->weight > UINT32_MAX)
		parent->weight = UINT32_MAX;	/* saturate */
}

static void
manifest_anchor_add(struct loader *l, const char *name, struct ynode *node)
{
	size_t	i;

	l->anchored++;
	for (i = 0; i < l->nanchors; i++) {
		if (strcmp(l->anchors[i].name, name) == 0) {
			l->anchors[i].node = node;	/* redefinition */
			return;
		}
	}
	l->anchors = xreallocarray(l->anchors, l->nanchors + 1,
	    sizeof(*l->anchors));
	l->anchors[l->nanchors].name = xstrdup(name);
	l->anchors[l->nanchors].node = node;
	l->nanchors++;
}

static struct ynode *
manifest_anchor_find(struct loader *l, const char *name)
{
	size_t	i;

	for (i = 0; i < l->nanchors; i++) {
		if (strcmp(l->anchors[i].name, name) == 0)
			return (l->anchors[i].node);
	}
	return (NULL);
}

static struct pos
manifest_mark_pos(struct loader *l, const yaml_mark_t *mark)
{
	struct pos	pos;

	pos.file = l->file;
	pos.line = (uint32_t)mark->line + 1;
	pos.col = (uint32_t)mark->column + 1;
	return (pos);
}

static int
manifest_scalar_is_null(const yaml_event_t *ev)
{
	const char	*v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	if (ev->data.scalar.tag != NULL)
		return (0);
	switch (*v) {
	case '\0':
		return (1);
	case '~':
		return (v[1] == '\0');
	case 'n':
	case 'N':
		return (strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
		    strcmp(v, "NULL") == 0);
	}
	return (0);
}

/*
 * YAML tags (!!binary, !!python/object, !local) are not part of the
 * format: a loader that ignored them would read the text under them as
 * something it is not.  Report each at its node, written as in the file
 * ("tag:yaml.org,2002:" is "!!").
 */
static void
manifest_check_tag(struct loader *l, const yaml_char_t *tag,
    const yaml_mark_t *mark)
{
	static const char	 core[] = "tag:yaml.org,2002:";
	const char		*t = (const char *)tag;
	char			*shown;

	if (t == NULL)
		return;
	if (strncmp(t, core, sizeof(core) - 1) == 0)
		shown = xasprintf("!!%s", t + sizeof(core) - 1);
	else
		shown = xstrdup(t);
	diags_add(l->diags, DIAG_ERROR, manifest_mark_pos(l, mark), "yaml-tag",
	    "YAML tag \"%s\" is not allowed: a manifest has plain values "
	    "only", shown);
	free(shown);
}

/*
 * Is the value now being read in map that of key, and is it the first
 * such key (the one manifest_map_get finds)?
 */
static int
manifest_value_of(const struct ynode *map, const char *key)
{
	size_t	i;

	if (map->kind != YN_MAP || map->n % 2 != 1 ||
	    map->items[map->n - 1]->kind != YN_SCALAR ||
	    strcmp(map->items[map->n - 1]->value, key) != 0)
		return (0);
	for (i = 0; i + 1 < map->n; i += 2) {
		if (map->items[i]->kind == YN_SCALAR &&
		    strcmp(map->items[i]->value, key) == 0)
			return (0);
	}
	return (1);
}

/*
 * Does the sequence starting now (at stack depth depth) hold a group's
 * targets, the list manifest_load_group reads: the first "targets" of
 * an item of the first "groups" of the root?  Such a list is streamed,
 * unless anchored: an alias could then read it as something else.
 */
static int
manifest_stream_here(const struct loader *l, struct ynode *const *stack,
    size_t depth, const yaml_event_t *ev)
{
	if (depth != 3 || l->sseq != NULL ||
	    ev->data.sequence_start.anchor != NULL)
		return (0);
	return (manifest_value_of(stack[0], "groups") &&
	    stack[1]->kind == YN_SEQ && stack[1]->stream == NULL &&
	    manifest_value_of(stack[2], "targets"));
}

static void	manifest_load_target(struct loader *, const struct ynode *,
		    struct target **, size_t *, size_t *);

/*
 * An item of the streamed list is complete: make it a target now (its
 * problems kept by the list) and reuse its nodes.  An item that defines
 * anchors or uses aliases may share nodes: it is kept as nodes, read
 * when a group loads the list.
 */
static void
manifest_stream_item(struct loader *l, struct ynode *item)
{
	struct ynode	*seq = l->sseq;
	struct mstream	*s = seq->stream;
	struct mslow	*k;

	seq->weight += item->weight;
	if (seq->weight > UINT32_MAX)
		seq->weight = UINT32_MAX;	/* saturate */
	if (l->anchored != l->item_anchored ||
	    l->aliased != l->item_aliased) {
		s->slow = manifest_grow(s->slow, s->nslow, &s->slow_cap,
		    sizeof(*s->slow));
		k = &s->slow[s->nslow++];
		k->node = item;
		k->item = s->items++;
		k->before = s->ntargets;
		return;
	}
	l->defer = s;
	l->defer_item = s->items++;
	manifest_load_target(l, item, &s->targets, &s->ntargets, &s->cap);
	l->defer = NULL;
	manifest_nodes_release(l, l->item_arena);
}

/* Start streaming the list seq, just pushed at stack depth depth. */
static void
manifest_stream_start(struct loader *l, struct ynode *seq, size_t depth)
{
	seq->stream = xcalloc(1, sizeof(*seq->stream));
	l->streams = xreallocarray(l->streams, l->nstreams + 1,
	    sizeof(*l->streams));
	l->streams[l->nstreams++] = seq->stream;
	l->sseq = seq;
	l->sdepth = depth;
}

/*
 * Parse the whole stream into a tree, targets lists streamed into
 * struct target arrays.  Returns the document's root, or NULL after
 * reporting yaml-syntax or yaml-limits.  An empty stream gives a
 * YN_NULL root.  Long on purpose: one loop over libyaml's events whose
 * cases share the node stack and the limits.
 */
static struct ynode *
manifest_parse_tree(struct loader *l, struct mfile *mf)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	struct ynode	*stack[MANIFEST_MAX_DEPTH + 1];
	struct ynode	*root = NULL, *node;
	size_t		 depth = 0;
	int		 docs = 0, done = 0, failed = 0;
	yaml_mark_t	 zero = { 0, 0, 0 };

	if (!yaml_parser_initialize(&parser))
		fatal("cannot initialise libyaml");
	yaml_parser_set_input(&parser, manifest_yaml_read, mf);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			struct pos	pos = manifest_mark_pos(l,
			    &parser.problem_mark);

			if (parser.error == YAML_MEMORY_ERROR)
				fatal("out of memory in libyaml");
			diags_add(l->diags, DIAG_ERROR, pos, "yaml-syntax",
			    "%s%s%s", parser.problem != NULL ?
			    parser.problem : "syntax error",
			    parser.context != NULL ? " " : "",
			    parser.context != NULL ? parser.context : "");
			failed = 1;
			break;
		}
		/* An item of a streamed list begins: note where. */
		if (l->sseq != NULL && depth == l->sdepth &&
		    (ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_ALIAS_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT)) {
			l->item_arena = l->narena;
			l->item_anchored = l->anchored;
			l->item_aliased = l->aliased;
		}
		node = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				diags_add(l->diags, DIAG_ERROR,
				    manifest_mark_pos(l, &ev.start_mark),
				    "yaml-limits", "more than one YAML "
				    "document: a manifest is exactly one "
				    "document");
				failed = 1;
				done = 1;
			}
			break;
		case YAML_ALIAS_EVENT:
			l->aliased++;
			node = manifest_anchor_find(l,
			    (const char *)ev.data.alias.anchor);
			if (node == NULL) {
				diags_add(l->diags, DIAG_ERROR,
				    manifest_mark_pos(l, &ev.start_mark),
				    "yaml-syntax", "unknown alias *%s",
				    (const char *)ev.data.alias.anchor);
				failed = 1;
				done = 1;
				break;
			}
			l->expanded += node->weight;
			if (l->expanded > MANIFEST_ALIAS_BUDGET) {
				diags_add(l->diags, DIAG_ERROR,
				    manifest_mark_pos(l, &ev.start_mark),
				    "yaml-limits", "aliases expand to more "
				    "than %d nodes", MANIFEST_ALIAS_BUDGET);
				failed = 1;
				done = 1;
				node = NULL;
			} else if (node->kind == YN_SCALAR ||
			    node->kind == YN_NULL) {
				/* A copy, so that it has the alias's position. */
				struct ynode	*copy;

				copy = manifest_node_new(l, node->kind,
				    &ev.start_mark);
				if (node->value != NULL)
					manifest_node_set_value(copy,
					    node->value, node->vlen);
				copy->plain = node->plain;
				node = copy;
			}
			break;
		case YAML_SCALAR_EVENT:
			manifest_check_tag(l, ev.data.scalar.tag,
			    &ev.start_mark);
			node = manifest_node_new(l, manifest_scalar_is_null(&ev) ?
			    YN_NULL : YN_SCALAR, &ev.start_mark);
			manifest_node_set_value(node,
			    (const char *)ev.data.scalar.value,
			    ev.data.scalar.length);
			node->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE &&
			    ev.data.scalar.tag == NULL;
			/*
			 * Only an escape (\0, \x00, \u0000) can put a NUL in
			 * a scalar: the UTF-8 check keeps a NUL byte of the
			 * file from libyaml, and only double quotes escape.
			 */
			if (ev.data.scalar.style ==
			    YAML_DOUBLE_QUOTED_SCALAR_STYLE &&
			    memchr(node->value, '\0', node->vlen) != NULL) {
				diags_add(l->diags, DIAG_ERROR, node->pos,
				    "yaml-limits", "NUL character in a "
				    "scalar");
				failed = 1;
				done = 1;
			}
			if (ev.data.scalar.anchor != NULL)
				manifest_anchor_add(l,
				    (const char *)ev.data.scalar.anchor, node);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (depth == MANIFEST_MAX_DEPTH) {
				diags_add(l->diags, DIAG_ERROR,
				    manifest_mark_pos(l, &ev.start_mark),
				    "yaml-limits", "nesting deeper than %d "
				    "levels", MANIFEST_MAX_DEPTH);
				failed = 1;
				done = 1;
				break;
			}
			manifest_check_tag(l, ev.type ==
			    YAML_MAPPING_START_EVENT ?
			    ev.data.mapping_start.tag :
			    ev.data.sequence_start.tag, &ev.start_mark);
			node = manifest_node_new(l, ev.type ==
			    YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ,
			    &ev.start_mark);
			if (ev.type == YAML_MAPPING_START_EVENT &&
			    ev.data.mapping_start.anchor != NULL)
				manifest_anchor_add(l, (const char *)
				    ev.data.mapping_start.anchor, node);
			if (ev.type == YAML_SEQUENCE_START_EVENT &&
			    ev.data.sequence_start.anchor != NULL)
				manifest_anchor_add(l, (const char *)
				    ev.data.sequence_start.anchor, node);
			if (ev.type == YAML_SEQUENCE_START_EVENT &&
			    manifest_stream_here(l, stack, depth, &ev))
				manifest_stream_start(l, node, depth + 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			node = stack[--depth];
			if (node == l->sseq)
				l->sseq = NULL;
			break;
		default:
			break;
		}
		/*
		 * Attach a finished node (scalar, alias, or a collection
		 * that just ended) to its parent, or to the streamed list;
		 * push collections that just started.
		 */
		if (node != NULL && !done) {
			if (ev.type == YAML_SEQUENCE_START_EVENT ||
			    ev.type == YAML_MAPPING_START_EVENT)
				stack[depth++] = node;
			else if (depth > 0 && stack[depth - 1] == l->sseq)
				manifest_stream_item(l, node);
			else if (depth > 0)
				manifest_node_append(stack[depth - 1], node);
			else
				root = node;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (failed)
		return (NULL);
	if (root == NULL)
		root = manifest_node_new(l, YN_NULL, &zero);
	return (root);
}

/* ------------------------------------------------------------------ */
/* Node tree -> model. */

/*
 * Check a mapping's keys: non-scalar keys are type errors, a repeated
 * key is duplicate-key (both places shown), an unknown one unknown-key
 * with a suggestion.  Sorting key indices keeps this O(n log n) for
 * hostile maps.
 */
static const struct ynode *const *sort_keys;

static int
manifest_key_cmp(const void *va, const void *vb)
{
	size_t	a = *(const size_t *)va, b = *(const size_t *)vb;
	int	c;

	c = strcmp(sort_keys[a]->value, sort_keys[b]->value);
	if (c != 0)
		return (c);
	return (a < b ? -1 : (a > b));
}

static void
manifest_check_keys(struct loader *l, const struct ynode *map, const char *what,
    const char *const *known, size_t nknown)
{
	size_t		 small[8], *idx = small, n = 0, i, k, first;
	const char	*hint;

	if (map->n / 2 + 1 > nitems(small))
		idx = xreallocarray(NULL, map->n / 2 + 1, sizeof(*idx));
	for (i = 0; i + 1 < map->n; i += 2) {
		const struct ynode	*key = map->items[i];

		if (key->kind != YN_SCALAR) {
			manifest_diag(l, DIAG_ERROR, key->pos, "type",
			    "%s keys must be scalars, found %s", what,
			    manifest_kind_name(key->kind));
			continue;
		}
		idx[n++] = i;
		if (known == NULL)
			continue;
		for (k = 0; k < nknown; k++) {
			if (strcmp(key->value, known[k]) == 0)
				break;
		}
		if (k < nknown)
			continue;
		hint = manifest_suggest(key->value, known, nknown);
		if (hint != NULL)
			manifest_diag(l, DIAG_ERROR, key->pos, "unknown-key",
			    "unknown key \"%s\" in %s; did you mean \"%s\"?",
			    key->value, what, hint);
		else
			manifest_diag(l, DIAG_ERROR, key->pos, "unknown-key",
			    "unknown key \"%s\" in %s", key->value, what);
	}
	sort_keys = (const struct ynode *const *)map->items;
	if (n > 1)
		qsort(idx, n, sizeof(*idx), manifest_key_cmp);
	sort_keys = NULL;
	for (i = 1, first = 0; i < n; i++) {
		const struct ynode	*a = map->items[idx[first]];
		const struct ynode	*b = map->items[idx[i]];

		if (strcmp(a->value, b->value) != 0) {
			first = i;
			continue;
		}
		manifest_diag(l, DIAG_ERROR, b->pos, "duplicate-key",
		    "key \"%s\" appears more than once in %s", b->value,
		    what);
		manifest_diag(l, DIAG_NOTE, a->pos, NULL,
		    "\"%s\" first appears here", a->value);
	}
	if (idx != small)
		free(idx);
}

/* The value of the first occurrence of key in map, or NULL. */
static const struct ynode *
manifest_map_get(const struct ynode *map, const char *key)
{
	size_t	i;

	for (i = 0; i + 1 < map->n; i += 2) {
		if (map->items[i]->kind == YN_SCALAR &&
		    strcmp(map->items[i]->value, key) == 0)
			return (map->items[i + 1]);
	}
	return (NULL);
}

static int
manifest_expect_kind(struct loader *l, const struct ynode *n, enum ynode_kind kind,
    const char *what)
{
	if (n->kind == kind)
		return (0);
	manifest_diag(l, DIAG_ERROR, n->pos, "type",
	    "%s must be %s, found %s", what, manifest_kind_name(kind),
	    manifest_kind_name(n->kind));
	return (-1);
}

static void
manifest_missing(struct loader *l, const struct ynode *map, const char *key,
    const char *what)
{
	manifest_diag(l, DIAG_ERROR, map->pos, "required",
	    "%s has no \"%s\"", what, key);
}


/*
 * Copy an optional scalar into *out.  A missing key leaves it unset;
 * null or a collection is a type error.
 */
static void
manifest_get_scalar(struct loader *l, const struct ynode *map, const char *key,
    const char *what, struct mscalar *out)
{
	const struct ynode	*v;
	char			*desc;

	if ((v = manifest_map_get(map, key)) == NULL)
		return;
	if (v->kind != YN_SCALAR) {
		desc = xasprintf("%s \"%s\"", what, key);
		manifest_expect_kind(l, v, YN_SCALAR, desc);
		free(desc);
		return;
	}
	out->text = xstrdup(v->value);
	out->pos = v->pos;
	out->plain = v->plain;
}

static void
manifest_get_required(struct loader *l, const struct ynode *map, const char *key,
    const char *what, struct mscalar *out)
{
	if (manifest_map_get(map, key) == NULL)
		manifest_missing(l, map, key, what);
	else
		manifest_get_scalar(l, map, key, what, out);
}

/*
 * A policy is reported at its name (the key that owns the mapping)
 * rather than at its first key, which may be far from the name.
 */
static void
manifest_get_required_at(struct loader *l, const struct ynode *map, struct pos at,
    const char *key, const char *what, struct mscalar *out)
{
	if (manifest_map_get(map, key) == NULL)
		manifest_diag(l, DIAG_ERROR, at, "required",
		    "%s has no \"%s\"", what, key);
	else
		manifest_get_scalar(l, map, key, what, out);
}

/*
 * check: a command (a plain string), or a mapping with "command"
 * (required), "timeout" and "interval".
 */
static void
manifest_load_check(struct loader *l, const struct ynode *map, struct policy *p)
{
	const struct ynode	*v;

	if ((v = manifest_map_get(map, "check")) == NULL)
		return;
	p->check_pos = v->pos;
	if (v->kind == YN_SCALAR) {
		p->check_command.text = xstrdup(v->value);
		p->check_command.pos = v->pos;
		p->check_command.plain = v->plain;
		return;
	}
	if (v->kind != YN_MAP) {
		manifest_diag(l, DIAG_ERROR, v->pos, "type",
		    "\"check\" must be a command or a mapping with "
		    "\"command\", found %s", manifest_kind_name(v->kind));
		return;
	}
	manifest_check_keys(l, v, "\"check\"", health_keys, nitems(health_keys));
	manifest_get_required(l, v, "command", "\"check\"", &p->check_command);
	manifest_get_scalar(l, v, "timeout", "\"check\"", &p->check_timeout);
	manifest_get_scalar(l, v, "interval", "\"check\"", &p->check_interval);
}

static void
manifest_load_policy(struct loader *l, const struct ynode *map, struct pos at,
    struct policy *p, const char *what)
{
	p->pos = at;
	if (manifest_expect_kind(l, map, YN_MAP, what) != 0)
		return;
	manifest_check_keys(l, map, what, policy_keys, nitems(policy_keys));
	manifest_get_required_at(l, map, at, "ops", what, &p->ops);
	manifest_get_scalar(l, map, "batch_size", what, &p->batch_size);
	manifest_get_scalar(l, map, "pause", what, &p->pause);
	manifest_get_scalar(l, map, "max_failures", what, &p->max_failures);
	manifest_get_scalar(l, map, "start", what, &p->start);
	manifest_get_scalar(l, map, "stagger", what, &p->stagger);
	manifest_get_scalar(l, map, "window_end", what, &p->window_end);
	manifest_get_scalar(l, map, "min_lead", what, &p->min_lead);
	manifest_get_scalar(l, map, "settle_timeout", what, &p->settle_timeout);
	manifest_get_scalar(l, map, "soak", what, &p->soak);
	manifest_load_check(l, map, p);
}

static void
manifest_load_policies(struct loader *l, const struct ynode *map)
{
	struct manifest	*m = l->m;
	size_t		 i;
	char		*what;

	if (manifest_expect_kind(l, map, YN_MAP, "\"policies\"") != 0)
		return;
	manifest_check_keys(l, map, "policies", NULL, 0);
	m->policies = xcalloc(map->n / 2 + 1, sizeof(*m->policies));
	for (i = 0; i + 1 < map->n; i += 2) {
		struct policy	*p = &m->policies[m->npolicies];

		if (map->items[i]->kind != YN_SCALAR)
			continue;
		p->name = xstrdup(map->items[i]->value);
		what = xasprintf("policy \"%s\"", p->name);
		manifest_load_policy(l, map->items[i + 1], map->items[i]->pos, p, what);
		free(what);
		m->npolicies++;
	}
}

/* Is node the scalar word (of wlen bytes)? */
static int
manifest_scalar_is(const struct ynode *node, const char *word, size_t wlen)
{
	return (node->kind == YN_SCALAR && node->vlen == wlen &&
	    memcmp(node->value, word, wlen) == 0);
}

/*
 * The common item, a mapping of exactly "event" and "resource" (either
 * order) to scalars, about which the checks of manifest_load_target
 * have nothing to say: *ev and *rs set and 1, or 0 for any other item.
 */
static int
manifest_target_plain(const struct ynode *item, const struct ynode **ev,
    const struct ynode **rs)
{
	struct ynode *const	*it = item->items;

	if (item->kind != YN_MAP || item->n != 4 ||
	    it[1]->kind != YN_SCALAR || it[3]->kind != YN_SCALAR)
		return (0);
	if (manifest_scalar_is(it[0], "event", 5) &&
	    manifest_scalar_is(it[2], "resource", 8)) {
		*ev = it[1];
		*rs = it[3];
		return (1);
	}
	if (manifest_scalar_is(it[0], "resource", 8) &&
	    manifest_scalar_is(it[2], "event", 5)) {
		*ev = it[3];
		*rs = it[1];
		return (1);
	}
	return (0);
}

/*
 * One item of a targets list: a mapping with "event" and "resource"
 * becomes a target at the end of *v; anything else is reported.
 */
static void
manifest_load_target(struct loader *l, const struct ynode *item,
    struct target **v, size_t *n, size_t *cap)
{
	const struct ynode	*ev, *rs;
	struct target		*t;
	int			 bad = 0;

	if (manifest_target_plain(item, &ev, &rs))
		goto push;
	if (manifest_expect_kind(l, item, YN_MAP, "a target") != 0)
		return;
	manifest_check_keys(l, item, "a target", target_keys,
	    nitems(target_keys));
	ev = manifest_map_get(item, "event");
	rs = manifest_map_get(item, "resource");
	if (ev == NULL) {
		manifest_missing(l, item, "event", "target");
		bad = 1;
	} else if (manifest_expect_kind(l, ev, YN_SCALAR, "\"event\"") != 0)
		bad = 1;
	if (rs == NULL) {
		manifest_missing(l, item, "resource", "target");
		bad = 1;
	} else if (manifest_expect_kind(l, rs, YN_SCALAR,
	    "\"resource\"") != 0)
		bad = 1;
	if (bad)
		return;
push:
	t = manifest_target_push(v, n, cap);
	t->event = manifest_strndup(l->m, ev->value, ev->vlen);
	t->resource = manifest_strndup(l->m, rs->value, rs->vlen);
	t->pos = item->pos;
	t->event_pos = ev->pos;
	t->resource_pos = rs->pos;
}

/* Append targets src[0..n) to the group's list. */
static void
manifest_targets_copy(struct manifest_group *g, const struct target *src,
    size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		*manifest_target_push(&g->targets, &g->ntargets,
		    &g->targets_cap) = src[i];
}

/*
 * Give a group the targets of a streamed list, with its diagnostics and
 * its items kept as nodes, in the list's order: what reading the list's
 * nodes would have given.  The first group to load a list without kept
 * items takes its array; a group that is an alias of it copies it.
 */
static void
manifest_load_stream(struct loader *l, struct mstream *s,
    struct manifest_group *g)
{
	const struct target	*src;
	const struct mrecord	*r;
	size_t			 k, ri = 0, from = 0, item, upto;
	int			 moved = 0;

	if (s->owner == NULL && s->nslow == 0 && g->ntargets == 0) {
		g->targets = s->targets;
		g->ntargets = s->ntargets;
		g->targets_cap = s->cap;
		s->targets = NULL;
		s->cap = 0;
		s->owner = g;
		moved = 1;
	}
	src = s->owner != NULL ? s->owner->targets : s->targets;
	for (k = 0; k <= s->nslow; k++) {
		item = k < s->nslow ? s->slow[k].item : SIZE_MAX;
		upto = k < s->nslow ? s->slow[k].before : s->ntargets;
		for (; ri < s->nrecs && s->recs[ri].item < item; ri++) {
			r = &s->recs[ri];
			diags_add(l->diags, r->severity, r->pos, r->rule, "%s",
			    r->msg);
		}
		if (!moved && upto > from)
			manifest_targets_copy(g, src + from, upto - from);
		from = upto;
		if (k < s->nslow)
			manifest_load_target(l, s->slow[k].node, &g->targets,
			    &g->ntargets, &g->targets_cap);
	}
}

static void
manifest_load_targets(struct loader *l, const struct ynode *seq,
    struct manifest_group *g)
{
	size_t	i;

	if (manifest_expect_kind(l, seq, YN_SEQ, "\"targets\"") != 0)
		return;
	if (seq->stream != NULL) {
		manifest_load_stream(l, seq->stream, g);
		return;
	}
	for (i = 0; i < seq->n; i++)
		manifest_load_target(l, seq->items[i], &g->targets,
		    &g->ntargets, &g->targets_cap);
}

/* A field of a CSV line, as its text and length (not terminated). */
struct csv_field {
	const char	*s;
	size_t		 len;
	uint32_t	 skipped;	/* bytes trimmed before it */
};

/* Trim spaces and tabs and one pair of double quotes: s..end -> f. */
static void
manifest_csv_field(const char *s, const char *end, struct csv_field *f)
{
	const char	*start = s;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - s >= 2 && *s == '"' && end[-1] == '"') {
		s++;
		end--;
	}
	f->s = s;
	f->len = (size_t)(end - s);
	f->skipped = (uint32_t)(s - start);
}

/* Is the field, ignoring case, word? */
static int
manifest_csv_is(const struct csv_field *f, const char *word)
{
	return (f->len == strlen(word) && strncasecmp(f->s, word,
	    f->len) == 0);
}

/*
 * Printable ASCII (and tabs) is text diags may quote; anything else is
 * left to diags_text_ok, which knows UTF-8 and control characters.
 */
static int
manifest_csv_text_ok(const char *p, const char *end)
{
	const unsigned char	*q;

	for (q = (const unsigned char *)p; q < (const unsigned char *)end;
	    q++) {
		if ((*q < 0x20 && *q != '\t') || *q >= 0x7f)
			return (diags_text_ok(p, (size_t)(end - p)));
	}
	return (1);
}

/* Columns count characters, as libyaml's do: p..end in characters. */
static uint32_t
manifest_csv_columns(const char *p, const char *end)
{
	uint32_t	n = 0;

	for (; p < end; p++) {
		if (((unsigned char)*p & 0xc0) != 0x80)
			n++;
	}
	return (n);
}

/* A line of only blanks, or whose first non-blank is '#'. */
static int
manifest_blank_or_comment(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return (p == end || *p == '#');
}

/* Where a targets CSV is read up to, line by line. */
struct csv_state {
	struct loader		*l;
	struct manifest_group	*g;
	uint32_t		 file;
	uint32_t		 lineno;
	int			 header;	/* not seen yet */
};

/*
 * One line of a targets CSV, line..end (without its newline): the
 * header "event,resource", then one target per line.  Blank lines and
 * lines starting with '#' are ignored.  Returns -1 when nothing more
 * is to be read from the file.  Each line is checked in the order its
 * problems are reported; split, the position bookkeeping would be
 * passed around everywhere.
 */
static int
manifest_csv_line(struct csv_state *cs, const char *line, const char *end)
{
	struct loader		*l = cs->l;
	struct manifest_group	*g = cs->g;
	const char		*comma;
	struct csv_field	 ev, rs;
	int			 fields;
	struct pos		 pos;
	struct target		*t;

	cs->lineno++;
	if (end > line && end[-1] == '\r')
		end--;
	pos.file = cs->file;
	pos.line = cs->lineno;
	pos.col = 1;
	if (cs->lineno == 1 && end - line >= 3 &&
	    memcmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;	/* byte order mark */
	/*
	 * A file that does not start with the header, or has control
	 * characters before it, is no targets file (an accident, or a
	 * manifest pointing at some other file): one error, nothing more
	 * read from it.
	 */
	if (!manifest_csv_text_ok(line, end)) {
		manifest_diag(l, DIAG_ERROR, pos, "targets-file",
		    "the line has control characters: not CSV text");
		return (cs->header ? -1 : 0);
	}
	if (manifest_blank_or_comment(line, end))
		return (0);
	comma = memchr(line, ',', (size_t)(end - line));
	fields = comma == NULL ? 1 : memchr(comma + 1, ',',
	    (size_t)(end - comma - 1)) != NULL ? 3 : 2;
	if (fields == 2) {
		manifest_csv_field(line, comma, &ev);
		manifest_csv_field(comma + 1, end, &rs);
	}
	if (cs->header) {
		if (fields != 2 || !manifest_csv_is(&ev, "event") ||
		    !manifest_csv_is(&rs, "resource")) {
			manifest_diag(l, DIAG_ERROR, pos, "targets-file",
			    "the first line must be the header "
			    "\"event,resource\": this is not a targets file");
			return (-1);
		}
		cs->header = 0;
		return (0);
	}
	if (fields != 2) {
		manifest_diag(l, DIAG_ERROR, pos, "targets-file",
		    "expected two fields \"event,resource\", found %s",
		    fields == 1 ? "one" : "more than two");
		return (0);
	}
	if (ev.len == 0 || rs.len == 0) {
		manifest_diag(l, DIAG_ERROR, pos, "targets-file",
		    "empty %s field", ev.len == 0 ? "event" : "resource");
		return (0);
	}
	t = manifest_target_push(&g->targets, &g->ntargets, &g->targets_cap);
	t->event = manifest_strndup(l->m, ev.s, ev.len);
	t->resource = manifest_strndup(l->m, rs.s, rs.len);
	t->pos = pos;
	t->event_pos = pos;
	t->event_pos.col = 1 + ev.skipped;
	t->resource_pos = pos;
	t->resource_pos.col = manifest_csv_columns(line, comma) + 2 +
	    rs.skipped;
	return (0);
}

/*
 * Read a targets CSV from mf line by line: a buffer of whole lines,
 * grown only for a line longer than it.  Stops at the first read
 * error or bad byte (the caller reports those).
 */
static void
manifest_csv_read(struct csv_state *cs, struct mfile *mf)
{
	char		*buf, *nl;
	size_t		 cap = MANIFEST_CHUNK_SIZE, have = 0, start, scanned;
	ssize_t		 r;
	int		 stop = 0;

	buf = xmalloc(cap);
	scanned = 0;
	for (;;) {
		if (have == cap) {
			/* A long line; mf refuses a file past the limit. */
			cap = cap * 2 > MANIFEST_MAX_SIZE + 1 ?
			    MANIFEST_MAX_SIZE + 1 : cap * 2;
			buf = xreallocarray(buf, cap, 1);
		}
		if ((r = manifest_fill(mf, buf + have, cap - have)) < 0)
			break;
		if (r == 0) {
			/* The last line, without a newline. */
			if (have > 0 && manifest_csv_line(cs, buf,
			    buf + have) != 0)
				stop = 1;
			break;
		}
		have += (size_t)r;
		start = 0;
		while ((nl = memchr(buf + scanned, '\n', have - scanned)) !=
		    NULL) {
			if (manifest_csv_line(cs, buf + start, nl) != 0) {
				stop = 1;
				break;
			}
			start = scanned = (size_t)(nl - buf) + 1;
		}
		if (stop)
			break;
		memmove(buf, buf + start, have - start);
		have -= start;
		scanned = have;
	}
	free(buf);
	if (!stop && cs->header && mf->err == 0 && !mf->bad) {
		struct pos	pos = { cs->file, 1, 1 };

		manifest_diag(cs->l, DIAG_ERROR, pos, "targets-file",
		    "the file is empty: expected the header "
		    "\"event,resource\"");
	}
}

/*
 * Where a targets_file may be: a relative path that, once every link is
 * resolved, stays inside the manifest's directory.  A manifest comes
 * from a ticket; it must not make ensbatch read (and quote) any file
 * the user can read.  Returns the resolved path (caller frees), or NULL
 * with *cause.
 */
static char *
manifest_load_csv_resolve(struct loader *l, const char *name, const char *shown,
    char **cause)
{
	char	*dir = NULL, *full = NULL, *real = NULL;
	size_t	 n;

	*cause = NULL;
	if (*name == '\0') {
		*cause = xstrdup("targets_file is empty");
		goto out;
	}
	if (*name == '/') {
		*cause = xasprintf("targets_file must be a path relative to "
		    "the manifest's directory, found the absolute path %s",
		    name);
		goto out;
	}
	if ((dir = realpath(l->dir != NULL ? l->dir : ".", NULL)) == NULL) {
		*cause = xasprintf("cannot resolve the manifest's directory: "
		    "%s", strerror(errno));
		goto out;
	}
	full = xasprintf("%s/%s", dir, name);
	if ((real = realpath(full, NULL)) == NULL) {
		*cause = xasprintf("cannot open %s: %s", shown,
		    strerror(errno));
		goto out;
	}
	n = strcmp(dir, "/") == 0 ? 0 : strlen(dir);
	if (strncmp(real, dir, n) != 0 || real[n] != '/') {
		*cause = xasprintf("targets_file %s is outside the manifest's "
		    "directory (it resolves to %s)", name, real);
		free(real);
		real = NULL;
	}
out:
	free(full);
	free(dir);
	return (real);
}

static void
manifest_load_csv(struct loader *l, struct manifest_group *g)
{
	struct manifest		*m = l->m;
	struct targets_file	*tf;
	struct csv_state	 cs;
	struct mfile		 mf;
	char			*path, *real, *cause = NULL;
	char			 sha[HASH_HEX_LEN];
	size_t			 mark, before = g->ntargets;
	int			 rc;

	path = l->dir == NULL ? xstrdup(g->targets_file.text) :
	    xasprintf("%s/%s", l->dir, g->targets_file.text);
	real = manifest_load_csv_resolve(l, g->targets_file.text, path, &cause);
	/* realpath resolved every link: one appearing now is refused. */
	if (real == NULL || manifest_open(real, path, O_NOFOLLOW, &mf,
	    &cause) != 0) {
		manifest_diag(l, DIAG_ERROR, g->targets_file.pos,
		    "targets-file", "%s", cause);
		free(cause);
		free(real);
		free(path);
		return;
	}
	memset(&cs, 0, sizeof(cs));
	cs.l = l;
	cs.g = g;
	cs.header = 1;
	cs.file = diags_add_source(l->diags, path, NULL, 0);
	mark = diags_mark(l->diags);
	manifest_csv_read(&cs, &mf);
	rc = manifest_finish(&mf, sha);
	if (rc == 0)
		diags_source_file(l->diags, cs.file, real, O_NOFOLLOW, mf.size,
		    sha);
	free(real);
	if (manifest_read_verdict(l, &mf, rc, mark, g->targets_file.pos,
	    cs.file, "targets-file", "targets-file",
	    "not valid UTF-8 text") != 0)
		g->ntargets = before;
	if (rc != 0) {
		free(path);
		return;
	}
	m->files = xreallocarray(m->files, m->nfiles + 1, sizeof(*m->files));
	tf = &m->files[m->nfiles++];
	tf->path = path;
	memcpy(tf->sha256, sha, sizeof(tf->sha256));
}

static void
manifest_load_group(struct loader *l, const struct ynode *map, struct manifest_group *g)
{
	const struct ynode	*v;
	struct mscalar		 name = { NULL, { 0, 0, 0 }, 0 };
	char			*what;
	size_t			 i;

	g->pos = map->pos;
	if (manifest_expect_kind(l, map, YN_MAP, "a group") != 0)
		return;
	manifest_get_required(l, map, "name", "group", &name);
	g->name = name.text;
	g->name_pos = name.text != NULL ? name.pos : map->pos;
	what = g->name != NULL ? xasprintf("group \"%s\"", g->name) :
	    xstrdup("group");
	manifest_check_keys(l, map, what, group_keys, nitems(group_keys));

	if ((v = manifest_map_get(map, "policy")) == NULL)
		manifest_missing(l, map, "policy", what);
	else if (v->kind == YN_SCALAR) {
		g->policy_ref = xstrdup(v->value);
		g->policy_pos = v->pos;
	} else if (v->kind == YN_MAP) {
		g->inline_policy = xcalloc(1, sizeof(*g->inline_policy));
		g->policy = g->inline_policy;
		g->policy_pos = v->pos;
		manifest_load_policy(l, v, v->pos, g->inline_policy, "inline policy");
	} else
		manifest_diag(l, DIAG_ERROR, v->pos, "type",
		    "\"policy\" must be a policy name or a mapping, found %s",
		    manifest_kind_name(v->kind));

	if ((v = manifest_map_get(map, "after")) != NULL &&
	    manifest_expect_kind(l, v, YN_SEQ, "\"after\"") == 0) {
		g->after = xcalloc(v->n + 1, sizeof(*g->after));
		g->after_pos = xcalloc(v->n + 1, sizeof(*g->after_pos));
		for (i = 0; i < v->n; i++) {
			if (manifest_expect_kind(l, v->items[i], YN_SCALAR,
			    "a group name in \"after\"") != 0)
				continue;
			g->after[g->nafter] = xstrdup(v->items[i]->value);
			g->after_pos[g->nafter++] = v->items[i]->pos;
		}
	}
	if ((v = manifest_map_get(map, "targets")) != NULL)
		manifest_load_targets(l, v, g);
	manifest_get_scalar(l, map, "targets_file", what, &g->targets_file);
	if (g->targets_file.text != NULL)
		manifest_load_csv(l, g);
	free(what);
}

static void
manifest_load_groups(struct loader *l, const struct ynode *seq)
{
	struct manifest	*m = l->m;
	size_t		 i;

	if (manifest_expect_kind(l, seq, YN_SEQ, "\"groups\"") != 0)
		return;
	m->groups = xcalloc(seq->n + 1, sizeof(*m->groups));
	for (i = 0; i < seq->n; i++)
		manifest_load_group(l, seq->items[i], &m->groups[m->ngroups++]);
}

static void
manifest_load_root(struct loader *l, const struct ynode *root)
{
	struct manifest		*m = l->m;
	const struct ynode	*v;

	if (root->kind == YN_NULL) {
		manifest_diag(l, DIAG_ERROR, root->pos, "empty",
		    "the manifest is empty");
		return;
	}
	if (manifest_expect_kind(l, root, YN_MAP, "the manifest") != 0)
		return;
	manifest_check_keys(l, root, "the manifest", top_keys, nitems(top_keys));

	if ((v = manifest_map_get(root, "ensbatch")) == NULL)
		manifest_missing(l, root, "ensbatch", "the manifest");
	else if (v->kind != YN_SCALAR || !v->plain ||
	    strcmp(v->value, "1") != 0)
		manifest_diag(l, DIAG_ERROR, v->pos, "version",
		    "unsupported manifest version \"%s\": this ensbatch "
		    "reads \"ensbatch: 1\"", v->kind == YN_SCALAR ?
		    v->value : manifest_kind_name(v->kind));
	else {
		m->version.text = xstrdup(v->value);
		m->version.pos = v->pos;
		m->version.plain = 1;
	}
	manifest_get_required(l, root, "name", "the manifest", &m->name);
	manifest_get_scalar(l, root, "ticket", "the manifest", &m->ticket);
	manifest_get_scalar(l, root, "description", "the manifest", &m->description);
	manifest_get_scalar(l, root, "timezone", "the manifest", &m->timezone);

	if ((v = manifest_map_get(root, "api")) != NULL &&
	    manifest_expect_kind(l, v, YN_MAP, "\"api\"") == 0) {
		manifest_check_keys(l, v, "\"api\"", api_keys, nitems(api_keys));
		manifest_get_scalar(l, v, "endpoint", "\"api\"", &m->api.endpoint);
		manifest_get_scalar(l, v, "signature", "\"api\"", &m->api.signature);
		manifest_get_scalar(l, v, "timeout", "\"api\"", &m->api.timeout);
		manifest_get_scalar(l, v, "retries", "\"api\"", &m->api.retries);
		manifest_get_scalar(l, v, "rate", "\"api\"", &m->api.rate);
	}
	if ((v = manifest_map_get(root, "policies")) != NULL)
		manifest_load_policies(l, v);
	if ((v = manifest_map_get(root, "groups")) == NULL)
		manifest_missing(l, root, "groups", "the manifest");
	else {
		m->groups_pos = v->pos;
		manifest_load_groups(l, v);
	}
}

/*
 * Loading is done: give back the pages the last huge page of each
 * large array took past its end.
 */
static void
manifest_trim(struct manifest *m)
{
	struct manifest_chunk	*c = m->strings;
	size_t			 i;

	for (i = 0; i < m->ngroups; i++) {
		/* Only an array from xhugealloc, as manifest_targets_free. */
		if (m->groups[i].targets_cap * sizeof(struct target) <=
		    MANIFEST_CHUNK_SIZE)
			continue;
		xhugetrim(m->groups[i].targets, m->groups[i].ntargets *
		    sizeof(struct target), m->groups[i].targets_cap *
		    sizeof(struct target));
	}
	if (c != NULL && c->huge)
		xhugetrim(c, sizeof(*c) + c->used, XHUGE_SIZE);
}

static void
manifest_node_free(struct ynode *n)
{
	free(n->vbuf);
	free(n->items);
	free(n);
}

static void
manifest_loader_clear(struct loader *l)
{
	struct mstream	*s;
	size_t		 i, j;

	for (i = 0; i < l->narena; i++)
		manifest_node_free(l->arena[i]);
	free(l->arena);
	for (i = 0; i < l->nspare; i++)
		manifest_node_free(l->spare[i]);
	free(l->spare);
	for (i = 0; i < l->nstreams; i++) {
		s = l->streams[i];
		for (j = 0; j < s->nrecs; j++)
			free(s->recs[j].msg);
		free(s->recs);
		free(s->slow);
		manifest_targets_free(s->targets, s->cap);
		free(s);
	}
	free(l->streams);
	for (i = 0; i < l->nanchors; i++)
		free(l->anchors[i].name);
	free(l->anchors);
	free(l->dir);
}

struct manifest *
manifest_load(const char *path, struct diags *d)
{
	struct loader	 l;
	struct manifest	*m = NULL;
	struct mfile	 mf;
	struct ynode	*root;
	char		*cause = NULL, *slash;
	struct pos	 pos = { 0, 0, 0 };
	size_t		 mark;
	int		 rc;

	memset(&l, 0, sizeof(l));
	l.diags = d;
	if ((rc = manifest_open(path, path, 0, &mf, &cause)) != 0) {
		pos.file = diags_add_source(d, path, NULL, 0);
		diags_add(d, DIAG_ERROR, pos, rc == -2 ? "yaml-limits" : NULL,
		    "%s", cause);
		free(cause);
		goto out;
	}
	m = xcalloc(1, sizeof(*m));
	m->path = xstrdup(path);
	l.file = m->file = pos.file = diags_add_source(d, path, NULL, 0);
	l.m = m;
	if ((slash = strrchr(path, '/')) != NULL)
		l.dir = slash == path ? xstrdup("/") :
		    xstrndup(path, (size_t)(slash - path));

	/* The bytes are parsed as they are read, checked and hashed. */
	mark = diags_mark(d);
	root = manifest_parse_tree(&l, &mf);
	rc = manifest_finish(&mf, m->sha256);
	if (rc == 0)
		diags_source_file(d, l.file, path, 0, mf.size, m->sha256);
	if (manifest_read_verdict(&l, &mf, rc, mark, pos, l.file,
	    rc == -2 ? "yaml-limits" : NULL, "yaml-limits",
	    "not valid UTF-8 text (or a NUL byte)") != 0 || root == NULL)
		goto fail;
	manifest_load_root(&l, root);
	manifest_trim(m);
	goto out;
fail:
	manifest_free(m);
	m = NULL;
out:
	manifest_loader_clear(&l);
	return (m);
}

static void
manifest_mscalar_free(struct mscalar *s)
{
	free(s->text);
}

static void
manifest_policy_clear(struct policy *p)
{
	free(p->name);
	manifest_mscalar_free(&p->ops);
	manifest_mscalar_free(&p->batch_size);
	manifest_mscalar_free(&p->pause);
	manifest_mscalar_free(&p->max_failures);
	manifest_mscalar_free(&p->start);
	manifest_mscalar_free(&p->stagger);
	manifest_mscalar_free(&p->window_end);
	manifest_mscalar_free(&p->min_lead);
	manifest_mscalar_free(&p->settle_timeout);
	manifest_mscalar_free(&p->soak);
	manifest_mscalar_free(&p->check_command);
	manifest_mscalar_free(&p->check_timeout);
	manifest_mscalar_free(&p->check_interval);
}

void
manifest_free(struct manifest *m)
{
	struct manifest_chunk	*c;
	size_t			 i, j;

	if (m == NULL)
		return;
	for (i = 0; i < m->ngroups; i++) {
		struct manifest_group	*g = &m->groups[i];

		free(g->name);
		if (g->inline_policy != NULL) {
			manifest_policy_clear(g->inline_policy);
			free(g->inline_policy);
		}
		free(g->policy_ref);
		for (j = 0; j < g->nafter; j++)
			free(g->after[j]);
		free(g->after);
		free(g->after_pos);
		manifest_mscalar_free(&g->targets_file);
		manifest_targets_free(g->targets, g->targets_cap);
		free(g->r_after);
	}
	free(m->groups);
	for (i = 0; i < m->npolicies; i++)
		manifest_policy_clear(&m->policies[i]);
	free(m->policies);
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i].path);
	free(m->files);
	while ((c = m->strings) != NULL) {
		m->strings = c->next;
		if (c->huge)
			xhugefree(c, XHUGE_SIZE);
		else
			free(c);
	}
	manifest_mscalar_free(&m->version);
	manifest_mscalar_free(&m->name);
	manifest_mscalar_free(&m->ticket);
	manifest_mscalar_free(&m->description);
	manifest_mscalar_free(&m->timezone);
	manifest_mscalar_free(&m->api.endpoint);
	manifest_mscalar_free(&m->api.signature);
	manifest_mscalar_free(&m->api.timeout);
	manifest_mscalar_free(&m->api.retries);
	manifest_mscalar_free(&m->api.rate);
	free(m->r_order);
	free(m->path);
	free(m);
}
