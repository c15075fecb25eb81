dnl MX_CHECK_STATIC_PIE - can programs be linked -static-pie with the
dnl current compiler and flags?  mxscan-conversion is exec'd once per MIME
dnl part; linking it statically saves the dynamic loader's work (about a
dnl fifth of its run).  Sanitizer builds, and toolchains without a static
dnl libc (they fail the test), keep dynamic linking.  --disable-static-conversion
dnl turns it off.
AC_DEFUN([MX_CHECK_STATIC_PIE], [
  AC_ARG_ENABLE([static-conversion],
    [AS_HELP_STRING([--disable-static-conversion],
      [link mxscan-conversion dynamically (default: -static-pie when it links)])],
    [], [enable_static_conversion=yes])
  STATIC_CONVERSION_LDFLAGS=
  dnl A sanitizer runtime cannot start in a static program (clang links
  dnl one that crashes at start rather than failing the link test).
  AS_CASE([" $CFLAGS $LDFLAGS "],
    [*-fsanitize=*], [AS_IF([test "x$enable_static_conversion" = xyes],
                        [AC_MSG_NOTICE([sanitizer build: mxscan-conversion is linked dynamically])
                         enable_static_conversion=sanitizer])])
  AS_IF([test "x$enable_static_conversion" = xyes], [
    AC_MSG_CHECKING([whether $CC links -static-pie programs])
    mx_save_LDFLAGS=$LDFLAGS
    LDFLAGS="$LDFLAGS -static-pie"
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <stdio.h>]], [[puts("x");]])],
      [AC_MSG_RESULT([yes]); STATIC_CONVERSION_LDFLAGS=-static-pie],
      [AC_MSG_RESULT([no])])
    LDFLAGS=$mx_save_LDFLAGS
  ])
  AC_SUBST([STATIC_CONVERSION_LDFLAGS])
])
