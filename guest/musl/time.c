/* Time. A guest has no clock: every clock reads 0, the epoch
 * (1970-01-01 00:00:00 UTC), so time() is 0 and clock() is 0, the same in
 * every call and every sandbox (an embedder that wants the time passes it
 * in, or registers a host function). Local time is UTC: there is no time
 * zone database. musl's versions make the clock_gettime system call and
 * read TZ and zoneinfo files. strftime's %Z asks __tm_to_tzname, which
 * shares its object with that time zone code: the link wraps it
 * (--wrap=__tm_to_tzname; guest/musl/CMakeLists.txt). */
#include <errno.h>
#include <time.h>

extern hidden const char __utc[]; /* "UTC", musl's time zone name for gmtime's results */

int __clock_gettime(clockid_t clock, struct timespec *ts) {
  if (clock < 0) {
    errno = EINVAL;
    return -1;
  }
  ts->tv_sec = 0;
  ts->tv_nsec = 0;
  return 0;
}
weak_alias(__clock_gettime, clock_gettime);

struct tm *__localtime_r(const time_t *restrict t, struct tm *restrict tm) {
  return __gmtime_r(t, tm);
}
weak_alias(__localtime_r, localtime_r);

time_t mktime(struct tm *tm) { return timegm(tm); }

/* "UTC" for the times gmtime, localtime and mktime make, "" for others. */
const char *__wrap___tm_to_tzname(const struct tm *tm) { return tm->__tm_zone == __utc ? __utc : ""; }
