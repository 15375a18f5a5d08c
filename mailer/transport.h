/* SPDX-License-Identifier: ISC */
/*
 * transport.h - one connection to an LMTP server: UNIX or TCP, buffered,
 * every wait bounded by a timeout.  Knows nothing of LMTP.
 */
#ifndef LMTPIQ_TRANSPORT_H
#define LMTPIQ_TRANSPORT_H

#include <stddef.h>

#include "tls.h"

/* Longest reply line accepted, CRLF excluded.  RFC 5321 4.5.3.1.5 says
 * 512; Cyrus stays well below.  Anything longer is treated as garbage. */
#define TRANSPORT_LINE_MAX 4096
#define TRANSPORT_WBUF 65536
#define TRANSPORT_RBUF 8192
#define TRANSPORT_ERR_MAX 512
#define TRANSPORT_DEFAULT_PORT "24"

/* Why the last call failed, for the caller's wording and DSN code. */
enum transport_fault {
	TF_NONE,
	TF_CONNECT,		/* no connection could be made */
	TF_TIMEOUT,		/* a wait outlived its timeout */
	TF_DEADLINE,		/* the whole-delivery time limit was reached */
	TF_LOST,		/* the peer closed, or a read or write failed */
	TF_LONG_LINE,		/* a line longer than TRANSPORT_LINE_MAX */
	TF_NUL,			/* a NUL byte in a line */
	TF_TLS,			/* TLS could not be set up, or did not verify */
};

struct transport {
	int fd;			/* read from this */
	int wfd;		/* write to this: fd itself for a socket */
	int stdio;		/* fds we did not open: blocking, not ours to close */
	int is_unix;		/* a UNIX socket */
	int is_loopback;	/* TCP to 127.0.0.0/8 or ::1 */
	int port;		/* TCP: the peer's port */
	struct stls tls;	/* once STARTTLS is under way */
	int io_timeout_ms;	/* longest wait for the peer to accept our bytes */
	long long deadline_ms;	/* nothing may wait past this; 0 = none */
	enum transport_fault fault;
	size_t rpos, rlen, wlen;
	/* Buffers and names last: a reset clears every field above. */
	char rbuf[TRANSPORT_RBUF];
	char wbuf[TRANSPORT_WBUF];
	char peer[600];		/* "unix:/path" or "host:port", for messages */
	char host[256];		/* the TCP host name as given, "" for UNIX */
	char err[TRANSPORT_ERR_MAX];	/* why the last call failed */
};

/* A transport not yet connected, named name in messages. */
void transport_init(struct transport *t, const char *name);

/* A server spec is "/path", "unix:/path", "host", "host:port" or
 * "[v6addr]:port".  Returns 0 or -1 with t->err set.  deadline_ms (on
 * transport_now_ms's clock, 0 for none) bounds every wait from now on,
 * whatever the timeouts say. */
int transport_connect(struct transport *t, const char *spec, int timeout_ms,
    long long deadline_ms);

/* Split a TCP spec into host and port (TRANSPORT_DEFAULT_PORT when none).
 * -1 with t->err set when it is malformed. */
int transport_split_hostport(struct transport *t, const char *spec,
    char *host, size_t hcap, char *port, size_t pcap);

/* 1 when the peer has sent something not yet read, or closed: after a
 * DATA's 354 nothing may come until the final dot has been sent. */
int transport_pending(struct transport *t);

/* Bytes are buffered; transport_flush pushes them out.  -1: t->err set. */
int transport_write(struct transport *t, const void *buf, size_t len);
int transport_puts(struct transport *t, const char *s);
int transport_flush(struct transport *t);

/* Zero the write buffer (and forget what is left in it): after a line
 * that held a secret has been flushed. */
void transport_wipe(struct transport *t);

/* Milliseconds on a monotonic clock, for deadlines. */
long long transport_now_ms(void);

/* Read one line (CRLF or LF stripped, NUL-terminated) into line[cap].
 * cap must exceed TRANSPORT_LINE_MAX.  Waits no later than until_ms (nor
 * the delivery deadline).
 * Returns the length, or -1 with t->err set (timeout, EOF, too long). */
int transport_read_line(struct transport *t, char *line, size_t cap,
    long long until_ms);

/* Start TLS on the connection (after the server's 220 to STARTTLS),
 * within the connection's timeout and deadline.  -1 with t->err (which
 * check failed, for which name) and TF_TLS; t->tls holds what was seen. */
int transport_starttls(struct transport *t, const struct stls_settings *s);

/* Close without ceremony; further calls fail. */
void transport_close(struct transport *t);

/* Talk over two descriptors we were given (stdin and stdout in LMTP
 * mode), named name in messages.  They are left blocking and open. */
void transport_attach(struct transport *t, int rfd, int wfd, const char *name,
    int timeout_ms);

/* From now on nothing waits past deadline_ms (0: no deadline). */
void transport_set_deadline(struct transport *t, long long deadline_ms);

/* Raw input: the bytes buffered, reading more first when there are none
 * (waiting no later than until_ms).  Returns their number with *p at
 * them, or -1 with t->err set; transport_consume(n) uses n of them. */
int transport_peek(struct transport *t, const char **p, long long until_ms);
void transport_consume(struct transport *t, size_t n);

/* Throw input away up to and including the next LF (after a line that
 * transport_read_line refused).  0 or -1. */
int transport_skip_line(struct transport *t, long long until_ms);

/* Whether the link proves its peer, so that a secret may be sent on it
 * as it is (SASL PLAIN, LOGIN): TLS whose certificate verified for the
 * name we meant to reach, a UNIX socket, or TCP loopback to a port below
 * 1024 (only root can listen there).  1 or 0; why (cap bytes) names the
 * rule that applied either way, for -n and the error. */
int transport_protected(const struct transport *t, char *why, size_t cap);

/* What the TLS handshake showed (kept after a failure), or NULL when
 * STARTTLS was never begun on this connection. */
const struct stls_info *transport_tls_info(const struct transport *t);

/* The TLS layer's strength in bits, 0 without TLS. */
int transport_tls_bits(const struct transport *t);

/* 1 when input is buffered, not yet read by the caller. */
int transport_buffered(const struct transport *t);

/* When t's last failure was a wait that ran out (TF_TIMEOUT or
 * TF_DEADLINE), say it again in the transport's one wording with what
 * the caller knows: "timeout after SECONDS s DOING PEER", or "the
 * delivery time limit was reached DOING PEER"; doing says what was
 * waited for, e.g. "waiting for the reply to LHLO from".  1 when it
 * did, 0 (t->err untouched) for any other failure. */
int transport_say_timeout(struct transport *t, int seconds,
    const char *doing);

#endif
