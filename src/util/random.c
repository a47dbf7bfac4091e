/*
 * Randomness and uuids. Bytes come from getrandom(2); uuids are version 4.
 */
#include "pond/util.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void pond_random_bytes(void *out, size_t len)
{
	unsigned char *p = out;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n <= 0) {
			/* No entropy source: fall back to a time-seeded generator. */
			uint64_t x = (uint64_t)pond_time_mono_ns() ^ (uint64_t)(uintptr_t)p;
			for (size_t i = 0; i < len; i++) {
				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				p[i] = (unsigned char)x;
			}
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

int64_t pond_random_i63(void)
{
	uint64_t v;
	pond_random_bytes(&v, sizeof(v));
	return (int64_t)(v >> 1);
}

void pond_uuid_v4(uint8_t out[16])
{
	pond_random_bytes(out, 16);
	out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
	out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void pond_uuid_format(char out[37], const uint8_t u[16])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

void pond_uuid_v4_string(char out[37])
{
	uint8_t u[16];
	pond_uuid_v4(u);
	pond_uuid_format(out, u);
}

int pond_uuid_parse(uint8_t out[16], const char *s)
{
	if (strlen(s) != 36)
		return POND_EINVAL;
	int j = 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return POND_EINVAL;
			continue;
		}
		int byte = pond_hex_byte(s + i);
		if (byte < 0)
			return POND_EINVAL;
		out[j++] = (uint8_t)byte;
		i++;
	}
	return 0;
}
