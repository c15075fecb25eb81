-- tests/milter/many.lua - N (-D n=...) sessions open at once, each in
-- the middle of its message while the others go on (libmilter runs each
-- on its own thread, each with its own scan streaming), then every
-- end-of-message: odd sessions carry EICAR and get 550 5.7.0, even ones
-- are clean and accepted.  Nothing leaks from one session to another.
dofile(srcdir .. "/tests/milter/common.lua")

local count = tonumber(n or "20")
local conns = {}
for i = 1, count do
	conns[i] = open("c" .. i .. ".example.test")
	envelope(conns[i], "MQ" .. i)
	headers(conns[i], STD_HEADERS)
end
for i = 1, count do
	body(conns[i], {"session " .. i .. "\r\n", (i % 2 == 1) and string.sub(EICAR, 1, 20) or "clean"})
end
for i = 1, count do
	body(conns[i], {(i % 2 == 1) and (string.sub(EICAR, 21) .. "\r\n") or "-text\r\n"})
end
for i = 1, count do
	ok(mt.eom(conns[i]), "eom " .. i)
	if i % 2 == 1 then
		check(mt.eom_check(conns[i], MT_SMTPREPLY, "550", "5.7.0", reject_text()),
			"session " .. i .. ": 550 5.7.0")
	else
		reply_is(conns[i], SMFIR_ACCEPT, "session " .. i .. ": accepted")
	end
end
for i = 1, count do
	mt.disconnect(conns[i])
end
mt.echo("many: ok (" .. count .. " sessions)")
