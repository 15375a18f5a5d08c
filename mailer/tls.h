/* SPDX-License-Identifier: ISC */
/*
 * tls.h - TLS for the transport (OpenSSL's libssl): the handshake after
 * STARTTLS, the peer's verification, and reads and writes once it is up.
 * Part of the transport layer; knows nothing of LMTP.
 */
#ifndef LMTPIQ_TLS_H
#define LMTPIQ_TLS_H

#include <stddef.h>
#include <sys/types.h>

/* What the postmaster configured.  Empty strings mean "not set". */
struct stls_settings {
	const char *ca_file;	/* "" and ca_path "": the system store */
	const char *ca_path;
	int verify;		/* check the chain and the name */
	const char *server_name;	/* "": the host as given */
	const char *cert_file;	/* client certificate, or "" */
	const char *key_file;
};

/* What the handshake showed, for -n and the log; kept after a failure. */
struct stls_info {
	int up;			/* the handshake completed */
	char protocol[16];
	char cipher[80];
	int bits;
	char name[256];		/* the name checked against the certificate */
	char subject[256];
	char issuer[256];
	char verify[200];	/* "ok", or why the peer did not verify */
};

#define STLS_ERR_MAX 512

/* One TLS connection, owned by the transport that runs it. */
struct stls {
	void *ssl, *ctx;	/* OpenSSL's, once begun */
	int verify;		/* the peer must verify */
	const char *peer;	/* for messages: the transport's name for it */
	struct stls_info info;	/* what the handshake showed */
	char err[STLS_ERR_MAX];	/* why the last call failed */
};

/* Set up TLS on the connected socket fd to host (the name as given,
 * checked unless s->server_name says another).  -1 with t->err. */
int stls_begin(struct stls *t, int fd, const char *host, const char *peer,
    const struct stls_settings *s);

/* One step of the handshake: 1 done, 0 wait for *events, -1 failed
 * (t->err says which check failed, for which name). */
int stls_handshake(struct stls *t, short *events);

/* As recv/send on a non-blocking socket: >0, 0 at the end (read), or
 * -1 with errno; EAGAIN sets *events to what to wait for. */
ssize_t stls_read(struct stls *t, void *buf, size_t n, short *events);
ssize_t stls_write(struct stls *t, const void *buf, size_t n,
    short *events);

/* 1 when application data or the end of the connection is waiting. */
int stls_pending(struct stls *t);

/* The TLS library loaded for this process ("libssl.so.3 (OpenSSL ...)"),
 * or NULL when no session has started TLS. */
const char *stls_library(void);

/* Free the TLS state (the socket is the caller's). */
void stls_end(struct stls *t);

#endif
