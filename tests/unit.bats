#!/usr/bin/env bats
# SPDX-License-Identifier: ISC
# The C unit tests (tests/unit/unit.c): encoder, reply parsing,
# host:port, the status table, notice senders; the encoder through both
# of its copy paths.

load helpers/common

@test "unit: the pure functions (tests/unit/unit.c) all pass" {
	run "$TOP/tests/unit/unit"
	echo "$output" | grep -v '^ok '
	assert_status 0
	assert_output_has ' passed, 0 failed'
}

@test "unit: the switch that forces the encoder's plain copy path is in the test build only, never in the shipped binary" {
	nm "$TOP/tests/unit/unit" | grep -q ' message_force_plain$'
	run nm "$LMTP_IQ"
	assert_status 0
	assert_output_lacks 'message_force_plain'
	# And the unit tests run the encoder cases through both paths.
	run "$TOP/tests/unit/unit"
	assert_output_has '(plain copy path)'
	assert_output_has 'the AVX2 and the plain copy paths give the same bytes'
}
