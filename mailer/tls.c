/* SPDX-License-Identifier: ISC */
/*
 * tls.c - OpenSSL under the transport.  TLS 1.2 or later; the peer's
 * chain is checked against the configured CA (or the system store) and
 * its certificate against the name we meant to reach.  The socket stays
 * non-blocking: every OpenSSL call that would block says what it waits
 * for, and transport.c does the waiting within its timeouts.
 */
#define _DEFAULT_SOURCE
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "transport.h"

static int
tls_fail(struct transport *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
tls_fail(struct transport *t, const char *fmt, ...)
{
	va_list ap;

	t->fault = TF_TLS;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* OpenSSL's own reason for the last failure, or fallback. */
static const char *
ssl_reason(const char *fallback)
{
	static char buf[256];
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return fallback;
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* The private key is a secret: only its owner may read it. */
static int
key_file_ok(struct transport *t, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return tls_fail(t, "tls_key_file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return tls_fail(t, "tls_key_file %s has mode %04o; it must be a "
		    "regular file that group and others cannot read or write "
		    "(chmod 600)", path, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* The server's own certificate as verification meets it, so that its
 * subject and issuer can be shown even when the handshake fails. */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct transport *t = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);

	if (t != NULL && leaf != NULL && t->tls.subject[0] == '\0') {
		X509_NAME_oneline(X509_get_subject_name(leaf), t->tls.subject,
		    sizeof(t->tls.subject));
		X509_NAME_oneline(X509_get_issuer_name(leaf), t->tls.issuer,
		    sizeof(t->tls.issuer));
	}
	return ok;
}

static int
load_ctx(struct transport *t, SSL_CTX *ctx, const struct tls_settings *s)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (s->ca_file[0] || s->ca_path[0]) {
		if (SSL_CTX_load_verify_locations(ctx, s->ca_file[0] ?
		    s->ca_file : NULL, s->ca_path[0] ? s->ca_path : NULL) != 1)
			return tls_fail(t, "cannot load the CA certificates from "
			    "%s%s%s: %s", s->ca_file, s->ca_file[0] &&
			    s->ca_path[0] ? " and " : "", s->ca_path,
			    ssl_reason("unknown error"));
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		return tls_fail(t, "cannot load the system's CA certificates: %s",
		    ssl_reason("unknown error"));
	}
	if (s->cert_file[0]) {
		if (key_file_ok(t, s->key_file[0] ? s->key_file : s->cert_file) < 0)
			return -1;
		if (SSL_CTX_use_certificate_chain_file(ctx, s->cert_file) != 1)
			return tls_fail(t, "tls_cert_file %s: %s", s->cert_file,
			    ssl_reason("cannot load it"));
		if (SSL_CTX_use_PrivateKey_file(ctx, s->key_file[0] ?
		    s->key_file : s->cert_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1)
			return tls_fail(t, "tls_key_file %s: %s", s->key_file[0] ?
			    s->key_file : s->cert_file, ssl_reason("cannot load "
			    "it, or it does not match the certificate"));
	}
	SSL_CTX_set_verify(ctx, s->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    verify_cb);
	return 0;
}

int
tls_begin(struct transport *t, const struct tls_settings *s)
{
	struct tls_info *i = &t->tls;
	unsigned char addr[16];
	const char *name;
	SSL_CTX *ctx;
	SSL *ssl;
	size_t len;
	int is_ip;

	memset(i, 0, sizeof(*i));
	snprintf(i->name, sizeof(i->name), "%s", s->server_name[0] ?
	    s->server_name : t->host);
	/* "lmtp.example.org." is the same name, fully qualified; a
	 * certificate never carries the dot. */
	len = strlen(i->name);
	if (len > 1 && i->name[len - 1] == '.')
		i->name[len - 1] = '\0';
	name = i->name;
	t->tls_verify = s->verify;
	/* Bytes that came after the 220 were sent before TLS: taking them
	 * as if protected is the STARTTLS injection attack (CVE-2011-0411). */
	if (t->rpos < t->rlen)
		return tls_fail(t, "%s sent more after its reply to STARTTLS; "
		    "not starting TLS on it", t->peer);
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return tls_fail(t, "cannot set up TLS: %s", ssl_reason("no memory"));
	t->ssl_ctx = ctx;
	if (load_ctx(t, ctx, s) < 0)
		return -1;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, t->fd) != 1) {
		SSL_free(ssl);
		return tls_fail(t, "cannot set up TLS: %s", ssl_reason("no memory"));
	}
	t->ssl = ssl;
	SSL_set_app_data(ssl, t);
	is_ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if (is_ip)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	else if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1)
		return tls_fail(t, "cannot use %s as the TLS server name", name);
	/* RFC 9525 6.3: "*" only as the whole left-most label. */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

/* Whatever the handshake showed, even when it failed. */
static void
record(struct transport *t)
{
	struct tls_info *i = &t->tls;
	SSL *ssl = t->ssl;
	X509 *peer = SSL_get_peer_certificate(ssl);
	long vr = SSL_get_verify_result(ssl);

	snprintf(i->protocol, sizeof(i->protocol), "%s", SSL_get_version(ssl));
	snprintf(i->cipher, sizeof(i->cipher), "%s", SSL_get_cipher_name(ssl));
	i->bits = SSL_get_cipher_bits(ssl, NULL);
	if (peer != NULL) {
		X509_NAME_oneline(X509_get_subject_name(peer), i->subject,
		    sizeof(i->subject));
		X509_NAME_oneline(X509_get_issuer_name(peer), i->issuer,
		    sizeof(i->issuer));
		X509_free(peer);
	}
	if (peer == NULL && i->subject[0] == '\0')
		snprintf(i->verify, sizeof(i->verify), "no certificate");
	else if (vr == X509_V_OK)
		snprintf(i->verify, sizeof(i->verify), "ok");
	else
		snprintf(i->verify, sizeof(i->verify), "%s",
		    X509_verify_cert_error_string(vr));
}

int
tls_handshake(struct transport *t, short *events)
{
	long vr;
	int r, e;

	ERR_clear_error();
	r = SSL_connect(t->ssl);
	if (r == 1) {
		record(t);
		t->tls.up = 1;
		return 1;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	record(t);
	vr = SSL_get_verify_result(t->ssl);
	if (t->tls_verify && vr != X509_V_OK)
		return tls_fail(t, "TLS with %s: the server's certificate does "
		    "not verify for %s: %s", t->peer, t->tls.name,
		    X509_verify_cert_error_string(vr));
	return tls_fail(t, "TLS handshake with %s failed: %s", t->peer,
	    ssl_reason(e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ?
	    "the connection was closed" : "unknown error"));
}

/* SSL_get_error as recv/send would say it. */
static ssize_t
as_errno(struct transport *t, int r, short *events)
{
	int e = SSL_get_error(t->ssl, r);

	switch (e) {
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_SYSCALL:
		if (errno == 0)
			return 0;	/* closed without close_notify */
		return -1;
	default:
		errno = EPROTO;
		return -1;
	}
}

/* One SSL_read or SSL_write, at most 1 GiB (its length is an int). */
static ssize_t
io(struct transport *t, void *buf, size_t n, short *events, int writing)
{
	int len = n > 0x40000000 ? 0x40000000 : (int)n, r;

	ERR_clear_error();
	errno = 0;
	r = writing ? SSL_write(t->ssl, buf, len) : SSL_read(t->ssl, buf, len);
	return r > 0 ? r : as_errno(t, r, events);
}

ssize_t
tls_read(struct transport *t, void *buf, size_t n, short *events)
{
	return io(t, buf, n, events, 0);
}

ssize_t
tls_write(struct transport *t, const void *buf, size_t n, short *events)
{
	return io(t, (void *)(uintptr_t)buf, n, events, 1);
}

int
tls_pending(struct transport *t)
{
	char c;
	int r, e;

	/* Records that carry no data (TLS 1.3 session tickets) are taken in
	 * here and do not count. */
	ERR_clear_error();
	r = SSL_peek(t->ssl, &c, 1);
	if (r > 0)
		return 1;
	e = SSL_get_error(t->ssl, r);
	return e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
}

void
tls_end(struct transport *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ssl_ctx);
	t->ssl = NULL;
	t->ssl_ctx = NULL;
}
