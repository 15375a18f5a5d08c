# SPDX-License-Identifier: ISC
# Bodies that try to end their own LMTP body early in Cyrus and smuggle a
# second transaction with IGNOREQUOTA to an over-quota user (SMUGGLE_TO,
# bob unless set), and
# what the copy must look like when nothing is smuggled.
#
# The two forms (measured against Cyrus 3.6.1, whose lmtpd reads at most
# 8189 bytes at a time and removes lone CRs before it looks for the dot):
#   long: a line of 8189 bytes followed by "." - the next read is ".\r\n";
#   cr:   the line CR "." - with the CR removed, ".\r\n".

# smuggle_message FORM TO: the message, CRLF lines, no dot line of its
# own (lmtp-iq's final dot would end the smuggled transaction).
smuggle_message() {
	printf 'From: outsider@capture.test\r\nTo: %s\r\nSubject: smuggle %s\r\n' "$2" "$1"
	printf 'Date: Wed, 02 Dec 2026 06:00:00 +0000\r\n'
	printf 'Message-ID: <smuggle.%s.%s.%s@capture.test>\r\n\r\n' "$1" "$RANDOM" "$$"
	printf 'before the fake end\r\n'
	smuggle_line "$1"
	printf '\r\n'
	printf 'MAIL FROM:<notices@capture.test>\r\nRCPT TO:<%s> IGNOREQUOTA\r\n' "${SMUGGLE_TO:-bob}"
	printf 'DATA\r\nSubject: smuggled\r\n\r\nsmuggled past the quota\r\n'
	printf 'after the fake end\r\n'
}

smuggle_line() {	# smuggle_line FORM: the fake end, without its CRLF
	case $1 in
	long) head -c 8189 /dev/zero | tr '\0' x; printf . ;;
	cr) printf '\r.' ;;
	esac
}

# The body Cyrus must store: the message after lmtp-iq's rules - the
# long line broken after each 998 octets, the lone CR dropped.
smuggle_body() {	# smuggle_body FORM
	printf 'before the fake end\r\n'
	case $1 in
	long) { smuggle_line long; echo; } | fold -w 998 | sed 's/$/\r/' ;;
	cr) printf '.\r\n' ;;
	esac
	printf 'MAIL FROM:<notices@capture.test>\r\nRCPT TO:<%s> IGNOREQUOTA\r\n' "${SMUGGLE_TO:-bob}"
	printf 'DATA\r\nSubject: smuggled\r\n\r\nsmuggled past the quota\r\n'
	printf 'after the fake end\r\n'
}

# assert_stored_whole FILE FORM: FILE (a message as Cyrus stored it) has
# exactly the expected body after its header.
assert_stored_whole() {
	local got
	got=$(mktemp /tmp/lmtpiq-body.XXXXXX)
	sed -n '/^\r$/,$p' "$1" | tail -n +2 > "$got"
	if ! cmp -s "$got" <(smuggle_body "$2"); then
		echo "stored body differs from the whole message ($2 form):"
		cmp "$got" <(smuggle_body "$2") || true
		head -c 600 "$got" | od -c | head -20
		rm -f "$got"
		return 1
	fi
	rm -f "$got"
}

# smuggle_through_sendmail: an outside client (sendmail.bash's daemon)
# sends the long form to RCPT (the alias smug@localhost unless given);
# the queue is run and must end empty: Sendmail took the delivery as done.
smuggle_through_sendmail() {	# smuggle_through_sendmail [RCPT]
	local to=${1:-smug@localhost}
	run smtp_from "$SM_OUTSIDER" 'EHLO outside.test' \
		'MAIL FROM:<outsider@capture.test>' "RCPT TO:<$to>" \
		'DATA' "$(smuggle_message long "$to")"$'\n.' 'QUIT'
	assert_output_has "250 2.1.5 <$to>... Recipient ok"
	assert_output_has 'Message accepted for delivery'
	run sm_queue_run
	run sm -bp
	assert_output_has 'queue is empty'
}
