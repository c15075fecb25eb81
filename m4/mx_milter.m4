dnl MX_CHECK_MILTER - Sendmail's libmilter (mxscan-milter); it ships no
dnl pkg-config file, so the header and the library are checked directly.
AC_DEFUN([MX_CHECK_MILTER], [
  AC_CHECK_HEADER([libmilter/mfapi.h], [],
    [AC_MSG_ERROR([libmilter/mfapi.h not found: apt-get install libmilter-dev])])
  mx_save_LIBS=$LIBS
  AC_SEARCH_LIBS([smfi_main], [milter], [],
    [AC_MSG_ERROR([libmilter not found: apt-get install libmilter-dev])], [$PTHREAD_LIBS])
  LIBS=$mx_save_LIBS
  MILTER_LIBS="-lmilter"
  AC_SUBST([MILTER_LIBS])
])
