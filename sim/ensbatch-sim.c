/*
 * ensbatch-sim: main(), options, the listening socket and the wait for
 * SIGINT or SIGTERM (sigwait in main: no signal handlers at all).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/safefile.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#include "sim.h"

#define DEFAULT_LISTEN		"127.0.0.1:0"
#define DEFAULT_ACCESS_KEY	"ensbatch-sim:ensbatch-sim-secret"
#define DEFAULT_GENERATE	10
#define MAX_GENERATE		1000000
#define MAX_LATENCY_MS		600000
#define MAX_REBOOT_SECONDS	86400
#define MAX_TLS_FILE		(1024 * 1024)
#define NONCE_MEMORY		100000
#define NONCE_KEEP_MS		(2 * SIM_SKEW_MS)
#define FAULT_STREAM		0xa0761d6478bd642fULL

enum {
	OPT_LISTEN = 256,
	OPT_PORT_FILE,
	OPT_FLEET,
	OPT_GENERATE,
	OPT_SEED,
	OPT_EMIT_MANIFEST,
	OPT_ACCESS_KEY,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_LATENCY,
	OPT_CLOCK_SKEW,
	OPT_THROTTLE,
	OPT_FAIL,
	OPT_DROP,
	OPT_CORRUPT,
	OPT_LOSE,
	OPT_REBOOT_SECONDS,
	OPT_REBOOT_FAIL,
	OPT_STUCK,
	OPT_LAG,
	OPT_FAULT_SEED,
	OPT_LOG,
	OPT_VERSION,
	OPT_HELP
};

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port-file", required_argument, NULL, OPT_PORT_FILE },
	{ "fleet", required_argument, NULL, OPT_FLEET },
	{ "generate", required_argument, NULL, OPT_GENERATE },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "emit-manifest", required_argument, NULL, OPT_EMIT_MANIFEST },
	{ "access-key", required_argument, NULL, OPT_ACCESS_KEY },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "latency", required_argument, NULL, OPT_LATENCY },
	{ "clock-skew", required_argument, NULL, OPT_CLOCK_SKEW },
	{ "throttle", required_argument, NULL, OPT_THROTTLE },
	{ "fail", required_argument, NULL, OPT_FAIL },
	{ "drop", required_argument, NULL, OPT_DROP },
	{ "corrupt", required_argument, NULL, OPT_CORRUPT },
	{ "lose", required_argument, NULL, OPT_LOSE },
	{ "reboot-seconds", required_argument, NULL, OPT_REBOOT_SECONDS },
	{ "reboot-fail", required_argument, NULL, OPT_REBOOT_FAIL },
	{ "stuck", required_argument, NULL, OPT_STUCK },
	{ "lag", required_argument, NULL, OPT_LAG },
	{ "fault-seed", required_argument, NULL, OPT_FAULT_SEED },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

/* The command line, borrowed from argv. */
struct config {
	const char	*listen;
	const char	*port_file;
	const char	*fleet;
	const char	*emit_manifest;
	const char	*access_key;
	const char	*tls_cert;
	const char	*tls_key;
	const char	*log;
	int		 generate_given;
	uint64_t	 generate;
	uint64_t	 seed;
	uint64_t	 latency_ms;
	int64_t		 clock_skew_ms;
	int64_t		 reboot_ms;
	int64_t		 lag_ms;
	int		 fault_seed_given;
	uint64_t	 fault_seed;
	double		 reboot_fail;
	double		 stuck;
	double		 throttle;
	double		 fail;
	double		 drop;
	double		 corrupt;
	double		 lose;
	int		 help;
	int		 version;
};

/* Where to listen, from --listen. */
struct listen_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 ipv6;
	char			 host[INET6_ADDRSTRLEN + 2];	/* [::1] */
};

static void
usage(FILE *f)
{
	fputs("usage: ensbatch-sim [--listen ADDR:PORT] [--port-file FILE]\n"
	    "                    [--fleet FLEET.yaml | --generate N] "
	    "[--seed S]\n"
	    "                    [--emit-manifest MANIFEST.yaml] "
	    "[--access-key ID:SECRET]\n"
	    "                    [--tls-cert CERT.pem --tls-key KEY.pem] "
	    "[--latency MS]\n"
	    "                    [--clock-skew DUR] [--throttle P] [--fail P]\n"
	    "                    [--drop P] [--corrupt P] [--lose P]\n"
	    "                    [--reboot-seconds S] [--reboot-fail P] "
	    "[--stuck P]\n"
	    "                    [--lag DUR] [--fault-seed S] "
	    "[--log REQUESTS.jsonl]\n"
	    "       ensbatch-sim --version | --help\n", f);
}

static void
help(void)
{
	usage(stdout);
	fputs("\n"
	    "A local simulator of the ENS API for rehearsals and tests.\n\n"
	    "  --listen ADDR:PORT     loopback address to listen on "
	    "(default " DEFAULT_LISTEN ";\n"
	    "                         port 0 picks a free port)\n"
	    "  --port-file FILE       write the port there once listening\n"
	    "  --fleet FLEET.yaml     the events to serve\n"
	    "  --generate N           N generated reboot events instead "
	    "(default 10)\n"
	    "  --seed S               seed of the generated fleet "
	    "(default 1)\n"
	    "  --emit-manifest FILE   write an ensbatch manifest for the "
	    "fleet\n"
	    "  --access-key ID:SECRET the only valid key (default "
	    DEFAULT_ACCESS_KEY ",\n"
	    "                         for rehearsals only)\n"
	    "  --tls-cert, --tls-key  serve HTTPS with this PEM certificate "
	    "and key\n"
	    "  --latency MS           answer MS after each request arrived\n"
	    "  --clock-skew DUR       the server's clock is DUR ahead (or "
	    "behind, -DUR)\n"
	    "                         when it checks request timestamps\n"
	    "  --throttle P           answer Throttling.User with "
	    "probability P\n"
	    "  --fail P               answer 503 ServiceUnavailable with "
	    "probability P\n"
	    "  --drop P               apply, then close the connection "
	    "without answering,\n"
	    "                         with probability P\n"
	    "  --corrupt P            apply, then answer 200 with an "
	    "unusable body,\n"
	    "                         with probability P\n"
	    "  --lose P               close the connection without applying "
	    "or answering,\n"
	    "                         with probability P\n"
	    "  --reboot-seconds S     a reboot takes S seconds, such as 1.5 "
	    "(default 5)\n"
	    "  --reboot-fail P        a reboot ends Failed with "
	    "probability P\n"
	    "  --stuck P              a reboot ends Executed but the "
	    "instance stays\n"
	    "                         Stopped, with probability P\n"
	    "  --lag DUR              status changes show DUR late "
	    "(such as 2s)\n"
	    "  --fault-seed S         seed of all faults (default: --seed)\n"
	    "  --log FILE             one JSON line per request and "
	    "status change\n"
	    "  --version              print the version and exit\n"
	    "\nSee ensbatch-sim(1).\n", stdout);
}

/* An unsigned decimal within max.  0 or -1. */
static int
parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (text[0] < '0' || text[0] > '9')
		return (-1);
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* A decimal number in [0, max], such as 0.25.  0 or -1. */
static int
parse_decimal(const char *text, double max, double *out)
{
	char	*end;
	double	 v;

	if ((text[0] < '0' || text[0] > '9') && text[0] != '.')
		return (-1);
	errno = 0;
	v = strtod(text, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v) || v < 0 || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* A probability in [0, 1].  0 or -1. */
static int
parse_probability(const char *text, double *out)
{
	return (parse_decimal(text, 1, out));
}

/* Seconds from 0 to max, with a fraction, as milliseconds.  0 or -1. */
static int
parse_seconds(const char *text, double max, int64_t *ms)
{
	double	v;

	if (parse_decimal(text, max, &v) != 0)
		return (-1);
	*ms = (int64_t)(v * 1000 + 0.5);
	return (0);
}

/*
 * Parse --listen: "A.B.C.D:PORT" or "[::1]:PORT", a loopback address.
 * 0, or -1 with *cause.
 */
static int
parse_listen(const char *text, struct listen_addr *la, char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&la->ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&la->ss;
	const char		*colon, *close;
	char			*addr = NULL;
	uint64_t		 port;
	int			 rc = -1;

	*cause = NULL;
	memset(la, 0, sizeof *la);
	if (text[0] == '[') {
		if ((close = strchr(text, ']')) == NULL || close[1] != ':') {
			*cause = xasprintf("--listen: expected [ADDR]:PORT, "
			    "found \"%s\"", text);
			goto out;
		}
		addr = xstrndup(text + 1, (size_t)(close - text - 1));
		colon = close + 1;
		la->ipv6 = 1;
	} else {
		if ((colon = strrchr(text, ':')) == NULL) {
			*cause = xasprintf("--listen: expected ADDR:PORT, "
			    "found \"%s\"", text);
			goto out;
		}
		addr = xstrndup(text, (size_t)(colon - text));
	}
	if (parse_uint(colon + 1, 65535, &port) != 0) {
		*cause = xasprintf("--listen: bad port \"%s\"", colon + 1);
		goto out;
	}
	if (la->ipv6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
			*cause = xasprintf("--listen: \"%s\" is not a "
			    "loopback address ([::1] or 127.0.0.0/8)", addr);
			goto out;
		}
		la->len = sizeof *sin6;
		snprintf(la->host, sizeof la->host, "[::1]");
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1 ||
		    (ntohl(sin->sin_addr.s_addr) >> 24) != 127) {
			*cause = xasprintf("--listen: \"%s\" is not a "
			    "loopback address (127.0.0.0/8 or [::1])", addr);
			goto out;
		}
		la->len = sizeof *sin;
		inet_ntop(AF_INET, &sin->sin_addr, la->host, sizeof la->host);
	}
	rc = 0;
out:
	free(addr);
	return (rc);
}

/*
 * Parse the command line.  0, 1 for --help, 2 for --version, or -1
 * after a message.
 */
static int
parse_options(int argc, char **argv, struct config *cfg)
{
	const char	*what = NULL;
	char		*why = NULL;
	int		 ch;

	memset(cfg, 0, sizeof *cfg);
	cfg->listen = DEFAULT_LISTEN;
	cfg->access_key = DEFAULT_ACCESS_KEY;
	cfg->seed = 1;
	cfg->reboot_ms = 5000;
	cfg->generate = DEFAULT_GENERATE;
	while ((ch = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN:
			cfg->listen = optarg;
			break;
		case OPT_PORT_FILE:
			cfg->port_file = optarg;
			break;
		case OPT_FLEET:
			cfg->fleet = optarg;
			break;
		case OPT_GENERATE:
			cfg->generate_given = 1;
			if (parse_uint(optarg, MAX_GENERATE,
			    &cfg->generate) != 0)
				what = "--generate must be an integer from 0 "
				    "to 1000000";
			break;
		case OPT_SEED:
			if (parse_uint(optarg, UINT64_MAX, &cfg->seed) != 0)
				what = "--seed must be an unsigned integer";
			break;
		case OPT_EMIT_MANIFEST:
			cfg->emit_manifest = optarg;
			break;
		case OPT_ACCESS_KEY:
			cfg->access_key = optarg;
			break;
		case OPT_TLS_CERT:
			cfg->tls_cert = optarg;
			break;
		case OPT_TLS_KEY:
			cfg->tls_key = optarg;
			break;
		case OPT_LATENCY:
			if (parse_uint(optarg, MAX_LATENCY_MS,
			    &cfg->latency_ms) != 0)
				what = "--latency must be milliseconds from 0 "
				    "to 600000";
			break;
		case OPT_CLOCK_SKEW:
			if (timefmt_duration(optarg, &cfg->clock_skew_ms,
			    &why) != 0) {
				free(why);
				why = NULL;
				what = "--clock-skew must be a duration such "
				    "as 20m or -20m";
			}
			break;
		case OPT_THROTTLE:
			if (parse_probability(optarg, &cfg->throttle) != 0)
				what = "--throttle must be a probability from "
				    "0 to 1";
			break;
		case OPT_FAIL:
			if (parse_probability(optarg, &cfg->fail) != 0)
				what = "--fail must be a probability from 0 "
				    "to 1";
			break;
		case OPT_DROP:
			if (parse_probability(optarg, &cfg->drop) != 0)
				what = "--drop must be a probability from 0 "
				    "to 1";
			break;
		case OPT_LOSE:
			if (parse_probability(optarg, &cfg->lose) != 0)
				what = "--lose must be a probability from 0 "
				    "to 1";
			break;
		case OPT_CORRUPT:
			if (parse_probability(optarg, &cfg->corrupt) != 0)
				what = "--corrupt must be a probability from "
				    "0 to 1";
			break;
		case OPT_REBOOT_SECONDS:
			if (parse_seconds(optarg, MAX_REBOOT_SECONDS,
			    &cfg->reboot_ms) != 0)
				what = "--reboot-seconds must be seconds "
				    "from 0 to 86400 (such as 1.5)";
			break;
		case OPT_REBOOT_FAIL:
			if (parse_probability(optarg, &cfg->reboot_fail) != 0)
				what = "--reboot-fail must be a probability "
				    "from 0 to 1";
			break;
		case OPT_STUCK:
			if (parse_probability(optarg, &cfg->stuck) != 0)
				what = "--stuck must be a probability from 0 "
				    "to 1";
			break;
		case OPT_LAG:
			if (timefmt_duration(optarg, &cfg->lag_ms,
			    &why) != 0 || cfg->lag_ms < 0) {
				free(why);
				why = NULL;
				what = "--lag must be a duration such as 2s "
				    "or 500ms";
			}
			break;
		case OPT_FAULT_SEED:
			cfg->fault_seed_given = 1;
			if (parse_uint(optarg, UINT64_MAX,
			    &cfg->fault_seed) != 0)
				what = "--fault-seed must be an unsigned "
				    "integer";
			break;
		case OPT_LOG:
			cfg->log = optarg;
			break;
		case OPT_VERSION:
			cfg->version = 1;
			break;
		case OPT_HELP:
			cfg->help = 1;
			break;
		default:
			usage(stderr);
			return (-1);
		}
		if (what != NULL)
			break;
	}
	if (what == NULL && optind < argc)
		what = "unexpected argument";
	if (what == NULL && cfg->fleet != NULL && cfg->generate_given)
		what = "--fleet and --generate exclude each other";
	if (what == NULL && (cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
		what = "--tls-cert and --tls-key go together";
	if (what == NULL && (strchr(cfg->access_key, ':') == NULL ||
	    cfg->access_key[0] == ':' ||
	    cfg->access_key[strlen(cfg->access_key) - 1] == ':'))
		what = "--access-key must be ID:SECRET";
	if (what != NULL) {
		if (optind < argc && strcmp(what, "unexpected argument") == 0)
			fprintf(stderr, "ensbatch-sim: %s \"%s\"\n", what,
			    argv[optind]);
		else
			fprintf(stderr, "ensbatch-sim: %s\n", what);
		usage(stderr);
		return (-1);
	}
	if (!cfg->fault_seed_given)
		cfg->fault_seed = cfg->seed;
	return (cfg->help ? 1 : cfg->version ? 2 : 0);
}

/* Read a whole PEM file (caller frees).  NULL with *cause. */
static char *
read_small_file(const char *path, const char *flag, char **cause)
{
	FILE	*f;
	char	*data;
	size_t	 n;

	*cause = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		*cause = xasprintf("%s: cannot open %s: %s", flag, path,
		    strerror(errno));
		return (NULL);
	}
	data = xmalloc(MAX_TLS_FILE + 1);
	n = fread(data, 1, MAX_TLS_FILE + 1, f);
	if (ferror(f) || n > MAX_TLS_FILE || n == 0) {
		*cause = xasprintf("%s: cannot read %s: %s", flag, path,
		    ferror(f) ? strerror(errno) : n == 0 ? "empty file" :
		    "larger than 1 MiB");
		free(data);
		data = NULL;
	} else
		data[n] = '\0';
	fclose(f);
	return (data);
}

/* Bind and listen; the port actually used in *port.  fd or -1. */
static int
open_listener(struct listen_addr *la, unsigned int *port, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	int			 fd, one = 1;

	*cause = NULL;
	fd = socket(la->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		*cause = xasprintf("cannot create a socket: %s",
		    strerror(errno));
		return (-1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (la->ipv6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof one);
	if (bind(fd, (struct sockaddr *)&la->ss, la->len) != 0 ||
	    listen(fd, 128) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		*cause = xasprintf("cannot listen on %s: %s", la->host,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	if (ss.ss_family == AF_INET6)
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return (fd);
}

static int
write_port_file(const char *path, unsigned int port, char **cause)
{
	struct safefile	 a;
	char		 text[16];
	int		 len;

	*cause = NULL;
	if (safefile_open(&a, path, cause) != 0) {
		safefile_abort(&a);	/* frees what safefile_open kept */
		return (-1);
	}
	len = snprintf(text, sizeof text, "%u\n", port);
	if (safefile_write_all(a.fd, text, (size_t)len) != 0) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		safefile_abort(&a);
		return (-1);
	}
	return (safefile_commit(&a, cause));
}

int
main(int argc, char **argv)
{
	struct config		 cfg;
	struct listen_addr	 la;
	struct sim		 s;
	struct sim_lifecycle	 lc;
	struct sim_server	*srv = NULL;
	sigset_t		 stop;
	char			*cause = NULL, *cert = NULL, *key = NULL;
	char			*endpoint = NULL, *akid = NULL;
	const char		*colon;
	unsigned int		 port = 0;
	int64_t			 now;
	int			 rc = SIM_EXIT_USAGE, fd = -1, sig, locked = 0;
	int			 emitted;

	memset(&s, 0, sizeof s);
	switch (parse_options(argc, argv, &cfg)) {
	case -1:
		goto out;
	case 1:
		help();
		rc = SIM_EXIT_OK;
		goto out;
	case 2:
		printf("ensbatch-sim %s\n", PACKAGE_VERSION);
		rc = SIM_EXIT_OK;
		goto out;
	}
	if (parse_listen(cfg.listen, &la, &cause) != 0)
		goto out;

	now = timefmt_now() + cfg.clock_skew_ms;	/* the sim clock */
	if (cfg.fleet != NULL) {
		if ((s.fleet = fleet_load(cfg.fleet, now, &cause)) == NULL) {
			/* Located messages, one per line, as they are. */
			fprintf(stderr, "%s\n", cause);
			free(cause);
			cause = NULL;
			goto out;
		}
	} else
		s.fleet = fleet_generate((size_t)cfg.generate, cfg.seed, now);
	memset(&lc, 0, sizeof lc);
	lc.reboot_ms = cfg.reboot_ms;
	lc.lag_ms = cfg.lag_ms;
	lc.p_fail = cfg.reboot_fail;
	lc.p_stuck = cfg.stuck;
	lc.fault_seed = cfg.fault_seed;
	fleet_prepare(s.fleet, &lc, now);
	if (cfg.emit_manifest != NULL &&
	    fleet_manifest_check(s.fleet, &cause) != 0)
		goto out;

	rc = SIM_EXIT_ENV;
	colon = strchr(cfg.access_key, ':');
	akid = xstrndup(cfg.access_key, (size_t)(colon - cfg.access_key));
	s.access_key_id = akid;
	s.access_key_secret = colon + 1;
	s.latency_ms = (int64_t)cfg.latency_ms;
	s.clock_skew_ms = cfg.clock_skew_ms;
	s.fault_p[SIM_FAULT_THROTTLE] = cfg.throttle;
	s.fault_p[SIM_FAULT_FAIL] = cfg.fail;
	s.fault_p[SIM_FAULT_DROP] = cfg.drop;
	s.fault_p[SIM_FAULT_CORRUPT] = cfg.corrupt;
	s.fault_p[SIM_FAULT_LOSE] = cfg.lose;
	s.fault_rng = cfg.fault_seed ^ FAULT_STREAM;
	s.nonces = nonces_new(NONCE_MEMORY, NONCE_KEEP_MS);
	sim_init_lock(&s);
	locked = 1;
	if (cfg.log != NULL && (s.log = fopen(cfg.log, "we")) == NULL) {
		cause = xasprintf("--log: cannot open %s: %s", cfg.log,
		    strerror(errno));
		goto out;
	}
	if (cfg.tls_cert != NULL) {
		if ((cert = read_small_file(cfg.tls_cert, "--tls-cert",
		    &cause)) == NULL ||
		    (key = read_small_file(cfg.tls_key, "--tls-key",
		    &cause)) == NULL)
			goto out;
	}
	if ((fd = open_listener(&la, &port, &cause)) == -1)
		goto out;

	/* Threads started from here on inherit the blocked signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0)
		fatal("cannot block signals");
	signal(SIGPIPE, SIG_IGN);

	if ((srv = server_start(&s, fd, cert, key, la.ipv6, &cause)) ==
	    NULL)
		goto out;
	fd = -1;
	endpoint = xasprintf("%s://%s:%u", cert != NULL ? "https" : "http",
	    la.host, port);
	/* The server runs: its connections may change the fleet already. */
	if (cfg.emit_manifest != NULL) {
		if (pthread_mutex_lock(&s.lock) != 0)
			fatal("cannot lock the simulator");
		emitted = fleet_emit_manifest(s.fleet, cfg.emit_manifest,
		    endpoint, &cause);
		if (pthread_mutex_unlock(&s.lock) != 0)
			fatal("cannot unlock the simulator");
		if (emitted != 0)
			goto out;
	}
	if (cfg.port_file != NULL &&
	    write_port_file(cfg.port_file, port, &cause) != 0)
		goto out;
	fprintf(stderr, "ensbatch-sim: listening on %s\n", endpoint);

	do {
		if (sigwait(&stop, &sig) != 0)
			fatal("sigwait failed");
	} while (sig != SIGINT && sig != SIGTERM);
	rc = SIM_EXIT_OK;
out:
	if (cause != NULL) {
		fprintf(stderr, "ensbatch-sim: %s\n", cause);
		free(cause);
	}
	server_stop(srv);
	if (fd != -1)
		close(fd);
	if (s.log != NULL && fclose(s.log) != 0 && rc == SIM_EXIT_OK) {
		fprintf(stderr, "ensbatch-sim: --log: cannot write %s: %s\n",
		    cfg.log, strerror(errno));
		rc = SIM_EXIT_ENV;
	}
	if (locked) {
		sim_destroy_lock(&s);
	}
	nonces_free(s.nonces);
	fleet_free(s.fleet);
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(cert);
	free(akid);
	free(endpoint);
	return (rc);
}
