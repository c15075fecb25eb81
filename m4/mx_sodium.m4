dnl MX_CHECK_SODIUM - libsodium (minisign signatures on bundles), via pkg-config
AC_DEFUN([MX_CHECK_SODIUM], [
  PKG_CHECK_MODULES([SODIUM], [libsodium >= 1.0.18],
    [], [AC_MSG_ERROR([libsodium >= 1.0.18 not found: apt-get install libsodium-dev])])
])
