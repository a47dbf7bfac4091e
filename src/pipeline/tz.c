/*
 * Time zones for schedules: TZif files from the system tz database read by
 * pond itself (RFC 8536), so no thread ever switches TZ. A zone becomes one
 * sorted list of transitions (instant, UTC offset after it); the POSIX TZ
 * string in a version 2+ file's footer is expanded into transitions up to
 * the year 2400, because "slim" TZif files list no future transitions.
 * Depends on util only.
 */
#include "pipeline_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TZ_MAX_FILE (1 << 20)
#define TZ_LAST_YEAR 2400

struct pond_tz {
	const char *name;
	int32_t initial;     /* offset before the first transition */
	size_t count;
	int64_t *times;      /* sorted, unix seconds */
	int32_t *offsets;    /* offset from times[i] on */
};

const char *pond_tz_name(const pond_tz *tz)
{
	return tz ? tz->name : "UTC";
}

/* Index of the last transition at or before t; -1 when none. */
static long period_of(const pond_tz *tz, int64_t t)
{
	size_t lo = 0, hi = tz->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

static int32_t period_offset(const pond_tz *tz, long i)
{
	return i < 0 ? tz->initial : tz->offsets[i];
}

int32_t pond_tz_offset(const pond_tz *tz, int64_t t)
{
	if (!tz)
		return 0;
	return period_offset(tz, period_of(tz, t));
}

int64_t pond_tz_local_to_utc(const pond_tz *tz, int64_t local)
{
	if (!tz)
		return local;
	/* Wall time f(t) = t + offset(t) rises inside each period; the answer
	 * is the first period holding a t with f(t) >= local, and there the
	 * smallest such t. Offsets stay within a day, so start two days back. */
	for (long i = period_of(tz, local - 2 * 86400);; i++) {
		int32_t off = period_offset(tz, i);
		int64_t start = i < 0 ? INT64_MIN : tz->times[i];
		int64_t end = (size_t)(i + 1) < tz->count ? tz->times[i + 1] : INT64_MAX;
		int64_t t = local - off;
		if (t < start)
			t = start;
		if (t < end)
			return t;
	}
}

/* ---- POSIX TZ strings (the TZif footer) ---- */

typedef struct posix_rule {
	char kind;      /* 'J' (1..365, no leap day), 'D' (0..365), 'M' */
	int day, week, month;
	int32_t time;   /* seconds after local midnight; may be negative or > 24h */
} posix_rule;

typedef struct posix_tz {
	int32_t std_off, dst_off;  /* UTC offsets (east positive) */
	bool has_dst;
	posix_rule start, end;
} posix_tz;

static const char *parse_tz_name(const char *s)
{
	if (*s == '<') {
		const char *e = strchr(s, '>');
		return e ? e + 1 : NULL;
	}
	const char *p = s;
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 extension). */
static const char *parse_tz_time(const char *s, int32_t *out)
{
	int sign = 1;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*s))
		return NULL;
	int32_t parts[3] = {0, 0, 0};
	for (int k = 0; k < 3; k++) {
		int v = 0, digits = 0;
		while (isdigit((unsigned char)*s) && digits < 3) {
			v = v * 10 + (*s++ - '0');
			digits++;
		}
		if (!digits)
			return NULL;
		parts[k] = v;
		if (*s != ':' || k == 2)
			break;
		s++;
	}
	if (parts[0] > 167 || parts[1] > 59 || parts[2] > 59)
		return NULL;
	*out = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
	return s;
}

static const char *parse_rule(const char *s, posix_rule *r)
{
	char *end;
	r->time = 7200;
	if (*s == 'M') {
		r->kind = 'M';
		r->month = (int)strtol(s + 1, &end, 10);
		if (*end != '.')
			return NULL;
		r->week = (int)strtol(end + 1, &end, 10);
		if (*end != '.')
			return NULL;
		r->day = (int)strtol(end + 1, &end, 10);
		if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 || r->day < 0 || r->day > 6)
			return NULL;
	} else {
		r->kind = *s == 'J' ? 'J' : 'D';
		if (*s == 'J')
			s++;
		if (!isdigit((unsigned char)*s))
			return NULL;
		r->day = (int)strtol(s, &end, 10);
		if (r->day > 365 || (r->kind == 'J' && r->day < 1))
			return NULL;
	}
	s = end;
	if (*s == '/' && !(s = parse_tz_time(s + 1, &r->time)))
		return NULL;
	return s;
}

static bool parse_posix_tz(const char *s, posix_tz *out)
{
	int32_t v;
	memset(out, 0, sizeof(*out));
	if (!(s = parse_tz_name(s)) || !(s = parse_tz_time(s, &v)))
		return false;
	out->std_off = -v;
	if (!*s)
		return true;
	if (!(s = parse_tz_name(s)))
		return false;
	out->has_dst = true;
	out->dst_off = out->std_off + 3600;
	if (*s && *s != ',') {
		if (!(s = parse_tz_time(s, &v)))
			return false;
		out->dst_off = -v;
	}
	if (!*s) { /* POSIX default: the US rules */
		out->start = (posix_rule){'M', 0, 2, 3, 7200};
		out->end = (posix_rule){'M', 0, 1, 11, 7200};
		return true;
	}
	if (*s != ',' || !(s = parse_rule(s + 1, &out->start)) || *s != ',' || !(s = parse_rule(s + 1, &out->end)))
		return false;
	return *s == '\0';
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds since the epoch of the rule's moment in year y. */
static int64_t rule_local(const posix_rule *r, int64_t y)
{
	int64_t day;
	if (r->kind == 'J')
		day = pond_days_from_civil(y, 1, 1) + r->day - 1 + (is_leap(y) && r->day >= 60);
	else if (r->kind == 'D')
		day = pond_days_from_civil(y, 1, 1) + r->day;
	else {
		static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int64_t first = pond_days_from_civil(y, (unsigned)r->month, 1);
		int wday = (int)(((first + 4) % 7 + 7) % 7);
		int64_t d = first + (r->day - wday + 7) % 7 + 7 * (r->week - 1);
		int len = mdays[r->month - 1] + (r->month == 2 && is_leap(y));
		while (d >= first + len)
			d -= 7;
		day = d;
	}
	return day * 86400 + r->time;
}

/* ---- TZif ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct tzif_header {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_header;

static bool read_header(const uint8_t *p, size_t len, tzif_header *h)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return false;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return h->typecnt > 0 && h->typecnt <= 256 && h->timecnt <= 100000 && h->leapcnt <= 10000 &&
	       h->charcnt <= 65536 && h->isutcnt <= 256 && h->isstdcnt <= 256;
}

static size_t block_size(const tzif_header *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + (size_t)h->typecnt * 6 + h->charcnt +
	       (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

typedef struct transition_list {
	pond_arena *arena;
	int64_t *times;
	int32_t *offsets;
	size_t count, cap;
} transition_list;

static bool push(transition_list *l, int64_t t, int32_t off)
{
	if (l->count && off == l->offsets[l->count - 1])
		return true;
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int64_t *times = pond_arena_alloc(l->arena, cap * sizeof(*times));
		int32_t *offsets = pond_arena_alloc(l->arena, cap * sizeof(*offsets));
		if (!times || !offsets)
			return false;
		if (l->count) {
			memcpy(times, l->times, l->count * sizeof(*times));
			memcpy(offsets, l->offsets, l->count * sizeof(*offsets));
		}
		l->times = times;
		l->offsets = offsets;
		l->cap = cap;
	}
	l->times[l->count] = t;
	l->offsets[l->count++] = off;
	return true;
}

/* Appends the footer's transitions from the year of `from` on. */
static bool extend_posix(transition_list *l, const posix_tz *ptz, int64_t from)
{
	int64_t y;
	unsigned m, d;
	int64_t days = from / 86400 - (from % 86400 < 0);
	pond_civil_from_days(days, &y, &m, &d);
	if (!ptz->has_dst)
		return true; /* the last transition already says it */
	for (; y <= TZ_LAST_YEAR; y++) {
		/* DST starts when standard time reads the start rule, ends when
		 * DST reads the end rule. */
		int64_t on = rule_local(&ptz->start, y) - ptz->std_off;
		int64_t off = rule_local(&ptz->end, y) - ptz->dst_off;
		int64_t a = on < off ? on : off, b = on < off ? off : on;
		int32_t oa = on < off ? ptz->dst_off : ptz->std_off, ob = on < off ? ptz->std_off : ptz->dst_off;
		if (a > from && !push(l, a, oa))
			return false;
		if (b > from && !push(l, b, ob))
			return false;
	}
	return true;
}

int pond_tz_parse(pond_tz **out, const char *name, const uint8_t *data, size_t len, pond_arena *arena,
                  pond_error *err)
{
	tzif_header h;
	if (!read_header(data, len, &h))
		return pond_error_set(err, POND_ECORRUPT, "time zone %s: not a TZif file", name);
	size_t tsize = 4;
	const uint8_t *p = data + 44;
	const uint8_t *end = data + len;
	if (data[4] >= '2') {
		size_t skip = block_size(&h, 4);
		if ((size_t)(end - p) < skip || !read_header(p + skip, (size_t)(end - p - skip), &h))
			return pond_error_set(err, POND_ECORRUPT, "time zone %s: truncated TZif file", name);
		p += skip + 44;
		tsize = 8;
	}
	if ((size_t)(end - p) < block_size(&h, tsize))
		return pond_error_set(err, POND_ECORRUPT, "time zone %s: truncated TZif file", name);
	const uint8_t *times = p, *idx = p + (size_t)h.timecnt * tsize, *types = idx + h.timecnt;
	pond_tz *tz = pond_arena_calloc(arena, 1, sizeof(*tz));
	transition_list l = {arena, NULL, NULL, 0, 0};
	if (!tz || !(tz->name = pond_arena_strdup(arena, name)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	int32_t type_off[256];
	for (uint32_t i = 0; i < h.typecnt; i++) {
		int32_t off = (int32_t)be32(types + 6 * i);
		if (off < -26 * 3600 || off > 26 * 3600)
			return pond_error_set(err, POND_ECORRUPT, "time zone %s: offset %d out of range", name, off);
		type_off[i] = off;
	}
	tz->initial = type_off[0];
	int64_t last = INT64_MIN;
	for (uint32_t i = 0; i < h.timecnt; i++) {
		int64_t t = tsize == 8 ? be64(times + 8 * i) : (int32_t)be32(times + 4 * i);
		if (idx[i] >= h.typecnt || t <= last)
			return pond_error_set(err, POND_ECORRUPT, "time zone %s: bad transition %u", name, i);
		last = t;
		if (!l.count && type_off[idx[i]] == tz->initial)
			continue;
		if (!push(&l, t, type_off[idx[i]]))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	if (tsize == 8) {
		const uint8_t *foot = p + block_size(&h, tsize);
		if (foot < end && *foot == '\n') {
			const uint8_t *nl = memchr(foot + 1, '\n', (size_t)(end - foot - 1));
			char spec[128];
			size_t n = nl ? (size_t)(nl - foot - 1) : 0;
			posix_tz ptz;
			if (nl && n > 0 && n < sizeof(spec)) {
				memcpy(spec, foot + 1, n);
				spec[n] = '\0';
				if (!parse_posix_tz(spec, &ptz))
					return pond_error_set(err, POND_ECORRUPT, "time zone %s: bad TZ string \"%s\"", name, spec);
				if (!h.timecnt)
					tz->initial = ptz.std_off;
				/* without transitions, rules apply from 1900 on */
				if (!extend_posix(&l, &ptz, h.timecnt ? last : -2208988800LL))
					return pond_error_set(err, POND_ENOMEM, "out of memory");
			}
		}
	}
	tz->times = l.times;
	tz->offsets = l.offsets;
	tz->count = l.count;
	*out = tz;
	return 0;
}

static bool valid_zone_name(const char *name)
{
	if (!*name || *name == '/' || strlen(name) > 200 || strstr(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("/_+-", *p))
			return false;
	return true;
}

int pond_tz_load(pond_tz **out, const char *name, pond_arena *arena, pond_error *err)
{
	if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 || strcmp(name, "Z") == 0) {
		pond_tz *tz = pond_arena_calloc(arena, 1, sizeof(*tz));
		if (!tz || !(tz->name = pond_arena_strdup(arena, name)))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		*out = tz;
		return 0;
	}
	if (!valid_zone_name(name))
		return pond_error_set(err, POND_EINVAL, "unknown time zone \"%s\"", name);
	const char *dir = getenv("POND_TZDIR");
	if (!dir || !*dir)
		dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *data;
	size_t len;
	pond_error ferr = POND_ERROR_INIT;
	if (pond_file_read(&data, &len, path, TZ_MAX_FILE, &ferr) != 0)
		return pond_error_set(err, POND_ENOTFOUND, "unknown time zone \"%s\" (no %s; is tzdata installed?)", name, path);
	int rc = pond_tz_parse(out, name, (const uint8_t *)data, len, arena, err);
	pond_free(data);
	return rc;
}
