-- tests/milter/negotiate.lua - option negotiation: mxscan-milter asks
-- for the header actions and quarantine, skips HELO, DATA and unknown
-- commands, wants header values with their leading space, and sends no
-- reply to the steps that always continue (connect, RCPT, each header
-- field).
dofile(srcdir .. "/tests/milter/common.lua")

local conn = open()
check(mt.test_action(conn, SMFIF_ADDHDRS), "asks for SMFIF_ADDHDRS")
check(mt.test_action(conn, SMFIF_CHGHDRS), "asks for SMFIF_CHGHDRS")
check(mt.test_action(conn, SMFIF_QUARANTINE), "asks for SMFIF_QUARANTINE")
check(not mt.test_action(conn, SMFIF_CHGBODY), "does not ask to change bodies")
check(not mt.test_action(conn, SMFIF_DELRCPT), "does not ask to delete recipients")
check(mt.test_option(conn, SMFIP_NOHELO), "skips HELO")
check(mt.test_option(conn, SMFIP_NODATA), "skips DATA")
check(mt.test_option(conn, SMFIP_NOUNKNOWN), "skips unknown commands")
check(mt.test_option(conn, SMFIP_HDR_LEADSPC), "wants the leading space of header values")
check(mt.test_option(conn, SMFIP_NR_HDR), "no reply to each header field")
check(not mt.test_option(conn, SMFIP_NR_BODY), "replies to body chunks (libmilter's end-of-body may carry one)")
check(mt.test_option(conn, SMFIP_NR_CONN), "no reply to the connection details")
check(mt.test_option(conn, SMFIP_NR_RCPT), "no reply to each recipient")
check(not mt.test_option(conn, SMFIP_NR_MAIL), "replies to MAIL (an authenticated sender may be skipped)")
check(not mt.test_option(conn, SMFIP_NOBODY), "wants the body")
check(not mt.test_option(conn, SMFIP_NOHDRS), "wants the headers")
mt.disconnect(conn)
mt.echo("negotiate: ok")
