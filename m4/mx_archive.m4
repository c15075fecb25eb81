dnl MX_CHECK_ARCHIVE - libarchive (mxscan-update bundle extraction), via pkg-config
AC_DEFUN([MX_CHECK_ARCHIVE], [
  PKG_CHECK_MODULES([ARCHIVE], [libarchive >= 3.6],
    [], [AC_MSG_ERROR([libarchive >= 3.6 not found: apt-get install libarchive-dev])])
])
