-- tests/milter/verdicts.lua - macros, headers, body chunks and
-- end-of-message replies for each verdict, several messages on one
-- connection.  ACTION (-D action=reject|quarantine|tag|discard) is the
-- milter's milter_infected_action; HEADERS=1 when milter_add_headers is on.
dofile(srcdir .. "/tests/milter/common.lua")

local conn = open()

-- 1. infected, EICAR split over body chunks
envelope(conn, "VQ1")
headers(conn, STD_HEADERS)
body(conn, infected_chunks())
ok(mt.eom(conn), "eom (infected)")
if action == "reject" then
	reply_is(conn, SMFIR_REPLYCODE, "infected: a reply code")
	check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.0", reject_text()),
		"infected: 550 5.7.0 " .. reject_text())
elseif action == "quarantine" then
	reply_is(conn, SMFIR_ACCEPT, "infected: accepted into quarantine")
	check(mt.eom_check(conn, MT_QUARANTINE, "virus found (" .. SIG .. ")"),
		"infected: quarantined with the signature as reason")
elseif action == "discard" then
	reply_is(conn, SMFIR_DISCARD, "infected: discarded")
elseif action == "tag" then
	reply_is(conn, SMFIR_ACCEPT, "infected: accepted, tagged")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Virus-Status", " Infected (" .. SIG .. ")"),
		"infected: X-Virus-Status: Infected (" .. SIG .. ")")
end

-- 2. clean, with a forged X-Virus-Status: Clean and X-Virus-Scanned
envelope(conn, "VQ2")
local hs = {table.unpack(STD_HEADERS)}
table.insert(hs, {"X-Virus-Status", " Clean"})
table.insert(hs, {"X-Virus-Scanned", " by a forger"})
table.insert(hs, {"X-Virus-Status", " Clean"})
headers(conn, hs)
body(conn, {"plain text\r\n", string.rep("0123456789abcdef", 3750), string.rep("fedcba9876543210", 3750) .. "\r\n"})
ok(mt.eom(conn), "eom (clean)")
reply_is(conn, SMFIR_ACCEPT, "clean: accepted")
if headers_on == "1" then
	check(mt.eom_check(conn, MT_HDRDELETE, "X-Virus-Status"), "clean: forged X-Virus-Status removed")
	check(mt.eom_check(conn, MT_HDRDELETE, "X-Virus-Scanned"), "clean: forged X-Virus-Scanned removed")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Virus-Status", " Clean"), "clean: X-Virus-Status: Clean")
	check(mt.eom_check(conn, MT_HDRINSERT, "X-Virus-Scanned"), "clean: X-Virus-Scanned added")
else
	check(not mt.eom_check(conn, MT_HDRINSERT), "clean: no header added when not asked")
	check(not mt.eom_check(conn, MT_HDRDELETE), "clean: no header touched when not asked")
end

-- 3. a message without a body, then one whose infected part is base64
envelope(conn, "VQ3")
headers(conn, STD_HEADERS)
ok(mt.eom(conn), "eom (empty body)")
reply_is(conn, SMFIR_ACCEPT, "empty body: accepted")

envelope(conn, "VQ4")
local mime = {{"From", " a@example.test"}, {"MIME-Version", " 1.0"},
	{"Content-Type", " multipart/mixed; boundary=\"BB\""}}
headers(conn, mime)
body(conn, {"--BB\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n--BB\r\n",
	"Content-Type: application/octet-stream; name=\"x.com\"\r\n" ..
	"Content-Transfer-Encoding: base64\r\n\r\n",
	"WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0NDKTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNU\r\n",
	"LUZJTEUhJEgrSCo=\r\n--BB--\r\n"})
ok(mt.eom(conn), "eom (base64 attachment)")
if action == "reject" then
	check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.0", reject_text()),
		"base64 attachment: 550 5.7.0")
end
mt.disconnect(conn)
mt.echo("verdicts: ok")
