/* SPDX-License-Identifier: ISC */
/*
 * session.c - opening, keeping and closing the upstream session, and the
 * one place where a recipient's outcome becomes a log line.
 */
#define _POSIX_C_SOURCE 200809L
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "status.h"

/* The LMTP client's settings, from the config; its state starts empty. */
static void
session_lmtp_init(struct session *s)
{
	struct lmtp_params p = { .lhlo_name = s->lhlo_name,
		.trace = s->verbose, .keep_open = s->keep,
		.timeout_ms = s->cfg->timeout * 1000,
		.data_timeout_ms = s->cfg->data_timeout * 1000 };

	lmtp_init(&s->l, &s->t, &p);
}

void
session_init(struct session *s, const struct config *cfg, int verbose,
    int keep)
{
	char first[CONFIG_VALUE_MAX] = "";

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->verbose = verbose;
	s->keep = keep;
	config_next_server(cfg->server, first, sizeof(first));
	transport_init(&s->t, first);
	session_local_name(cfg, s->lhlo_name, sizeof(s->lhlo_name));
	session_lmtp_init(s);
}

void
session_local_name(const struct config *cfg, char *buf, size_t cap)
{
	if (cfg->lhlo_name[0]) {
		snprintf(buf, cap, "%s", cfg->lhlo_name);
		return;
	}
	if (gethostname(buf, cap) != 0 || buf[0] == '\0')
		snprintf(buf, cap, "localhost");
	buf[cap - 1] = '\0';
}

/* STARTTLS as the tls setting says.  Never on a UNIX socket: it does
 * not leave the host, and Cyrus offers none there. */
static int
secure(struct session *s)
{
	const struct config *cfg = s->cfg;
	struct stls_settings ts = { .ca_file = cfg->tls_ca_file,
		.ca_path = cfg->tls_ca_path, .verify = cfg->tls_verify,
		.server_name = cfg->tls_server_name,
		.cert_file = cfg->tls_cert_file, .key_file = cfg->tls_key_file };
	struct lmtp *l = &s->l;
	struct lmtp_reply r;

	if (s->t.is_unix || cfg->tls == CONFIG_TLS_OFF)
		return 0;
	if (!(l->conn.caps & LMTP_CAP_STARTTLS)) {
		if (cfg->tls == CONFIG_TLS_REQUIRE)
			return lmtp_fail(l, LF_TLS, "%s does not offer STARTTLS "
			    "and tls is require: nothing sent", s->t.peer);
		return 0;
	}
	switch (lmtp_starttls(l, &ts, &r)) {
	case LMTP_TLS_UP:
		return 0;
	case LMTP_TLS_REFUSED:
		if (cfg->tls == CONFIG_TLS_REQUIRE)
			return lmtp_fail(l, LF_TLS, "%s refused STARTTLS and "
			    "tls is require: %s", s->t.peer, r.text);
		if (s->verbose)
			log_trace("--- STARTTLS refused (%s); going on "
			    "without TLS", r.text);
		return 0;
	case LMTP_TLS_FAILED:
		break;
	}
	return -1;
}

int
session_open_at(struct session *s, const char *spec, int need_iq,
    long long deadline)
{
	const struct config *cfg = s->cfg;
	struct lmtp *l = &s->l;

	session_lmtp_init(s);
	if (lmtp_connect(l, spec, deadline) < 0)
		return -1;
	if (lmtp_open(l) < 0)
		return -1;
	if (secure(s) < 0)
		return -1;
	if (cfg->auth_user[0] && auth_login(l, cfg) < 0)
		return -1;
	if (need_iq && !(l->conn.caps & LMTP_CAP_IGNOREQUOTA))
		return lmtp_fail(l, LF_POLICY, "%s does not advertise "
		    "IGNOREQUOTA and the policy is require: nothing "
		    "delivered, the message stays queued", s->t.peer);
	return 0;
}

/*
 * The servers in order, until one takes the session.  A server is left
 * on a failure to connect, a timeout, a greeting other than 220, LHLO
 * refused, TLS or AUTH failing, or IGNOREQUOTA required and not offered:
 * all before any transaction, so nothing can be delivered twice.  -1:
 * s->l.err names every server tried and why each was left (all
 * transient).  Nothing after this waits past delivery_timeout from now.
 */
static int
session_open(struct session *s, int need_iq)
{
	const struct config *cfg = s->cfg;
	long long deadline = transport_now_ms() +
	    (long long)cfg->delivery_timeout * 1000;
	char spec[CONFIG_VALUE_MAX], tried[LMTP_ERR_MAX] = "";
	const char *rest = cfg->server;
	enum lmtp_fault fault = LF_CONNECT;
	size_t n = 0, len;

	while ((rest = config_next_server(rest, spec, sizeof(spec))) != NULL) {
		if (session_open_at(s, spec, need_iq, deadline) == 0) {
			if (n > 0)
				log_mail(LOG_NOTICE, "server list: %s took the "
				    "session after %s", s->t.peer, tried);
			return 0;
		}
		/* Cut, not lost: each server keeps its name and the start of
		 * why it was left. */
		len = strlen(tried);
		if (len + 2 < sizeof(tried))
			snprintf(tried + len, sizeof(tried) - len, "%s%.200s "
			    "(%.300s)", n ? "; " : "", s->t.peer, s->l.err);
		fault = s->l.fault;
		n++;
		if (s->verbose)
			log_trace("--- left %s: %s", s->t.peer, s->l.err);
		if (lmtp_is_open(&s->l))
			lmtp_quit(&s->l);	/* in step: say goodbye */
		if (transport_now_ms() >= deadline)
			break;
	}
	if (n > 1)
		return lmtp_fail(&s->l, fault, "no server took the session, %zu "
		    "tried: %.960s", n, tried);
	if (n == 0)
		return lmtp_fail(&s->l, LF_CONNECT, "no server configured");
	return -1;
}

/* A connection that broke or was closed is opened again.  This happens
 * only here, between transactions: never in the middle of one.  Whether
 * a kept one still listens, lmtp_deliver asks (RSET) and says
 * LMTP_ESTALE when it does not. */
static int
ready(struct session *s, int need_iq)
{
	if (lmtp_is_open(&s->l)) {
		lmtp_set_deadline(&s->l, transport_now_ms() +
		    (long long)s->cfg->delivery_timeout * 1000);
		return 0;
	}
	return session_open(s, need_iq);
}

/* The policy for x: a notice of lmtp-iq's own needs IGNOREQUOTA
 * whatever the policy and notice_senders say. */
static void
decide(const struct session *s, const struct lmtp_txn *x, int own_notice,
    int offered, struct policy_verdict *v)
{
	if (own_notice)
		policy_server(IQ_REQUIRE, offered, v);
	else
		policy_decide(s->cfg, x->sender, offered, v);
}

/* The policy for this server, then the transaction. */
static enum lmtp_result
deliver_here(struct session *s, struct lmtp_txn *x, int own_notice)
{
	struct lmtp *l = &s->l;

	decide(s, x, own_notice, (l->conn.caps & LMTP_CAP_IGNOREQUOTA) != 0, &s->pv);
	if (s->pv.refuse) {
		(void)lmtp_fail(l, LF_POLICY, "%s does not advertise "
		    "IGNOREQUOTA and the policy is require: nothing "
		    "delivered, the message stays queued", s->t.peer);
		return LMTP_EFAIL;
	}
	x->rcpt_param = s->pv.param;
	return lmtp_deliver(l, x);
}

static enum lmtp_result
deliver(struct session *s, struct lmtp_txn *x, int own_notice)
{
	struct policy_verdict need;
	enum lmtp_result rc;

	/* Whether this transaction needs IGNOREQUOTA whatever the server:
	 * a server without it is then left for the next in the list. */
	decide(s, x, own_notice, 0, &need);
	memset(&s->pv, 0, sizeof(s->pv));
	if (ready(s, need.refuse) < 0)
		return LMTP_EFAIL;
	rc = deliver_here(s, x, own_notice);
	if (rc == LMTP_ESTALE) {
		/* The kept session failed its RSET: nothing of this
		 * transaction was answered, none of it can be stored. */
		if (s->verbose)
			log_trace("--- %s; connecting again", s->l.err);
		lmtp_drop(&s->l);
		if (session_open(s, need.refuse) < 0)
			return LMTP_EFAIL;
		rc = deliver_here(s, x, own_notice);
	}
	/* A session that lost step is of no more use. */
	if (rc == LMTP_EFAIL && !lmtp_in_step(&s->l))
		lmtp_drop(&s->l);
	return rc;
}

enum lmtp_result
session_deliver(struct session *s, struct lmtp_txn *x)
{
	return deliver(s, x, 0);
}

enum lmtp_result
session_deliver_notice(struct session *s, struct lmtp_txn *x)
{
	return deliver(s, x, 1);
}

void
session_outcome(const struct session *s, const struct lmtp_rcpt *rc,
    struct session_outcome *o)
{
	/* The server's enhanced code, else one of the reply's class; no
	 * verdict: the failure's own code. */
	if (rc->have_verdict) {
		o->code = rc->reply.code;
		o->text = rc->reply.text;
		o->words = lmtp_reply_words(&rc->reply);
		status_reply_dsn(&rc->reply, o->dsn, sizeof(o->dsn));
		return;
	}
	o->code = 451;
	o->text = s->l.err;
	o->words = NULL;
	snprintf(o->dsn, sizeof(o->dsn), "%s", status_fault_dsn(s->l.fault));
}

/* Cyrus's SESSIONID=<...> in a reply's text, as "<...>", or "". */
static void
sessionid_of(const char *text, char *out, size_t cap)
{
	const char *p = text ? strstr(text, "SESSIONID=<") : NULL, *end;

	out[0] = '\0';
	if (p == NULL || (end = strchr(p + 10, '>')) == NULL ||
	    (size_t)(end - p - 9) >= cap)
		return;
	snprintf(out, cap, "%.*s", (int)(end - p - 9), p + 10);
}

void
session_tell(const struct session *s, const struct lmtp_rcpt *rc)
{
	struct session_outcome o;

	if (status_for_rcpt(rc) == 0)
		return;
	session_outcome(s, rc, &o);
	log_err_dsn(o.dsn, "%s: %s", rc->addr, o.text);
}

void
session_report(const struct session *s, const struct lmtp_rcpt *rc,
    const struct session_trail *t)
{
	const struct policy_verdict *pv = &s->pv;
	struct session_outcome o;
	char sid[128], from[320], size[32];
	long long ms = transport_now_ms() - t->start_ms;
	int st = status_for_rcpt(rc);

	session_outcome(s, rc, &o);
	sessionid_of(rc->have_verdict ? rc->reply.text : NULL, sid, sizeof(sid));
	log_escape(t->sender, from, sizeof(from));
	if (t->size >= 0)
		snprintf(size, sizeof(size), "%lld", t->size);
	else
		snprintf(size, sizeof(size), "unknown");
	/* No verdict because of the set-up (AUTH, TLS, IGNOREQUOTA not
	 * offered where required): every message waits until a person
	 * acts, so it goes where a site watching mail.err looks. */
	log_mail(st == 0 ? LOG_INFO : !rc->have_verdict &&
	    (s->l.fault == LF_AUTH || s->l.fault == LF_TLS ||
	    s->l.fault == LF_POLICY) ? LOG_ERR : LOG_NOTICE,
	    "%s%sto=<%s>, from=<%s>, msgid=%s, size=%s, delay=%lld.%02lld, "
	    "relay=%s, ignorequota=%s%s%s%s, dsn=%s, sessionid=%s, stat=%s (%s)",
	    t->qid, t->qid[0] ? ": " : "", rc->addr, from, t->msgid[0] ?
	    t->msgid : "none", size, ms / 1000, ms % 1000 / 10, s->t.peer,
	    pv->param ? "yes" : "no", pv->why[0] ? " (" : "", pv->why,
	    pv->why[0] ? ")" : "", o.dsn, sid[0] ? sid : "none",
	    status_word(st), o.text);
}

const char *
session_error(const struct session *s)
{
	return s->l.err;
}

void
session_close(struct session *s)
{
	if (lmtp_is_open(&s->l))
		lmtp_quit(&s->l);
}

void
session_describe(const struct session *s, struct session_description *d)
{
	const struct lmtp *l = &s->l;
	const struct stls_info *ti = transport_tls_info(&s->t);

	memset(d, 0, sizeof(*d));
	snprintf(d->greeting, sizeof(d->greeting), "%s", l->conn.greeting);
	lmtp_caps_string(l->conn.caps_plain, d->caps_plain, sizeof(d->caps_plain));
	snprintf(d->auth_mechs_plain, sizeof(d->auth_mechs_plain), "%s",
	    l->conn.auth_mechs_plain);
	d->auth_plain = (l->conn.caps_plain & LMTP_CAP_AUTH) != 0;
	d->starttls_offered = (l->conn.caps_plain & LMTP_CAP_STARTTLS) != 0;
	d->is_unix = s->t.is_unix;
	d->tls_tried = l->conn.tls_tried;
	d->tls_library = l->conn.tls_tried ? stls_library() : NULL;
	d->sasl_library = auth_library();
	if (ti != NULL)
		d->tls = *ti;
	lmtp_caps_string(l->conn.caps, d->caps, sizeof(d->caps));
	snprintf(d->auth_mechs, sizeof(d->auth_mechs), "%s", l->conn.auth_mechs);
	d->auth = (l->conn.caps & LMTP_CAP_AUTH) != 0;
	d->ignorequota = (l->conn.caps & LMTP_CAP_IGNOREQUOTA) != 0;
	d->password_ok = transport_protected(&s->t, d->password_why,
	    sizeof(d->password_why));
}

int
session_try_mail(struct session *s, char *text, size_t cap)
{
	struct lmtp_reply r;
	int ok;

	if (lmtp_command(&s->l, LMTP_STEP_MAIL, "MAIL FROM:<>", &r) < 0) {
		snprintf(text, cap, "no answer: %s", s->l.err);
		return 0;
	}
	snprintf(text, cap, "%s", r.text);
	ok = r.code / 100 == 2;
	/* Leave the transaction; -n reports MAIL's answer whatever this
	 * one is. */
	(void)lmtp_reset(&s->l);
	return ok;
}
