/*
 * Cron expressions: the classic five fields (Vixie cron's syntax and its
 * day rule), parsed into bit sets, matched against local calendar minutes,
 * and the next fire time found in a time zone. Depends on util and tz.c
 * only, so the fuzz target can build it alone.
 */
#include "pipeline_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>

#define CRON_MAX_LEN 256
#define CRON_SEARCH_DAYS 3660

typedef struct cron_field {
	const char *name;
	int min, max;
	const char *const *names;  /* index 0 is the value min */
} cron_field;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec", NULL};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const cron_field fields[5] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day-of-month", 1, 31, NULL},
	{"month", 1, 12, month_names},
	{"day-of-week", 0, 7, day_names},
};

typedef struct cron_ctx {
	const char *expr;
	const cron_field *field;
	pond_error *err;
} cron_ctx;

static int field_error(cron_ctx *c, const char *fmt, ...) POND_PRINTF(2, 3);
static int field_error(cron_ctx *c, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pond_error_set(c->err, POND_EINVAL, "cron \"%s\": %s: %s", c->expr, c->field->name, msg);
}

/* A number or (for months and weekdays) a three-letter name. */
static int parse_value(cron_ctx *c, const char **s, int *out)
{
	const char *p = *s;
	if (isdigit((unsigned char)*p)) {
		int v = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			if (v > 1000)
				return field_error(c, "number too large");
		}
		*s = p;
		*out = v;
		return 0;
	}
	if (c->field->names && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
	    isalpha((unsigned char)p[2]) && !isalpha((unsigned char)p[3])) {
		for (int i = 0; c->field->names[i]; i++)
			if (strncasecmp(p, c->field->names[i], 3) == 0) {
				*s = p + 3;
				*out = c->field->min + i;
				return 0;
			}
		return field_error(c, "unknown name \"%.3s\"", p);
	}
	size_t n = strcspn(p, ",-/");
	return field_error(c, "expected a number%s, got \"%.*s\"", c->field->names ? " or a name" : "",
	                   (int)(n ? (n < 20 ? n : 20) : 1), p);
}

static int check_range(cron_ctx *c, int v)
{
	if (v < c->field->min || v > c->field->max)
		return field_error(c, "%d is out of range %d-%d", v, c->field->min, c->field->max);
	return 0;
}

/* One comma-separated item: *, *\/n, a, a-b, a-b/n, a/n. */
static int parse_item(cron_ctx *c, const char *item, uint64_t *bits, bool *star)
{
	int lo = c->field->min, hi = c->field->max, step = 1, rc;
	const char *p = item;
	bool is_star = false;
	if (*p == '*') {
		is_star = true;
		p++;
	} else {
		if ((rc = parse_value(c, &p, &lo)) || (rc = check_range(c, lo)))
			return rc;
		hi = lo;
		if (*p == '-') {
			p++;
			if ((rc = parse_value(c, &p, &hi)) || (rc = check_range(c, hi)))
				return rc;
			if (c->field->max == 7 && hi == 0 && lo > 0)
				hi = 7; /* "fri-sun": Sunday as the end of a range is 7 */
			if (hi < lo)
					return field_error(c, "range %d-%d goes backwards", lo, hi);
		}
	}
	if (*p == '/') {
		p++;
		if (!isdigit((unsigned char)*p))
			return field_error(c, "expected a step after \"/\"");
		if ((rc = parse_value(c, &p, &step)))
			return rc;
		if (step < 1 || step > c->field->max)
			return field_error(c, "step %d is out of range 1-%d", step, c->field->max);
		if (!is_star && hi == lo)
			hi = c->field->max; /* "a/n": from a to the end, as Vixie cron reads it */
	}
	if (*p)
		return field_error(c, "unexpected \"%s\" in \"%s\"", p, item);
	if (is_star)
		*star = true;
	for (int v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	return 0;
}

static int parse_field(cron_ctx *c, char *text, uint64_t *bits, bool *star)
{
	*bits = 0;
	*star = false;
	/* Vixie cron: a field that starts with '*' counts as unrestricted for
	 * the day-of-month / day-of-week OR rule. */
	bool starts_star = text[0] == '*';
	char *save = NULL;
	if (!*text || text[strlen(text) - 1] == ',' || text[0] == ',' || strstr(text, ",,"))
		return field_error(c, "empty list item");
	for (char *item = strtok_r(text, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		bool item_star = false;
		int rc = parse_item(c, item, bits, &item_star);
		if (rc)
			return rc;
	}
	*star = starts_star;
	return 0;
}

static const struct {
	const char *alias, *expr;
} aliases[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

static const int month_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

int pond_cron_parse(pond_cron *out, const char *expr, pond_error *err)
{
	char buf[CRON_MAX_LEN];
	size_t len = strlen(expr);
	if (len >= sizeof(buf))
		return pond_error_set(err, POND_ELIMIT, "cron expression longer than %d characters", CRON_MAX_LEN - 1);
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)expr[i]) && !isspace((unsigned char)expr[i]))
			return pond_error_set(err, POND_EINVAL, "cron expression holds a control character");
	const char *text = expr;
	while (isspace((unsigned char)*text))
		text++;
	if (*text == '@') {
		size_t n = strcspn(text, " \t\r\n");
		const char *rest = text + n;
		while (isspace((unsigned char)*rest))
			rest++;
		const char *found = NULL;
		for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
			if (strlen(aliases[i].alias) == n && strncasecmp(text, aliases[i].alias, n) == 0)
				found = aliases[i].expr;
		if (!found || *rest)
			return pond_error_set(err, POND_EINVAL,
			                      "cron \"%s\": unknown alias (use @yearly, @monthly, @weekly, @daily or @hourly)",
			                      expr);
		text = found;
	}
	snprintf(buf, sizeof(buf), "%s", text);
	char *parts[6];
	int nparts = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (nparts == 5)
			return pond_error_set(err, POND_EINVAL,
			                      "cron \"%s\": too many fields (want minute hour day-of-month month day-of-week)", expr);
		parts[nparts++] = tok;
	}
	if (nparts < 5)
		return pond_error_set(err, POND_EINVAL,
		                      "cron \"%s\": %d field%s, want 5 (minute hour day-of-month month day-of-week)", expr,
		                      nparts, nparts == 1 ? "" : "s");
	pond_cron c;
	memset(&c, 0, sizeof(c));
	uint64_t bits[5];
	bool stars[5];
	for (int i = 0; i < 5; i++) {
		cron_ctx ctx = {expr, &fields[i], err};
		int rc = parse_field(&ctx, parts[i], &bits[i], &stars[i]);
		if (rc)
			return rc;
	}
	c.minutes = bits[0];
	c.hours = (uint32_t)bits[1];
	c.days = (uint32_t)bits[2];
	c.months = (uint16_t)bits[3];
	c.weekdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday */
	c.days_star = stars[2];
	c.weekdays_star = stars[4];
	/* Refuse what can never fire: only days that no chosen month has. */
	if (c.weekdays_star) {
		bool any = false;
		for (int m = 1; m <= 12 && !any; m++)
			for (int d = 1; d <= month_days[m] && !any; d++)
				any = (c.months >> m & 1) && (c.days >> d & 1);
		if (!any)
			return pond_error_set(err, POND_EINVAL, "cron \"%s\": day-of-month: no chosen month has that day", expr);
	}
	*out = c;
	return 0;
}

bool pond_cron_matches(const pond_cron *cron, int64_t year, unsigned month, unsigned day, unsigned hour,
                       unsigned minute, unsigned wday)
{
	(void)year;
	if (minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12 || wday > 6)
		return false;
	if (!(cron->minutes >> minute & 1) || !(cron->hours >> hour & 1) || !(cron->months >> month & 1))
		return false;
	bool dom = cron->days >> day & 1, dow = cron->weekdays >> wday & 1;
	if (cron->days_star || cron->weekdays_star)
		return dom && dow;
	return dom || dow;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int pond_cron_next(const pond_cron *cron, const pond_tz *tz, int64_t after_ms, int64_t *out_ms, pond_error *err)
{
	int64_t after_s = floor_div(after_ms, 1000);
	/* Local times at or before the wall time of `after` map to instants at
	 * or before it; later local minutes are tried in order, and the mapping
	 * to instants only rises, so the first one after `after` wins. */
	int64_t local0 = after_s + pond_tz_offset(tz, after_s);
	int64_t day0 = floor_div(local0, 86400);
	for (int64_t day = day0; day < day0 + CRON_SEARCH_DAYS; day++) {
		int64_t y;
		unsigned m, d;
		pond_civil_from_days(day, &y, &m, &d);
		if (!(cron->months >> m & 1))
			continue;
		unsigned wday = (unsigned)(((day + 4) % 7 + 7) % 7);
		bool dom = cron->days >> d & 1, dow = cron->weekdays >> wday & 1;
		bool day_ok = (cron->days_star || cron->weekdays_star) ? dom && dow : dom || dow;
		if (!day_ok)
			continue;
		for (int h = 0; h < 24; h++) {
			if (!(cron->hours >> h & 1))
				continue;
			int64_t hour_start = day * 86400 + h * 3600;
			if (hour_start + 3600 <= local0 - 60)
				continue;
			for (int mi = 0; mi < 60; mi++) {
				if (!(cron->minutes >> mi & 1))
					continue;
				int64_t local = hour_start + mi * 60;
				if (local + 60 <= local0)
					continue;
				int64_t t = pond_tz_local_to_utc(tz, local);
				if (t * 1000 > after_ms) {
					*out_ms = t * 1000;
					return 0;
				}
			}
		}
	}
	return pond_error_set(err, POND_ENOTFOUND, "cron schedule never fires within 10 years");
}
