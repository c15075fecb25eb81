-- tests/milter/abort.lua - the MTA aborts in the middle of a body (RSET,
-- a client gone): the next message on the connection still gets its own
-- verdict; a connection that drops mid-message leaves the milter serving.
dofile(srcdir .. "/tests/milter/common.lua")

local conn = open()
envelope(conn, "AQ1")
headers(conn, STD_HEADERS)
body(conn, {"Hello\r\n", string.sub(EICAR, 1, 30)})
ok(mt.abort(conn), "abort mid-body")

-- the rest of that infected body would make this one infected if the
-- aborted scan were still fed
envelope(conn, "AQ2")
headers(conn, STD_HEADERS)
body(conn, {"clean text\r\n"})
ok(mt.eom(conn), "eom after abort")
reply_is(conn, SMFIR_ACCEPT, "clean message after an abort: accepted")

envelope(conn, "AQ3")
headers(conn, STD_HEADERS)
body(conn, infected_chunks())
ok(mt.eom(conn), "eom infected after abort")
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.0", reject_text()),
	"infected after an abort: 550 5.7.0")
mt.disconnect(conn)

-- a connection dropped in the middle of a body, without a goodbye
local c2 = open()
envelope(c2, "AQ4")
headers(c2, STD_HEADERS)
body(c2, {string.rep("x", 60000), string.rep("y", 60000)})
mt.disconnect(c2, false)

-- the milter still serves
local c3 = open()
envelope(c3, "AQ5")
headers(c3, STD_HEADERS)
body(c3, infected_chunks())
ok(mt.eom(c3), "eom after a dropped connection")
check(mt.eom_check(c3, MT_SMTPREPLY, "550", "5.7.0", reject_text()),
	"after a dropped connection: 550 5.7.0")
mt.disconnect(c3)
mt.echo("abort: ok")
