dnl MX_CHECK_CLAMAV - libclamav (the scanning engine), via pkg-config
AC_DEFUN([MX_CHECK_CLAMAV], [
  PKG_CHECK_MODULES([CLAMAV], [libclamav >= 1.0],
    [], [AC_MSG_ERROR([libclamav >= 1.0 not found: apt-get install libclamav-dev])])
])
