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
#include <unistd.h>

#define OSSL_REDIRECT	/* OpenSSL through the table ossl_load fills */
#include "ossl.h"

#include "file.h"

/* Record why, in the connection's own err; returns -1.  The transport
 * reads it from there (tls.h): tls.c writes nothing of its caller's. */
static int
stls_fail(struct stls *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
stls_fail(struct stls *t, const char *fmt, ...)
{
	va_list ap;

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

/* A named file as a BIO, opened as every named file is (file.c): a FIFO
 * there would hang the handshake, a file another user can write would
 * decide whom we trust.  NULL with the failure recorded. */
static BIO *
open_bio(struct stls *t, const char *path, const char *what,
    enum file_kind kind)
{
	char err[STLS_ERR_MAX];
	BIO *b;
	int fd;

	if ((fd = file_open(path, what, kind, err, sizeof(err))) < 0) {
		stls_fail(t, "%s", err);
		return NULL;
	}
	if ((b = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
		close(fd);
		stls_fail(t, "%s %s: %s", what, path, ssl_reason("no memory"));
	}
	return b;
}

/* Every certificate (and CRL) in the CA file, into the trust store. */
static int
load_ca_file(struct stls *t, SSL_CTX *ctx, const char *path)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ctx);
	STACK_OF(X509_INFO) *infos;
	X509_INFO *xi;
	BIO *b;
	int i, n = 0, ok = 1;

	if ((b = open_bio(t, path, "tls_ca_file", FILE_PLAIN)) == NULL)
		return -1;
	infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
	BIO_free(b);
	for (i = 0; infos != NULL && i < sk_X509_INFO_num(infos); i++) {
		xi = sk_X509_INFO_value(infos, i);
		if (xi->x509 != NULL) {
			ok &= X509_STORE_add_cert(store, xi->x509) == 1;
			n++;
		}
		if (xi->crl != NULL)
			ok &= X509_STORE_add_crl(store, xi->crl) == 1;
	}
	sk_X509_INFO_pop_free(infos, X509_INFO_free);
	if (n == 0 || !ok)
		return stls_fail(t, "cannot load the CA certificates from %s: %s",
		    path, ssl_reason("no certificate in it"));
	return 0;
}

/* The client certificate, the chain after it, and its key (a secret:
 * only its owner may read it; in the certificate file when no key file
 * is named). */
static int
load_client_cert(struct stls *t, SSL_CTX *ctx, const char *cert_file,
    const char *key_file)
{
	const char *kf = key_file[0] ? key_file : cert_file;
	EVP_PKEY *key;
	X509 *x;
	BIO *b;
	int ok;

	if ((b = open_bio(t, cert_file, "tls_cert_file", key_file[0] ?
	    FILE_PLAIN : FILE_SECRET)) == NULL)
		return -1;
	x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
	ok = x != NULL && SSL_CTX_use_certificate(ctx, x) == 1;
	X509_free(x);
	while (ok && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			ok = 0;
		}
	BIO_free(b);
	if (!ok)
		return stls_fail(t, "tls_cert_file %s: %s", cert_file,
		    ssl_reason("cannot load it"));
	ERR_clear_error();	/* the end of the chain is not an error */
	if ((b = open_bio(t, kf, "tls_key_file", FILE_SECRET)) == NULL)
		return -1;
	key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ok = key != NULL && SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
	    SSL_CTX_check_private_key(ctx) == 1;
	EVP_PKEY_free(key);
	if (!ok)
		return stls_fail(t, "tls_key_file %s: %s", kf, ssl_reason("cannot "
		    "load it, or it does not match the certificate"));
	return 0;
}

/* The server's own certificate as verification meets it, so that its
 * subject and issuer can be shown even when the handshake fails. */
static int
verify_cb(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct stls *t = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *leaf = X509_STORE_CTX_get0_cert(x);

	if (t != NULL && leaf != NULL && t->info.subject[0] == '\0') {
		X509_NAME_oneline(X509_get_subject_name(leaf), t->info.subject,
		    sizeof(t->info.subject));
		X509_NAME_oneline(X509_get_issuer_name(leaf), t->info.issuer,
		    sizeof(t->info.issuer));
	}
	return ok;
}

static int
load_ctx(struct stls *t, SSL_CTX *ctx, const struct stls_settings *s)
{
	char err[STLS_ERR_MAX];
	int fd;

	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (s->ca_file[0] && load_ca_file(t, ctx, s->ca_file) < 0)
		return -1;
	if (s->ca_path[0]) {
		/* OpenSSL opens the hashed files in it by name when it needs
		 * them; the directory itself is checked as a file would be. */
		if ((fd = file_open(s->ca_path, "tls_ca_path", FILE_DIR, err,
		    sizeof(err))) < 0)
			return stls_fail(t, "%s", err);
		close(fd);
		if (SSL_CTX_load_verify_locations(ctx, NULL, s->ca_path) != 1)
			return stls_fail(t, "cannot use the CA directory %s: %s",
			    s->ca_path, ssl_reason("unknown error"));
	}
	if (!s->ca_file[0] && !s->ca_path[0] &&
	    SSL_CTX_set_default_verify_paths(ctx) != 1)
		return stls_fail(t, "cannot load the system's CA certificates: %s",
		    ssl_reason("unknown error"));
	if (s->cert_file[0] && load_client_cert(t, ctx, s->cert_file,
	    s->key_file) < 0)
		return -1;
	SSL_CTX_set_verify(ctx, s->verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    verify_cb);
	return 0;
}

int
stls_begin(struct stls *t, int fd, const char *host, const char *peer,
    const struct stls_settings *s)
{
	struct stls_info *i = &t->info;
	unsigned char addr[16];
	const char *name;
	SSL_CTX *ctx;
	SSL *ssl;
	char why[STLS_ERR_MAX];
	size_t len;
	int is_ip;

	memset(i, 0, sizeof(*i));
	t->peer = peer;
	snprintf(i->name, sizeof(i->name), "%s", s->server_name[0] ?
	    s->server_name : host);
	/* "lmtp.example.org." is the same name, fully qualified; a
	 * certificate never carries the dot. */
	len = strlen(i->name);
	if (len > 1 && i->name[len - 1] == '.')
		i->name[len - 1] = '\0';
	name = i->name;
	t->verify = s->verify;
	/* libssl is loaded only now, by the first delivery that needs it. */
	if (ossl_load(why, sizeof(why)) < 0)
		return stls_fail(t, "%s", why);
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return stls_fail(t, "cannot set up TLS: %s",
		    ssl_reason("no memory"));
	t->ctx = ctx;
	if (load_ctx(t, ctx, s) < 0)
		return -1;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		return stls_fail(t, "cannot set up TLS: %s",
		    ssl_reason("no memory"));
	}
	t->ssl = ssl;
	SSL_set_app_data(ssl, t);
	is_ip = inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1;
	if (is_ip)
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name);
	else if (SSL_set_tlsext_host_name(ssl, name) != 1 ||
	    SSL_set1_host(ssl, name) != 1)
		return stls_fail(t, "cannot use %s as the TLS server name", name);
	/* RFC 9525 6.3: "*" only as the whole left-most label. */
	SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	return 0;
}

/* Whatever the handshake showed, even when it failed. */
static void
record(struct stls *t)
{
	struct stls_info *i = &t->info;
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
stls_handshake(struct stls *t, short *events)
{
	long vr;
	int r, e;

	ERR_clear_error();
	r = SSL_connect(t->ssl);
	if (r == 1) {
		record(t);
		t->info.up = 1;
		return 1;
	}
	e = SSL_get_error(t->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		*events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	record(t);
	vr = SSL_get_verify_result(t->ssl);
	if (t->verify && vr != X509_V_OK)
		return stls_fail(t, "TLS with %s: the server's certificate does "
		    "not verify for %s: %s", t->peer, t->info.name,
		    X509_verify_cert_error_string(vr));
	return stls_fail(t, "TLS handshake with %s failed: %s", t->peer,
	    ssl_reason(e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ?
	    "the connection was closed" : "unknown error"));
}

/* SSL_get_error as recv/send would say it. */
static ssize_t
as_errno(struct stls *t, int r, short *events)
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
io(struct stls *t, void *buf, size_t n, short *events, int writing)
{
	int len = n > 0x40000000 ? 0x40000000 : (int)n, r;

	ERR_clear_error();
	errno = 0;
	r = writing ? SSL_write(t->ssl, buf, len) : SSL_read(t->ssl, buf, len);
	return r > 0 ? r : as_errno(t, r, events);
}

ssize_t
stls_read(struct stls *t, void *buf, size_t n, short *events)
{
	return io(t, buf, n, events, 0);
}

ssize_t
stls_write(struct stls *t, const void *buf, size_t n, short *events)
{
	return io(t, (void *)(uintptr_t)buf, n, events, 1);
}

int
stls_pending(struct stls *t)
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

const char *
stls_library(void)
{
	return ossl_loaded();
}

void
stls_end(struct stls *t)
{
	SSL_free(t->ssl);
	SSL_CTX_free(t->ctx);
	t->ssl = NULL;
	t->ctx = NULL;
}
