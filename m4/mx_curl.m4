dnl MX_CHECK_CURL - libcurl (mxscan-update downloads), via pkg-config
AC_DEFUN([MX_CHECK_CURL], [
  PKG_CHECK_MODULES([CURL], [libcurl >= 7.88],
    [], [AC_MSG_ERROR([libcurl >= 7.88 not found: apt-get install libcurl4-openssl-dev])])
])
