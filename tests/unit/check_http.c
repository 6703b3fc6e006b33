/*
 * http: how a transfer error is judged.  Whether the request may have
 * reached the server decides between "not sent" (safe to send again)
 * and "unknown" (reconcile): a one-line change here can double-reboot.
 * And whether the OpenSSL calls that keep TLS sessions resumable are
 * found (tests/tls-resume.sh shows what they do).
 */
#include "config.h"

#include <string.h>

#include "ensbatch/http.h"
#include "suites.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static const struct {
	CURLcode		rc;
	long			sent;		/* CURLINFO_REQUEST_SIZE */
	int			too_big;
	enum http_result	result;
	int			tls;
} classify[] = {
	{ CURLE_OK, 300, 0, HTTP_DONE, 0 },
	{ CURLE_OK, 0, 0, HTTP_DONE, 0 },
	/* Before the request: not sent, unless bytes went out. */
	{ CURLE_COULDNT_RESOLVE_HOST, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_COULDNT_RESOLVE_PROXY, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_COULDNT_CONNECT, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_COULDNT_CONNECT, 1, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_COULDNT_CONNECT, 412, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_URL_MALFORMAT, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_UNSUPPORTED_PROTOCOL, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_OPERATION_TIMEDOUT, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_OPERATION_TIMEDOUT, 350, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_ABORTED_BY_CALLBACK, 0, 0, HTTP_NOT_SENT, 0 },
	{ CURLE_ABORTED_BY_CALLBACK, 350, 0, HTTP_UNKNOWN, 0 },
	/* TLS: flagged, and the same rule. */
	{ CURLE_SSL_CONNECT_ERROR, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_CONNECT_ERROR, 350, 0, HTTP_UNKNOWN, 1 },
	{ CURLE_PEER_FAILED_VERIFICATION, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_CACERT_BADFILE, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_CERTPROBLEM, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_CIPHER, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_ISSUER_ERROR, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_PINNEDPUBKEYNOTMATCH, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_INVALIDCERTSTATUS, 0, 0, HTTP_NOT_SENT, 1 },
	{ CURLE_SSL_CRL_BADFILE, 0, 0, HTTP_NOT_SENT, 1 },
	/* On the wire, whatever the count says. */
	{ CURLE_SEND_ERROR, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_SEND_ERROR, 350, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_RECV_ERROR, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_RECV_ERROR, 350, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_GOT_NOTHING, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_GOT_NOTHING, 350, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_PARTIAL_FILE, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_WEIRD_SERVER_REPLY, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_HTTP2, 0, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_HTTP2_STREAM, 0, 0, HTTP_UNKNOWN, 0 },
	/* An answer came that we could not keep. */
	{ CURLE_WRITE_ERROR, 0, 1, HTTP_UNKNOWN, 0 },
	{ CURLE_WRITE_ERROR, 350, 1, HTTP_UNKNOWN, 0 },
	{ CURLE_WRITE_ERROR, 350, 0, HTTP_UNKNOWN, 0 },
	{ CURLE_WRITE_ERROR, 0, 0, HTTP_NOT_SENT, 0 },
};

START_TEST(test_classify)
{
	int	tls = -1;

	ck_assert_msg(http_classify(classify[_i].rc, classify[_i].sent,
	    classify[_i].too_big, &tls) == classify[_i].result,
	    "row %d: %s, %ld bytes sent", _i,
	    curl_easy_strerror(classify[_i].rc), classify[_i].sent);
	ck_assert_int_eq(tls, classify[_i].tls);
}
END_TEST

/*
 * On OpenSSL every call must be found: one missing (a name that is a
 * macro, say SSL_get0_session) would silently bring back the full
 * handshakes.
 */
START_TEST(test_ossl_setup)
{
	const curl_version_info_data	*v;
	int				 openssl;

	v = curl_version_info(CURLVERSION_NOW);
	openssl = v->ssl_version != NULL &&
	    strncmp(v->ssl_version, "OpenSSL/", 8) == 0;
	ck_assert_int_eq(http_ossl_setup(), openssl);
}
END_TEST

Suite *
http_suite(void)
{
	Suite	*s = suite_create("http");
	TCase	*tc;

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_classify, 0, NITEMS(classify));
	suite_add_tcase(s, tc);
	tc = tcase_create("ossl_setup");
	tcase_add_test(tc, test_ossl_setup);
	suite_add_tcase(s, tc);
	return (s);
}
