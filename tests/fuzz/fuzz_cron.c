/*
 * libFuzzer target for cron expressions (pond.yml schedules): the parser
 * must refuse bad input with an error naming a field, and for anything it
 * accepts the next fire time in UTC and in a fixed-rule zone must be later
 * than the start, match the expression, and step forward. The first bytes
 * also go to the TZif reader. cron.c and tz.c depend on util only, so
 * `make fuzz` links them without the rest of the pipeline layer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pond/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char expr[300];
	size_t n = size < sizeof(expr) - 1 ? size : sizeof(expr) - 1;
	memcpy(expr, data, n);
	expr[n] = '\0';
	pond_error err = POND_ERROR_INIT;
	pond_cron c;
	if (pond_cron_parse(&c, expr, &err) != 0) {
		if (!err.msg[0])
			abort(); /* a refusal always says why */
	} else {
		int64_t start = 1700000000000LL, next;
		if (pond_cron_next(&c, NULL, start, &next, &err) == 0) {
			if (next <= start || next % 60000 != 0)
				abort();
			int64_t days = next / 86400000, secs = next / 1000 % 86400, y;
			unsigned m, d;
			pond_civil_from_days(days, &y, &m, &d);
			if (!pond_cron_matches(&c, y, m, d, (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60),
			                       (unsigned)((days + 4) % 7)))
				abort();
			int64_t again;
			if (pond_cron_next(&c, NULL, next, &again, &err) == 0 && again <= next)
				abort();
		}
	}
	pond_arena *a = pond_arena_new();
	pond_tz *tz;
	if (a && pond_tz_parse(&tz, "fuzz", data, size, a, &err) == 0) {
		int64_t t = pond_tz_local_to_utc(tz, 1700000000);
		(void)pond_tz_offset(tz, t);
	}
	pond_arena_free(&a);
	return 0;
}
