/*
 * Time: clocks, civil-date arithmetic (proleptic Gregorian, as Iceberg's
 * date and timestamp transforms need) and ISO-8601 formatting and parsing.
 */
#include "pond/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t pond_time_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t pond_time_now_ms(void)
{
	return pond_time_now_us() / 1000;
}

int pond_time_policy_now_ms(int64_t *out, pond_error *err)
{
	const char *env = getenv("POND_NOW");
	if (!env || !*env) {
		*out = pond_time_now_ms();
		return 0;
	}
	int64_t v;
	if (pond_str_to_i64(env, &v)) {
		*out = v;
		return 0;
	}
	int64_t us;
	if (pond_time_parse_us(env, &us, err) != 0)
		return pond_error_prefix(err, "POND_NOW");
	*out = us / 1000;
	return 0;
}

int64_t pond_time_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ts plus ms (>= 0), with tv_nsec kept below a second. */
static void timespec_add_ms(struct timespec *ts, int64_t ms)
{
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

void pond_time_deadline_in(struct timespec *out, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, out);
	if (ms > 0)
		timespec_add_ms(out, ms);
}

void pond_time_sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {0, 0};
	timespec_add_ms(&ts, ms);
	nanosleep(&ts, NULL);
}

/* Howard Hinnant's days_from_civil algorithm (public domain arithmetic). */
int64_t pond_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void pond_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

void pond_time_format_us(char out[40], int64_t us)
{
	int64_t days = floor_div(us, 86400000000LL);
	int64_t rem = us - days * 86400000000LL;
	int64_t y;
	unsigned m, d;
	pond_civil_from_days(days, &y, &m, &d);
	int hh = (int)(rem / 3600000000LL);
	int mi = (int)(rem / 60000000 % 60);
	int ss = (int)(rem / 1000000 % 60);
	int frac = (int)(rem % 1000000);
	int n = snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d, hh, mi, ss);
	if (n < 0 || n > 30)
		return; /* a year past int64's range of days cannot occur; keep what fits */
	if (frac) {
		char f[16];
		snprintf(f, sizeof(f), ".%06d", frac);
		size_t fl = strlen(f);
		while (f[fl - 1] == '0')
			f[--fl] = '\0';
		n += snprintf(out + n, (size_t)(40 - n), "%s", f);
	}
	snprintf(out + n, (size_t)(40 - n), "Z");
}

void pond_time_format_ms(char out[40], int64_t ms)
{
	int64_t days = floor_div(ms, 86400000LL);
	int64_t rem = ms - days * 86400000LL;
	int64_t y;
	unsigned m, d;
	pond_civil_from_days(days, &y, &m, &d);
	snprintf(out, 40, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
	         (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

int pond_time_parse_us(const char *s, int64_t *out_us, pond_error *err)
{
	const char *p = s;
	int y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0;
	if (!read_digits(&p, 4, &y) || *p++ != '-' || !read_digits(&p, 2, &mo) || *p++ != '-' ||
	    !read_digits(&p, 2, &d))
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
		goto bad;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (!read_digits(&p, 2, &hh) || *p++ != ':' || !read_digits(&p, 2, &mi))
			goto bad;
		if (*p == ':') {
			p++;
			if (!read_digits(&p, 2, &ss))
				goto bad;
			if (*p == '.') {
				p++;
				int digits = 0;
				while (isdigit((unsigned char)*p)) {
					if (digits < 6) {
						frac = frac * 10 + (*p - '0');
						digits++;
					}
					p++;
				}
				if (digits == 0)
					goto bad;
				while (digits++ < 6)
					frac *= 10;
			}
		}
		if (hh > 23 || mi > 59 || ss > 59)
			goto bad;
	}
	int64_t offset_s = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
		if (!read_digits(&p, 2, &oh))
			goto bad;
		if (*p == ':')
			p++;
		if (*p && !read_digits(&p, 2, &om))
			goto bad;
		offset_s = sign * (oh * 3600 + om * 60);
	}
	if (*p != '\0')
		goto bad;
	int64_t days = pond_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_s;
	*out_us = secs * 1000000 + frac;
	return 0;
bad:
	return pond_error_set(err, POND_EINVAL, "invalid timestamp \"%s\" (expected YYYY-MM-DD[THH:MM:SS])", s);
}

bool pond_duration_parse(const char *text, int64_t *out_ms)
{
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	if (!isdigit((unsigned char)*p))
		return false;
	int64_t total = 0;
	while (*p) {
		int64_t v = 0;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			if (v > 100000000)
				return false;
		}
		int64_t unit;
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's' || *p == '\0' || isspace((unsigned char)*p)) {
			unit = 1000;
			p += *p == 's';
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == 'd') {
			unit = 86400000;
			p++;
		} else if (*p == 'w') {
			unit = 7 * 86400000LL;
			p++;
		} else {
			return false;
		}
		total += v * unit;
		while (isspace((unsigned char)*p))
			p++;
	}
	*out_ms = total;
	return true;
}
