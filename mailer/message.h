/* SPDX-License-Identifier: ISC */
/*
 * message.h - stream a message from a file descriptor into an LMTP DATA
 * body that no receiver can end early: every line ends in CRLF, a CR not
 * followed by LF is dropped, a line longer than MESSAGE_LINE_MAX octets
 * is broken (folded in the header section), leading dots are doubled
 * (RFC 5321 4.5.2), a missing final line end is added.  Memory use is
 * fixed.
 */
#ifndef LMTPIQ_MESSAGE_H
#define LMTPIQ_MESSAGE_H

#include "lmtp.h"
#include "transport.h"

#define MESSAGE_CHUNK 65536

/* RFC 5322 2.1.1 and RFC 5321 4.5.3.1.6: 998 octets of text before the
 * CRLF, the doubled dot not counted. */
#define MESSAGE_LINE_MAX 998

/* What message_encode may write for n bytes in. */
#define MESSAGE_OUT_MAX(n) (2 * (n) + 2)


/* The encoder alone, for tests and fuzzing: feed any pieces, then
 * finish. */
struct message_encoder {
	size_t col;		/* octets of text on the current output line */
	int pending_cr;		/* the last byte in was a CR: an LF may follow */
	int in_header;		/* no empty line yet: a long line is folded */
};

void message_encoder_init(struct message_encoder *e);

#ifdef LMTPIQ_TEST_HOOKS
/* Test and fuzz builds only (never the shipped binary): non-zero makes
 * the encoder copy text with the plain memchr path even where the CPU
 * has AVX2, so that the two paths can be compared. */
extern int message_force_plain;
#endif
/* out must hold MESSAGE_OUT_MAX(n) bytes.  Returns the output length. */
size_t message_encode(struct message_encoder *e, const unsigned char *in,
    size_t n, char *out);
/* out must hold MESSAGE_OUT_MAX(0) bytes. */
size_t message_encode_finish(struct message_encoder *e, char *out);

/* Where a body comes from: read fills buf with up to cap bytes of the
 * message as it is (not stuffed) and returns how many, 0 at its end, or
 * -1 (then the reader knows why). */
typedef int (*message_reader)(void *ctx, unsigned char *buf, size_t cap);

/* The fixed buffers one body passes through, owned by the caller. */
struct message_buf {
	unsigned char in[MESSAGE_CHUNK];
	char out[MESSAGE_OUT_MAX(MESSAGE_CHUNK)];
};

/* The one body loop, for argv mode and LMTP mode alike: read, encode,
 * write, finish.  LMTP_OK, LMTP_EFAIL (t->err) or LMTP_EINPUT: the
 * contract of lmtp_txn's body callback. */
enum lmtp_result message_stream(struct message_buf *b, message_reader read, void *ctx,
    struct transport *t);

/* A message_reader that passes another's bytes on and notes them on the
 * way: the first MESSAGE_HEAD_MAX (the header, for a refusal notice's
 * Subject and From) and how many there were. */
#define MESSAGE_HEAD_MAX 16384
struct message_tee {
	message_reader inner;
	void *inner_ctx;
	char head[MESSAGE_HEAD_MAX];
	size_t headlen;
	long long size;		/* bytes read so far */
	int ended;		/* the reader said 0: size is the whole */
};

void message_tee_init(struct message_tee *tee, message_reader inner,
    void *inner_ctx);

/* A message_reader: tee->inner's bytes, noted. */
int message_tee_read(void *tee, unsigned char *buf, size_t cap);

/* The head's Message-ID for a log line: "<...>", bytes outside
 * printable ASCII as "?", at most cap - 1; "" when there is none. */
void message_tee_msgid(const struct message_tee *tee, char *out, size_t cap);

/* The id in the topmost Received: field ("... id 4B2Kx0Ab012345 ...":
 * Sendmail's $i, Postfix's queue id), ADDRESS_QUEUE_ID_CHARS up to a
 * space, ";" or the end; "" when there is none. */
void message_tee_received_id(const struct message_tee *tee, char *out,
    size_t cap);

/* Read the rest through the tee (the body was not sent, or not to its
 * end), so that its size is the whole.  0, or -1 when the reader
 * failed. */
int message_tee_drain(struct message_tee *tee);

/* A body as lmtp_txn's callback takes it: read through one reader,
 * streamed through one set of buffers. */
struct message_body {
	struct message_buf *buf;
	message_reader read;
	void *read_ctx;
};

/* An lmtp_txn body callback for a struct message_body: message_stream. */
enum lmtp_result message_body_send(void *body, struct transport *t);

/* argv mode's body: a file descriptor (stdin). */
struct message_src {
	int fd;
	char err[256];		/* why reading failed */
};

/* A message_reader for a message_src: read(2), EINTR retried, the
 * reason kept in src->err. */
int message_read_fd(void *src, unsigned char *buf, size_t cap);

#endif
