dnl MX_CHECK_JSONC - json-c (libclamav's file properties for MIMEFACTS), via pkg-config
AC_DEFUN([MX_CHECK_JSONC], [
  PKG_CHECK_MODULES([JSONC], [json-c >= 0.15],
    [], [AC_MSG_ERROR([json-c not found: apt-get install libjson-c-dev])])
])
