/*
 * Tests for creds: the order of the sources, the two file formats, and
 * that no message ever carries a secret or a token.  Each test runs
 * with a fresh temporary HOME and without any ALIBABA_CLOUD_* variable.
 */
#include "config.h"

/* The prototypes of the TESTABLE functions of creds.c. */
#ifndef ENSBATCH_TESTING
#define ENSBATCH_TESTING 1
#endif

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

#define CFG	"/.aliyun/config.json"
#define INI	"/.alibabacloud/credentials"

#define SENTINEL	"SENTINEL-SECRET-123"

Suite	*creds_suite(void);

static char	*home;		/* the test's scratch directory */

static const char *const env_names[] = {
	"ALIBABA_CLOUD_ACCESS_KEY_ID",
	"ALIBABA_CLOUD_ACCESS_KEY_SECRET",
	"ALIBABA_CLOUD_SECURITY_TOKEN",
	"ALIBABA_CLOUD_PROFILE",
	"ALIBABA_CLOUD_ROLE_ARN",
	"ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
	"ALIBABA_CLOUD_OIDC_TOKEN_FILE",
	"ALIBABA_CLOUD_ROLE_SESSION_NAME",
	"ALIBABA_CLOUD_STS_REGION",
	"ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED",
	"ALIBABA_CLOUD_ECS_METADATA",
	"ALIBABA_CLOUD_ECS_METADATA_DISABLED",
	"ALIBABA_CLOUD_IMDSV1_DISABLED",
	"ALIBABA_CLOUD_CREDENTIALS_URI",
};

/*
 * Nothing here may reach a real service: STS and the metadata service
 * are a closed loopback port (connections are refused at once).
 */
#define CLOSED		"http://127.0.0.1:1"

/* A fresh HOME, and none of the variables creds looks at. */
static void
setup(void)
{
	size_t	i;

	fixture_dir_setup();
	home = fixture_dir;
	ck_assert_int_eq(setenv("HOME", home, 1), 0);
	for (i = 0; i < NITEMS(env_names); i++)
		ck_assert_int_eq(unsetenv(env_names[i]), 0);
	ck_assert_int_eq(setenv("ALIBABA_CLOUD_STS_ENDPOINT", CLOSED, 1), 0);
	ck_assert_int_eq(setenv("ALIBABA_CLOUD_IMDS_ENDPOINT", CLOSED, 1), 0);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("ALL_PROXY");
	unsetenv("all_proxy");
}

static void
teardown(void)
{
	fixture_dir_teardown();
	home = NULL;
}

/* HOME + rel; caller frees. */
static char *
home_path(const char *rel)
{
	return (xasprintf("%s%s", home, rel));
}

/* Write a file below HOME (rel is CFG or INI), making its directory. */
static void
write_len(const char *rel, const char *text, size_t len)
{
	char	*path, *slash;
	FILE	*f;

	path = home_path(rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	ck_assert_msg(mkdir(path, 0700) == 0 || errno == EEXIST,
	    "mkdir %s: %s", path, strerror(errno));
	*slash = '/';
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
	free(path);
}

static void
write_file(const char *rel, const char *text)
{
	if (text != NULL)
		write_len(rel, text, strlen(text));
}

static void
set_env(const char *name, const char *value)
{
	if (value != NULL)
		ck_assert_int_eq(setenv(name, value, 1), 0);
}

/* Resolve and expect success; the caller calls creds_free. */
static void
resolve_ok(const char *profile, struct creds *c)
{
	char	*cause = (char *)"unset";
	int	 rv;

	rv = creds_resolve(profile, c, &cause);
	ck_assert_msg(rv == 0, "creds_resolve failed: %s", cause);
	ck_assert_ptr_null(cause);
	ck_assert_ptr_nonnull(c->access_key_id);
	ck_assert_ptr_nonnull(c->access_key_secret);
	ck_assert_ptr_nonnull(c->source);
}

/* Resolve and expect failure; returns the cause (caller frees). */
static char *
resolve_err(const char *profile)
{
	struct creds	 c;
	char		*cause = NULL;

	memset(&c, 0x5a, sizeof(c));
	ck_assert_int_eq(creds_resolve(profile, &c, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	ck_assert_ptr_null(c.access_key_id);
	ck_assert_ptr_null(c.access_key_secret);
	ck_assert_ptr_null(c.security_token);
	ck_assert_ptr_null(c.source);
	creds_free(&c);
	return (cause);
}

/* Assert that a string holds a substring, showing both if not. */
#define ck_assert_has(s, sub)						\
	ck_assert_msg(strstr((s), (sub)) != NULL,			\
	    "\"%s\" does not contain \"%s\"", (s), (sub))

/* The source string expected for a file below HOME. */
static void
check_source(const struct creds *c, const char *prefix, const char *rel)
{
	char	*want;

	want = xasprintf("%s%s%s", prefix, home, rel);
	ck_assert_str_eq(c->source, want);
	ck_assert_str_eq(creds_source(c), want);
	free(want);
}

/* The source string expected for a profile of config.json. */
static void
check_profile(const struct creds *c, const char *name, const char *mode)
{
	char	*want;

	want = xasprintf("profile \"%s\" (%s%s, %s)", name, home, CFG,
	    mode);
	ck_assert_str_eq(creds_source(c), want);
	free(want);
}

static const char cfg_ab[] =
	"{\n"
	"  \"current\": \"a\",\n"
	"  \"profiles\": [\n"
	"    {\"name\": \"a\", \"mode\": \"AK\",\n"
	"     \"access_key_id\": \"LTAI-a\",\n"
	"     \"access_key_secret\": \"sec-a\",\n"
	"     \"sts_token\": \"\", \"region_id\": \"cn-hangzhou\",\n"
	"     \"retry_count\": 3},\n"
	"    {\"name\": \"b\", \"mode\": \"AK\",\n"
	"     \"access_key_id\": \"LTAI-b\",\n"
	"     \"access_key_secret\": \"sec-b\"},\n"
	"    {\"name\": \"sts\", \"mode\": \"StsToken\",\n"
	"     \"access_key_id\": \"STS.id\",\n"
	"     \"access_key_secret\": \"sec-s\",\n"
	"     \"sts_token\": \"tok-s\"}\n"
	"  ]\n"
	"}\n";

static const char ini_default[] =
	"[default]\n"
	"type = access_key\n"
	"access_key_id = LTAI-ini\n"
	"access_key_secret = sec-ini\n"
	"\n"
	"[other]\n"
	"type = access_key\n"
	"access_key_id = LTAI-other\n"
	"access_key_secret = sec-other\n";

/* --------------------------------------------------------- environment */

START_TEST(test_env_wins)
{
	struct creds	c;

	write_file(CFG, cfg_ab);
	write_file(INI, ini_default);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-env");
	ck_assert_str_eq(c.access_key_secret, "sec-env");
	ck_assert_ptr_null(c.security_token);
	ck_assert_str_eq(c.source, "environment");
	creds_free(&c);
	ck_assert_ptr_null(c.access_key_id);

	set_env("ALIBABA_CLOUD_SECURITY_TOKEN", "tok-env");
	resolve_ok("", &c);		/* an empty profile is no profile */
	ck_assert_str_eq(c.security_token, "tok-env");
	ck_assert_str_eq(c.source, "environment");
	creds_free(&c);
}
END_TEST

START_TEST(test_env_empty_is_unset)
{
	struct creds	c;

	write_file(CFG, cfg_ab);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "");
	set_env("ALIBABA_CLOUD_SECURITY_TOKEN", "");
	set_env("ALIBABA_CLOUD_PROFILE", "");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-a");
	check_profile(&c, "a", "AK");
	creds_free(&c);
}
END_TEST

static const struct {
	const char	*id, *secret, *token;
	const char	*msg;
} env_half[] = {
	{ "LTAI-x", NULL, NULL, "ALIBABA_CLOUD_ACCESS_KEY_ID is set but "
	    "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not" },
	{ "LTAI-x", "", "tok", "ALIBABA_CLOUD_ACCESS_KEY_ID is set but "
	    "ALIBABA_CLOUD_ACCESS_KEY_SECRET is not" },
	{ NULL, "sec-x", NULL, "ALIBABA_CLOUD_ACCESS_KEY_SECRET is set but "
	    "ALIBABA_CLOUD_ACCESS_KEY_ID is not" },
	{ NULL, NULL, "tok", "ALIBABA_CLOUD_SECURITY_TOKEN is set but "
	    "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET "
	    "are not" },
};

START_TEST(test_env_half)
{
	char	*cause;

	write_file(CFG, cfg_ab);	/* does not rescue a half pair */
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", env_half[_i].id);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", env_half[_i].secret);
	set_env("ALIBABA_CLOUD_SECURITY_TOKEN", env_half[_i].token);
	cause = resolve_err(NULL);
	ck_assert_str_eq(cause, env_half[_i].msg);
	free(cause);
}
END_TEST

/* ------------------------------------------------------ --profile NAME */

START_TEST(test_profile_arg_wins)
{
	struct creds	c;

	write_file(CFG, cfg_ab);
	write_file(INI, ini_default);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env");
	set_env("ALIBABA_CLOUD_PROFILE", "a");

	resolve_ok("b", &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-b");
	ck_assert_str_eq(c.access_key_secret, "sec-b");
	ck_assert_ptr_null(c.security_token);
	check_profile(&c, "b", "AK");
	creds_free(&c);

	/* Not in config.json: the section of the credentials file. */
	resolve_ok("other", &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-other");
	ck_assert_str_eq(c.access_key_secret, "sec-other");
	check_source(&c, "[other] in ", INI);
	creds_free(&c);
}
END_TEST

START_TEST(test_profile_arg_cfg_before_ini)
{
	struct creds	c;

	write_file(CFG, cfg_ab);
	write_file(INI, "[a]\ntype = access_key\naccess_key_id = LTAI-ini\n"
	    "access_key_secret = sec-ini\n");
	resolve_ok("a", &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-a");
	creds_free(&c);

	/* Only the credentials file exists. */
	write_file(CFG, "{\"profiles\": []}");
	resolve_ok("a", &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-ini");
	check_source(&c, "[a] in ", INI);
	creds_free(&c);
}
END_TEST

START_TEST(test_profile_not_found)
{
	char	*cause, *want;

	cause = resolve_err("nope");
	want = xasprintf("profile \"nope\" not found (looked at: %s%s "
	    "(not found), %s%s (not found))", home, CFG, home, INI);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	write_file(CFG, cfg_ab);
	write_file(INI, ini_default);
	cause = resolve_err("nope");
	want = xasprintf("profile \"nope\" not found (looked at: %s%s "
	    "(no such profile), %s%s (no such section))", home, CFG, home,
	    INI);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	/* The environment does not stand in for a missing profile. */
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env");
	cause = resolve_err("nope");
	ck_assert_has(cause, "profile \"nope\" not found");
	free(cause);

	ck_assert_int_eq(unsetenv("HOME"), 0);
	cause = resolve_err("nope");
	ck_assert_str_eq(cause, "profile \"nope\": HOME is not set, so "
	    "~/.aliyun/config.json and ~/.alibabacloud/credentials cannot be "
	    "read");
	free(cause);
}
END_TEST

/* --------------------------------------------------------- config.json */

START_TEST(test_cfg_current_vs_env)
{
	struct creds	 c;
	char		*cause;

	write_file(CFG, cfg_ab);
	write_file(INI, ini_default);
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-a");
	ck_assert_str_eq(c.access_key_secret, "sec-a");
	ck_assert_ptr_null(c.security_token);	/* AK ignores sts_token */
	check_profile(&c, "a", "AK");
	creds_free(&c);

	set_env("ALIBABA_CLOUD_PROFILE", "b");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-b");
	check_profile(&c, "b", "AK");
	creds_free(&c);

	/* A profile asked for by name must exist. */
	set_env("ALIBABA_CLOUD_PROFILE", "zz");
	cause = resolve_err(NULL);
	ck_assert_has(cause, CFG ": no profile \"zz\" (named by "
	    "ALIBABA_CLOUD_PROFILE)");
	free(cause);

	ck_assert_int_eq(unsetenv("ALIBABA_CLOUD_PROFILE"), 0);
	write_file(CFG, "{\"current\": \"gone\", \"profiles\": []}");
	cause = resolve_err(NULL);
	ck_assert_has(cause, CFG ": no profile \"gone\" (named by "
	    "\"current\")");
	free(cause);

	/* Without "current", the credentials file is next. */
	write_file(CFG, "{\"current\": \"\", \"profiles\": []}");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-ini");
	creds_free(&c);
}
END_TEST

START_TEST(test_cfg_sts)
{
	struct creds	 c;
	char		*cause;

	write_file(CFG, cfg_ab);
	set_env("ALIBABA_CLOUD_PROFILE", "sts");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "STS.id");
	ck_assert_str_eq(c.access_key_secret, "sec-s");
	ck_assert_str_eq(c.security_token, "tok-s");
	check_profile(&c, "sts", "StsToken");
	creds_free(&c);

	write_file(CFG, "{\"current\": \"s\", \"profiles\": [{\"name\": \"s\","
	    " \"mode\": \"StsToken\", \"access_key_id\": \"STS.id\","
	    " \"access_key_secret\": \"x\", \"sts_token\": \"\"}]}");
	ck_assert_int_eq(unsetenv("ALIBABA_CLOUD_PROFILE"), 0);
	cause = resolve_err(NULL);
	ck_assert_has(cause, CFG ": profile \"s\": mode StsToken needs "
	    "\"sts_token\", which is missing or empty");
	free(cause);
}
END_TEST

static const char *const bad_modes[] = {
	"RsaKeyPair", "ak", "CloudSSO", "External",
};

START_TEST(test_cfg_mode_unsupported)
{
	char	*text, *cause, *want;

	text = xasprintf("{\"current\": \"p\", \"profiles\": [{\"name\": "
	    "\"p\", \"mode\": \"%s\", \"access_key_id\": \"LTAI-p\", "
	    "\"access_key_secret\": \"sec-p\"}]}", bad_modes[_i]);
	write_file(CFG, text);
	cause = resolve_err(NULL);
	want = xasprintf("%s%s: profile \"p\": mode %s is not supported "
	    "(use AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole "
	    "or OIDC)", home, CFG, bad_modes[_i]);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(text);
}
END_TEST

static const struct {
	const char	*profile;	/* the one profile, as JSON */
	const char	*msg;
} cfg_fields[] = {
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_id\": \"LTAI-p\"}",
	    "profile \"p\": mode AK needs \"access_key_secret\", which is "
	    "missing or empty" },
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_id\": \"LTAI-p\","
	    " \"access_key_secret\": \"\"}",
	    "profile \"p\": mode AK needs \"access_key_secret\"" },
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_id\": \"LTAI-p\","
	    " \"access_key_secret\": null}",
	    "profile \"p\": mode AK needs \"access_key_secret\"" },
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_id\": \"LTAI-p\","
	    " \"access_key_secret\": 12345}",
	    "profile \"p\": \"access_key_secret\" is not a string" },
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_secret\": \"s\"}",
	    "profile \"p\": mode AK needs \"access_key_id\"" },
	{ "{\"name\": \"p\", \"mode\": \"AK\", \"access_key_id\": [],"
	    " \"access_key_secret\": \"s\"}",
	    "profile \"p\": \"access_key_id\" is not a string" },
	{ "{\"name\": \"p\", \"access_key_id\": \"i\","
	    " \"access_key_secret\": \"s\"}",
	    "profile \"p\": \"mode\" is missing or empty" },
	{ "{\"name\": \"p\", \"mode\": true}",
	    "profile \"p\": \"mode\" is not a string" },
	{ "{\"name\": \"p\", \"mode\": \"StsToken\", \"access_key_id\": \"i\","
	    " \"access_key_secret\": \"s\", \"sts_token\": 1}",
	    "profile \"p\": \"sts_token\" is not a string" },
};

START_TEST(test_cfg_missing_field)
{
	char	*text, *cause;

	text = xasprintf("{\"current\": \"p\", \"profiles\": [%s]}",
	    cfg_fields[_i].profile);
	write_file(CFG, text);
	write_file(INI, ini_default);	/* a broken profile is not skipped */
	cause = resolve_err(NULL);
	ck_assert_has(cause, home);
	ck_assert_has(cause, CFG ": ");
	ck_assert_has(cause, cfg_fields[_i].msg);
	free(cause);

	/* The same profile asked for by name. */
	cause = resolve_err("p");
	ck_assert_has(cause, cfg_fields[_i].msg);
	free(cause);
	free(text);
}
END_TEST

static const struct {
	const char	*text;
	const char	*msg;
} cfg_bad[] = {
	{ "", CFG ":1:0: invalid JSON: " },
	{ "{\n  \"current\": \"a\",\n  \"profiles\": [\n", CFG ":4:0: "
	    "invalid JSON: " },
	{ "{\"current\": \"a\",}", CFG ":1:17: invalid JSON: " },
	{ "[]", CFG ": not a JSON object" },
	{ "\"x\"", CFG ":1:3: invalid JSON: " },
	{ "{\"profiles\": {}}", CFG ": \"profiles\" is not an array" },
	{ "{\"profiles\": [1]}", CFG ": profiles[0] is not an object" },
	{ "{\"profiles\": [{\"name\": \"x\"}, {\"mode\": \"AK\"}]}",
	    CFG ": profiles[1] has no \"name\" string" },
	{ "{\"current\": 3, \"profiles\": []}",
	    CFG ": \"current\" is not a string" },
	{ "{\"current\": \"a\", \"current\": \"b\"}",
	    CFG ":1:26: invalid JSON: duplicate object key" },
};

START_TEST(test_cfg_malformed)
{
	char	*cause;

	write_file(CFG, cfg_bad[_i].text);
	write_file(INI, ini_default);	/* a broken file is not skipped */
	cause = resolve_err(NULL);
	ck_assert_has(cause, home);
	ck_assert_has(cause, cfg_bad[_i].msg);
	ck_assert(strstr(cause, " near ") == NULL);
	free(cause);

	cause = resolve_err("other");
	ck_assert_has(cause, cfg_bad[_i].msg);
	free(cause);
}
END_TEST

START_TEST(test_cfg_not_regular)
{
	char	*path, *cause;

	path = home_path("/.aliyun");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	free(path);
	path = home_path(CFG);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	cause = resolve_err(NULL);
	ck_assert_has(cause, path);
	ck_assert_has(cause, ": not a regular file");
	free(cause);
	free(path);
}
END_TEST

START_TEST(test_cfg_too_large)
{
	char	*text, *cause;
	size_t	 len = 1024 * 1024 + 1;

	text = xmalloc(len);
	memset(text, ' ', len);
	text[0] = '{';
	text[len - 1] = '}';
	write_len(CFG, text, len);
	cause = resolve_err(NULL);
	ck_assert_has(cause, CFG ": larger than 1048576 bytes, refused");
	free(cause);

	/* Exactly the limit is fine. */
	text[1] = '{';
	write_len(CFG, text + 1, len - 1);
	cause = resolve_err(NULL);
	ck_assert_has(cause, "no credentials: ");
	free(cause);

	write_len(INI, text, len);
	cause = resolve_err(NULL);
	ck_assert_has(cause, INI ": larger than 1048576 bytes, refused");
	free(cause);
	free(text);
}
END_TEST

/* --------------------------------------------------------- credentials */

START_TEST(test_ini_default)
{
	struct creds	c;

	write_file(INI, ini_default);
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-ini");
	ck_assert_str_eq(c.access_key_secret, "sec-ini");
	ck_assert_ptr_null(c.security_token);
	check_source(&c, "[default] in ", INI);
	creds_free(&c);

	/* A config.json without "current" is passed over. */
	write_file(CFG, "{\"profiles\": []}");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-ini");
	creds_free(&c);
}
END_TEST

static const char *const ini_forms[] = {
	"# a comment\r\n"
	"; another\r\n"
	"\r\n"
	"[other]\r\n"
	"type = ecs_ram_role\r\n"
	"\r\n"
	"  [ default ]  \r\n"
	"\ttype\t=\taccess_key  \r\n"
	"access_key_id=LTAI-ini\r\n"
	"   # indented comment\r\n"
	"access_key_secret =   sec=ini#1  \r\n"
	"region_id = cn-hangzhou\r\n",

	"\xef\xbb\xbf[default]\n"
	"access_key_secret = sec=ini#1\n"
	"unknown_key = whatever\n"
	"access_key_id = LTAI-ini\n"
	"type = access_key",

	"[default]\n"
	"type = access_key\n"
	"[x]\n"
	"access_key_id = LTAI-x\n"
	"[default]\n"
	"access_key_id = LTAI-ini\n"
	"access_key_secret = sec=ini#1\n",
};

START_TEST(test_ini_forms)
{
	struct creds	c;

	write_file(INI, ini_forms[_i]);
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_id, "LTAI-ini");
	ck_assert_str_eq(c.access_key_secret, "sec=ini#1");
	check_source(&c, "[default] in ", INI);
	creds_free(&c);
}
END_TEST

static const struct {
	const char	*text;
	const char	*msg;
} ini_bad[] = {
	{ "[default]\ntype = ecs_ram_role\naccess_key_id = i\n",
	    INI ":2: [default]: type ecs_ram_role not supported (use type = "
	    "access_key)" },
	{ "[default]\r\ntype = sts\r\n",
	    INI ":2: [default]: type sts not supported" },
	{ "\n[default]\naccess_key_id = i\naccess_key_secret = s\n",
	    INI ":2: [default]: no type (use type = access_key)" },
	{ "[default]\ntype =\naccess_key_id = i\naccess_key_secret = s\n",
	    INI ":1: [default]: no type" },
	{ "[default]\ntype = access_key\naccess_key_id = i\n",
	    INI ":1: [default]: access_key_secret is missing or empty" },
	{ "[default]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_secret =  \n",
	    INI ":4: [default]: access_key_secret is missing or empty" },
	{ "[default]\ntype = access_key\naccess_key_secret = s\n",
	    INI ":1: [default]: access_key_id is missing or empty" },
	{ "[default]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_id = j\n",
	    INI ":4: [default]: access_key_id given twice (first on line 3)" },
	{ "[default\ntype = access_key\n", INI ":1: section header without "
	    "closing ]" },
	{ "[ ]\n", INI ":1: empty section name" },
	{ "type = access_key\n[default]\n",
	    INI ":1: key before the first [section]" },
	{ "[default]\r\ntype = access_key\r\njust some words\r\n",
	    INI ":3: expected \"key = value\"" },
	{ "[default]\n = x\n", INI ":2: no key before =" },
	{ "[default]\ntype = access_key\n\0oops\n", INI ": contains a NUL "
	    "byte" },
	/* Broken elsewhere in the file is still broken. */
	{ "[default]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_secret = s\n[other]\nnonsense\n",
	    INI ":6: expected \"key = value\"" },
};

START_TEST(test_ini_bad)
{
	char	*cause;
	size_t	 len;

	len = strlen(ini_bad[_i].text);
	if (strstr(ini_bad[_i].msg, "NUL") != NULL)
		len += 1 + strlen(ini_bad[_i].text + len + 1);
	write_len(INI, ini_bad[_i].text, len);
	cause = resolve_err(NULL);
	ck_assert_has(cause, home);
	ck_assert_has(cause, ini_bad[_i].msg);
	free(cause);
}
END_TEST

/* --------------------------------------------------------- nothing */

START_TEST(test_nothing_found)
{
	char	*cause, *want;

	cause = resolve_err(NULL);
	want = xasprintf("no credentials: set ALIBABA_CLOUD_ACCESS_KEY_ID and "
	    "ALIBABA_CLOUD_ACCESS_KEY_SECRET, or configure a profile in "
	    "~/.aliyun/config.json or ~/.alibabacloud/credentials (looked at: "
	    "environment, %s%s (not found), %s%s (not found))", home, CFG,
	    home, INI);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);

	write_file(CFG, "{\"profiles\": [{\"name\": \"a\"}]}");
	write_file(INI, "# nothing\n[other]\ntype = access_key\n");
	cause = resolve_err(NULL);
	want = xasprintf("(looked at: environment, %s%s (no current profile), "
	    "%s%s (no [default] section))", home, CFG, home, INI);
	ck_assert_has(cause, want);
	free(want);
	free(cause);
}
END_TEST

START_TEST(test_nothing_no_home)
{
	char	*cause;

	write_file(CFG, cfg_ab);
	ck_assert_int_eq(unsetenv("HOME"), 0);
	cause = resolve_err(NULL);
	ck_assert_str_eq(cause, "no credentials: set "
	    "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
	    "or configure a profile in ~/.aliyun/config.json or "
	    "~/.alibabacloud/credentials (looked at: environment; HOME is not "
	    "set, so no files)");
	free(cause);

	ck_assert_int_eq(setenv("HOME", "", 1), 0);
	cause = resolve_err(NULL);
	ck_assert_has(cause, "HOME is not set");
	free(cause);
}
END_TEST

/* ------------------------------------------------ temporary credentials */

static const struct {
	int64_t	exp, now, margin;
	int	due;
} due[] = {
	{ 100000, 0, 1000, 0 },
	{ 100000, 99000, 1000, 1 },	/* exactly the margin */
	{ 100000, 98999, 1000, 0 },
	{ 100000, 100000, 0, 1 },	/* expired now */
	{ 100000, 99999, 0, 0 },
	{ 100000, 200000, 1000, 1 },	/* long expired */
	{ 100000, 0, -5, 0 },		/* a negative margin is none */
	{ 100000, 100000, -5, 1 },
};

START_TEST(test_due)
{
	ck_assert_int_eq(creds_due(due[_i].exp, due[_i].now, due[_i].margin),
	    due[_i].due);
}
END_TEST

static const struct {
	const char	*endpoint;	/* ALIBABA_CLOUD_STS_ENDPOINT */
	const char	*env_region;	/* ALIBABA_CLOUD_STS_REGION */
	const char	*region;	/* the profile's sts_region */
	int		 vpc;
	const char	*want;		/* URL, or a piece of the error */
	int		 ok;
} sts_urls[] = {
	{ NULL, NULL, NULL, 0, "https://sts.aliyuncs.com", 1 },
	{ NULL, NULL, NULL, 1, "https://sts.aliyuncs.com", 1 },
	{ NULL, NULL, "cn-hangzhou", 0, "https://sts.cn-hangzhou.aliyuncs.com",
	    1 },
	{ NULL, "ap-southeast-1", NULL, 0,
	    "https://sts.ap-southeast-1.aliyuncs.com", 1 },
	{ NULL, "ap-southeast-1", "cn-beijing", 0,
	    "https://sts.cn-beijing.aliyuncs.com", 1 },
	{ NULL, NULL, "cn-shanghai", 1,
	    "https://sts-vpc.cn-shanghai.aliyuncs.com", 1 },
	{ "sts.example.com", NULL, "cn-beijing", 0, "https://sts.example.com",
	    1 },
	{ "https://sts.example.com/", NULL, NULL, 0,
	    "https://sts.example.com", 1 },
	{ "http://127.0.0.1:8080", NULL, NULL, 0, "http://127.0.0.1:8080", 1 },
	{ "http://[::1]:8080", NULL, NULL, 0, "http://[::1]:8080", 1 },
	{ "http://sts.example.com", NULL, NULL, 0,
	    "ALIBABA_CLOUD_STS_ENDPOINT: plain http:// is allowed only for "
	    "loopback", 0 },
	{ "https://sts.example.com/x", NULL, NULL, 0,
	    "ALIBABA_CLOUD_STS_ENDPOINT: endpoint must not have a path", 0 },
	{ "https://u:p@sts.example.com", NULL, NULL, 0,
	    "ALIBABA_CLOUD_STS_ENDPOINT: endpoint must not carry user", 0 },
	{ NULL, NULL, "cn/../x", 0, "STS region \"cn/../x\" is not a region",
	    0 },
	{ NULL, "x.evil.com#", NULL, 0, "is not a region name", 0 },
};

START_TEST(test_sts_url)
{
	char	*url, *cause = (char *)"unset";

	ck_assert_int_eq(unsetenv("ALIBABA_CLOUD_STS_ENDPOINT"), 0);
	set_env("ALIBABA_CLOUD_STS_ENDPOINT", sts_urls[_i].endpoint);
	set_env("ALIBABA_CLOUD_STS_REGION", sts_urls[_i].env_region);
	url = creds_sts_url(sts_urls[_i].region, sts_urls[_i].vpc, &cause);
	if (sts_urls[_i].ok) {
		ck_assert_ptr_null(cause);
		ck_assert_str_eq(url, sts_urls[_i].want);
	} else {
		ck_assert_ptr_null(url);
		ck_assert_has(cause, sts_urls[_i].want);
	}
	free(url);
	free(cause);
}
END_TEST

#define GOOD_KEYS	"\"AccessKeyId\": \"STS.id\", \"AccessKeySecret\": " \
			"\"" SENTINEL "\", \"SecurityToken\": \"" SENTINEL \
			"-tok\", \"Expiration\": \"2026-12-01T10:00:00Z\""

static const struct {
	const char	*body;
	int		 sts;
	const char	*error;		/* NULL: parses */
} answers[] = {
	{ "{\"RequestId\": \"r\", \"Credentials\": {" GOOD_KEYS "}}", 1,
	    NULL },
	{ "{\"Code\": \"Success\", " GOOD_KEYS ", \"LastUpdated\": \"x\"}", 0,
	    NULL },
	{ "{" GOOD_KEYS "}", 0, NULL },	/* Code is optional */
	{ "{" GOOD_KEYS "}", 1, "the answer has no Credentials object" },
	{ "{\"Credentials\": [1]}", 1,
	    "the answer has no Credentials object" },
	{ "{\"Code\": \"Failed\", " GOOD_KEYS "}", 0,
	    "the answer's Code is not \"Success\"" },
	{ "{\"Code\": 200, " GOOD_KEYS "}", 0, NULL },
	{ "{\"Code\": \"Success\", \"AccessKeyId\": \"i\", "
	    "\"AccessKeySecret\":"
	    " \"" SENTINEL "\", \"SecurityToken\": \"t\"}", 0,
	    "the answer has no Expiration" },
	{ "{\"Code\": \"Success\", \"AccessKeyId\": \"\", "
	    "\"AccessKeySecret\":"
	    " \"" SENTINEL "\", \"SecurityToken\": \"t\", \"Expiration\": "
	    "\"2026-12-01T10:00:00Z\"}", 0, "the answer has no AccessKeyId" },
	{ "{\"Code\": \"Success\", \"AccessKeyId\": \"i\", "
	    "\"AccessKeySecret\":"
	    " 5, \"SecurityToken\": \"t\", \"Expiration\": "
	    "\"2026-12-01T10:00:00Z\"}", 0,
	    "the answer has no AccessKeySecret" },
	{ "{\"Code\": \"Success\", \"AccessKeyId\": \"i\", "
	    "\"AccessKeySecret\":"
	    " \"s\", \"Expiration\": \"2026-12-01T10:00:00Z\"}", 0,
	    "the answer has no SecurityToken" },
	{ "{\"Code\": \"Success\", \"AccessKeyId\": \"i\", "
	    "\"AccessKeySecret\":"
	    " \"" SENTINEL "\", \"SecurityToken\": \"t\", \"Expiration\": \""
	    SENTINEL "\"}", 0, "the answer's Expiration is not a time" },
	{ "{\"Credentials\": {\"AccessKeySecret\": \"" SENTINEL "\"", 1,
	    "the answer is not a JSON object" },
	{ "[\"" SENTINEL "\"]", 0, "the answer is not a JSON object" },
	{ "", 0, "the answer is not a JSON object" },
};

START_TEST(test_parse_answer)
{
	struct creds	 c;
	char		*cause = (char *)"unset";
	int		 rv;

	memset(&c, 0, sizeof(c));
	rv = creds_parse_answer(answers[_i].body, strlen(answers[_i].body),
	    answers[_i].sts, &c, &cause);
	if (answers[_i].error == NULL) {
		ck_assert_int_eq(rv, 0);
		ck_assert_ptr_null(cause);
		ck_assert_str_eq(c.access_key_id, "STS.id");
		ck_assert_str_eq(c.access_key_secret, SENTINEL);
		ck_assert_str_eq(c.security_token, SENTINEL "-tok");
		ck_assert(c.expiration_ms == INT64_C(1796119200000));
		ck_assert_ptr_null(c.source);
		ck_assert_ptr_null(c.provider);
	} else {
		ck_assert_int_eq(rv, -1);
		ck_assert_str_eq(cause, answers[_i].error);
		ck_assert_ptr_null(c.access_key_id);
		free(cause);
	}
	creds_free(&c);
}
END_TEST

static const struct {
	const char	*msg;
	const char	*want;
} redactions[] = {
	{ "plain", "plain" },
	{ "key " SENTINEL " end", "key ******************* end" },
	{ "enc tok%2Fx%2Fy, tok/x/y", "enc ***********, *******" },
	{ "Specified signature is not matched with our calculation. server "
	    "string to sign is:POST&%2F&SecurityToken%3Dtok",
	    "Specified signature is not matched with our calculation. "
	    "server " },
	{ "a\tb\nc\x7f" "d", "a b c d" },
};

START_TEST(test_redact)
{
	const char	*secrets[3] = { SENTINEL, "tok/x/y", NULL };
	char		*out;

	out = creds_redact(redactions[_i].msg, secrets, 3);
	ck_assert_str_eq(out, redactions[_i].want);
	free(out);
}
END_TEST

START_TEST(test_redact_long)
{
	char	*msg, *out;

	msg = xmalloc(1001);
	memset(msg, 'x', 1000);
	msg[1000] = '\0';
	out = creds_redact(msg, NULL, 0);
	ck_assert_uint_eq(strlen(out), 300);
	ck_assert_str_eq(out + 297, "...");
	free(out);
	free(msg);
}
END_TEST

static const struct {
	const char	*uri;
	const char	*shown;
} uris[] = {
	{ "http://127.0.0.1:8000/creds", "http://127.0.0.1:8000/creds" },
	{ "https://h.example/v1/c?token=" SENTINEL "#f",
	    "https://h.example/v1/c" },
	{ "https://user:" SENTINEL "@h.example/c", "https://h.example/c" },
	{ "https://h.example", "https://h.example" },
	{ "https://h.example?x=" SENTINEL, "https://h.example" },
	{ "nonsense", "(not a URL)" },
};

START_TEST(test_uri_shown)
{
	char	*out;

	out = creds_uri_shown(uris[_i].uri);
	ck_assert_str_eq(out, uris[_i].shown);
	free(out);
}
END_TEST

/* A config.json with one current profile "p" (JSON fields given). */
static void
write_profile(const char *fields)
{
	char	*text;

	text = xasprintf("{\"current\": \"p\", \"profiles\": [{\"name\": "
	    "\"p\", %s}]}", fields);
	write_file(CFG, text);
	free(text);
}

#define OIDC_ARN	"acs:ram::1:oidc-provider/g"
#define RRA	"\"mode\": \"RamRoleArn\", \"access_key_id\": \"LTAI-p\", " \
		"\"access_key_secret\": \"" SENTINEL "\""
#define ARN	"\"ram_role_arn\": \"acs:ram::1:role/r\""

static const struct {
	const char	*fields;
	const char	*msg;
} temp_fields[] = {
	{ RRA, "profile \"p\": mode RamRoleArn needs \"ram_role_arn\"" },
	{ "\"mode\": \"RamRoleArn\", " ARN ", \"access_key_id\": \"i\"",
	    "profile \"p\": mode RamRoleArn needs \"access_key_secret\"" },
	{ RRA ", " ARN ", \"expired_seconds\": 899",
	    "profile \"p\": \"expired_seconds\" must be at least 900" },
	{ RRA ", " ARN ", \"expired_seconds\": 43201",
	    "profile \"p\": \"expired_seconds\" is not an integer from 0 to "
	    "43200" },
	{ RRA ", " ARN ", \"expired_seconds\": \"3600\"",
	    "profile \"p\": \"expired_seconds\" is not an integer" },
	{ RRA ", " ARN ", \"enable_vpc\": \"yes\"",
	    "profile \"p\": \"enable_vpc\" is not true or false" },
	{ RRA ", " ARN ", \"sts_region\": 5",
	    "profile \"p\": \"sts_region\" is not a string" },
	{ RRA ", " ARN ", \"ram_session_name\": []",
	    "profile \"p\": \"ram_session_name\" is not a string" },
	{ "\"mode\": \"ChainableRamRoleArn\", " ARN,
	    "profile \"p\": mode ChainableRamRoleArn needs "
	    "\"source_profile\"" },
	{ "\"mode\": \"ChainableRamRoleArn\", " ARN ", \"source_profile\": "
	    "\"zz\"", "profile \"p\": source_profile \"zz\" is not a profile "
	    "of this file" },
	{ "\"mode\": \"ChainableRamRoleArn\", " ARN ", \"source_profile\": "
	    "\"p\"", "profile \"p\": source_profile chain longer than 4" },
	{ "\"mode\": \"ChainableRamRoleArn\", \"source_profile\": \"p\"",
	    "mode ChainableRamRoleArn needs \"ram_role_arn\"" },
	{ "\"mode\": \"OIDC\", " ARN ", \"oidc_provider_arn\": \"x\"",
	    "profile \"p\": mode OIDC needs \"oidc_token_file\"" },
	{ "\"mode\": \"OIDC\", " ARN ", \"oidc_token_file\": \"/x\"",
	    "profile \"p\": mode OIDC needs \"oidc_provider_arn\"" },
	{ "\"mode\": \"OIDC\", \"oidc_provider_arn\": \"x\", "
	    "\"oidc_token_file\": \"/nonexistent/t\"",
	    "profile \"p\": mode OIDC needs \"ram_role_arn\"" },
	{ "\"mode\": \"EcsRamRole\", \"ram_role_name\": \"../admin\"",
	    "profile \"p\": \"ram_role_name\" is not a RAM role name" },
	{ "\"mode\": \"EcsRamRole\", \"ram_role_name\": \"a/b\"",
	    "profile \"p\": \"ram_role_name\" is not a RAM role name" },
};

START_TEST(test_temp_fields)
{
	char	*cause;

	write_profile(temp_fields[_i].fields);
	write_file(INI, ini_default);	/* a broken profile is not skipped */
	cause = resolve_err(NULL);
	ck_assert_has(cause, home);
	ck_assert_has(cause, CFG ": ");
	ck_assert_has(cause, temp_fields[_i].msg);
	ck_assert_msg(strstr(cause, "SENTINEL") == NULL, "secret: %s", cause);
	free(cause);

	cause = resolve_err("p");
	ck_assert_has(cause, temp_fields[_i].msg);
	free(cause);
}
END_TEST

/*
 * Which source is used, seen through the failure of its fetch from the
 * closed port: env settings, files, the --profile argument, and the
 * start of the message expected (after HOME is put in for %s).
 */
static const struct {
	const char	*env[4][2];
	const char	*cfg;		/* fields of the current profile "p" */
	const char	*ini;
	const char	*profile;
	const char	*want;		/* a prefix, %s = HOME; NULL = found */
	const char	*found;		/* the key found */
} order[] = {
	/* The environment's key beats everything but --profile. */
	{ { { "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env" },
	    { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env" },
	    { "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN },
	    { "ALIBABA_CLOUD_ECS_METADATA", "r" } },
	    RRA ", " ARN, NULL, NULL, NULL, "LTAI-env" },
	{ { { "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env" },
	    { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env" } },
	    RRA ", " ARN, NULL, "p", "profile \"p\" (%s/.aliyun/config.json, "
	    "RamRoleArn): AssumeRole at http://127.0.0.1:1: ", NULL },
	/* OIDC beats config.json. */
	{ { { "ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/ci" },
	    { "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN },
	    { "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "%s/token" } },
	    "\"mode\": \"AK\", \"access_key_id\": \"i\", "
	    "\"access_key_secret\": \"s\"", NULL, NULL, "OIDC role arn "
	    "acs:ram::1:role/ci (environment): AssumeRoleWithOIDC at "
	    "http://127.0.0.1:1: ", NULL },
	{ { { "ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/ci" },
	    { "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN },
	    { "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "%s/none" } },
	    NULL, NULL, NULL, "OIDC role arn acs:ram::1:role/ci "
	    "(environment): OIDC token file %s/none: no such file", NULL },
	{ { { "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", OIDC_ARN },
	    { "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "%s/token" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_ROLE_ARN is not set "
	    "(AssumeRoleWithOIDC needs ", NULL },
	{ { { "ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/ci" },
	    { "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "%s/token" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_OIDC_PROVIDER_ARN is not set",
	    NULL },
	/* The role ARN alone is not a source. */
	{ { { "ALIBABA_CLOUD_ROLE_ARN", "acs:ram::1:role/ci" } },
	    NULL, NULL, NULL, "no credentials: ", NULL },
	/* config.json and the credentials file beat the instance role. */
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" },
	    { "ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/c" } },
	    "\"mode\": \"AK\", \"access_key_id\": \"LTAI-p\", "
	    "\"access_key_secret\": \"s\"", NULL, NULL, NULL, "LTAI-p" },
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" } },
	    NULL, "[default]\ntype = access_key\naccess_key_id = LTAI-ini\n"
	    "access_key_secret = s\n", NULL, NULL, "LTAI-ini" },
	/* The instance role beats the URI. */
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" },
	    { "ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/c" } },
	    NULL, NULL, NULL, "ECS RAM role r (ALIBABA_CLOUD_ECS_METADATA): "
	    "metadata service http://127.0.0.1:1/latest/meta-data/ram/"
	    "security-credentials/r: ", NULL },
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" },
	    { "ALIBABA_CLOUD_IMDSV1_DISABLED", "TRUE" } },
	    NULL, NULL, NULL, "ECS RAM role r (ALIBABA_CLOUD_ECS_METADATA): "
	    "metadata service http://127.0.0.1:1/latest/api/token: ", NULL },
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" },
	    { "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true" },
	    { "ALIBABA_CLOUD_CREDENTIALS_URI", "http://127.0.0.1:1/c?k=v" } },
	    NULL, NULL, NULL, "credentials URI http://127.0.0.1:1/c "
	    "(ALIBABA_CLOUD_CREDENTIALS_URI): GET http://127.0.0.1:1/c: ",
	    NULL },
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "a/../b" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_ECS_METADATA is not a RAM role "
	    "name", NULL },
	{ { { "ALIBABA_CLOUD_CREDENTIALS_URI", "http://10.0.0.1/c" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_CREDENTIALS_URI: plain http:// "
	    "is allowed only for loopback", NULL },
	{ { { "ALIBABA_CLOUD_CREDENTIALS_URI", "file:///etc/passwd" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_CREDENTIALS_URI must be an "
	    "https:// URL", NULL },
	{ { { "ALIBABA_CLOUD_ECS_METADATA", "r" },
	    { "ALIBABA_CLOUD_IMDS_ENDPOINT", "http://100.100.100.200" } },
	    NULL, NULL, NULL, "ALIBABA_CLOUD_IMDS_ENDPOINT: plain http:// is "
	    "allowed only for loopback", NULL },
	/* The profile's modes. */
	{ { { "ALIBABA_CLOUD_STS_ENDPOINT", "http://localhost:1" } },
	    RRA ", " ARN, NULL, NULL, "profile \"p\" (%s/.aliyun/config.json, "
	    "RamRoleArn): AssumeRole at http://localhost:1: ", NULL },
	{ { { "ALIBABA_CLOUD_STS_ENDPOINT", "http://sts.example.com" } },
	    RRA ", " ARN, NULL, NULL, "%s/.aliyun/config.json: profile \"p\": "
	    "ALIBABA_CLOUD_STS_ENDPOINT: plain http:// is allowed only",
	    NULL },
	{ { { NULL, NULL } },
	    "\"mode\": \"EcsRamRole\", \"ram_role_name\": \"r\"", NULL, NULL,
	    "profile \"p\" (%s/.aliyun/config.json, EcsRamRole): metadata "
	    "service http://127.0.0.1:1/latest/meta-data/ram/"
	    "security-credentials/r: ", NULL },
	{ { { NULL, NULL } },
	    "\"mode\": \"EcsRamRole\"", NULL, NULL,
	    "profile \"p\" (%s/.aliyun/config.json, EcsRamRole): metadata "
	    "service http://127.0.0.1:1/latest/meta-data/ram/"
	    "security-credentials/: ", NULL },
	{ { { "ALIBABA_CLOUD_ECS_METADATA_DISABLED", "true" } },
	    "\"mode\": \"EcsRamRole\"", NULL, NULL,
	    "%s/.aliyun/config.json: profile \"p\": mode EcsRamRole, but "
	    "ALIBABA_CLOUD_ECS_METADATA_DISABLED is true", NULL },
	{ { { NULL, NULL } },
	    "\"mode\": \"OIDC\", " ARN ", \"oidc_provider_arn\": \"x\", "
	    "\"oidc_token_file\": \"%s/token\"", NULL, NULL,
	    "profile \"p\" (%s/.aliyun/config.json, OIDC): AssumeRoleWithOIDC "
	    "at http://127.0.0.1:1: ", NULL },
	{ { { NULL, NULL } },
	    "\"mode\": \"ChainableRamRoleArn\", " ARN ", \"source_profile\": "
	    "\"q\"}, {\"name\": \"q\", " RRA ", " ARN, NULL, NULL,
	    "profile \"q\" (%s/.aliyun/config.json, RamRoleArn): AssumeRole "
	    "at http://127.0.0.1:1: ", NULL },
	{ { { NULL, NULL } },
	    "\"mode\": \"ChainableRamRoleArn\", " ARN ", \"source_profile\": "
	    "\"q\"}, {\"name\": \"q\", \"mode\": \"AK\", \"access_key_id\": "
	    "\"i\", \"access_key_secret\": \"s\"", NULL, NULL,
	    "profile \"p\" (%s/.aliyun/config.json, ChainableRamRoleArn): "
	    "AssumeRole at http://127.0.0.1:1: ", NULL },
};

/* Replace %s in a template with HOME; caller frees. */
static char *
with_home(const char *tmpl)
{
	struct buf	 b;
	const char	*p;

	buf_init(&b);
	for (p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 's') {
			buf_adds(&b, home);
			p++;
		} else
			buf_addc(&b, *p);
	}
	return (buf_detach(&b));
}

START_TEST(test_order)
{
	struct creds	 c;
	char		*v, *cause, *tok;
	size_t		 i;

	tok = home_path("/token");
	write_file("/token", "header.payload.sig\n");
	free(tok);
	for (i = 0; i < 4 && order[_i].env[i][0] != NULL; i++) {
		v = with_home(order[_i].env[i][1]);
		set_env(order[_i].env[i][0], v);
		free(v);
	}
	if (order[_i].cfg != NULL) {
		v = with_home(order[_i].cfg);
		write_profile(v);
		free(v);
	}
	write_file(INI, order[_i].ini);
	if (order[_i].want == NULL) {
		resolve_ok(order[_i].profile, &c);
		ck_assert_str_eq(c.access_key_id, order[_i].found);
		ck_assert_ptr_null(c.provider);
		creds_free(&c);
		return;
	}
	cause = resolve_err(order[_i].profile);
	v = with_home(order[_i].want);
	ck_assert_msg(strncmp(cause, v, strlen(v)) == 0,
	    "\"%s\" does not start with \"%s\"", cause, v);
	ck_assert_msg(strstr(cause, "SENTINEL") == NULL, "secret: %s", cause);
	free(v);
	free(cause);
}
END_TEST

/* Static keys are never refreshed; the source names them. */
START_TEST(test_refresh_static)
{
	struct creds	 c;
	char		*cause = (char *)"unset", *id;

	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-env");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "sec-env");
	resolve_ok(NULL, &c);
	id = c.access_key_id;
	ck_assert_int_eq(creds_refresh(&c, INT64_MAX / 2, 1000, &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_ptr_eq(c.access_key_id, id);
	ck_assert_str_eq(creds_source(&c), "environment");
	creds_free(&c);
}
END_TEST

/* --------------------------------------------------------- sentinel */

/*
 * Every error we can provoke with the secret (or the token) set to the
 * sentinel, in each source.  No cause may contain it.
 */
static const struct {
	const char	*cfg;
	const char	*ini;
	const char	*id, *secret, *token, *env_profile;
	const char	*profile;
} leaks[] = {
	/* Environment. */
	{ NULL, NULL, NULL, SENTINEL, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, SENTINEL, NULL, NULL },
	{ NULL, NULL, NULL, SENTINEL, SENTINEL, NULL, NULL },
	{ NULL, NULL, "", SENTINEL, SENTINEL, NULL, NULL },
	/* config.json: syntax errors with the secret near them. */
	{ "{\"current\": \"p\", \"profiles\": [{\"access_key_secret\": "
	    SENTINEL "}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"access_key_secret\": \"" SENTINEL "\\q\"}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"access_key_secret\": \"" SENTINEL "\xff\"}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"access_key_secret\": \"" SENTINEL "\n\"}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"access_key_secret\": \"" SENTINEL,
	    NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"access_key_secret\": \"" SENTINEL "\","
	    " \"access_key_secret\": \"" SENTINEL "\"}]}",
	    NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"" SENTINEL "\" 1}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ SENTINEL, NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"profiles\": [{\"name\": \"p\", \"access_key_secret\": \""
	    SENTINEL "\"}, " SENTINEL "]}", NULL, NULL, NULL, NULL, NULL,
	    "p" },
	/* config.json: the profile is wrong. */
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"AK\", \"access_key_secret\": \"" SENTINEL "\", \"sts_token\": "
	    "\"" SENTINEL "\"}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"StsToken\", \"access_key_id\": \"i\", \"access_key_secret\": "
	    "\"" SENTINEL "\"}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"StsToken\", \"access_key_id\": \"i\", \"sts_token\": "
	    "\"" SENTINEL "\"}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"RamRoleArn\", \"access_key_id\": \"i\", \"access_key_secret\": "
	    "\"" SENTINEL "\"}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"AK\", \"access_key_id\": \"i\", \"access_key_secret\": "
	    "[\"" SENTINEL "\"]}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"q\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"AK\", \"access_key_id\": \"i\", \"access_key_secret\": \""
	    SENTINEL "\"}]}", NULL, NULL, NULL, NULL, NULL, NULL },
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"AK\", \"access_key_id\": \"i\", \"access_key_secret\": \""
	    SENTINEL "\"}]}", NULL, NULL, NULL, NULL, "zz", NULL },
	{ "{\"profiles\": [{\"name\": \"p\", \"mode\": \"AK\", "
	    "\"access_key_id\": \"i\", \"access_key_secret\": \"" SENTINEL
	    "\"}]}", NULL, NULL, NULL, NULL, NULL, "zz" },
	/* credentials: syntax errors on the secret's line. */
	{ NULL, "[default]\ntype = access_key\naccess_key_secret " SENTINEL
	    "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, SENTINEL "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, "access_key_secret = " SENTINEL "\n[default]\n",
	    NULL, NULL, NULL, NULL, NULL },
	{ NULL, "[" SENTINEL "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, "[default]\n= " SENTINEL "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, "[default]\naccess_key_secret = " SENTINEL "\n"
	    "access_key_secret = " SENTINEL "\n", NULL, NULL, NULL, NULL,
	    NULL },
	/* credentials: the section is wrong. */
	{ NULL, "[default]\ntype = access_key\naccess_key_secret = " SENTINEL
	    "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, "[default]\ntype = ram_role_arn\naccess_key_id = i\n"
	    "access_key_secret = " SENTINEL "\n", NULL, NULL, NULL, NULL,
	    NULL },
	{ NULL, "[default]\naccess_key_id = i\naccess_key_secret = " SENTINEL
	    "\n", NULL, NULL, NULL, NULL, NULL },
	{ NULL, "[other]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_secret = " SENTINEL "\n", NULL, NULL, NULL, NULL,
	    NULL },
	{ NULL, "[p]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_secret = " SENTINEL "\n", NULL, NULL, NULL, NULL,
	    "q" },
	/* Both files hold the secret, the profile is in neither. */
	{ "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\", \"mode\": "
	    "\"AK\", \"access_key_id\": \"i\", \"access_key_secret\": \""
	    SENTINEL "\"}]}", "[default]\ntype = access_key\n"
	    "access_key_id = i\naccess_key_secret = " SENTINEL "\n",
	    SENTINEL, SENTINEL, SENTINEL, NULL, "nope" },
};

START_TEST(test_sentinel)
{
	struct creds	 c;
	char		*cause;

	write_file(CFG, leaks[_i].cfg);
	write_file(INI, leaks[_i].ini);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", leaks[_i].id);
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", leaks[_i].secret);
	set_env("ALIBABA_CLOUD_SECURITY_TOKEN", leaks[_i].token);
	set_env("ALIBABA_CLOUD_PROFILE", leaks[_i].env_profile);

	cause = resolve_err(leaks[_i].profile);
	ck_assert_msg(strstr(cause, "SENTINEL") == NULL,
	    "secret in message: %s", cause);
	free(cause);

	/* Nor does the source of credentials that were found. */
	set_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-ok");
	set_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SENTINEL);
	set_env("ALIBABA_CLOUD_SECURITY_TOKEN", SENTINEL);
	if (leaks[_i].profile == NULL) {
		resolve_ok(NULL, &c);
		ck_assert_str_eq(c.access_key_secret, SENTINEL);
		ck_assert(strstr(c.source, "SENTINEL") == NULL);
		creds_free(&c);
	}
}
END_TEST

START_TEST(test_sentinel_found)
{
	struct creds	c;

	write_file(CFG, "{\"current\": \"p\", \"profiles\": [{\"name\": \"p\","
	    " \"mode\": \"StsToken\", \"access_key_id\": \"i\","
	    " \"access_key_secret\": \"" SENTINEL "\", \"sts_token\": \""
	    SENTINEL "\"}]}");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_secret, SENTINEL);
	ck_assert_str_eq(c.security_token, SENTINEL);
	ck_assert(strstr(c.source, "SENTINEL") == NULL);
	creds_free(&c);

	write_file(CFG, "{}");
	write_file(INI, "[default]\ntype = access_key\naccess_key_id = i\n"
	    "access_key_secret = " SENTINEL "\n");
	resolve_ok(NULL, &c);
	ck_assert_str_eq(c.access_key_secret, SENTINEL);
	ck_assert(strstr(c.source, "SENTINEL") == NULL);
	creds_free(&c);
}
END_TEST

/* ---------------------------------------------------------- the suite */

static TCase *
tcase(const char *name)
{
	TCase	*tc;

	tc = tcase_create(name);
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	return (tc);
}

Suite *
creds_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("creds");

	tc = tcase("env_wins");
	tcase_add_test(tc, test_env_wins);
	tcase_add_test(tc, test_env_empty_is_unset);
	suite_add_tcase(s, tc);

	tc = tcase("env_half");
	tcase_add_loop_test(tc, test_env_half, 0, NITEMS(env_half));
	suite_add_tcase(s, tc);

	tc = tcase("profile_arg");
	tcase_add_test(tc, test_profile_arg_wins);
	tcase_add_test(tc, test_profile_arg_cfg_before_ini);
	suite_add_tcase(s, tc);

	tc = tcase("profile_not_found");
	tcase_add_test(tc, test_profile_not_found);
	suite_add_tcase(s, tc);

	tc = tcase("cfg_current");
	tcase_add_test(tc, test_cfg_current_vs_env);
	suite_add_tcase(s, tc);

	tc = tcase("cfg_sts");
	tcase_add_test(tc, test_cfg_sts);
	suite_add_tcase(s, tc);

	tc = tcase("cfg_mode_unsupported");
	tcase_add_loop_test(tc, test_cfg_mode_unsupported, 0,
	    NITEMS(bad_modes));
	suite_add_tcase(s, tc);

	tc = tcase("cfg_missing_field");
	tcase_add_loop_test(tc, test_cfg_missing_field, 0, NITEMS(cfg_fields));
	suite_add_tcase(s, tc);

	tc = tcase("cfg_malformed");
	tcase_add_loop_test(tc, test_cfg_malformed, 0, NITEMS(cfg_bad));
	tcase_add_test(tc, test_cfg_not_regular);
	tcase_add_test(tc, test_cfg_too_large);
	suite_add_tcase(s, tc);

	tc = tcase("ini_default");
	tcase_add_test(tc, test_ini_default);
	suite_add_tcase(s, tc);

	tc = tcase("ini_forms");
	tcase_add_loop_test(tc, test_ini_forms, 0, NITEMS(ini_forms));
	suite_add_tcase(s, tc);

	tc = tcase("ini_bad");
	tcase_add_loop_test(tc, test_ini_bad, 0, NITEMS(ini_bad));
	suite_add_tcase(s, tc);

	tc = tcase("nothing_found");
	tcase_add_test(tc, test_nothing_found);
	tcase_add_test(tc, test_nothing_no_home);
	suite_add_tcase(s, tc);

	tc = tcase("due");
	tcase_add_loop_test(tc, test_due, 0, NITEMS(due));
	suite_add_tcase(s, tc);

	tc = tcase("sts_url");
	tcase_add_loop_test(tc, test_sts_url, 0, NITEMS(sts_urls));
	suite_add_tcase(s, tc);

	tc = tcase("parse_answer");
	tcase_add_loop_test(tc, test_parse_answer, 0, NITEMS(answers));
	suite_add_tcase(s, tc);

	tc = tcase("redact");
	tcase_add_loop_test(tc, test_redact, 0, NITEMS(redactions));
	tcase_add_test(tc, test_redact_long);
	tcase_add_loop_test(tc, test_uri_shown, 0, NITEMS(uris));
	suite_add_tcase(s, tc);

	tc = tcase("temp_fields");
	tcase_add_loop_test(tc, test_temp_fields, 0, NITEMS(temp_fields));
	suite_add_tcase(s, tc);

	tc = tcase("order");
	tcase_add_loop_test(tc, test_order, 0, NITEMS(order));
	tcase_add_test(tc, test_refresh_static);
	suite_add_tcase(s, tc);

	tc = tcase("sentinel");
	tcase_add_loop_test(tc, test_sentinel, 0, NITEMS(leaks));
	tcase_add_test(tc, test_sentinel_found);
	suite_add_tcase(s, tc);

	return (s);
}
