dnl MX_CHECK_FEEDS - what mxscan-update's DNS check and signature feeds
dnl need: c-ares (the TXT lookup, with a server and port that can be set)
dnl and GPGME (detached OpenPGP signatures of feeds such as Sanesecurity),
dnl both via pkg-config; and whether libclamav has cl_cvdverify_ex (1.5+:
dnl the detached .sign of a CVD).
AC_DEFUN([MX_CHECK_FEEDS], [
  PKG_CHECK_MODULES([CARES], [libcares >= 1.16],
    [], [AC_MSG_ERROR([c-ares >= 1.16 not found: apt-get install libc-ares-dev])])
  PKG_CHECK_MODULES([GPGME], [gpgme >= 1.13],
    [], [AC_MSG_ERROR([GPGME >= 1.13 not found: apt-get install libgpgme-dev])])
  mx_save_LIBS=$LIBS
  LIBS="$CLAMAV_LIBS $LIBS"
  AC_CHECK_FUNCS([cl_cvdverify_ex])
  LIBS=$mx_save_LIBS
])
