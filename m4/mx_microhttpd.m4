dnl MX_CHECK_MICROHTTPD - libmicrohttpd (the metrics endpoint of mxscand and
dnl mxscan-filter), via pkg-config; 0.9.71 brought enum MHD_Result.
AC_DEFUN([MX_CHECK_MICROHTTPD], [
  PKG_CHECK_MODULES([MICROHTTPD], [libmicrohttpd >= 0.9.71],
    [], [AC_MSG_ERROR([libmicrohttpd >= 0.9.71 not found: apt-get install libmicrohttpd-dev])])
])
