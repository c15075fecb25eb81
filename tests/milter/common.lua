-- tests/milter/common.lua - helpers for the miltertest(8) scripts that
-- drive mxscan-milter (run by tests/integration/t_milter.py with
-- -D sock=SOCKET -D srcdir=DIR).  Every check that fails raises an
-- error naming what was expected: miltertest then exits non-zero.

-- The EICAR test string, assembled so this file is no test virus itself.
EICAR = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$" .. "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
SIG = "Eicar-Test-Signature.UNOFFICIAL"

function check(cond, what)
	if not cond then
		error("FAILED: " .. what, 2)
	end
end

-- ok(result, what) - a miltertest call returned nil (success)
function ok(r, what)
	if r ~= nil then
		error("FAILED: " .. what .. ": " .. tostring(r), 2)
	end
end

function reply_is(conn, want, what)
	local got = mt.getreply(conn)
	if got ~= want then
		error(string.format("FAILED: %s: reply %q, expected %q", what, tostring(got),
			tostring(want)), 2)
	end
end

-- open() - a connection with connection details sent
function open(name)
	local conn = mt.connect(sock, 40, 0.05)
	check(conn ~= nil, "connect to " .. sock)
	ok(mt.conninfo(conn, name or "client.example.test", "127.0.0.1"), "conninfo")
	reply_is(conn, SMFIR_CONTINUE, "conninfo")
	return conn
end

-- envelope(conn, qid) - MAIL and one RCPT with the queue id macro
function envelope(conn, qid, macros)
	if macros then
		mt.macro(conn, SMFIC_MAIL, "i", qid, table.unpack(macros))
	else
		mt.macro(conn, SMFIC_MAIL, "i", qid)
	end
	ok(mt.mailfrom(conn, "<alice@example.test>"), "mailfrom")
	local r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then
		return r
	end
	ok(mt.rcptto(conn, "<bob@example.test>"), "rcptto")
	reply_is(conn, SMFIR_CONTINUE, "rcptto")
	return r
end

-- headers(conn, list) - header fields {name, value} then end of headers
function headers(conn, list)
	for _, h in ipairs(list) do
		ok(mt.header(conn, h[1], h[2]), "header " .. h[1])
		reply_is(conn, SMFIR_CONTINUE, "header " .. h[1])
	end
	ok(mt.eoh(conn), "eoh")
	reply_is(conn, SMFIR_CONTINUE, "eoh")
end

-- body(conn, chunks) - body chunks, each answered with continue
function body(conn, chunks)
	for i, c in ipairs(chunks) do
		ok(mt.bodystring(conn, c), "body chunk " .. i)
		reply_is(conn, SMFIR_CONTINUE, "body chunk " .. i)
	end
end

STD_HEADERS = {{"From", " Alice <alice@example.test>"}, {"To", " Bob <bob@example.test>"},
	{"Subject", " test\n\tfolded"}}

-- infected_chunks() - a message body with EICAR split over two chunks
function infected_chunks()
	return {"Hello Bob,\r\nthe file:\r\n", string.sub(EICAR, 1, 30),
		string.sub(EICAR, 31) .. "\r\n", "bye\r\n"}
end

function reject_text()
	return "message refused: virus " .. SIG .. " found"
end
