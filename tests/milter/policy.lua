-- tests/milter/policy.lua - the mail policy through the milter (run with
-- banned_names = *.exe).  SKIPAUTH (-D skipauth=0|1) is the milter's
-- policy_skip_authenticated.  A clean program named invoice.exe is
-- refused with 550 5.7.0 naming the banned name, its part and the rule;
-- an authenticated sender ({auth_authen} at MAIL FROM) is let through
-- unscanned at end-of-headers only when policy_skip_authenticated is on;
-- a message without a banned part is accepted either way.
dofile(srcdir .. "/tests/milter/common.lua")

local BANNED = "message refused: Banned.Name.exe in part 2 (banned_names *.exe: reject)"

-- a multipart message with a harmless attachment called NAME
local function attachment(name)
	return {"--BB\r\nContent-Type: text/plain\r\n\r\nthe invoice is attached\r\n--BB\r\n",
		"Content-Type: application/octet-stream; name=\"" .. name .. "\"\r\n" ..
		"Content-Disposition: attachment; filename=\"" .. name .. "\"\r\n" ..
		"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n--BB--\r\n"}
end

local MIME = {{"From", " alice@example.test"}, {"MIME-Version", " 1.0"},
	{"Content-Type", " multipart/mixed; boundary=\"BB\""}}

local conn = open()

-- 1. not authenticated: the banned name is refused
envelope(conn, "PQ1")
headers(conn, MIME)
body(conn, attachment("invoice.exe"))
ok(mt.eom(conn), "eom (banned)")
reply_is(conn, SMFIR_REPLYCODE, "banned: a reply code")
check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.0", BANNED), "banned: 550 5.7.0 " .. BANNED)

-- 2. a harmless name passes
envelope(conn, "PQ2")
headers(conn, MIME)
body(conn, attachment("invoice.pdf"))
ok(mt.eom(conn), "eom (allowed name)")
reply_is(conn, SMFIR_ACCEPT, "allowed name: accepted")

-- 3. the same banned message from an authenticated sender
envelope(conn, "PQ3", {"{auth_authen}", "alice"})
for _, h in ipairs(MIME) do
	ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
end
ok(mt.eoh(conn), "eoh (authenticated)")
if skipauth == "1" then
	reply_is(conn, SMFIR_ACCEPT, "authenticated, policy_skip_authenticated: accepted at end of headers")
else
	reply_is(conn, SMFIR_CONTINUE, "authenticated, no policy_skip_authenticated: scanned")
	body(conn, attachment("invoice.exe"))
	ok(mt.eom(conn), "eom (authenticated, banned)")
	reply_is(conn, SMFIR_REPLYCODE, "authenticated: refused all the same")
	check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.0", BANNED),
		"authenticated: 550 5.7.0 " .. BANNED)
end

mt.disconnect(conn)
mt.echo("policy: ok (skipauth=" .. skipauth .. ")")
