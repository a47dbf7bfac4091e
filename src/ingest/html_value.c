/*
 * Typed cell text for the web-page source: numbers as pages write them
 * (thousands separators, a decimal mark, currency symbols, percent signs,
 * parentheses for negatives) read into a plain decimal without going
 * through binary floating point, dates and timestamps read with a
 * strptime-like format (English month names, whatever the locale), and
 * the strings that stand for "no value".
 */
#include "html.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* ---- numbers ----------------------------------------------------------------------------- */

/* The length of a space at p (ASCII, U+00A0, U+2009, U+202F), or 0. */
static size_t space_at(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	if (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r')
		return 1;
	if (u[0] == 0xc2 && u[1] == 0xa0)
		return 2;
	if (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0x89 || u[2] == 0xaf))
		return 3;
	return 0;
}

static const char *skip_spaces(const char *p)
{
	for (size_t n; (n = space_at(p)) != 0;)
		p += n;
	return p;
}

/* The length of a currency sign or code at p ($ € £ ¥ ₹ ₩, or a run of
 * letters such as USD or kr), or 0. */
static size_t currency_at(const char *p)
{
	static const char *const signs[] = {"$", "\xe2\x82\xac", "\xc2\xa3", "\xc2\xa5", "\xe2\x82\xb9", "\xe2\x82\xa9"};
	for (size_t i = 0; i < sizeof(signs) / sizeof(signs[0]); i++)
		if (strncmp(p, signs[i], strlen(signs[i])) == 0)
			return strlen(signs[i]);
	size_t n = 0;
	while (isalpha((unsigned char)p[n]) && n < 4)
		n++;
	return isalpha((unsigned char)p[n]) ? 0 : n;
}

/* A minus at p: '-' or U+2212; its length or 0. */
static size_t minus_at(const char *p)
{
	if (*p == '-')
		return 1;
	return strncmp(p, "\xe2\x88\x92", 3) == 0 ? 3 : 0;
}

/* Signs, parentheses and currency before the digits. */
static const char *number_prefix(const char *p, bool *neg, bool *paren)
{
	for (;;) {
		size_t n;
		p = skip_spaces(p);
		if ((n = minus_at(p)) != 0 && !*neg) {
			*neg = true;
			p += n;
		} else if (*p == '+') {
			p++;
		} else if (*p == '(' && !*paren) {
			*paren = true;
			p++;
		} else if ((n = currency_at(p)) != 0) {
			p += n;
		} else {
			return p;
		}
	}
}

/* The digits: into ip (integer part) and fp (fraction), separators
 * checked (groups after the first of three digits). NULL when they do not
 * read as a number. */
static const char *number_digits(const char *p, const html_number_format *fmt, pond_buf *ip, pond_buf *fp)
{
	bool in_frac = false, grouped = false;
	size_t group = 0;  /* digits since the last separator */
	for (;;) {
		size_t sl = space_at(p);
		if (isdigit((unsigned char)*p)) {
			pond_buf_putc(in_frac ? fp : ip, *p++);
			group++;
		} else if (*p == fmt->decimal && !in_frac) {
			if (grouped && group != 3)
				return NULL;
			in_frac = true;
			p++;
		} else if (!in_frac && ip->len > 0 && ((fmt->thousands && *p == fmt->thousands) || sl) &&
		           isdigit((unsigned char)p[sl ? sl : 1])) {
			if ((grouped && group != 3) || (!grouped && group > 3))
				return NULL;
			grouped = true;
			group = 0;
			p += sl ? sl : 1;
		} else {
			break;
		}
	}
	if (grouped && !in_frac && group != 3)
		return NULL;
	return ip->len || fp->len ? p : NULL;
}

bool pond__html_parse_number(const char *text, const html_number_format *fmt, char *out, size_t outcap, bool *pct)
{
	bool neg = false, paren = false;
	*pct = false;
	const char *p = number_prefix(text, &neg, &paren);
	pond_buf ip = POND_BUF_INIT, fp = POND_BUF_INIT;
	bool ok = (p = number_digits(p, fmt, &ip, &fp)) != NULL;
	while (ok) {
		size_t n;
		p = skip_spaces(p);
		if (*p == '%' && !*pct) {
			*pct = true;
			p++;
		} else if (*p == ')' && paren) {
			paren = false;
			neg = true;
			p++;
		} else if ((n = currency_at(p)) != 0) {
			p += n;
		} else {
			break;
		}
	}
	ok = ok && *p == '\0' && !paren && pond_buf_ok(&ip) && pond_buf_ok(&fp);
	if (ok) {
		const char *i = ip.len ? pond_buf_cstr(&ip) : "0";
		while (*i == '0' && i[1])
			i++;
		size_t fl = fp.len;
		while (fl && fp.ptr[fl - 1] == '0')
			fl--;
		bool zero = strcmp(i, "0") == 0 && fl == 0;
		int n = snprintf(out, outcap, "%s%s%s%.*s", neg && !zero ? "-" : "", i, fl ? "." : "", (int)fl,
		                 fl ? fp.ptr : "");
		ok = n > 0 && (size_t)n < outcap;
	}
	pond_buf_dispose(&ip);
	pond_buf_dispose(&fp);
	return ok;
}

/* ---- dates and times --------------------------------------------------------------------- */

static const char *const months[] = {"january", "february", "march",     "april",   "may",      "june",
                                     "july",    "august",   "september", "october", "november", "december"};
static const char *const weekdays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};

/* Up to max digits (at least one) at *p. */
static bool read_int(const char **p, int max, int64_t *out)
{
	int64_t v = 0;
	int n = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0;
}

/* A name from list (full, or its first three letters; "sept" too),
 * without case; its index or -1. */
static int read_name(const char **p, const char *const *list, int n)
{
	for (int i = 0; i < n; i++) {
		size_t full = strlen(list[i]);
		if (strncasecmp(*p, list[i], full) == 0) {
			*p += full;
			return i;
		}
	}
	for (int i = 0; i < n; i++) {
		if (list == months && i == 8 && strncasecmp(*p, "sept", 4) == 0) {
			*p += 4;
			return i;
		}
		if (strncasecmp(*p, list[i], 3) == 0) {
			*p += 3;
			if (**p == '.')
				(*p)++;
			return i;
		}
	}
	return -1;
}

typedef struct {
	int64_t year, month, day, yday, hour, minute, second, micros, offset_s;
	int pm;  /* -1: no %p, 0 am, 1 pm */
} datetime_parts;

/* %z: Z, or +HH, +HHMM, +HH:MM. */
static bool read_offset(const char **p, int64_t *offset_s)
{
	if (**p == 'Z' || **p == 'z') {
		(*p)++;
		*offset_s = 0;
		return true;
	}
	if (**p != '+' && **p != '-')
		return false;
	int sign = *(*p)++ == '-' ? -1 : 1;
	int64_t hh, mm = 0;
	if (!read_int(p, 2, &hh))
		return false;
	if (**p == ':')
		(*p)++;
	if (isdigit((unsigned char)**p) && !read_int(p, 2, &mm))
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return hh <= 23 && mm <= 59;
}

/* One conversion (the letter after %) at *p. */
static bool read_field(const char **p, char conv, datetime_parts *d)
{
	int64_t v;
	switch (conv) {
	case 'Y': return read_int(p, 4, &d->year);
	case 'y':
		if (!read_int(p, 2, &v))
			return false;
		d->year = v < 69 ? 2000 + v : 1900 + v;  /* POSIX: 69-99 are 19xx */
		return true;
	case 'm': return read_int(p, 2, &d->month);
	case 'e':
		*p = skip_spaces(*p);
		return read_int(p, 2, &d->day);
	case 'd': return read_int(p, 2, &d->day);
	case 'j': return read_int(p, 3, &d->yday);
	case 'H':
	case 'I': return read_int(p, 2, &d->hour);
	case 'M': return read_int(p, 2, &d->minute);
	case 'S': return read_int(p, 2, &d->second);
	case 'f': {
		const char *s = *p;
		if (!read_int(p, 9, &v))
			return false;
		for (int64_t n = *p - s; n < 6; n++)
			v *= 10;
		for (int64_t n = *p - s; n > 6; n--)
			v /= 10;
		d->micros = v;
		return true;
	}
	case 'p':
		if (strncasecmp(*p, "am", 2) == 0 || strncasecmp(*p, "pm", 2) == 0) {
			d->pm = tolower((unsigned char)**p) == 'p';
			*p += 2;
			return true;
		}
		if (strncasecmp(*p, "a.m.", 4) == 0 || strncasecmp(*p, "p.m.", 4) == 0) {
			d->pm = tolower((unsigned char)**p) == 'p';
			*p += 4;
			return true;
		}
		return false;
	case 'b':
	case 'B':
	case 'h': {
		int m = read_name(p, months, 12);
		d->month = m + 1;
		return m >= 0;
	}
	case 'a':
	case 'A': return read_name(p, weekdays, 7) >= 0;
	case 'z': return read_offset(p, &d->offset_s);
	case '%':
		if (**p != '%')
			return false;
		(*p)++;
		return true;
	default: return false;
	}
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Checks the parts and turns them into days and microseconds. */
static bool datetime_value(datetime_parts *d, int64_t *days, int64_t *us)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (d->pm >= 0) {
		if (d->hour < 1 || d->hour > 12)
			return false;
		d->hour = d->hour % 12 + (d->pm ? 12 : 0);
	}
	if (d->hour > 23 || d->minute > 59 || d->second > 59)
		return false;
	if (d->yday) {
		if (d->yday > (leap(d->year) ? 366 : 365))
			return false;
		*days = pond_days_from_civil(d->year, 1, 1) + d->yday - 1;
	} else {
		if (d->month < 1 || d->month > 12 || d->day < 1)
			return false;
		int64_t md = mdays[d->month - 1] + (d->month == 2 && leap(d->year));
		if (d->day > md)
			return false;
		*days = pond_days_from_civil(d->year, (unsigned)d->month, (unsigned)d->day);
	}
	*us = ((d->hour * 60 + d->minute) * 60 + d->second - d->offset_s) * 1000000 + d->micros;
	return true;
}

bool pond__html_parse_datetime(const char *text, const char *format, int64_t *days, int64_t *us)
{
	datetime_parts d = {1970, 1, 1, 0, 0, 0, 0, 0, 0, -1};
	const char *p = skip_spaces(text);
	for (const char *f = format; *f; f++) {
		if (*f == '%' && f[1]) {
			if (!read_field(&p, *++f, &d))
				return false;
		} else if (*f == ' ') {
			p = skip_spaces(p);
		} else if (*p == *f) {
			p++;
		} else {
			return false;
		}
	}
	p = skip_spaces(p);
	return *p == '\0' && datetime_value(&d, days, us);
}

/* ---- nulls ------------------------------------------------------------------------------- */

bool pond__html_is_null(const char *text, const char *const *nulls)
{
	static const char *const defaults[] = {"", "-", "\xe2\x80\x93", "\xe2\x80\x94", "n/a", "na", NULL};
	for (const char *const *n = nulls ? nulls : defaults; *n; n++)
		if (strcasecmp(text, *n) == 0)
			return true;
	return false;
}
