/* SPDX-License-Identifier: ISC */
/*
 * auth.c - the libsasl2 client loop.  Any mechanism the server offers and
 * the allow-list permits, multi-step ones included; PLAIN and LOGIN only
 * on a protected link, ANONYMOUS never.  No SASL security layer is
 * negotiated (max_ssf 0): the bytes after AUTH stay plain LMTP (or TLS).
 * Secrets never reach the trace or the log, and are wiped after use.
 */
#define _DEFAULT_SOURCE
#define SASL2_REDIRECT
#include "auth.h"
#include "file.h"
#include "sasl2.h"
#include "words.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct creds {
	const char *user;
	const char *authzid;
	sasl_secret_t *secret;
};

/* Read the first line of path into buf after checking that it is a
 * regular file nobody but its owner can read or write.  -1: err set. */
static int
auth_read_secret(const char *path, char *buf, size_t cap, char *err,
    size_t errcap)
{
	ssize_t n;
	char extra;
	int fd;

	fd = file_open(path, "password file", FILE_SECRET, err, errcap);
	if (fd < 0)
		return -1;
	n = read(fd, buf, cap - 1);
	/* A full buffer with no line end: refuse rather than send a cut
	 * secret, unless the line ends right after it. */
	if (n >= 0 && (size_t)n == cap - 1 &&
	    memchr(buf, '\n', (size_t)n) == NULL &&
	    read(fd, &extra, 1) == 1 && extra != '\n' && extra != '\r') {
		close(fd);
		explicit_bzero(buf, cap);
		snprintf(err, errcap, "password file %s: the first line is "
		    "longer than %zu bytes", path, cap - 1);
		return -1;
	}
	close(fd);
	if (n < 0) {
		snprintf(err, errcap, "password file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		snprintf(err, errcap, "password file %s: the first line is empty",
		    path);
		return -1;
	}
	return 0;
}

static int
cb_simple(void *ctx, int id, const char **result, unsigned *len)
{
	struct creds *c = ctx;

	*result = id == SASL_CB_USER ? c->authzid : c->user;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	struct creds *c = ctx;

	(void)conn;
	(void)id;
	*psecret = c->secret;
	return SASL_OK;
}

/* The server's mechanisms that the allow-list (if any) also names;
 * EXTERNAL only when there is a client certificate to stand for. */
static void
usable_mechs(const char *offered, const char *allowed, int external,
    char *out, size_t cap)
{
	const char *p = offered, *tok;
	size_t tl, len;

	out[0] = '\0';
	while ((p = words_next(p, &tok, &tl)) != NULL) {
		if (!external && tl == 8 && strncasecmp(tok, "EXTERNAL", 8) == 0)
			continue;
		if (allowed[0] && !words_has(allowed, tok, tl))
			continue;
		len = strlen(out);
		snprintf(out + len, cap - len, "%s%.*s", len ? " " : "",
		    (int)tl, tok);
	}
}

/* The server's last reply line, as it came: a challenge can be longer
 * than the text a reply keeps. */
struct challenge_line {
	char text[TRANSPORT_LINE_MAX + 1];
};

/* Send base64(data) as one line; the trace shows only "[redacted]".
 * The reply's last line goes into last. */
static int
send_response(struct lmtp *l, const char *prefix, const char *data,
    unsigned len, struct lmtp_reply *r, struct challenge_line *last)
{
	char b64[4 * AUTH_SECRET_MAX + 600], line[sizeof(b64) + 64];
	char shown[128];
	unsigned outlen;

	if (data == NULL || (len == 0 && prefix[0] == '\0')) {
		b64[0] = '\0';		/* no initial response; empty answer */
	} else if (len == 0) {
		/* RFC 4954 4: an empty initial response is sent as "=". */
		snprintf(b64, sizeof(b64), "=");
	} else if (sasl_encode64(data, len, b64, sizeof(b64), &outlen) !=
	    SASL_OK) {
		return lmtp_fail(l, LF_AUTH, "AUTH response too long");
	}
	snprintf(line, sizeof(line), "%s%s%s", prefix, prefix[0] && b64[0] ?
	    " " : "", b64);
	snprintf(shown, sizeof(shown), "%s%s[redacted]", prefix,
	    prefix[0] ? " " : "");
	int rc = lmtp_auth_command(l, line, shown, r, last->text,
	    sizeof(last->text));

	explicit_bzero(line, sizeof(line));
	explicit_bzero(b64, sizeof(b64));
	return rc;
}

/* How an AUTH dialogue ended: NO_MECHANISM when libsasl2 found nothing
 * it may use among the server's offer (nothing was sent). */
enum conversed { CONVERSED_DONE, CONVERSED_FAILED, CONVERSED_NO_MECHANISM };

/* Abandon the exchange while the server waits for our answer (RFC 4954
 * 4: "*"), then fail with why. */
static enum conversed
cancel(struct lmtp *l, const char *why, const char *mech)
{
	struct lmtp_reply r;
	struct challenge_line last;
	char what[600];

	snprintf(what, sizeof(what), "%s", why);
	(void)send_response(l, "*", NULL, 0, &r, &last);
	(void)lmtp_fail(l, LF_AUTH, "AUTH %s with %s: %s; cancelled", mech,
	    l->t->peer, what);
	return CONVERSED_FAILED;
}

/* The dialogue itself, once libsasl2 has a connection.  The server's 235
 * counts only when libsasl2 has finished too (SASL_OK): a server that
 * claims success early has not proved it knows the secret. */
static enum conversed
converse(struct lmtp *l, sasl_conn_t *conn, const char *mechs,
    const char *user)
{
	char challenge[TRANSPORT_LINE_MAX], prefix[80], why[400];
	const char *out = NULL, *mech = NULL, *b64;
	unsigned outlen = 0, clen;
	struct lmtp_reply r;
	struct challenge_line last;
	int s;

	s = sasl_client_start(conn, mechs, NULL, &out, &outlen, &mech);
	if (s != SASL_OK && s != SASL_CONTINUE) {
		(void)lmtp_fail(l, LF_AUTH, "no usable SASL mechanism among "
		    "\"%s\" from %s: %s", mechs, l->t->peer,
		    sasl_errdetail(conn));
		return CONVERSED_NO_MECHANISM;
	}
	snprintf(prefix, sizeof(prefix), "AUTH %s", mech);
	if (send_response(l, prefix, out, outlen, &r, &last) < 0)
		return CONVERSED_FAILED;
	while (r.code == 334) {
		/* The challenge as it came, not the reply's display text:
		 * any length up to the line limit. */
		b64 = last.text;
		if (sasl_decode64(b64, (unsigned)strlen(b64), challenge,
		    sizeof(challenge), &clen) != SASL_OK)
			return cancel(l, "the challenge is not base64", mech);
		s = sasl_client_step(conn, challenge, clen, NULL, &out, &outlen);
		explicit_bzero(challenge, sizeof(challenge));
		if (s != SASL_OK && s != SASL_CONTINUE) {
			snprintf(why, sizeof(why), "failed in the client: %s",
			    sasl_errdetail(conn));
			return cancel(l, why, mech);
		}
		if (send_response(l, "", out ? out : "", outlen, &r, &last) < 0)
			return CONVERSED_FAILED;
	}
	if (r.code != 235) {
		(void)lmtp_fail(l, LF_AUTH, "AUTH %s as %s refused by %s: %s",
		    mech, user, l->t->peer, r.text);
		return CONVERSED_FAILED;
	}
	if (s != SASL_OK) {
		(void)lmtp_fail(l, LF_AUTH, "AUTH %s: %s answered 235 before "
		    "the exchange was complete, without proving it knows the "
		    "secret; not trusted", mech, l->t->peer);
		return CONVERSED_FAILED;
	}
	return CONVERSED_DONE;
}

/* What this link and this server allow, decided before anything is
 * read or sent. */
struct plan {
	int protected;		/* PLAIN and LOGIN may be used */
	char link[200];		/* which rule said so */
	int external;		/* EXTERNAL stands for a client certificate */
	sasl_ssf_t ssf;		/* the TLS layer, told to libsasl2 */
	char mechs[512];	/* offered and allowed */
};

static int
make_plan(struct lmtp *l, const struct config *cfg, struct plan *p)
{
	int tls_bits = transport_tls_bits(l->t);

	p->protected = transport_protected(l->t, p->link, sizeof(p->link));
	/* EXTERNAL stands for the client certificate: only with one. */
	p->external = tls_bits > 0 && cfg->tls_cert_file[0] != '\0';
	/* libsasl2 is told of the TLS layer only when it proves the server:
	 * an unverified one must not make PLAIN look safe to it. */
	p->ssf = p->protected ? (sasl_ssf_t)tls_bits : 0;
	if (!(l->conn.caps & LMTP_CAP_AUTH))
		return lmtp_fail(l, LF_AUTH, "%s does not offer AUTH%s, but "
		    "auth_user is set: nothing sent", l->t->peer, tls_bits > 0 ?
		    "" : (l->conn.caps_plain & LMTP_CAP_STARTTLS) ? " without TLS" : "");
	usable_mechs(l->conn.auth_mechs, cfg->auth_mechanisms, p->external,
	    p->mechs, sizeof(p->mechs));
	if (p->mechs[0] == '\0')
		return lmtp_fail(l, LF_AUTH, "%s offers AUTH %s; none of it is "
		    "allowed by auth_mechanisms (%s)%s", l->t->peer,
		    l->conn.auth_mechs, cfg->auth_mechanisms[0] ?
		    cfg->auth_mechanisms : "any", p->external ? "" :
		    "; EXTERNAL needs a client certificate (tls_cert_file)");
	if (cfg->auth_password_file[0] == '\0' && !p->external)
		return lmtp_fail(l, LF_AUTH, "auth_user is set but "
		    "auth_password_file is not");
	return 0;
}

/* The password file's secret into c->secret (empty without a file:
 * EXTERNAL).  The stack copy is wiped. */
static int
load_secret(struct lmtp *l, const struct config *cfg, struct creds *c)
{
	char password[AUTH_SECRET_MAX], err[600];
	size_t plen;

	password[0] = '\0';
	if (cfg->auth_password_file[0] && auth_read_secret(
	    cfg->auth_password_file, password, sizeof(password), err,
	    sizeof(err)) < 0)
		return lmtp_fail(l, LF_AUTH, "%s", err);
	plen = strlen(password);
	c->secret = calloc(1, sizeof(*c->secret) + plen + 1);
	if (c->secret != NULL) {
		c->secret->len = plen;
		memcpy(c->secret->data, password, plen);
	}
	explicit_bzero(password, sizeof(password));
	return c->secret == NULL ? lmtp_fail(l, LF_AUTH, "out of memory") : 0;
}

/* libsasl2's client, set up as the plan says, through the exchange. */
static int
run_sasl(struct lmtp *l, const struct config *cfg, const struct plan *p,
    struct creds *c)
{
	sasl_callback_t cbs[] = {
		{ SASL_CB_USER, (int (*)(void))(void (*)(void))cb_simple, c },
		{ SASL_CB_AUTHNAME, (int (*)(void))(void (*)(void))cb_simple, c },
		{ SASL_CB_PASS, (int (*)(void))(void (*)(void))cb_pass, c },
		{ SASL_CB_LIST_END, NULL, NULL },
	};
	/* Mechanisms that hand the secret over as it is need a protected
	 * link, unless the postmaster says otherwise; ANONYMOUS never. */
	sasl_security_properties_t sec = { .min_ssf = 0, .max_ssf = 0,
		.maxbufsize = 0, .security_flags = SASL_SEC_NOANONYMOUS |
		(!p->protected && !cfg->auth_plaintext ? SASL_SEC_NOPLAINTEXT : 0) };
	sasl_conn_t *conn = NULL;
	char host[256], why[300];
	enum conversed rc = CONVERSED_FAILED;

	/* libsasl2 is loaded only now, by the first delivery that needs it. */
	if (sasl2_load(why, sizeof(why)) < 0)
		return lmtp_fail(l, LF_AUTH, "%s", why);

	/* The service name and host go into digests (DIGEST-MD5 digest-uri). */
	snprintf(host, sizeof(host), "%s", l->t->host[0] ? l->t->host :
	    "localhost");
	if (sasl_client_init(NULL) != SASL_OK) {
		lmtp_fail(l, LF_AUTH, "cannot initialise libsasl2");
	} else if (sasl_client_new("lmtp", host, NULL, NULL, cbs, 0, &conn) !=
	    SASL_OK) {
		lmtp_fail(l, LF_AUTH, "cannot start a SASL client");
	} else if (sasl_setprop(conn, SASL_SEC_PROPS, &sec) != SASL_OK ||
	    (p->ssf > 0 && sasl_setprop(conn, SASL_SSF_EXTERNAL, &p->ssf) !=
	    SASL_OK) || (p->external && sasl_setprop(conn, SASL_AUTH_EXTERNAL,
	    cfg->auth_user) != SASL_OK)) {
		lmtp_fail(l, LF_AUTH, "cannot set SASL security properties");
	} else {
		rc = converse(l, conn, p->mechs, cfg->auth_user);
		if (rc == CONVERSED_NO_MECHANISM && !p->protected &&
		    !cfg->auth_plaintext)
			lmtp_fail(l, LF_AUTH, "%s offers AUTH %s; mechanisms that "
			    "send the password as it is are used only on a link "
			    "that proves the server (TLS with a verified "
			    "certificate, a UNIX socket, loopback to a port below "
			    "1024), and this is %s (auth_plaintext = yes would "
			    "allow it, unsafely): nothing sent", l->t->peer,
			    l->conn.auth_mechs, p->link);
	}
	if (conn)
		sasl_dispose(&conn);
	sasl_client_done();
	return rc == CONVERSED_DONE ? 0 : -1;
}

const char *
auth_library(void)
{
	return sasl2_loaded();
}

int
auth_login(struct lmtp *l, const struct config *cfg)
{
	struct creds c = { .user = cfg->auth_user,
		.authzid = cfg->auth_authzid[0] ? cfg->auth_authzid : "" };
	struct plan p;
	int rc;

	if (make_plan(l, cfg, &p) < 0 || load_secret(l, cfg, &c) < 0)
		return -1;
	rc = run_sasl(l, cfg, &p, &c);
	explicit_bzero(c.secret, sizeof(*c.secret) + c.secret->len + 1);
	free(c.secret);
	return rc;
}
