/* SPDX-License-Identifier: ISC */
/*
 * refusal.c - the notice at the moment of refusal.  lmtp-iq is already
 * connected to the store and knows how to store past the quota, so when
 * the server refuses alice for her quota it can tell her, once a day,
 * which message is waiting.  The notice never touches the refused
 * message's own outcome: it is sent after that reply was given, and
 * whatever becomes of it is only logged.
 */
#define _DEFAULT_SOURCE
#include "refusal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "log.h"
#include "mailbox.h"
#include "mimeword.h"
#include "statename.h"

#define REFUSAL_TEXT_MAX (NOTICE_TEMPLATE_MAX + 8192)
#define SENDER_SHOWN 256
#define REPLY_SHOWN 300
#define USER_MAX 256

/* One refusal_send: what its notices share, and room for one notice. */
struct run {
	struct refusal *r;
	struct session *s;
	int dirfd;		/* refusal_notice_dir */
	char tmpl[NOTICE_TEMPLATE_MAX];
	size_t tlen;
	const struct message_tee *tee;	/* the refused message's */
	struct notice_facts facts;	/* what its notices may say */
	char text[REFUSAL_TEXT_MAX + 1024];	/* header and filled-in template */
	char sent[2 * REFUSAL_TEXT_MAX];	/* the same, 8-bit fields encoded */
	struct message_buf buf;
};

void
refusal_init(struct refusal *r, const struct config *cfg)
{
	r->cfg = cfg;
	r->off = 0;
}

/* Over quota, by the enhanced code: RFC 3463 X.2.2 "mailbox full".
 * Cyrus says 452 4.2.2, or 552 5.2.2 with lmtp_over_quota_perm_failure. */
static int
over_quota(const struct lmtp_rcpt *rc)
{
	const struct lmtp_reply *r = &rc->reply;

	return rc->have_verdict && ((r->code == 452 &&
	    strcmp(r->enh, "4.2.2") == 0) || (r->code == 552 &&
	    strcmp(r->enh, "5.2.2") == 0));
}

int
refusal_due(const struct refusal *r, const char *sender,
    const struct lmtp_rcpt *rcpts, size_t n)
{
	size_t i;

	/* Never a notice about a notice. */
	if (!r->cfg->refusal_notice || r->off ||
	    strcasecmp(sender, r->cfg->refusal_notice_from) == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (over_quota(&rcpts[i]))
			return 1;
	return 0;
}

/* A set-up problem: notices stop for this process, with one line. */
static void
disable(struct refusal *r, const char *why)
{
	r->off = 1;
	log_mail(LOG_ERR, "refusal notices off: %s; mail still flows", why);
}

/* A stamp is the time, and after it this word when the notice could
 * not be composed: the interval then holds back the next try too, so
 * that a message the MTA retries does not meet the same failure at
 * every retry. */
#define STAMP_FAILED "failed"

enum claim { CLAIM_OK, CLAIM_RECENT, CLAIM_FAILED_RECENTLY, CLAIM_BUSY,
	CLAIM_FAIL };

/* The user's slot: a file locked while its notice is on its way, holding
 * when the last one was stored.  CLAIM_OK leaves *fd open and locked. */
static enum claim
claim(struct run *run, const char *user, int *fd, long long *last)
{
	const struct config *cfg = run->r->cfg;
	char name[USER_MAX * 3 + 8], text[32], *word;
	struct stat st;
	long long now;
	ssize_t n;

	*last = 0;
	statename("u.", "h.", user, name, sizeof(name));
	*fd = openat(run->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK, 0600);
	if (*fd < 0) {
		char why[CONFIG_VALUE_MAX + 128];

		/* Read-only where the permissions allow it: a sandbox (the
		 * shipped unit's ReadWritePaths=) or a read-only mount. */
		if (errno == EROFS) {
			snprintf(why, sizeof(why), "refusal_notice_dir %s is "
			    "read-only here (under systemd: not in the unit's "
			    "ReadWritePaths=)", cfg->refusal_notice_dir);
			disable(run->r, why);
		} else if (errno == EACCES || errno == EPERM) {
			snprintf(why, sizeof(why), "refusal_notice_dir %s is "
			    "not writable by this user",
			    cfg->refusal_notice_dir);
			disable(run->r, why);
		}
		return CLAIM_FAIL;
	}
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(*fd);
		return CLAIM_FAIL;
	}
	if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;

		close(*fd);
		return busy ? CLAIM_BUSY : CLAIM_FAIL;
	}
	n = pread(*fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	*last = strtoll(text, &word, 10);
	now = (long long)time(NULL);
	/* A stamp from the future (the clock was set back) starts nothing. */
	if (*last > 0 && *last <= now &&
	    now - *last < cfg->refusal_notice_interval) {
		close(*fd);
		return strncmp(word, " " STAMP_FAILED, strlen(STAMP_FAILED) + 1)
		    == 0 ? CLAIM_FAILED_RECENTLY : CLAIM_RECENT;
	}
	return CLAIM_OK;
}

/* The interval starts now: a notice was stored, or (with STAMP_FAILED
 * as what) could not be composed. */
static void
stamp(int fd, const char *what)
{
	char text[32];
	int len = snprintf(text, sizeof(text), "%lld%s%s\n",
	    (long long)time(NULL), what[0] ? " " : "", what);

	if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len ||
	    fdatasync(fd) != 0)
		log_mail(LOG_ERR, "refusal notice: cannot record the notice "
		    "just stored: %s", strerror(errno));
}

/* The notice as the message body reader gives it. */
struct notice_src {
	const char *p;
	size_t left;
};

static int
notice_read(void *ctx, unsigned char *buf, size_t cap)
{
	struct notice_src *src = ctx;
	size_t n = src->left < cap ? src->left : cap;

	memcpy(buf, src->p, n);
	src->p += n;
	src->left -= n;
	return (int)n;
}

/* The domain a notice's Message-ID: is in (and its To:, for a recipient
 * without one, when it is configured), and which rule chose it:
 * refusal_notice_domain, else the recipient's domain, else the notice
 * sender's, else the LHLO name.  Never a DNS lookup. */
static const char *
notice_domain(const struct config *cfg, const char *to, char *buf,
    size_t cap, const char **rule)
{
	const char *d;

	if (cfg->refusal_notice_domain[0]) {
		*rule = "refusal_notice_domain";
		return cfg->refusal_notice_domain;
	}
	if (to != NULL && (d = mailbox_domain(to)) != NULL) {
		*rule = "the recipient's domain";
		return d;
	}
	if ((d = mailbox_domain(cfg->refusal_notice_from)) != NULL) {
		*rule = "refusal_notice_from's domain";
		return d;
	}
	session_local_name(cfg, buf, cap);
	*rule = "the LHLO name";
	return buf;
}

/* Our own header fields into out; their length, or -1. */
static int
header(const struct config *cfg, const char *user, char *out, size_t cap)
{
	char host[256];
	const char *rule;
	struct notice_header h = { .from = cfg->refusal_notice_from,
		.to = user };

	h.msgid_domain = notice_domain(cfg, user, host, sizeof(host), &rule);
	/* To: as a mail client shows it: alice@example.org rather than a
	 * bare alice, where the domain is known. */
	h.to_domain = mailbox_domain(user) == NULL ?
	    cfg->refusal_notice_domain : "";
	return notice_header(&h, out, cap);
}

/* Deliver the composed notice in run->sent to user.  1 when stored. */
static int
deliver_notice(struct run *run, const char *user, size_t len)
{
	struct notice_src src = { run->sent, len };
	struct message_body b = { .buf = &run->buf, .read = notice_read,
		.read_ctx = &src };
	struct lmtp_rcpt rc = { .addr = user };
	struct session_outcome o;
	struct lmtp_txn x;
	int stored;

	x = (struct lmtp_txn){ .sender = run->r->cfg->refusal_notice_from,
		.size = (long long)len, .rcpts = &rc, .nrcpts = 1,
		.body = message_body_send, .body_ctx = &b };
	(void)session_deliver_notice(run->s, &x);
	session_outcome(run->s, &rc, &o);
	stored = rc.have_verdict && rc.reply.code / 100 == 2;
	log_mail(stored ? LOG_INFO : LOG_NOTICE, "refusal notice: to=<%s>, "
	    "about a message from %s, dsn=%s, stat=%s (%s)", user,
	    run->facts.sender, o.dsn, stored ? "Sent" : "not stored", o.text);
	return stored;
}

/* What the notices may say of the refused message, from what the tee
 * saw of it; f->sender is there already (refusal_send). */
static void
facts_of(struct notice_facts *f, const struct message_tee *tee)
{
	if (tee->ended) {
		notice_size_text(tee->size, f->size, sizeof(f->size));
		snprintf(f->bytes, sizeof(f->bytes), "%lld", tee->size);
	} else {
		snprintf(f->size, sizeof(f->size), "(unknown)");
		snprintf(f->bytes, sizeof(f->bytes), "(unknown)");
	}
	notice_subject(tee->head, tee->headlen, f->subject,
	    sizeof(f->subject));
	notice_from(tee->head, tee->headlen, f->sender, f->from,
	    sizeof(f->from));
}

/* The notice for user, header and filled-in template, with its 8-bit
 * header fields encoded, into run->sent; its length, or 0 when it
 * would be over REFUSAL_TEXT_MAX.  The refused message's own words are read
 * here (facts_of): this runs in compose()'s child. */
static size_t
render(struct run *run, const char *user, const struct lmtp_rcpt *rc)
{
	struct notice_facts *f = &run->facts;
	size_t rlen, room, slen;
	int n;

#ifdef LMTPIQ_TEST_HOOKS
	if (getenv("LMTPIQ_TEST_COMPOSE_CRASH") != NULL)
		raise(SIGSEGV);
#endif
	facts_of(f, run->tee);
	f->user = user;
	notice_interval_text(run->r->cfg->refusal_notice_interval,
	    f->interval, sizeof(f->interval));
	log_escape(rc->reply.text, f->reply, REPLY_SHOWN);
	/* The filled-in template goes right after the header, and stays
	 * under REFUSAL_TEXT_MAX as well as within the buffer. */
	n = header(run->r->cfg, user, run->text, sizeof(run->text));
	room = n < 0 ? 0 : sizeof(run->text) - (size_t)n;
	if (room > REFUSAL_TEXT_MAX)
		room = REFUSAL_TEXT_MAX;
	/* Then its 8-bit header fields (a template in another language) as
	 * RFC 2047 words: Cyrus masks 8-bit bytes in a header.  The Subject
	 * always: it carries values from outside, and a reader that decodes
	 * it once then shows exactly lmtp-iq's escaped text, even where the
	 * text holds what looks like an encoded word. */
	if (n < 0 || notice_render(run->tmpl, run->tlen, f, run->text + n,
	    room, &rlen) < 0 || mimeword_encode_header(run->text,
	    (size_t)n + rlen, "Subject", run->sent, sizeof(run->sent),
	    &slen) < 0)
		return 0;
	return slen;
}

/* render() in a child process of its own, the text back through a
 * pipe: the refused message's header is a stranger's, and whatever it
 * does to the code that reads it (a crash, a loop: COMPOSE_SECONDS)
 * costs this notice, never the session the mode goes on with.  The
 * length of run->sent, 0 for "too long", or -1 and why. */
#define COMPOSE_SECONDS 10
static long
compose(struct run *run, const char *user, const struct lmtp_rcpt *rc,
    char *why, size_t cap)
{
	size_t got = 0, len = 0;
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0) {
		snprintf(why, cap, "pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		signal(SIGALRM, SIG_DFL);
		alarm(COMPOSE_SECONDS);
		len = render(run, user, rc);
		st = write(fds[1], &len, sizeof(len)) != (ssize_t)sizeof(len) ||
		    (len > 0 && write(fds[1], run->sent, len) != (ssize_t)len);
		/* This copy of the parent's run is the child's to free: a
		 * leak checker following the child counts it otherwise. */
		free(run);
		_exit(st);
	}
	close(fds[1]);
	while (got < sizeof(len) && (n = read(fds[0], (char *)&len + got,
	    sizeof(len) - got)) > 0)
		got += (size_t)n;
	if (got == sizeof(len) && len <= sizeof(run->sent))
		for (got = 0; got < len && (n = read(fds[0], run->sent + got,
		    len - got)) > 0;)
			got += (size_t)n;
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
		snprintf(why, cap, "killed by signal %d (over %d s)", SIGALRM,
		    COMPOSE_SECONDS);
	else if (WIFSIGNALED(st))
		snprintf(why, cap, "killed by signal %d", WTERMSIG(st));
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || got != len ||
	    len > sizeof(run->sent))
		snprintf(why, cap, "it ended without the text");
	else
		return (long)len;
	return -1;
}

/* One user's notice, if none was stored within the interval: key names
 * the user's state (mailbox_key), user is the address to send it to. */
static void
notify(struct run *run, const char *key, const char *user,
    const struct lmtp_rcpt *rc)
{
	const struct config *cfg = run->r->cfg;
	char why[128];
	long long last;
	long len;
	int fd = -1;

	switch (claim(run, key, &fd, &last)) {
	case CLAIM_RECENT:
		log_mail(LOG_INFO, "refusal notice: to=<%s>, not sent: one was "
		    "stored %lld s ago (refusal_notice_interval %d s)", user,
		    (long long)time(NULL) - last, cfg->refusal_notice_interval);
		return;
	case CLAIM_FAILED_RECENTLY:
		log_mail(LOG_INFO, "refusal notice: to=<%s>, not sent: "
		    "composing one failed %lld s ago; not tried again within "
		    "refusal_notice_interval (%d s)", user,
		    (long long)time(NULL) - last, cfg->refusal_notice_interval);
		return;
	case CLAIM_BUSY:
		log_mail(LOG_INFO, "refusal notice: to=<%s>, not sent: another "
		    "lmtp-iq is sending one now", user);
		return;
	case CLAIM_FAIL:
		if (!run->r->off)
			log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: "
			    "its state file in %s cannot be used", user,
			    cfg->refusal_notice_dir);
		return;
	case CLAIM_OK:
		break;
	}
	len = compose(run, user, rc, why, sizeof(why));
	if (len < 0) {
		/* Stamped: the message's retries would fail the same way. */
		log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: composing "
		    "the notice about a message from %s failed: %s; no other "
		    "try for this user within refusal_notice_interval (%d s)",
		    user, run->facts.sender, why, cfg->refusal_notice_interval);
		stamp(fd, STAMP_FAILED);
	} else if (len == 0)
		log_mail(LOG_ERR, "refusal notice: to=<%s>, not sent: the "
		    "notice would be over %d bytes", user, REFUSAL_TEXT_MAX);
	else if (deliver_notice(run, user, (size_t)len))
		stamp(fd, "");
	close(fd);
}

/* The template read and the state directory open, as every notice
 * needs them.  0, or -1 and why. */
static int
prepare(const struct config *cfg, char *tmpl, size_t *tlen, int *dirfd,
    char *why, size_t cap)
{
	if (notice_template_load(cfg->refusal_notice_template, tmpl,
	    NOTICE_TEMPLATE_MAX, tlen, why, cap) < 0)
		return -1;
	*dirfd = file_open(cfg->refusal_notice_dir, "refusal_notice_dir",
	    FILE_DIR, why, cap);
	return *dirfd < 0 ? -1 : 0;
}

/* Whether rcpts[i] is a user refused for quota who has no notice yet in
 * this message (alice and alice+x: one notice): then its key and the
 * address to send the notice to. */
static int
first_refusal(const struct lmtp_rcpt *rcpts, size_t i, char *key,
    size_t keycap, char *to, size_t tocap)
{
	char other[USER_MAX], to_other[USER_MAX + 64];
	size_t j;

	if (!over_quota(&rcpts[i]) || mailbox_key(rcpts[i].addr, key, keycap,
	    to, tocap) < 0)
		return 0;
	for (j = 0; j < i; j++)
		if (over_quota(&rcpts[j]) && mailbox_key(rcpts[j].addr, other,
		    sizeof(other), to_other, sizeof(to_other)) == 0 &&
		    strcmp(key, other) == 0)
			return 0;
	return 1;
}

void
refusal_send(struct refusal *r, struct session *s, const char *sender,
    const struct message_tee *tee, const struct lmtp_rcpt *rcpts, size_t n)
{
	char why[1300], key[USER_MAX], to[USER_MAX + 64];
	struct run *run;
	size_t i;

	if ((run = calloc(1, sizeof(*run))) == NULL) {
		log_mail(LOG_ERR, "refusal notice: not sent: out of memory");
		return;
	}
	run->r = r;
	run->s = s;
	if (prepare(r->cfg, run->tmpl, &run->tlen, &run->dirfd, why,
	    sizeof(why)) < 0) {
		disable(r, why);
		free(run);
		return;
	}
	run->tee = tee;
	/* The notices' %{sender}, and their log lines' too. */
	log_escape(sender[0] ? sender : "<>", run->facts.sender, SENDER_SHOWN);
	for (i = 0; i < n && !r->off; i++)
		if (first_refusal(rcpts, i, key, sizeof(key), to, sizeof(to)))
			notify(run, key, to, &rcpts[i]);
	close(run->dirfd);
	free(run);
}

void
refusal_describe(const struct config *cfg, char *buf, size_t cap)
{
	char why[1300], host[256], *tmpl;
	const char *domain, *rule;
	size_t tlen;
	int fd, ok;

	if (!cfg->refusal_notice) {
		snprintf(buf, cap, "off");
		return;
	}
	if ((tmpl = malloc(NOTICE_TEMPLATE_MAX)) == NULL) {
		snprintf(buf, cap, "on, but out of memory");
		return;
	}
	ok = prepare(cfg, tmpl, &tlen, &fd, why, sizeof(why)) == 0;
	free(tmpl);
	if (!ok) {
		snprintf(buf, cap, "on, but none can be sent: %s", why);
		return;
	}
	close(fd);
	domain = notice_domain(cfg, NULL, host, sizeof(host), &rule);
	snprintf(buf, cap, "on: from %s, template %s, state %s, at most one "
	    "per user every %d s; To: the recipient%s%s%s; Message-ID: in "
	    "%s%s (%s)", cfg->refusal_notice_from, cfg->refusal_notice_template,
	    cfg->refusal_notice_dir, cfg->refusal_notice_interval,
	    cfg->refusal_notice_domain[0] ? ", with @" : " as refused",
	    cfg->refusal_notice_domain, cfg->refusal_notice_domain[0] ?
	    " where it has no domain" : "", cfg->refusal_notice_domain[0] ?
	    "" : "the recipient's domain, else ", domain, rule);
}
