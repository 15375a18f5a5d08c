#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# lmtp-iq behind a real Postfix (Debian's package, Debian's master.cf)
# and a real Cyrus, as docs/postfix.md sets them up: its lines are read
# from the guide.  Run by make check-postfix in a Debian 13 root with
# Postfix in place of Sendmail (the two packages conflict).

load ../helpers/common
load ../helpers/cyrus
load ../helpers/sendmail
load ../helpers/smuggle
load ../helpers/postfix
load ../helpers/fake

NOTICE_SENDER=quota-warn@example.org
# How Postfix's log names the LMTP way's socket (grep -E).
HOST='mx\.example\.org\[lmtp-iq/lmtp\]'
VIA="relay=$HOST"

setup_file() {
	suite_needs_root "Postfix and Cyrus run from temp dirs, in private namespaces" || return 0
	export CYRUS_LOG=1	# Cyrus's own log lines, for the trail
	# frank: the pipe way's smuggling target, no other mail; grace:
	# the success DSN's sender, whose 10 KiB nothing else fills.
	CYRUS_USERS='alice bob carol dave erin frank grace'
	cyrus_suite_start
	postfix_setup
	postfix_start
	pf_listen
	export PF_DIR PF_PID PF_NS_PID PF_LISTEN_PID SM_NS_PID
}

teardown_file() {
	[ -z "${SUITE_SKIP:-}" ] || return 0
	postfix_stop
	cyrus_stop
}

setup() {
	suite_skip_check
	MSG=$(make_tmp msg)
}

teardown() {
	rm -rf "$MSG"
	fake_teardown
	# A test that pointed lmtp-iq elsewhere gives Cyrus back.
	if [ -e "$PF_DIR/lmtp-iq.conf.saved" ]; then mv "$PF_DIR/lmtp-iq.conf.saved" "$PF_DIR/lmtp-iq.conf"; fi
	# The rewriting tests' settings (and the header checks), even when
	# one failed half-way.
	local key
	for key in masquerade_domains sender_canonical_maps lmtp_header_checks smtpd_relay_restrictions; do
		if [ -n "$(pf postconf -nh "$key" 2>/dev/null)" ]; then
			pf postconf -X "$key"
			pf postfix reload >/dev/null 2>&1
		fi
	done
}

# submit SENDER RCPT [SUBJECT]: a small message through Postfix's
# sendmail(1), as a local notice job submits it: as cyrus, the user
# the guide's lmtp-iq-local lists for the notice sender.
submit() {
	printf 'From: %s\nTo: %s\nSubject: %s\n\nPlease make room.\n' "$1" "$2" "${3:-notice}" |
		pf setpriv --reuid=cyrus --regid=mail --clear-groups sendmail -f "$1" -- "$2"
}

# use_transport BLOCK: the transport map from the guide's BLOCK.
use_transport() {
	guide_block "$1" | pf_paths > "$PF_DIR/etc/transport"
	postmap "hash:$PF_DIR/etc/transport"
	pf postfix reload >/dev/null 2>&1
}

@test "postfix: the guide's lines are the ones this Postfix runs" {
	grep -q "^lmtp-iq   unix  -       n       n       -       -       pipe$" "$PF_DIR/etc/master.cf"
	grep -q '^transport_maps = hash:' "$PF_DIR/etc/main.cf"
	grep -q '^relay_domains = notices.example.org$' "$PF_DIR/etc/main.cf"
	grep -q '^mailbox_transport = lmtp-iq-lmtp:unix:lmtp-iq/lmtp$' "$PF_DIR/etc/main.cf"
	grep -q '^lmtp-iq-lmtp unix -     -       y       -       15      lmtp$' "$PF_DIR/etc/master.cf"
	grep -q '^  -o lmtp_connection_cache_destinations=lmtp-iq/lmtp$' "$PF_DIR/etc/master.cf"
	grep -q '^  flags=X$' "$PF_DIR/etc/master.cf"
	grep -q '^  flags=Xq user=cyrus:mail null_sender=$' "$PF_DIR/etc/master.cf"
	grep -q ' -- ${mailbox}$' "$PF_DIR/etc/master.cf"
	grep -q '^lmtp-iq_time_limit = ' "$PF_DIR/etc/main.cf"
	grep -q "^smtpd_sender_restrictions = check_sender_access hash:" "$PF_DIR/etc/main.cf"
	grep -q "^smtpd_sender_login_maps = hash:" "$PF_DIR/etc/main.cf"
	grep -q "^local_login_sender_maps = regexp:" "$PF_DIR/etc/main.cf"
	grep -q "^$NOTICE_SENDER  *lmtp_iq_notices$" "$PF_DIR/etc/lmtp-iq-senders"
	grep -q "^notices.example.org  *lmtp_iq_notices$" "$PF_DIR/etc/lmtp-iq-domains"
	grep -q "^$NOTICE_SENDER  *quotajob$" "$PF_DIR/etc/lmtp-iq-logins"
	run ! grep -q 'permit_mynetworks' "$PF_DIR/etc/main.cf"
	grep -q "^notice_senders = $NOTICE_SENDER$" "$PF_DIR/lmtp-iq.conf"
	# Debian's master.cf runs lmtp chrooted: the socket's name is
	# relative to the queue directory.
	grep -q '^lmtp      unix  -       -       y       -       -       lmtp$' "$PF_DIR/etc/master.cf"
}

# notice_sent BLOCK RELAY SUBJECT: a notice to over-quota alice routed
# by the guide's transport map BLOCK, until Postfix logs it sent through
# RELAY; QID is the queue id on that line.
notice_sent() {
	local sent stored="to=<alice@notices.example.org>, $2.*status=sent"
	use_transport "$1"
	sent=$(pf_log_count "$stored")
	submit "$NOTICE_SENDER" alice@notices.example.org "$3"
	pf_log_wait "$stored" $((sent + 1))
	QID=$(grep -E "$stored" "$PF_DIR/maillog" | tail -1 |
		sed -n 's/.*postfix\/[a-z/-]*\[[0-9]*\]: \([0-9A-F]*\): to=.*/\1/p')
	[ -n "$QID" ]
}

# notice_through BLOCK RELAY SUBJECT TO: a notice to over-quota alice
# routed by the guide's transport map BLOCK is stored, Postfix logging
# RELAY; and the trail: Postfix's line gives the queue id, which finds
# lmtp-iq's line for TO (the pipe way passes ${user}, the LMTP way
# relays Postfix's RCPT) with the Message-ID Postfix's cleanup gave the
# notice, which leads to Cyrus's own line (cyrus_trail).
notice_through() {
	local before line
	before=$(cyrus_count alice)
	notice_sent "$1" "$2" "$3"
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
	grep -q "^Subject: $3" "$(cyrus_newest alice)"
	line=$(iq_line "$PF_DIR/iq.log" "$QID" "$4") ||
		{ echo "no lmtp-iq line for $QID:"; log_lines "$PF_DIR/iq.log" | tail -5; return 1; }
	[[ "$line" == *", from=<$NOTICE_SENDER>, msgid=<"*"@mx.example.org>, "*", ignorequota=yes, dsn=2.1.5, "* ]]
	cyrus_trail "$line" alice
}

@test "postfix, the pipe way: a notice from the notice sender is stored past alice's quota; its trail: Postfix's queue id (\${queue_id}), lmtp-iq's line, Cyrus's" {
	notice_through '# /etc/postfix/transport' 'relay=lmtp-iq,' 'pipe notice' alice
}

# The guide's exit-status table, a row a line: REPLY|EXIT|LOGGED, from
# the rows whose first column gives a server reply (`452 4.2.2 ...`).
exit_table() {
	awk -F'|' '/^\| `[0-9][0-9][0-9] / {
		split($2, r, "`"); split($3, e, " "); split($4, l, "`")
		print r[2] "|" e[1] "|" l[2] }' "$TOP/docs/postfix.md"
}

# pipe_verdict REPLY: a fake server's session with REPLY to RCPT (or,
# for a 2xx, after the dot), as lmtp-iq's notice run meets it.
pipe_verdict() {
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"
	  echo 'expect RCPT TO:<alice> IGNOREQUOTA'
	  echo 'expect DATA'
	  if [ "${1:0:1}" = 2 ]; then
		fake_accepts; echo "send $1"
	  else
		echo 'send 250 2.1.0 ok'; echo "send $1"
		echo 'send 503 5.5.1 No recipients'
		echo 'expect RSET'; echo 'send 250 2.0.0 ok'
	  fi
	  fake_bye; } | fake_start
	chmod 755 "$FAKE_DIR"
	chmod 666 "$FAKE_DIR/sock"
	conf_set "$PF_DIR/lmtp-iq.conf" server "unix:$FAKE_DIR/sock"
}

@test "postfix, the pipe way: each exit status is logged and bounced as the guide's table says" {
	cp -p "$PF_DIR/lmtp-iq.conf" "$PF_DIR/lmtp-iq.conf.saved"
	conf_set "$PF_DIR/lmtp-iq.conf" lhlo_name client.test
	use_transport '# /etc/postfix/transport'
	piped='to=<alice@notices.example.org>, relay=lmtp-iq,'
	rows=0
	while IFS='|' read -r reply code logged; do
		rows=$((rows + 1))
		# The exit status, by hand...
		pipe_verdict "$reply"
		printf 'Subject: by hand\n\nhello\n' > "$MSG/m"
		LMTPIQ_CONF=$PF_DIR/lmtp-iq.conf LMTPIQ_SERVER= run lmtp_iq -- alice < "$MSG/m"
		[ "$status" -eq "$code" ] || { echo "$reply: exit $status, the guide says $code"; false; }
		fake_finish
		# ...and what Postfix's pipe(8) makes of it.
		pipe_verdict "$reply"
		n=$(pf_log_count "$piped")
		submit "$NOTICE_SENDER" alice@notices.example.org "table $rows"
		pf_log_wait "$piped" $((n + 1))
		line=$(grep -E "$piped" "$PF_DIR/maillog" | tail -1)
		echo "# $reply -> $code -> ${line#*delays=*, }" >&3
		[[ $line == *"$logged"* ]] || { echo "$reply: Postfix logged: $line"; echo "the guide says: $logged"; false; }
		fake_finish
		# A deferred row's retry must not meet the next row's server.
		pf postsuper -d ALL >/dev/null 2>&1
	done < <(exit_table)
	[ "$rows" -ge 7 ]
	pf postsuper -d ALL >/dev/null 2>&1
}

@test "postfix, the LMTP way: a notice through lmtp:unix:lmtp-iq/lmtp is stored past alice's quota; its trail: Postfix's queue id (from its Received: line), lmtp-iq's line, Cyrus's" {
	notice_through '# /etc/postfix/transport: the LMTP way' "$VIA" 'lmtp notice' alice@notices.example.org
}

@test "postfix, the LMTP way: with no Received: line to read (lmtp_header_checks takes them out) lmtp-iq's line has no queue id; the trail goes on by the Message-ID Postfix's cleanup logs" {
	printf '/^Received:/ IGNORE\n' > "$PF_DIR/etc/no-received"
	pf postconf -e "lmtp_header_checks = regexp:$PF_DIR/etc/no-received"
	pf postfix reload >/dev/null 2>&1
	notice_sent '# /etc/postfix/transport: the LMTP way' "$VIA" 'no received'
	msgid=$(sed -n "s/.*postfix\/cleanup\[[0-9]*\]: $QID: message-id=\(<[^>]*>\).*/\1/p" "$PF_DIR/maillog")
	[ -n "$msgid" ]
	line=$(log_lines "$PF_DIR/iq.log" | grep -aF ", msgid=$msgid, ")
	[[ "$line" =~ lmtp-iq\[[0-9]+\]:\ to=\<alice@notices.example.org\>,\ from= ]]
	run ! grep -q '(Postfix' "$(cyrus_newest alice)"	# Postfix's Received: line is out
	cyrus_trail "$line" alice
}

@test "postfix: ordinary mail to over-quota alice is deferred on Cyrus's 452 4.2.2, kept in the queue and retried" {
	before=$(cyrus_count alice)
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<alice@mx.example.org>' 'DATA' "$(smtp_message held)" 'QUIT'
	assert_output_has '250 2.0.0 Ok: queued as '
	id=$(echo "$output" | sed -n 's/.*Ok: queued as \([0-9A-F]*\).*/\1/p')
	held="$id: to=<alice@mx.example.org>, $VIA.*dsn=4\.2\.2, status=deferred \(host $HOST said: 452 4\.2\.2 Over quota"
	pf_log_wait "$held"
	# The retry (postqueue -i: now, not in minutes) meets the quota again.
	pf postqueue -i "$id"
	pf_log_wait "$held" 2
	[ "$(cyrus_count alice)" -eq "$before" ]
	run pf postqueue -p
	assert_output_has "$id"
	assert_output_has 'alice@mx.example.org'
	pf postsuper -d "$id" >/dev/null 2>&1
}

@test "postfix: a notice sender's address, or the notice domain, from outside is refused; from mynetworks too unless the host is listed" {
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' "MAIL FROM:<$NOTICE_SENDER>" \
		'RCPT TO:<alice@mx.example.org>' 'QUIT'
	assert_output_has "554 5.7.1 <$NOTICE_SENDER>: Sender address rejected: Access denied"
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<alice@notices.example.org>' 'QUIT'
	assert_output_has '554 5.7.1 <alice@notices.example.org>: Recipient address rejected: Access denied'
	# 127.0.0.1 is in mynetworks, not in lmtp-iq-clients.
	run smtp_from 127.0.0.1 'EHLO inside.test' "MAIL FROM:<$NOTICE_SENDER>" \
		'RCPT TO:<alice@notices.example.org>' 'QUIT'
	assert_output_has "554 5.7.1 <$NOTICE_SENDER>: Sender address rejected: Access denied"
	run smtp_from "$PF_TRUSTED" 'EHLO trusted.test' "MAIL FROM:<$NOTICE_SENDER>" \
		'RCPT TO:<alice@notices.example.org>' 'QUIT'
	assert_output_has '250 2.1.5 Ok'
}

@test "postfix: SMTP AUTH: an ordinary user cannot send as the notice sender nor to the notice domain; the login that owns it can" {
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' "$(auth_plain bob bob-secret)" \
		"MAIL FROM:<$NOTICE_SENDER>" 'RCPT TO:<alice@mx.example.org>' 'RSET' \
		'MAIL FROM:<bob@example.org>' 'RCPT TO:<alice@notices.example.org>' 'QUIT'
	assert_output_has '235 2.7.0 Authentication successful'
	assert_output_has "553 5.7.1 <$NOTICE_SENDER>: Sender address rejected: not owned by user bob"
	assert_output_has '553 5.7.1 <bob@example.org>: Sender address rejected: not owned by user bob'
	before=$(cyrus_count alice)
	stored='to=<alice@notices.example.org>, .*status=sent'
	sent=$(pf_log_count "$stored")
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' "$(auth_plain quotajob job-secret)" \
		"MAIL FROM:<$NOTICE_SENDER>" 'RCPT TO:<alice@notices.example.org>' \
		'DATA' "$(smtp_message 'owned notice')" 'QUIT'
	assert_output_has '250 2.0.0 Ok: queued as '
	pf_log_wait "$stored" $((sent + 1))
	[ "$(cyrus_count alice)" -eq $((before + 1)) ]
}

@test "postfix: outside mail to the notice sender's address is not refused by the notice maps (RFC 5321 postmaster)" {
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		"RCPT TO:<$NOTICE_SENDER>" 'QUIT'
	assert_output_lacks 'Access denied'
}

@test "postfix: a local user other than the quota job's cannot submit as the notice sender (local_login_sender_maps); as itself it can" {
	run pf setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
		"printf 'Subject: forged\n\nx\n' | sendmail -f $NOTICE_SENDER -- alice@notices.example.org"
	echo "$output"
	[ "$status" -ne 0 ]
	run pf setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c \
		"printf 'Subject: own\n\nx\n' | sendmail -f nobody@example.org -- dave@mx.example.org"
	assert_status 0
}

@test "postfix: masquerading cannot turn an outsider's sender into the notice sender (masquerade_exceptions)" {
	before=$(cyrus_count alice)
	pf postconf -e 'masquerade_domains = example.org'
	pf postfix reload >/dev/null 2>&1
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<quota-warn@mail.example.org>' \
		'RCPT TO:<alice@mx.example.org>' 'DATA' "$(smtp_message masqueraded)" 'QUIT'
	assert_output_has '250 2.0.0 Ok: queued as '
	id=$(echo "$output" | sed -n 's/.*Ok: queued as \([0-9A-F]*\).*/\1/p')
	pf_log_wait "$id: to=<alice@mx.example.org>, .*status=deferred"
	grep -q "$id: from=<quota-warn@mail.example.org>" "$PF_DIR/maillog"
	[ "$(cyrus_count alice)" -eq "$before" ]
	pf postsuper -d "$id" >/dev/null 2>&1
}

@test "postfix: canonical rewriting cannot turn an outsider's sender into the notice sender (the guide's sender_canonical entry)" {
	before=$(cyrus_count alice)
	guide_block '# /etc/postfix/sender_canonical' > "$PF_DIR/etc/sender_canonical"
	postmap "hash:$PF_DIR/etc/sender_canonical"
	pf postconf -e "sender_canonical_maps = hash:$PF_DIR/etc/sender_canonical"
	pf postfix reload >/dev/null 2>&1
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<quota-warn@mail.example.org>' \
		'RCPT TO:<alice@mx.example.org>' 'DATA' "$(smtp_message canonical)" 'RSET' \
		'MAIL FROM:<someone@mail.example.org>' 'RCPT TO:<dave@mx.example.org>' \
		'DATA' "$(smtp_message 'canonical, other sender')" 'QUIT'
	[ "$(grep -c '^250 2.0.0 Ok: queued as ' <<< "$output")" -eq 2 ]
	id=$(echo "$output" | sed -n 's/.*Ok: queued as \([0-9A-F]*\).*/\1/p' | head -1)
	pf_log_wait "$id: to=<alice@mx.example.org>, .*status=deferred"
	grep -q "$id: from=<quota-warn@mail.example.org>" "$PF_DIR/maillog"
	[ "$(cyrus_count alice)" -eq "$before" ]
	# The map is at work: the domain's other senders are rewritten.
	pf_log_wait 'from=<someone@example.org>'
	pf postsuper -d "$id" >/dev/null 2>&1
}

@test "postfix: an unknown user bounces with Cyrus's 5.1.1 text; the bounce (<>) reaches dave" {
	before=$(cyrus_count dave)
	submit dave@mx.example.org nosuchuser@mx.example.org 'to nobody'
	pf_log_wait "to=<nosuchuser@mx.example.org>, $VIA.*dsn=5\.1\.1, status=bounced \(host $HOST said: 550 5\.1\.1 User unknown"
	pf_log_wait 'from=<>'
	pf_log_wait "to=<dave@mx.example.org>, $VIA.*status=sent" 1 60
	[ "$(cyrus_count dave)" -eq $((before + 1)) ]
	bounce=$(cyrus_newest dave)
	grep -q '^Return-Path: <>' "$bounce"
	grep -q '550 5.1.1 User unknown' "$bounce"
	grep -qi '^Status: 5.1.1' "$bounce"
}

@test "postfix: a bounce (<>) to over-quota alice meets the quota: <> is no notice sender" {
	before=$(cyrus_count alice)
	submit alice@mx.example.org nosuchuser@mx.example.org 'bounce to alice'
	pf_log_wait "to=<alice@mx.example.org>, $VIA.*status=deferred.*452 4\.2\.2"
	[ "$(cyrus_count alice)" -eq "$before" ]
	pf postsuper -d ALL >/dev/null 2>&1
}

@test "postfix: one lmtp-iq serves several transactions on one cached Postfix connection" {
	use_transport '# /etc/postfix/transport: the LMTP way'
	: > "$PF_DIR/listen.log"
	before=$(cyrus_count erin)
	waiting='to=<erin@notices.example.org>.*status=deferred \(deferred transport\)'
	stored="to=<erin@notices.example.org>, $VIA.*status=sent"
	held=$(pf_log_count "$waiting")
	sent=$(pf_log_count "$stored")
	# Fifty notices queued, then let go together through the guide's
	# lmtp client (at most 15 connections, the socket's connections
	# cached: lmtp_connection_cache_destinations).
	n=50
	pf_hold lmtp-iq-lmtp
	for i in $(seq 1 "$n"); do submit "$NOTICE_SENDER" erin@notices.example.org "cached $i"; done
	pf_log_wait "$waiting" $((held + n))
	pf_release
	pf postqueue -f
	pf_log_wait "$stored" $((sent + n)) 120
	[ "$(cyrus_count erin)" -eq $((before + n)) ]
	# Postfix says when it reused a connection (conn_use=N, N > 1); the
	# listener started one lmtp-iq per connection it accepted.
	grep -E "to=<erin@notices.example.org>, $VIA.*conn_use=([2-9]|[1-9][0-9])" "$PF_DIR/maillog"
	spawned=$(grep -c '^Spawned ' "$PF_DIR/listen.log")
	echo "# $spawned lmtp-iq processes for $n messages" >&3
	[ "$spawned" -ge 1 ] && [ "$spawned" -lt "$n" ]
}

@test "postfix: a burst of 200 notices through the LMTP way: every one stored once" {
	use_transport '# /etc/postfix/transport: the LMTP way'
	before=$(cyrus_count erin)
	stored="to=<erin@notices.example.org>, $VIA.*status=sent"
	sent_before=$(pf_log_count "$stored")
	for i in $(seq 1 200); do submit "$NOTICE_SENDER" erin@notices.example.org "burst $i" & 
		[ $((i % 20)) -ne 0 ] || wait
	done
	wait
	pf_log_wait "$stored" $((sent_before + 200)) 300
	[ "$(cyrus_count erin)" -eq $((before + 200)) ]
	# Once each: 200 different subjects among erin's messages.
	dir=$(cyrus_tool mbpath user/erin)
	[ "$(grep -h '^Subject: burst ' "$dir"/[0-9]*. | sort -u | wc -l)" -eq 200 ]
	[ "$(grep -h '^Subject: burst ' "$dir"/[0-9]*. | wc -l)" -eq 200 ]
}

# smuggle_through FORM CLIENT RCPT RELAY: FORM's body sent by CLIENT's
# address over SMTP to RCPT; stored whole in RCPT's mailbox (the
# smuggled commands are text there), and nothing in bob's.
smuggle_through() {
	local user=${3%@*} bob mine sent stored="to=<$3>, $4.*status=sent"
	bob=$(cyrus_count bob) mine=$(cyrus_count "$user")
	sent=$(pf_log_count "$stored")
	run smtp_from "$2" 'EHLO client.test' 'MAIL FROM:<outsider@capture.test>' \
		"RCPT TO:<$3>" 'DATA' "$(smuggle_message "$1" "$3")"$'\r\n.' 'QUIT'
	assert_output_has '250 2.0.0 Ok: queued'
	pf_log_wait "$stored" $((sent + 1))
	[ "$(cyrus_count bob)" -eq "$bob" ] || { echo "$1: smuggled into bob"; return 1; }
	[ "$(cyrus_count "$user")" -eq $((mine + 1)) ]
	grep -q '^MAIL FROM:<notices@capture.test>' "$(cyrus_newest "$user")"
	grep -q '^after the fake end' "$(cyrus_newest "$user")"
}

@test "postfix: the smuggling bodies sent from outside through Postfix and lmtp-iq reach no other mailbox" {
	use_transport '# /etc/postfix/transport'
	for form in long cr; do
		# The LMTP way (mailbox_transport), from outside.
		smuggle_through "$form" "$PF_OUTSIDER" carol@mx.example.org "$VIA"
		# The pipe way: the notice domain takes mail from the trusted
		# network only; pipe(8) hands lmtp-iq the body as it was queued.
		smuggle_through "$form" "$PF_TRUSTED" frank@notices.example.org 'relay=lmtp-iq,'
	done
}

@test "postfix: a refused ordinary message brings alice one notice per interval (LMTP way, refusal_notice)" {
	install -d -m 700 -o cyrus "$PF_DIR/refusal"
	install -m 644 "$TOP/docs/examples/refusal-notice" "$PF_DIR/refusal-notice"
	conf_set "$PF_DIR/lmtp-iq.conf" refusal_notice yes
	conf_set "$PF_DIR/lmtp-iq.conf" refusal_notice_from quota-notice@example.org
	conf_set "$PF_DIR/lmtp-iq.conf" refusal_notice_template "$PF_DIR/refusal-notice"
	conf_set "$PF_DIR/lmtp-iq.conf" refusal_notice_dir "$PF_DIR/refusal"
	# lmtp-iq reads its config as its connection starts: past
	# lmtp_connection_cache_time_limit (2 s) no cached one is left.
	sleep 3
	before=$(cyrus_count alice)
	for n in 1 2; do
		run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
			'RCPT TO:<alice@mx.example.org>' 'DATA' "$(smtp_message "refused $n")" 'QUIT'
		assert_output_has '250 2.0.0 Ok: queued'
	done
	pf_log_wait "to=<alice@mx.example.org>, $VIA.*status=deferred.*452 4\.2\.2" 2
	# The notice is stored after the replies: give it its moment.
	wait_until 5 '[ "$(cyrus_count alice)" -gt "$before" ]' || true
	[ "$(cyrus_count alice)" -eq $((before + 1)) ] ||
		{ log_lines "$PF_DIR/iq.log" | grep -a 'alice' | tail -6; false; }
	notice=$(cyrus_newest alice)
	grep -q '^From: quota-notice@example.org' "$notice"
	grep -q 'someone@capture.test' "$notice"
	conf_set "$PF_DIR/lmtp-iq.conf" refusal_notice no
	sleep 3
	pf postsuper -d ALL >/dev/null 2>&1
}

@test "units: the quota warnings' timer and service are clean (systemd-analyze verify)" {
	d=$(make_tmp units)
	cp "$PF_UNITS"/lmtp-iq-quota-warn.service "$PF_UNITS"/lmtp-iq-quota-warn.timer "$d/"
	sed -i "s|/usr/sbin/lmtp-iq-quota-warn|$TOP/mailer/lmtp-iq-quota-warn|" "$d/lmtp-iq-quota-warn.service"
	run systemd-analyze verify --man=no "$d/lmtp-iq-quota-warn.timer" "$d/lmtp-iq-quota-warn.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; false; }
	rm -rf "$d"
}

@test "postfix: the shipped units are clean (systemd-analyze verify) and sandboxed (exposure at most 3.0)" {
	d=$(make_tmp units)
	cp "$PF_UNITS"/lmtp-iq.socket "$PF_UNITS"/lmtp-iq@.service "$d/"
	# verify wants ExecStart's program where the unit says it is.
	sed -i "s|/usr/libexec/lmtp-iq|$LMTP_IQ|" "$d/lmtp-iq@.service"
	run systemd-analyze verify --man=no "$d/lmtp-iq.socket" "$d/lmtp-iq@.service"
	[ "$status" -eq 0 ]
	[ -z "$output" ] || { echo "$output"; false; }
	# cyrus is shared with Cyrus's daemons: no RemoveIPC; failed
	# instances are collected.
	[ "$(unit_value lmtp-iq@.service RemoveIPC)" = no ]
	[ "$(unit_value lmtp-iq@.service CollectMode)" = inactive-or-failed ]
	run systemd-analyze security --offline=yes --threshold=30 "$d/lmtp-iq@.service"
	[ "$status" -eq 0 ]
	exposure=$(echo "$output" | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
	echo "# exposure $exposure" >&3
	awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 3.0) }'
	rm -rf "$d"
}

# pf_conf_value KEY: a main.cf value of this instance.
# pf_service_value SERVICE KEY: a -o value of a master.cf service.
pf_conf_value() {
	postconf -c "$PF_DIR/etc" -h "$1"
}
pf_service_value() {
	postconf -c "$PF_DIR/etc" -Ph "$1/unix/$2"
}

# seconds VALUE: a Postfix time ("400s", "2m") or lmtp-iq's in seconds.
seconds() {
	case $1 in
	*s) echo "${1%s}" ;;
	*m) echo $(( ${1%m} * 60 )) ;;
	*h) echo $(( ${1%h} * 3600 )) ;;
	*) echo "$1" ;;
	esac
}

# iq_setting KEY: lmtp-iq's value for KEY in this instance (its config
# file, else the built-in default the unit binary prints).
iq_setting() {
	local v
	v=$(sed -n "s/^$1 *= *//p" "$PF_DIR/lmtp-iq.conf" | tail -1)
	[ -n "$v" ] || v=$("$TOP/tests/unit/unit" config-defaults | awk -v k="$1" '$1 == k { print $2 }')
	echo "$v"
}

@test "postfix: the limits nest: maxproc below the socket's MaxConnections and Cyrus's maxchild; Postfix waits longer than lmtp-iq on every step, and lets pipe(8) run longer than delivery_timeout" {
	maxproc=$(postconf -c "$PF_DIR/etc" -Fh lmtp-iq-lmtp/unix/process_limit)
	maxconn=$(unit_value lmtp-iq.socket MaxConnections)
	maxchild=$(sed -n 's/^[[:space:]]*lmtpunix[[:space:]].*maxchild=\([0-9]*\).*/\1/p' /etc/cyrus.conf)
	echo "# maxproc $maxproc, MaxConnections $maxconn, Cyrus lmtpunix maxchild $maxchild" >&3
	[ -n "$maxchild" ] && [ "$maxproc" -lt "$maxconn" ] && [ "$maxproc" -lt "$maxchild" ]
	t=$(iq_setting timeout) d=$(iq_setting data_timeout) all=$(iq_setting delivery_timeout)
	for key in lmtp_mail_timeout lmtp_rcpt_timeout lmtp_data_init_timeout lmtp_data_xfer_timeout; do
		v=$(seconds "$(pf_service_value lmtp-iq-lmtp "$key")")
		[ "$v" -gt "$t" ] || { echo "$key $v s is not above lmtp-iq's timeout $t s"; false; }
	done
	v=$(seconds "$(pf_service_value lmtp-iq-lmtp lmtp_data_done_timeout)")
	[ "$v" -gt "$d" ] || { echo "lmtp_data_done_timeout $v s is not above data_timeout $d s"; false; }
	v=$(seconds "$(pf_conf_value lmtp-iq_time_limit)")
	[ "$v" -gt "$all" ] || { echo "lmtp-iq_time_limit $v s is not above delivery_timeout $all s"; false; }
}

@test "postfix: postfix check is silent with the guide's lines in place" {
	run pf postfix check
	[ "$status" -eq 0 ]
	# The one warning of the harness's own: its chrooted smtpd has a
	# sasldb of the test's, not the host's /etc/sasldb2.
	output=$(printf '%s\n' "$output" | grep -v '/spool/etc/sasldb2 and /etc/sasldb2 differ$' || true)
	[ -z "$output" ] || { echo "$output"; false; }
}

@test "postfix: the guide's postconf commands build the same services and settings as its blocks" {
	d=$(make_tmp postconf)
	cp /etc/postfix/main.cf /etc/postfix/master.cf "$d/"
	{ guide_block '# postconf: the pipe way'; guide_block '# postconf: the LMTP way'; } | pf_paths |
		sed "s|^postconf |postconf -c $d |" > "$d/commands"
	[ "$(grep -c '^postconf ' "$d/commands")" -ge 6 ]
	sh -e "$d/commands"
	for service in lmtp-iq/unix lmtp-iq-lmtp/unix; do
		[ "$(postconf -c "$d" -M "$service")" = "$(postconf -c "$PF_DIR/etc" -M "$service")" ] ||
			{ echo "$service differs"; postconf -c "$d" -M "$service"; postconf -c "$PF_DIR/etc" -M "$service"; false; }
	done
	for key in transport_maps relay_domains lmtp-iq_destination_recipient_limit lmtp-iq_time_limit mailbox_transport; do
		[ "$(postconf -c "$d" -h "$key")" = "$(postconf -c "$PF_DIR/etc" -h "$key")" ] ||
			{ echo "$key differs"; false; }
	done
	rm -rf "$d"
}

@test "postfix, the LMTP way: an address probe (reject_unverified_recipient) gets Cyrus's answer: an unknown user is refused at RCPT, a known one accepted" {
	pf postconf -e 'smtpd_relay_restrictions = reject_unauth_destination, reject_unverified_recipient'
	pf postfix reload >/dev/null 2>&1
	run smtp_from "$PF_OUTSIDER" 'EHLO outside.test' 'MAIL FROM:<someone@capture.test>' \
		'RCPT TO:<nosuchuser@mx.example.org>' 'RCPT TO:<bob@mx.example.org>' 'QUIT'
	echo "$output" | grep -E '^[0-9]{3} ' | sed 's/^/# /' >&3
	# 450: Postfix's unverified_recipient_reject_code by default.
	assert_output_has '450 4.1.1 <nosuchuser@mx.example.org>: Recipient address rejected: unverified address: host mx.example.org[lmtp-iq/lmtp] said: 550 5.1.1 User unknown'
	[ "$(echo "$output" | tr -d '\r' | grep -c '^250 2.1.5 Ok$')" -eq 1 ]
	# The probes went through lmtp-iq, which asked Cyrus.
	pf_log_wait "to=<nosuchuser@mx.example.org>, $VIA.*status=undeliverable"
	pf_log_wait "to=<bob@mx.example.org>, $VIA.*status=deliverable"
}

@test "postfix, the LMTP way: with mailbox_transport, deliveries one after another share one lmtp-iq (lmtp_connection_cache_destinations)" {
	: > "$PF_DIR/listen.log"
	stored="to=<dave@mx.example.org>, $VIA.*status=sent"
	sent=$(pf_log_count "$stored")
	for i in 1 2 3 4 5; do
		submit carol@mx.example.org dave@mx.example.org "one by one $i"
		pf_log_wait "$stored" $((sent + i))
	done
	# Postfix took the cached connection each time (conn_use=2..5),
	# and the listener started one lmtp-iq for the five.
	grep -E "$stored" "$PF_DIR/maillog" | tail -1 | grep -q 'conn_use=5'
	[ "$(grep -c '^Spawned ' "$PF_DIR/listen.log")" -eq 1 ]
}

@test "postfix, the LMTP way: a success DSN says delivered (flags=X), not relayed; Postfix warns of nothing obsolete" {
	before=$(cyrus_count grace)
	back="to=<grace@mx.example.org>, $VIA.*status=sent"
	n=$(pf_log_count "$back")
	printf 'Subject: dsn please\n\nx\n' |
		pf setpriv --reuid=cyrus --regid=mail --clear-groups sendmail -N success -f grace@mx.example.org -- dave@mx.example.org
	# The DSN goes back to grace through lmtp-iq as well.
	pf_log_wait "$back" $((n + 1)) 120 || { pf postqueue -p; false; }
	wait_until 10 '[ "$(cyrus_count grace)" -gt "$before" ]'
	dsn=$(cyrus_newest grace)
	grep -qi '^Action: delivered' "$dsn"
	run ! grep -qi '^Action: relayed' "$dsn"
	run ! grep -q 'warning: .* is obsolete' "$PF_DIR/maillog"
}

@test "postfix, the pipe way: +detail reaches lmtp-iq and Cyrus; a sender that needs quoting arrives quoted (flag q); an empty local part bounces at once with 5.1.3" {
	use_transport '# /etc/postfix/transport'
	piped='relay=lmtp-iq,'
	# alice+folder: past alice's quota into her INBOX (no such folder).
	a=$(cyrus_count alice)
	n=$(pf_log_count "to=<alice\+folder@notices.example.org>, $piped.*status=sent")
	submit "$NOTICE_SENDER" alice+folder@notices.example.org 'detail'
	pf_log_wait "to=<alice\+folder@notices.example.org>, $piped.*status=sent" $((n + 1))
	[ "$(cyrus_count alice)" -eq $((a + 1)) ]
	log_lines "$PF_DIR/iq.log" | grep -aq 'lmtp-iq\[[0-9]*\]: [0-9A-F]*: to=<alice+folder>, from=<quota-warn@example.org>, '
	# A sender with a space in its local part.
	b=$(cyrus_count bob)
	printf 'Subject: quoted\n\nx\n' |
		pf setpriv --reuid=cyrus --regid=mail --clear-groups sendmail -f '"john smith"@example.org' -- bob@notices.example.org
	pf_log_wait "to=<bob@notices.example.org>, $piped.*status=sent"
	[ "$(cyrus_count bob)" -eq $((b + 1)) ]
	grep -q '^Return-Path: <"john smith"@example.org>' "$(cyrus_newest bob)"
	# An empty local part: refused by lmtp-iq at once, not queued.
	printf 'Subject: nobody\n\nx\n' |
		pf setpriv --reuid=cyrus --regid=mail --clear-groups sendmail -f "$NOTICE_SENDER" -- '""@notices.example.org'
	pf_log_wait "$piped.*dsn=5\.1\.3, status=bounced \(.*empty recipient"
}

@test "postfix, the pipe way with virtual domains: the transport's next hop is the domain lmtp-iq names to Cyrus" {
	cp -p "$PF_DIR/lmtp-iq.conf" "$PF_DIR/lmtp-iq.conf.saved"
	conf_set "$PF_DIR/lmtp-iq.conf" lhlo_name client.test
	{ lhlo_offering PIPELINING IGNOREQUOTA ENHANCEDSTATUSCODES
	  echo "expect MAIL FROM:<$NOTICE_SENDER>"
	  echo 'expect RCPT TO:<alice+x@example.com> IGNOREQUOTA'
	  echo 'expect DATA'
	  fake_accepts; echo 'send 250 2.1.5 ok'
	  fake_bye; } | fake_start
	chmod 755 "$FAKE_DIR"
	chmod 666 "$FAKE_DIR/sock"
	conf_set "$PF_DIR/lmtp-iq.conf" server "unix:$FAKE_DIR/sock"
	use_transport '# /etc/postfix/transport: the pipe way with virtual domains'
	printf 'Subject: vd\n\nx\n' |
		pf setpriv --reuid=cyrus --regid=mail --clear-groups sendmail -f "$NOTICE_SENDER" -- alice+x@notices.example.com
	pf_log_wait 'to=<alice\+x@notices.example.com>, relay=lmtp-iq-vd,.*status=sent'
	fake_finish
}
