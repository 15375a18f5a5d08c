# /etc/cron.d/lmtp-iq: the quota warnings (lmtp-iq-quota-warn(8)), as
# the user Cyrus runs as.  Shipped off: name your notice domains and
# take the "#" away (or use lmtp-iq-quota-warn.timer instead, not both).
#17 * * * *	cyrus	[ -x /usr/sbin/lmtp-iq-quota-warn ] && /usr/sbin/lmtp-iq-quota-warn -d notices.example.org
