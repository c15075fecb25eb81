dnl MX_CHECK_MUSL - link mxscan-conversion as a static PIE against musl?
dnl The conversion channel execs the command once per MIME part, so its
dnl start-up is a large share of its cost.  Before main() a static glibc
dnl program runs IRELATIVE resolvers, tunables and TLS set-up and touches
dnl about 26 pages; a static musl program touches about 6, which saves
dnl 0.3-0.4 ms of every part on the benchmark machine (perf stat -e
dnl page-faults; tuning/bench-conversion.sh).  The default takes musl-gcc
dnl (Debian's musl-tools) when it links a static PIE; --with-musl=CC names
dnl another musl compiler wrapper and makes a failure an error;
dnl --without-musl keeps glibc (then MX_CHECK_STATIC_PIE decides), and so
dnl does --disable-static-conversion.  Run after MX_CHECK_STATIC_PIE.
dnl Sanitizer builds keep glibc: the sanitizer runtimes need it; so do
dnl clang builds by default, so that clang compiles every file.
dnl Sets MUSL_CC, MUSL_START (rcrt1.o crti.o crtbeginS.o), MUSL_END
dnl (crtendS.o crtn.o) and the automake conditional MX_MUSL_CONVERSION.
AC_DEFUN([MX_CHECK_MUSL], [
  AC_ARG_WITH([musl],
    [AS_HELP_STRING([--with-musl@<:@=CC@:>@],
      [link mxscan-conversion as a static PIE against musl, compiled with
       CC (default: musl-gcc when it works; --without-musl keeps glibc)])],
    [], [with_musl=auto])
  MUSL_CC= MUSL_START= MUSL_END= mx_musl_cc=
  mx_musl=no
  AS_CASE([$with_musl], [no], [],
    [yes|auto], [mx_musl_cc=musl-gcc],
    [mx_musl_cc=$with_musl])
  AS_IF([test "x$with_musl" != xno], [
    AS_CASE([" $CFLAGS $LDFLAGS "],
      [*-fsanitize=*], [AC_MSG_NOTICE([sanitizer build: mxscan-conversion keeps glibc])
                        mx_musl_cc=])
    AS_IF([test "x$enable_static_conversion" = xno], [mx_musl_cc=])
    dnl musl-gcc drives gcc; a clang build keeps every file under clang
    dnl unless --with-musl asks otherwise.
    AS_IF([test "x$with_musl" = xauto && $CC --version 2>/dev/null | grep -q clang],
      [AC_MSG_NOTICE([$CC is clang: mxscan-conversion keeps glibc (--with-musl to change)])
       mx_musl_cc=])
  ])
  AS_IF([test -n "$mx_musl_cc"], [
    AC_MSG_CHECKING([whether $mx_musl_cc links static PIE programs])
    dnl musl's start files sit beside the one its link specs name.
    mx_musl_dir=`$mx_musl_cc -### -x c /dev/null -o conftest.musl 2>&1 |
      tr ' "' '\n\n' | sed -n 's,/[[^/]]*crt1\.o$,,p' | head -n 1`
    mx_crtbegin=`$mx_musl_cc -print-file-name=crtbeginS.o 2>/dev/null`
    mx_crtend=`$mx_musl_cc -print-file-name=crtendS.o 2>/dev/null`
    mx_start="$mx_musl_dir/rcrt1.o $mx_musl_dir/crti.o $mx_crtbegin"
    mx_end="$mx_crtend $mx_musl_dir/crtn.o"
    mx_ok=no
    AS_IF([test -n "$mx_musl_dir" && test -f "$mx_musl_dir/rcrt1.o" &&
           test -f "$mx_crtbegin" && test -f "$mx_crtend"], [
      cat >conftest.c <<MXEOF
#include <stdio.h>
#include <syslog.h>
int main(void) { openlog("t", LOG_PID, LOG_MAIL); return puts("x") < 0; }
MXEOF
      AS_IF([$mx_musl_cc -fPIE -c conftest.c -o conftest.o >&AS_MESSAGE_LOG_FD 2>&1 &&
             $mx_musl_cc -nostartfiles -Wl,-static,-pie,--no-dynamic-linker,-z,text \
               -o conftest.musl $mx_start conftest.o $mx_end >&AS_MESSAGE_LOG_FD 2>&1 &&
             test "x`(./conftest.musl) 2>/dev/null`" = xx], [mx_ok=yes])
      rm -f conftest.c conftest.o conftest.musl
    ])
    AC_MSG_RESULT([$mx_ok])
    AS_IF([test "$mx_ok" = yes],
      [mx_musl=yes MUSL_CC=$mx_musl_cc MUSL_START=$mx_start MUSL_END=$mx_end],
      [test "x$with_musl" != xauto],
      [AC_MSG_ERROR([--with-musl: $mx_musl_cc cannot link a static PIE program (see config.log)])])
  ])
  AC_SUBST([MUSL_CC])
  AC_SUBST([MUSL_START])
  AC_SUBST([MUSL_END])
  AM_CONDITIONAL([MX_MUSL_CONVERSION], [test "$mx_musl" = yes])
])
