/*
 * Cron parsing, matching and next-fire computation in time zones: DST
 * transitions in Europe/Zurich and America/New_York, month ends, 29
 * February, the day-of-month / day-of-week OR rule, names and aliases, and
 * errors that name the field.
 */
#include "../test.h"

#include "pond/pipeline.h"

static int64_t utc(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi)
{
	return (pond_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

/* The next fire after `after` as "YYYY-MM-DDTHH:MM:SS.000Z" (UTC). */
static const char *next_of(const char *expr, const pond_tz *tz, int64_t after)
{
	static char out[40];
	pond_cron c;
	pond_error err = POND_ERROR_INIT;
	int64_t next;
	if (pond_cron_parse(&c, expr, &err) || pond_cron_next(&c, tz, after, &next, &err))
		snprintf(out, sizeof(out), "error: %.30s", err.msg);
	else
		pond_time_format_ms(out, next);
	return out;
}

static const char *parse_error(const char *expr)
{
	static char out[POND_ERROR_MSG_MAX];
	pond_cron c;
	pond_error err = POND_ERROR_INIT;
	if (pond_cron_parse(&c, expr, &err) == 0)
		return "(parsed)";
	snprintf(out, sizeof(out), "%s", err.msg);
	return out;
}

static const pond_tz *zone(pond_arena *a, const char *name)
{
	pond_tz *tz = NULL;
	pond_error err = POND_ERROR_INIT;
	if (pond_tz_load(&tz, name, a, &err))
		fprintf(stderr, "    %s\n", err.msg);
	return tz;
}

TEST(cron_names_and_aliases_parse_like_numbers)
{
	pond_cron a, b;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_cron_parse(&a, "0 6 * * mon-fri", &err), &err);
	CHECK_OK(pond_cron_parse(&b, "0 6 * * 1-5", &err), &err);
	CHECK_INT(a.weekdays, b.weekdays);
	CHECK_INT(a.weekdays, 0x3e);
	CHECK_OK(pond_cron_parse(&a, "0 0 1 JAN,jul *", &err), &err);
	CHECK_INT(a.months, (1 << 1) | (1 << 7));
	CHECK_OK(pond_cron_parse(&a, "0 0 * * 7", &err), &err);
	CHECK_INT(a.weekdays, 1);
	CHECK_OK(pond_cron_parse(&a, "0 0 * * fri-sun", &err), &err); /* 5-7 wraps to Sunday */
	CHECK_INT(a.weekdays, (1 << 5) | (1 << 6) | 1);
	CHECK_OK(pond_cron_parse(&a, "*/15 9-17/4 * * *", &err), &err);
	CHECK_INT(a.minutes, (1ULL << 0) | (1ULL << 15) | (1ULL << 30) | (1ULL << 45));
	CHECK_INT(a.hours, (1 << 9) | (1 << 13) | (1 << 17));
	CHECK_OK(pond_cron_parse(&a, "@daily", &err), &err);
	CHECK_OK(pond_cron_parse(&b, "0 0 * * *", &err), &err);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_OK(pond_cron_parse(&a, "@hourly", &err), &err);
	CHECK_INT(a.minutes, 1);
	CHECK_INT(a.hours, 0xffffff);
	CHECK_OK(pond_cron_parse(&a, "@weekly", &err), &err);
	CHECK_INT(a.weekdays, 1);
	CHECK_OK(pond_cron_parse(&a, "@monthly", &err), &err);
	CHECK_INT(a.days, 2);
	CHECK_OK(pond_cron_parse(&a, "@yearly", &err), &err);
	CHECK_INT(a.months, 2);
	CHECK_OK(pond_cron_parse(&a, "5/20 * * * *", &err), &err); /* a/n: from a to the end */
	CHECK_INT(a.minutes, (1ULL << 5) | (1ULL << 25) | (1ULL << 45));
}

TEST(cron_invalid_expressions_name_the_field)
{
	CHECK(strstr(parse_error("60 * * * *"), "minute: 60 is out of range 0-59"));
	CHECK(strstr(parse_error("* 24 * * *"), "hour: 24 is out of range 0-23"));
	CHECK(strstr(parse_error("* * 0 * *"), "day-of-month: 0 is out of range 1-31"));
	CHECK(strstr(parse_error("* * * 13 *"), "month: 13 is out of range 1-12"));
	CHECK(strstr(parse_error("* * * * 8"), "day-of-week: 8 is out of range 0-7"));
	CHECK(strstr(parse_error("* * * foo *"), "month: unknown name \"foo\""));
	CHECK(strstr(parse_error("* * * * mon-xyz"), "day-of-week: unknown name \"xyz\""));
	CHECK(strstr(parse_error("*/0 * * * *"), "minute: step 0"));
	CHECK(strstr(parse_error("5-1 * * * *"), "minute: range 5-1 goes backwards"));
	CHECK(strstr(parse_error("1,,2 * * * *"), "minute: empty list item"));
	CHECK(strstr(parse_error("* * * *"), "4 fields, want 5"));
	CHECK(strstr(parse_error("* * * * * *"), "too many fields"));
	CHECK(strstr(parse_error("@sometimes"), "unknown alias"));
	CHECK(strstr(parse_error("0 0 30 2 *"), "day-of-month"));
	CHECK(strstr(parse_error("x * * * *"), "minute: expected a number"));
	CHECK(strstr(parse_error("1-2x * * * *"), "minute: unexpected"));
	CHECK_STR(parse_error("0 0 31 1,2 *"), "(parsed)"); /* January has a 31st */
}

TEST(cron_next_in_utc_weekdays_and_month_ends)
{
	/* Friday 2024-03-01 07:00 -> Monday 06:00 */
	CHECK_STR(next_of("0 6 * * 1-5", NULL, utc(2024, 3, 1, 7, 0)), "2024-03-04T06:00:00.000Z");
	CHECK_STR(next_of("0 6 * * 1-5", NULL, utc(2024, 3, 4, 5, 59)), "2024-03-04T06:00:00.000Z");
	/* strictly after */
	CHECK_STR(next_of("0 6 * * 1-5", NULL, utc(2024, 3, 4, 6, 0)), "2024-03-05T06:00:00.000Z");
	/* the 31st skips months without one */
	CHECK_STR(next_of("0 0 31 * *", NULL, utc(2024, 1, 31, 0, 0)), "2024-03-31T00:00:00.000Z");
	CHECK_STR(next_of("0 0 31 * *", NULL, utc(2024, 3, 31, 0, 0)), "2024-05-31T00:00:00.000Z");
	CHECK_STR(next_of("59 23 30 * *", NULL, utc(2024, 1, 31, 0, 0)), "2024-03-30T23:59:00.000Z");
	/* year end */
	CHECK_STR(next_of("@yearly", NULL, utc(2024, 12, 31, 23, 59)), "2025-01-01T00:00:00.000Z");
	CHECK_STR(next_of("*/15 * * * *", NULL, utc(2024, 12, 31, 23, 50)), "2025-01-01T00:00:00.000Z");
}

TEST(cron_29_february_fires_only_in_leap_years)
{
	CHECK_STR(next_of("0 0 29 2 *", NULL, utc(2023, 1, 1, 0, 0)), "2024-02-29T00:00:00.000Z");
	CHECK_STR(next_of("0 0 29 2 *", NULL, utc(2024, 2, 29, 0, 0)), "2028-02-29T00:00:00.000Z");
	/* 2100 is not a leap year: eight years between */
	CHECK_STR(next_of("0 0 29 2 *", NULL, utc(2096, 3, 1, 0, 0)), "2104-02-29T00:00:00.000Z");
	pond_cron c;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_cron_parse(&c, "0 0 29 2 *", &err), &err);
	CHECK(pond_cron_matches(&c, 2024, 2, 29, 0, 0, 4));
	CHECK(!pond_cron_matches(&c, 2024, 3, 1, 0, 0, 5));
	CHECK(!pond_cron_matches(&c, 2024, 2, 29, 0, 1, 4));
}

TEST(cron_day_of_month_or_day_of_week)
{
	/* both restricted: the 13th OR a Friday */
	CHECK_STR(next_of("0 0 13 * 5", NULL, utc(2024, 10, 11, 0, 1)), "2024-10-13T00:00:00.000Z"); /* a Sunday */
	CHECK_STR(next_of("0 0 13 * 5", NULL, utc(2024, 10, 13, 0, 0)), "2024-10-18T00:00:00.000Z"); /* a Friday */
	/* one restricted: only that one counts */
	CHECK_STR(next_of("0 0 13 * *", NULL, utc(2024, 10, 13, 0, 0)), "2024-11-13T00:00:00.000Z");
	CHECK_STR(next_of("0 0 * * 5", NULL, utc(2024, 10, 13, 0, 0)), "2024-10-18T00:00:00.000Z");
	/* a field starting with * counts as unrestricted (Vixie): every
	 * second day AND Friday */
	CHECK_STR(next_of("0 0 */2 * 5", NULL, utc(2024, 10, 1, 0, 0)), "2024-10-11T00:00:00.000Z");
	pond_cron c;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond_cron_parse(&c, "0 0 1 * mon", &err), &err);
	CHECK(pond_cron_matches(&c, 2024, 10, 1, 0, 0, 2));  /* the 1st, a Tuesday */
	CHECK(pond_cron_matches(&c, 2024, 10, 7, 0, 0, 1));  /* a Monday */
	CHECK(!pond_cron_matches(&c, 2024, 10, 8, 0, 0, 2));
}

TEST(cron_zurich_spring_forward_runs_skipped_time_once)
{
	pond_arena *a = pond_arena_new();
	const pond_tz *zh = zone(a, "Europe/Zurich");
	CHECK(zh);
	/* 2024-03-31: 02:00 CET becomes 03:00 CEST at 01:00 UTC */
	CHECK_INT(pond_tz_offset(zh, utc(2024, 3, 31, 0, 59) / 1000), 3600);
	CHECK_INT(pond_tz_offset(zh, utc(2024, 3, 31, 1, 0) / 1000), 7200);
	/* 02:30 does not exist that day: it runs once, at 03:00 CEST */
	CHECK_STR(next_of("30 2 * * *", zh, utc(2024, 3, 30, 1, 30)), "2024-03-31T01:00:00.000Z");
	CHECK_STR(next_of("30 2 * * *", zh, utc(2024, 3, 31, 1, 0)), "2024-04-01T00:30:00.000Z");
	/* hourly: 02:00 and 03:00 are one instant, fired once */
	CHECK_STR(next_of("0 * * * *", zh, utc(2024, 3, 31, 0, 30)), "2024-03-31T01:00:00.000Z");
	CHECK_STR(next_of("0 * * * *", zh, utc(2024, 3, 31, 1, 0)), "2024-03-31T02:00:00.000Z");
	/* 06:00 local, before and after the change */
	CHECK_STR(next_of("0 6 * * *", zh, utc(2024, 3, 30, 6, 0)), "2024-03-31T04:00:00.000Z");
	pond_arena_free(&a);
}

TEST(cron_zurich_fall_back_runs_ambiguous_time_once)
{
	pond_arena *a = pond_arena_new();
	const pond_tz *zh = zone(a, "Europe/Zurich");
	CHECK(zh);
	/* 2024-10-27: 03:00 CEST becomes 02:00 CET at 01:00 UTC; 02:30 happens twice */
	CHECK_STR(next_of("30 2 * * *", zh, utc(2024, 10, 26, 1, 0)), "2024-10-27T00:30:00.000Z");
	CHECK_STR(next_of("30 2 * * *", zh, utc(2024, 10, 27, 0, 30)), "2024-10-28T01:30:00.000Z");
	/* even from inside the repeated hour */
	CHECK_STR(next_of("30 2 * * *", zh, utc(2024, 10, 27, 1, 10)), "2024-10-28T01:30:00.000Z");
	/* hourly across the change: 02:00 CEST, 03:00 CET (02:00 CET is a repeat) */
	CHECK_STR(next_of("0 * * * *", zh, utc(2024, 10, 27, 0, 0)), "2024-10-27T02:00:00.000Z");
	pond_arena_free(&a);
}

TEST(cron_new_york_dst_both_ways)
{
	pond_arena *a = pond_arena_new();
	const pond_tz *ny = zone(a, "America/New_York");
	CHECK(ny);
	CHECK_INT(pond_tz_offset(ny, utc(2024, 1, 15, 12, 0) / 1000), -18000);
	CHECK_INT(pond_tz_offset(ny, utc(2024, 7, 15, 12, 0) / 1000), -14400);
	/* far beyond the file's transitions: the TZ string's rules */
	CHECK_INT(pond_tz_offset(ny, utc(2100, 7, 15, 12, 0) / 1000), -14400);
	CHECK_INT(pond_tz_offset(ny, utc(2100, 12, 15, 12, 0) / 1000), -18000);
	/* 2024-03-10 02:00 EST -> 03:00 EDT (07:00 UTC) */
	CHECK_STR(next_of("30 2 * * *", ny, utc(2024, 3, 9, 7, 30)), "2024-03-10T07:00:00.000Z");
	CHECK_STR(next_of("30 2 * * *", ny, utc(2024, 3, 10, 7, 0)), "2024-03-11T06:30:00.000Z");
	/* 2024-11-03 02:00 EDT -> 01:00 EST (06:00 UTC); 01:30 happens twice */
	CHECK_STR(next_of("30 1 * * *", ny, utc(2024, 11, 2, 5, 30)), "2024-11-03T05:30:00.000Z");
	CHECK_STR(next_of("30 1 * * *", ny, utc(2024, 11, 3, 5, 30)), "2024-11-04T06:30:00.000Z");
	/* weekdays at 09:00 local around the change */
	CHECK_STR(next_of("0 9 * * mon-fri", ny, utc(2024, 11, 1, 13, 0)), "2024-11-04T14:00:00.000Z");
	pond_arena_free(&a);
}

TEST(cron_unknown_time_zone_is_refused)
{
	pond_arena *a = pond_arena_new();
	pond_tz *tz;
	pond_error err = POND_ERROR_INIT;
	CHECK(pond_tz_load(&tz, "Europe/Atlantis", a, &err) != 0);
	CHECK(strstr(err.msg, "unknown time zone \"Europe/Atlantis\""));
	CHECK(pond_tz_load(&tz, "../../etc/passwd", a, &err) != 0);
	CHECK_OK(pond_tz_load(&tz, "UTC", a, &err), &err);
	CHECK_INT(pond_tz_offset(tz, 0), 0);
	pond_arena_free(&a);
}
