dnl MX_CHECK_CMOCKA - cmocka (unit tests only; optional)
AC_DEFUN([MX_CHECK_CMOCKA], [
  PKG_CHECK_MODULES([CMOCKA], [cmocka >= 1.1], [have_cmocka=yes], [have_cmocka=no])
  AS_IF([test "x$have_cmocka" = xno],
    [AC_MSG_WARN([cmocka not found: unit tests will not be built (apt-get install libcmocka-dev)])])
  AM_CONDITIONAL([HAVE_CMOCKA], [test "x$have_cmocka" = xyes])
])
