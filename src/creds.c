/*
 * Credentials: find an access key in the places the Alibaba Cloud tools
 * use, in the order SPEC section 6 gives (see ensbatch/creds.h).
 *
 * Every message names the file, the profile and the key concerned, but
 * never a secret or a token: values read from a file are only ever
 * copied into struct creds, and the parse errors of jansson are cut
 * before the "near '...'" part, which may quote the file.  Buffers that
 * held a file are wiped before they are freed.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/xmalloc.h"

/* Refuse credential files larger than this. */
#define CREDS_FILE_MAX	(1024 * 1024)

#define CFG_FILE	"/.aliyun/config.json"
#define INI_FILE	"/.alibabacloud/credentials"

#define ENV_ID		"ALIBABA_CLOUD_ACCESS_KEY_ID"
#define ENV_SECRET	"ALIBABA_CLOUD_ACCESS_KEY_SECRET"
#define ENV_TOKEN	"ALIBABA_CLOUD_SECURITY_TOKEN"
#define ENV_PROFILE	"ALIBABA_CLOUD_PROFILE"

#define INI_DEFAULT	"default"

/* The outcome of looking in one place. */
enum creds_lookup {
	CREDS_FOUND,		/* credentials (or the file) were found */
	CREDS_NOFILE,		/* the file does not exist */
	CREDS_ABSENT,		/* no such profile, section or variable */
	CREDS_ERROR		/* something is wrong: *cause is set */
};

/* The keys of one INI section that we use, pointing into the file. */
struct ini_key {
	const char	*value;
	unsigned long	 line;
};

struct ini_section {
	unsigned long	 line;		/* of the [header]; 0 if absent */
	struct ini_key	 type;
	struct ini_key	 id;
	struct ini_key	 secret;
};

/* An environment variable, or NULL if it is unset or empty. */
static const char *
env_get(const char *name)
{
	const char	*v;

	v = getenv(name);
	if (v == NULL || *v == '\0')
		return (NULL);
	return (v);
}

/* Overwrite and free memory that may have held a secret. */
static void
wipe_free(char *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

static void
wipe_free_str(char *p)
{
	if (p != NULL)
		wipe_free(p, strlen(p));
}

/* Fill creds; source is taken over, the strings are copied. */
static void
creds_set(struct creds *creds, const char *id, const char *secret,
    const char *token, char *source)
{
	creds->access_key_id = xstrdup(id);
	creds->access_key_secret = xstrdup(secret);
	creds->security_token = token != NULL ? xstrdup(token) : NULL;
	creds->source = source;
}

/*
 * Read a whole regular file of at most CREDS_FILE_MAX bytes into *data
 * (NUL-terminated, length in *len; caller frees with wipe_free).  A file
 * that does not exist is CREDS_NOFILE, not an error.
 */
static enum creds_lookup
file_read(const char *path, char **data, size_t *len, char **cause)
{
	enum creds_lookup	 rv = CREDS_ERROR;
	struct stat		 sb;
	char			*p = NULL;
	size_t			 n = 0;
	ssize_t			 r;
	int			 fd = -1;

	*data = NULL;
	*len = 0;

	/* O_NONBLOCK: do not hang opening a FIFO; refused below. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			rv = CREDS_NOFILE;
		else
			*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		*cause = xasprintf("%s: not a regular file", path);
		goto out;
	}
	if (sb.st_size > CREDS_FILE_MAX) {
		*cause = xasprintf("%s: larger than %d bytes, refused", path,
		    CREDS_FILE_MAX);
		goto out;
	}

	/* Read one byte more than allowed to notice a file that grew. */
	p = xmalloc(CREDS_FILE_MAX + 2);
	for (;;) {
		r = read(fd, p + n, CREDS_FILE_MAX + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			*cause = xasprintf("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CREDS_FILE_MAX) {
			*cause = xasprintf("%s: larger than %d bytes, refused",
			    path, CREDS_FILE_MAX);
			goto out;
		}
	}
	p[n] = '\0';
	*data = p;
	*len = n;
	p = NULL;
	rv = CREDS_FOUND;

out:
	wipe_free(p, CREDS_FILE_MAX + 2);
	if (fd != -1)
		close(fd);
	return (rv);
}

/* ------------------------------------------------------- config.json */

/*
 * Check the shape of the whole file, so that a broken file is reported
 * whichever profile is asked for: an object, "current" a string,
 * "profiles" an array of objects each with a "name" string.  The fields
 * of a profile are checked when it is used.
 */
static int
cfg_check(json_t *root, const char *path, char **cause)
{
	json_t	*profiles, *cur, *v;
	size_t	 i;
	int	 rv = -1;

	if (!json_is_object(root)) {
		*cause = xasprintf("%s: not a JSON object", path);
		goto out;
	}
	cur = json_object_get(root, "current");
	if (cur != NULL && !json_is_string(cur)) {
		*cause = xasprintf("%s: \"current\" is not a string", path);
		goto out;
	}
	profiles = json_object_get(root, "profiles");
	if (profiles != NULL && !json_is_array(profiles)) {
		*cause = xasprintf("%s: \"profiles\" is not an array", path);
		goto out;
	}
	json_array_foreach(profiles, i, v) {
		if (!json_is_object(v)) {
			*cause = xasprintf("%s: profiles[%zu] is not an "
			    "object", path, i);
			goto out;
		}
		if (!json_is_string(json_object_get(v, "name"))) {
			*cause = xasprintf("%s: profiles[%zu] has no \"name\" "
			    "string", path, i);
			goto out;
		}
	}
	rv = 0;

out:
	return (rv);
}

/*
 * Load the aliyun CLI configuration into *root (caller decrefs).  The
 * message of a syntax error keeps jansson's position and reason but not
 * the quoted text, which may be part of a secret.
 */
static enum creds_lookup
cfg_load(const char *path, json_t **root, char **cause)
{
	enum creds_lookup	 rv;
	json_error_t		 jerr;
	char			*data = NULL, *near;
	size_t			 len = 0;

	*root = NULL;
	rv = file_read(path, &data, &len, cause);
	if (rv != CREDS_FOUND)
		goto out;

	*root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*root == NULL) {
		if ((near = strstr(jerr.text, " near ")) != NULL)
			*near = '\0';
		if (jerr.line > 0)
			*cause = xasprintf("%s:%d:%d: invalid JSON: %s", path,
			    jerr.line, jerr.column, jerr.text);
		else
			*cause = xasprintf("%s: invalid JSON: %s", path,
			    jerr.text);
		rv = CREDS_ERROR;
		goto out;
	}
	if (cfg_check(*root, path, cause) != 0) {
		json_decref(*root);
		*root = NULL;
		rv = CREDS_ERROR;
		goto out;
	}

out:
	wipe_free(data, len);
	return (rv);
}

/*
 * A string field of a profile: *out is NULL if the field is absent,
 * null or empty; a field of another type is an error.
 */
static int
cfg_field(json_t *prof, const char *key, const char **out, const char *path,
    const char *name, char **cause)
{
	json_t	*v;

	*out = NULL;
	v = json_object_get(prof, key);
	if (v == NULL || json_is_null(v))
		return (0);
	if (!json_is_string(v)) {
		*cause = xasprintf("%s: profile \"%s\": \"%s\" is not a "
		    "string", path, name, key);
		return (-1);
	}
	if (json_string_length(v) != 0)
		*out = json_string_value(v);
	return (0);
}

/* A field that must be present and not empty. */
static int
cfg_field_required(json_t *prof, const char *key, const char **out,
    const char *path, const char *name, const char *mode, char **cause)
{
	if (cfg_field(prof, key, out, path, name, cause) != 0)
		return (-1);
	if (*out == NULL) {
		*cause = xasprintf("%s: profile \"%s\": mode %s needs \"%s\", "
		    "which is missing or empty", path, name, mode, key);
		return (-1);
	}
	return (0);
}

/*
 * Find the profile called name in the "profiles" array of root and fill
 * creds from it.  Modes AK and StsToken are supported.
 */
static enum creds_lookup
cfg_profile(json_t *root, const char *path, const char *name,
    struct creds *creds, char **cause)
{
	enum creds_lookup	 rv = CREDS_ERROR;
	json_t			*profiles, *prof = NULL, *v, *n;
	const char		*mode, *id, *secret, *token = NULL;
	size_t			 i;

	/* cfg_check has made sure of the shape. */
	profiles = json_object_get(root, "profiles");
	json_array_foreach(profiles, i, v) {
		n = json_object_get(v, "name");
		if (strcmp(json_string_value(n), name) == 0) {
			prof = v;
			break;
		}
	}
	if (prof == NULL) {
		rv = CREDS_ABSENT;
		goto out;
	}

	if (cfg_field(prof, "mode", &mode, path, name, cause) != 0)
		goto out;
	if (mode == NULL) {
		*cause = xasprintf("%s: profile \"%s\": \"mode\" is missing "
		    "or empty (use AK or StsToken)", path, name);
		goto out;
	}
	if (strcmp(mode, "AK") != 0 && strcmp(mode, "StsToken") != 0) {
		*cause = xasprintf("%s: profile \"%s\": mode %s is not "
		    "supported (use AK or StsToken)", path, name, mode);
		goto out;
	}
	if (cfg_field_required(prof, "access_key_id", &id, path, name, mode,
	    cause) != 0)
		goto out;
	if (cfg_field_required(prof, "access_key_secret", &secret, path, name,
	    mode, cause) != 0)
		goto out;
	if (strcmp(mode, "StsToken") == 0 && cfg_field_required(prof,
	    "sts_token", &token, path, name, mode, cause) != 0)
		goto out;

	creds_set(creds, id, secret, token,
	    xasprintf("profile \"%s\" in %s", name, path));
	rv = CREDS_FOUND;

out:
	return (rv);
}

/*
 * Step 3: the profile named by ALIBABA_CLOUD_PROFILE, else the file's
 * "current".  A profile that is asked for but missing is an error; a
 * file without "current" is noted in *note and passed over.
 */
static enum creds_lookup
cfg_default(const char *path, struct creds *creds, const char **note,
    char **cause)
{
	enum creds_lookup	 rv;
	json_t			*root = NULL, *cur;
	const char		*name, *from;

	*note = "not found";
	rv = cfg_load(path, &root, cause);
	if (rv != CREDS_FOUND)
		goto out;

	cur = json_object_get(root, "current");	/* a string or NULL */
	if ((name = env_get(ENV_PROFILE)) != NULL)
		from = ENV_PROFILE;
	else {
		from = "\"current\"";
		if (cur != NULL && json_string_length(cur) != 0)
			name = json_string_value(cur);
	}
	if (name == NULL) {
		*note = "no current profile";
		rv = CREDS_ABSENT;
		goto out;
	}

	rv = cfg_profile(root, path, name, creds, cause);
	if (rv == CREDS_ABSENT) {
		*cause = xasprintf("%s: no profile \"%s\" (named by %s)", path,
		    name, from);
		rv = CREDS_ERROR;
	}

out:
	json_decref(root);
	return (rv);
}

/* ------------------------------------------------------- credentials */

/* Trim white space at both ends of s, in place. */
static char *
ini_trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' ||
	    *s == '\f')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\v' || e[-1] == '\f'))
		e--;
	*e = '\0';
	return (s);
}

/*
 * Parse an INI file held in data (modified in place) and collect the
 * keys we use from section want.  The whole file is checked, so that a
 * broken file is reported even if the section is fine.  Messages name
 * keys we know and line numbers, never the text of a line.
 */
static int
ini_parse(char *data, size_t len, const char *path, const char *want,
    struct ini_section *sec, char **cause)
{
	struct ini_key	*k;
	char		*line, *next, *end = data + len, *eq, *key, *name;
	unsigned long	 n = 0;
	int		 rv = -1, in_section = 0, any_section = 0;
	size_t		 l;

	memset(sec, 0, sizeof(*sec));
	if (memchr(data, '\0', len) != NULL) {
		*cause = xasprintf("%s: contains a NUL byte", path);
		goto out;
	}
	/* A byte order mark, as some Windows editors write. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		data += 3;

	for (line = data; line < end; line = next) {
		n++;
		if ((next = memchr(line, '\n', (size_t)(end - line))) != NULL)
			*next++ = '\0';
		else
			next = end;
		line = ini_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;

		if (*line == '[') {
			l = strlen(line);
			if (line[l - 1] != ']') {
				*cause = xasprintf("%s:%lu: section header "
				    "without closing ]", path, n);
				goto out;
			}
			line[l - 1] = '\0';
			name = ini_trim(line + 1);
			if (*name == '\0') {
				*cause = xasprintf("%s:%lu: empty section "
				    "name", path, n);
				goto out;
			}
			any_section = 1;
			in_section = strcmp(name, want) == 0;
			if (in_section && sec->line == 0)
				sec->line = n;
			continue;
		}

		if ((eq = strchr(line, '=')) == NULL) {
			*cause = xasprintf("%s:%lu: expected \"key = value\"",
			    path, n);
			goto out;
		}
		if (!any_section) {
			*cause = xasprintf("%s:%lu: key before the first "
			    "[section]", path, n);
			goto out;
		}
		*eq = '\0';
		key = ini_trim(line);
		if (*key == '\0') {
			*cause = xasprintf("%s:%lu: no key before =", path, n);
			goto out;
		}
		if (!in_section)
			continue;
		if (strcmp(key, "type") == 0)
			k = &sec->type;
		else if (strcmp(key, "access_key_id") == 0)
			k = &sec->id;
		else if (strcmp(key, "access_key_secret") == 0)
			k = &sec->secret;
		else
			continue;
		if (k->line != 0) {
			*cause = xasprintf("%s:%lu: [%s]: %s given twice "
			    "(first on line %lu)", path, n, want, key,
			    k->line);
			goto out;
		}
		k->value = ini_trim(eq + 1);
		k->line = n;
	}
	rv = 0;

out:
	return (rv);
}

/*
 * Look for section want in the credentials file at path and fill creds
 * from it; only type = access_key is supported.
 */
static enum creds_lookup
ini_lookup(const char *path, const char *want, struct creds *creds,
    char **cause)
{
	enum creds_lookup	 rv;
	struct ini_section	 sec;
	char			*data = NULL;
	size_t			 len = 0;

	rv = file_read(path, &data, &len, cause);
	if (rv != CREDS_FOUND)
		goto out;
	rv = CREDS_ERROR;
	if (ini_parse(data, len, path, want, &sec, cause) != 0)
		goto out;

	if (sec.line == 0) {
		rv = CREDS_ABSENT;
		goto out;
	}
	if (sec.type.line == 0 || *sec.type.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: no type (use type = "
		    "access_key)", path, sec.line, want);
		goto out;
	}
	if (strcmp(sec.type.value, "access_key") != 0) {
		*cause = xasprintf("%s:%lu: [%s]: type %s not supported (use "
		    "type = access_key)", path, sec.type.line, want,
		    sec.type.value);
		goto out;
	}
	if (sec.id.line == 0 || *sec.id.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: access_key_id is missing or "
		    "empty", path, sec.id.line != 0 ? sec.id.line : sec.line,
		    want);
		goto out;
	}
	if (sec.secret.line == 0 || *sec.secret.value == '\0') {
		*cause = xasprintf("%s:%lu: [%s]: access_key_secret is "
		    "missing or empty", path,
		    sec.secret.line != 0 ? sec.secret.line : sec.line, want);
		goto out;
	}

	creds_set(creds, sec.id.value, sec.secret.value, NULL,
	    xasprintf("[%s] in %s", want, path));
	rv = CREDS_FOUND;

out:
	wipe_free(data, len);
	return (rv);
}

/* ---------------------------------------------------------- resolving */

/* Step 1: --profile NAME, in config.json and then in credentials. */
static int
resolve_named(const char *name, const char *cfg, const char *ini,
    struct creds *creds, char **cause)
{
	enum creds_lookup	 r1, r2;
	json_t			*root = NULL;
	int			 rv = -1;

	if (cfg == NULL) {
		*cause = xasprintf("profile \"%s\": HOME is not set, so "
		    "~%s and ~%s cannot be read", name, CFG_FILE, INI_FILE);
		goto out;
	}

	r1 = cfg_load(cfg, &root, cause);
	if (r1 == CREDS_ERROR)
		goto out;
	if (r1 == CREDS_FOUND) {
		r1 = cfg_profile(root, cfg, name, creds, cause);
		if (r1 == CREDS_ERROR)
			goto out;
		if (r1 == CREDS_FOUND) {
			rv = 0;
			goto out;
		}
	}

	r2 = ini_lookup(ini, name, creds, cause);
	if (r2 == CREDS_ERROR)
		goto out;
	if (r2 == CREDS_FOUND) {
		rv = 0;
		goto out;
	}

	*cause = xasprintf("profile \"%s\" not found (looked at: %s (%s), "
	    "%s (%s))", name,
	    cfg, r1 == CREDS_NOFILE ? "not found" : "no such profile",
	    ini, r2 == CREDS_NOFILE ? "not found" : "no such section");

out:
	json_decref(root);
	return (rv);
}

/*
 * Step 2: the environment.  Half a key pair (or a token without one) is
 * an error rather than a reason to look further: the user meant it.
 */
static enum creds_lookup
resolve_env(struct creds *creds, char **cause)
{
	const char	*id, *secret, *token;

	id = env_get(ENV_ID);
	secret = env_get(ENV_SECRET);
	token = env_get(ENV_TOKEN);

	if (id != NULL && secret != NULL) {
		creds_set(creds, id, secret, token, xstrdup("environment"));
		return (CREDS_FOUND);
	}
	if (id != NULL) {
		*cause = xasprintf("%s is set but %s is not", ENV_ID,
		    ENV_SECRET);
		return (CREDS_ERROR);
	}
	if (secret != NULL) {
		*cause = xasprintf("%s is set but %s is not", ENV_SECRET,
		    ENV_ID);
		return (CREDS_ERROR);
	}
	if (token != NULL) {
		*cause = xasprintf("%s is set but %s and %s are not",
		    ENV_TOKEN, ENV_ID, ENV_SECRET);
		return (CREDS_ERROR);
	}
	return (CREDS_ABSENT);
}

int
creds_resolve(const char *profile, struct creds *creds, char **cause)
{
	enum creds_lookup	 r;
	const char		*home, *cfg_note = NULL;
	char			*cfg = NULL, *ini = NULL;
	size_t			 hlen;
	int			 rv = -1;

	*cause = NULL;
	memset(creds, 0, sizeof(*creds));

	if ((home = env_get("HOME")) != NULL) {
		hlen = strlen(home);
		while (hlen > 1 && home[hlen - 1] == '/')
			hlen--;
		if (hlen == 1 && home[0] == '/')
			hlen = 0;
		cfg = xasprintf("%.*s%s", (int)hlen, home, CFG_FILE);
		ini = xasprintf("%.*s%s", (int)hlen, home, INI_FILE);
	}

	if (profile != NULL && *profile != '\0') {
		rv = resolve_named(profile, cfg, ini, creds, cause);
		goto out;
	}

	r = resolve_env(creds, cause);
	if (r != CREDS_ABSENT)
		goto done;

	if (cfg == NULL) {
		*cause = xasprintf("no credentials: set %s and %s, or "
		    "configure a profile in ~%s or ~%s (looked at: "
		    "environment; HOME is not set, so no files)", ENV_ID,
		    ENV_SECRET, CFG_FILE, INI_FILE);
		goto out;
	}

	r = cfg_default(cfg, creds, &cfg_note, cause);
	if (r != CREDS_ABSENT && r != CREDS_NOFILE)
		goto done;

	r = ini_lookup(ini, INI_DEFAULT, creds, cause);
	if (r != CREDS_ABSENT && r != CREDS_NOFILE)
		goto done;

	*cause = xasprintf("no credentials: set %s and %s, or configure a "
	    "profile in ~%s or ~%s (looked at: environment, %s (%s), %s (%s))",
	    ENV_ID, ENV_SECRET, CFG_FILE, INI_FILE, cfg, cfg_note, ini,
	    r == CREDS_NOFILE ? "not found" : "no [" INI_DEFAULT "] section");
	goto out;

done:
	rv = r == CREDS_FOUND ? 0 : -1;
out:
	if (rv != 0)
		creds_free(creds);
	free(cfg);
	free(ini);
	return (rv);
}

/* Free what creds_resolve filled in; the secrets are wiped first. */
void
creds_free(struct creds *creds)
{
	if (creds == NULL)
		return;
	free(creds->access_key_id);
	wipe_free_str(creds->access_key_secret);
	wipe_free_str(creds->security_token);
	free(creds->source);
	memset(creds, 0, sizeof(*creds));
}
