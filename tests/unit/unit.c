/* SPDX-License-Identifier: ISC */
/*
 * unit.c - tests of the pure parts: the body encoder across its 16 KiB
 * read boundary, reply and LHLO parsing (through a socketpair), host:port
 * splitting, the reply -> exit status table and the notice sender list.
 * Prints "ok N - name" / "not ok N - name", then "N passed, M failed".
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "../../mailer/config.h"
#include "../../mailer/lmtp.h"
#include "../../mailer/message.h"
#include "../../mailer/policy.h"
#include "../../mailer/status.h"
#include "../../mailer/transport.h"
#include "encoder_ref.h"

static int passed, failed, current_ok;
static const char *current;

static void
begin(const char *name)
{
	current = name;
	current_ok = 1;
}

static void
end(void)
{
	printf("%sok %d - %s\n", current_ok ? "" : "not ", passed + failed + 1,
	    current);
	if (current_ok)
		passed++;
	else
		failed++;
}

#define CHECK(cond) do { if (!(cond)) { current_ok = 0; \
	printf("#   %s:%d: %s\n", __FILE__, __LINE__, #cond); } } while (0)

/* Encode in with the streaming encoder, cut into the given pieces. */
static size_t
stream_encode(const unsigned char *in, size_t n, const size_t *cuts,
    size_t ncuts, char *out)
{
	struct message_encoder e;
	size_t pos = 0, o = 0, i, len;

	message_encoder_init(&e);
	for (i = 0; i <= ncuts; i++) {
		len = (i < ncuts ? cuts[i] : n) - pos;
		o += message_encode(&e, in + pos, len, out + o);
		pos += len;
	}
	return o + message_encode_finish(&e, out + o);
}

static void
encoder_matches(const char *name, const char *in, size_t n, size_t cut)
{
	char *a = malloc(2 * n + 2), *b = malloc(2 * n + 2);
	size_t la, lb, cuts[1] = { cut };

	begin(name);
	la = ref_encode((const unsigned char *)in, n, a);
	lb = stream_encode((const unsigned char *)in, n, cuts, cut <= n, b);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	free(a);
	free(b);
	end();
}

static void
test_encoder(void)
{
	static char buf[3 * MESSAGE_CHUNK];
	size_t k;

	/* A CR ending one read and its LF starting the next. */
	memset(buf, 'a', sizeof(buf));
	buf[MESSAGE_CHUNK - 1] = '\r';
	buf[MESSAGE_CHUNK] = '\n';
	encoder_matches("encoder: CR at the end of a read, LF at the start of "
	    "the next", buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	/* A dot line starting a read. */
	memset(buf, 'b', sizeof(buf));
	buf[MESSAGE_CHUNK - 1] = '\n';
	buf[MESSAGE_CHUNK] = '.';
	encoder_matches("encoder: a line starting with a dot at the start of a "
	    "read", buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	/* A bare CR ending a read, data following. */
	buf[MESSAGE_CHUNK - 1] = '\r';
	buf[MESSAGE_CHUNK] = 'x';
	encoder_matches("encoder: a bare CR at the end of a read stays data",
	    buf, 2 * MESSAGE_CHUNK, MESSAGE_CHUNK);
	encoder_matches("encoder: a CR at the very end becomes the final CRLF",
	    "a\r", 2, 1);
	encoder_matches("encoder: an empty message", "", 0, 0);
	encoder_matches("encoder: a lone dot line is doubled", ".\n", 2, 1);
	encoder_matches("encoder: CR CR LF", "x\r\r\ny", 5, 2);
	/* Every cut around a dense mix of line ends and dots. */
	begin("encoder: every cut of a mixed input gives the same bytes");
	{
		const char *mix = ".a\r\n..\n\r.\r\r\n.\nend.\r";
		size_t n = strlen(mix), la, lb, cut;
		char a[64], b[64];

		la = ref_encode((const unsigned char *)mix, n, a);
		for (cut = 0; cut <= n; cut++) {
			size_t cuts[1] = { cut };

			lb = stream_encode((const unsigned char *)mix, n, cuts, 1, b);
			CHECK(la == lb && memcmp(a, b, la) == 0);
		}
	}
	end();
	begin("encoder: the output decodes to the input with CRLF line ends");
	{
		const char *in = "Subject: x\n\n.hidden\n..two\nlast";
		const char *want = "Subject: x\r\n\r\n.hidden\r\n..two\r\nlast\r\n";
		char enc[128], dec[128];
		size_t cuts[1] = { 7 };
		size_t le = stream_encode((const unsigned char *)in, strlen(in),
		    cuts, 1, enc);
		long ld = ref_decode(enc, le, dec);

		CHECK(ld == (long)strlen(want) && memcmp(dec, want, strlen(want)) == 0);
	}
	end();
	/* Random inputs over the bytes that matter, random cuts. */
	begin("encoder: 20000 random inputs in random pieces match the reference");
	{
		static const char alphabet[] = ".\r\na";
		unsigned char in[96];
		char a[2 * sizeof(in) + 2], b[2 * sizeof(in) + 2];
		size_t cuts[4], n, i, la, lb, ncuts;
		unsigned seed = 12345;

		for (k = 0; k < 20000 && current_ok; k++) {
			seed = seed * 1103515245u + 12345u;
			n = (seed >> 16) % sizeof(in);
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				in[i] = (unsigned char)alphabet[(seed >> 16) % 4];
			}
			ncuts = 0;
			for (i = 0; i < 4; i++) {
				seed = seed * 1103515245u + 12345u;
				cuts[ncuts] = n ? (seed >> 16) % (n + 1) : 0;
				if (ncuts == 0 || cuts[ncuts] >= cuts[ncuts - 1])
					ncuts++;
			}
			la = ref_encode(in, n, a);
			lb = stream_encode(in, n, cuts, ncuts, b);
			CHECK(la == lb && memcmp(a, b, la) == 0);
		}
	}
	end();
}

/* A transport on one end of a socketpair, the other end fed by us. */
static int
pair(struct transport *t, int *other)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	memset(t, 0, sizeof(*t));
	t->fd = t->wfd = sv[0];
	t->io_timeout_ms = 1000;
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	snprintf(t->peer, sizeof(t->peer), "unix:test");
	*other = sv[1];
	return 0;
}

static void
test_replies(void)
{
	struct transport t;
	struct lmtp l;
	struct reply r;
	int other = -1;
	static const char lhlo[] = "220 test ready\r\n250-IGNOREQUOTA\r\n"
	    "250-pipelining\r\n250-AUTH PLAIN LOGIN\r\n250-SIZE 100\r\n"
	    "250 Ok\r\n";

	begin("LHLO: capabilities are read case-insensitively, the name line "
	    "is not one");
	memset(&l, 0, sizeof(l));
	l.timeout_ms = 1000;
	CHECK(pair(&t, &other) == 0);
	CHECK(write(other, lhlo, sizeof(lhlo) - 1) == (ssize_t)sizeof(lhlo) - 1);
	CHECK(lmtp_open(&l, &t, "client.test") == 0);
	CHECK(!(l.caps & CAP_IGNOREQUOTA));
	CHECK(l.caps & CAP_PIPELINING);
	CHECK(l.caps & CAP_SIZE);
	CHECK(strcmp(l.auth_mechs, "PLAIN LOGIN") == 0);
	CHECK(strcmp(l.greeting, "220 test ready") == 0);
	end();

	begin("reply: a multi-line reply keeps the last line first and its "
	    "enhanced code");
	{
		static const char rep[] = "550-Mailbox unknown.\r\n550-Really.\r\n"
		    "550 5.1.1 User unknown\r\n";

		CHECK(write(other, rep, sizeof(rep) - 1) > 0);
		CHECK(lmtp_command(&l, "RCPT TO:<x>", NULL, &r) == 0);
		CHECK(r.code == 550);
		CHECK(strcmp(r.enh, "5.1.1") == 0);
		CHECK(strcmp(r.text, "550 5.1.1 User unknown (Mailbox unknown. "
		    "Really.)") == 0);
	}
	end();

	begin("reply: an enhanced code whose class disagrees is ignored; a bare "
	    "code is a reply");
	CHECK(write(other, "451 5.1.1 odd\r\n250\r\n", 20) == 20);
	CHECK(lmtp_command(&l, "RSET", NULL, &r) == 0);
	CHECK(r.code == 451 && r.enh[0] == '\0');
	CHECK(lmtp_command(&l, "NOOP", NULL, &r) == 0);
	CHECK(r.code == 250 && strcmp(r.text, "250") == 0);
	end();

	begin("reply: codes that change within a reply are garbage, with the "
	    "step named");
	CHECK(write(other, "250-a\r\n451 b\r\n", 14) == 14);
	CHECK(lmtp_command(&l, "MAIL FROM:<>", NULL, &r) < 0);
	CHECK(l.fault == LF_PROTOCOL);
	CHECK(strstr(l.err, "waiting for the reply to MAIL FROM:<>") != NULL);
	end();

	begin("reply: a timeout names the command it waited for");
	CHECK(lmtp_command(&l, "DATA", NULL, &r) < 0);
	CHECK(l.fault == LF_TIMEOUT);
	CHECK(strstr(l.err, "timeout after 1 s waiting for the reply to DATA "
	    "from unix:test") != NULL);
	end();
	close(other);
	transport_close(&t);
}

static void
split(const char *spec, int ok, const char *host, const char *port)
{
	struct transport t;
	char h[256], p[32];
	int r;

	memset(&t, 0, sizeof(t));
	r = transport_split_hostport(&t, spec, h, sizeof(h), p, sizeof(p));
	CHECK((r == 0) == ok);
	if (ok && r == 0)
		CHECK(strcmp(h, host) == 0 && strcmp(p, port) == 0);
}

static void
test_hostport(void)
{
	begin("host:port: names, ports, IPv6 in brackets, and what is refused");
	split("mail.example.org", 1, "mail.example.org", "24");
	split("mail.example.org:2003", 1, "mail.example.org", "2003");
	split("[::1]:2003", 1, "::1", "2003");
	split("[::1]", 1, "::1", "24");
	split("::1", 0, NULL, NULL);
	split("host:", 0, NULL, NULL);
	split(":24", 0, NULL, NULL);
	split("[::1", 0, NULL, NULL);
	split("[::1]x", 0, NULL, NULL);
	end();
}

static int
exit_for(enum lmtp_stage stage, int code, const char *enh)
{
	struct lmtp_rcpt rc = { .addr = "x", .have_verdict = 1, .stage = stage };

	rc.reply.code = code;
	snprintf(rc.reply.enh, sizeof(rc.reply.enh), "%s", enh);
	return status_for_rcpt(&rc);
}

static void
test_status(void)
{
	struct lmtp_rcpt two[2] = { { .have_verdict = 1 }, { .have_verdict = 0 } };

	begin("status: the reply to exit table, row by row");
	CHECK(exit_for(STAGE_DATAEND, 250, "2.1.5") == EX_OK);
	CHECK(exit_for(STAGE_RCPT, 452, "4.2.2") == EX_TEMPFAIL);
	CHECK(exit_for(STAGE_RCPT, 421, "") == EX_TEMPFAIL);
	CHECK(exit_for(STAGE_RCPT, 550, "5.1.1") == EX_NOUSER);
	CHECK(exit_for(STAGE_RCPT, 551, "5.1.6") == EX_NOUSER);
	CHECK(exit_for(STAGE_RCPT, 550, "") == EX_NOUSER);
	CHECK(exit_for(STAGE_DATAEND, 550, "") == EX_UNAVAILABLE);
	CHECK(exit_for(STAGE_RCPT, 550, "5.1.2") == EX_NOHOST);
	CHECK(exit_for(STAGE_MAIL, 553, "5.1.8") == EX_NOHOST);
	CHECK(exit_for(STAGE_RCPT, 553, "5.1.3") == EX_DATAERR);
	CHECK(exit_for(STAGE_RCPT, 501, "5.5.4") == EX_PROTOCOL);
	CHECK(exit_for(STAGE_DATAEND, 554, "5.7.1") == EX_NOPERM);
	CHECK(exit_for(STAGE_DATAEND, 552, "5.2.2") == EX_UNAVAILABLE);
	CHECK(exit_for(STAGE_DATAEND, 552, "5.3.4") == EX_UNAVAILABLE);
	two[0].reply.code = 250;
	CHECK(status_combine(two, 2) == EX_TEMPFAIL);
	CHECK(strcmp(status_fault_dsn(LF_CONNECT), "4.4.1") == 0);
	CHECK(strcmp(status_fault_dsn(LF_DEADLINE), "4.4.7") == 0);
	CHECK(strcmp(status_fault_dsn(LF_PROTOCOL), "4.5.0") == 0);
	end();
}

static void
test_policy(void)
{
	struct config c;

	begin("notice senders: whole addresses, any case, <> for the null "
	    "sender, unset means everyone");
	config_defaults(&c);
	CHECK(policy_notice_sender(&c, "anyone@example.org"));
	c.notice_senders_set = 1;
	snprintf(c.notice_senders, sizeof(c.notice_senders), "q@example.org  <>");
	CHECK(policy_notice_sender(&c, "Q@Example.ORG"));
	CHECK(policy_notice_sender(&c, ""));
	CHECK(!policy_notice_sender(&c, "q@example.org.evil"));
	CHECK(!policy_notice_sender(&c, "q@example.or"));
	snprintf(c.notice_senders, sizeof(c.notice_senders), "q@example.org");
	CHECK(!policy_notice_sender(&c, ""));
	end();
}

int
main(void)
{
	test_encoder();
	test_replies();
	test_hostport();
	test_status();
	test_policy();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
