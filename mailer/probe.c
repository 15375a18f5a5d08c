/* SPDX-License-Identifier: ISC */
/*
 * probe.c - lmtp-iq -n.  It opens each server as a delivery would, reads
 * what the session layer says it showed (session_describe), tries MAIL
 * FROM:<> and RSET, and says what a notice would carry.  Nothing here
 * reaches below the session layer.
 */
#define _DEFAULT_SOURCE
#include "probe.h"

#include <stdio.h>
#include <sysexits.h>

#include "policy.h"
#include "refusal.h"
#include "session.h"

/* What the session showed (d, from session_describe), as far as it
 * got. */
static void
report(const struct config *cfg, const struct session_description *d)
{
	const struct stls_info *ti = &d->tls;

	if (d->greeting[0])
		printf("greeting: %s\n", d->greeting);
	if (d->caps_plain[0]) {
		printf("capabilities: %s\n", d->caps_plain);
		if (d->auth_plain)
			printf("auth mechanisms: %s\n", d->auth_mechs_plain);
	}
	/* libssl is loaded only by a session that starts TLS. */
	if (d->tls_library != NULL)
		printf("tls library: %s\n", d->tls_library);
	if (d->is_unix)
		printf("tls: no (a UNIX socket)\n");
	else if (!d->greeting[0])
		;	/* no server reached: nothing to say of TLS */
	else if (!d->tls_tried)
		printf("tls: no (tls = %s%s)\n", config_tls_name(cfg->tls),
		    d->starttls_offered ? "" : "; STARTTLS not offered");
	else if (ti->protocol[0] == '\0' && !ti->up)
		printf("tls: STARTTLS %s\n", ti->name[0] ? "failed before the "
		    "handshake" : "refused by the server");
	else {
		printf("tls: %s, %s, %d bits%s\n", ti->protocol, ti->cipher,
		    ti->bits, ti->up ? "" : " (handshake failed)");
		printf("certificate: subject %s\n", ti->subject[0] ?
		    ti->subject : "(none)");
		printf("certificate: issuer %s\n", ti->issuer[0] ?
		    ti->issuer : "(none)");
		printf("certificate: verification for %s: %s%s\n", ti->name,
		    ti->verify, cfg->tls_verify ? "" :
		    " (not required: tls_verify = no)");
	}
	if (ti->up && d->caps[0]) {
		printf("capabilities after STARTTLS: %s\n", d->caps);
		if (d->auth)
			printf("auth mechanisms after STARTTLS: %s\n",
			    d->auth_mechs);
	}
	/* libsasl2, like libssl, only once a session authenticated. */
	if (d->sasl_library != NULL)
		printf("sasl library: %s\n", d->sasl_library);
	if (d->greeting[0])
		printf("password mechanisms (PLAIN, LOGIN): %s: %s\n",
		    d->password_ok ? "allowed" : cfg->auth_plaintext ?
		    "allowed by auth_plaintext = yes (unsafe)" : "not used",
		    d->password_why);
}

/* One server: what would a delivery find there?  1 when it could go
 * ahead. */
static int
probe_one(const struct config *cfg, const char *sender, int verbose,
    const char *spec)
{
	long long deadline = transport_now_ms() +
	    (long long)cfg->delivery_timeout * 1000;
	struct session_description d;
	struct policy_verdict pv;
	struct session s;
	char mail[LMTP_ERR_MAX + 16];
	int ok;

	session_init(&s, cfg, verbose, 0);
	printf("server: %s\n", spec);
	ok = session_open_at(&s, spec, 0, deadline) == 0;
	session_describe(&s, &d);
	report(cfg, &d);
	if (!ok) {
		printf("result: cannot deliver: %s\n", session_error(&s));
		session_close(&s);
		return 0;
	}
	printf("authenticated: %s\n", cfg->auth_user[0] ? cfg->auth_user : "no");
	/* What a notice from a notice sender would carry, or mail from
	 * the sender given (-f). */
	if (sender == NULL)
		policy_server(cfg->policy, d.ignorequota, &pv);
	else
		policy_decide(cfg, sender, d.ignorequota, &pv);
	printf("ignorequota: %s; policy %s: ",
	    d.ignorequota ? "advertised" : "not advertised",
	    config_policy_name(cfg->policy));
	if (sender != NULL)
		printf("mail from <%s>: ", sender);
	if (pv.param != NULL)
		printf("RCPT will carry IGNOREQUOTA\n");
	else if (!pv.refuse && (sender == NULL || pv.why[0] == '\0'))
		printf("RCPT will not carry IGNOREQUOTA\n");
	else if (!pv.refuse)
		printf("RCPT will not carry IGNOREQUOTA (%s)\n", pv.why);
	else
		printf("nothing will be delivered (the message stays "
		    "queued)\n");
	printf("notice senders: %s\n", cfg->notice_senders_set ?
	    cfg->notice_senders : "none (ignorequota = off)");
	/* A server may refuse us only at MAIL (Cyrus over TCP without
	 * AUTH: 430). */
	ok = session_try_mail(&s, mail, sizeof(mail));
	printf("mail from: %s\n", mail);
	ok = ok && !pv.refuse;
	printf("result: %s\n", ok ? "a delivery can go ahead" :
	    "deliveries would stay queued");
	session_close(&s);
	return ok;
}

int
probe_servers(const struct config *cfg, const char *sender, int verbose)
{
	char spec[CONFIG_VALUE_MAX], line[2048];
	const char *rest = cfg->server;
	size_t n = 0, good = 0;

	while ((rest = config_next_server(rest, spec, sizeof(spec))) != NULL) {
		if (n++ > 0)
			printf("\n");
		good += (size_t)probe_one(cfg, sender, verbose, spec);
	}
	if (n > 1)
		printf("\nservers: %zu of %zu can take a delivery, tried in the "
		    "order above\n", good, n);
	refusal_describe(cfg, line, sizeof(line));
	printf("refusal notices: %s\n", line);
	return n > 0 && good == n ? EX_OK : EX_TEMPFAIL;
}
