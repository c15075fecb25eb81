dnl MX_CHECK_GMIME - GMime 3 (MIME parsing for MIMESCAN), via pkg-config
AC_DEFUN([MX_CHECK_GMIME], [
  PKG_CHECK_MODULES([GMIME], [gmime-3.0 >= 3.2],
    [], [AC_MSG_ERROR([gmime-3.0 >= 3.2 not found: apt-get install libgmime-3.0-dev])])
])
