/*
 * String helpers, including SQL quoting for the statements pond builds.
 */
#include "pond/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool pond_str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool pond_str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

bool pond_str_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
	return *a == *b;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pond_hex_byte(const char *s)
{
	int hi = hex_digit(s[0]);
	if (hi < 0)
		return -1;
	int lo = hex_digit(s[1]);
	return lo < 0 ? -1 : hi << 4 | lo;
}

bool pond_str_to_i64(const char *s, int64_t *out)
{
	if (!s || !*s || isspace((unsigned char)*s))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool pond_str_to_size(const char *s, int64_t *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v > 0))
		return false;
	while (*end == ' ')
		end++;
	int64_t unit = 1;
	switch (*end) {
	case 'k': case 'K': unit = (int64_t)1 << 10; end++; break;
	case 'm': case 'M': unit = (int64_t)1 << 20; end++; break;
	case 'g': case 'G': unit = (int64_t)1 << 30; end++; break;
	case 't': case 'T': unit = (int64_t)1 << 40; end++; break;
	default: break;
	}
	if (unit > 1 && *end == 'i')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v * (double)unit > 9e18 || v * (double)unit < 1)
		return false;
	*out = (int64_t)(v * (double)unit);
	return true;
}

static void quote_with(pond_buf *b, const char *s, char q)
{
	pond_buf_putc(b, q);
	for (const char *p = s; *p; p++) {
		if (*p == q)
			pond_buf_putc(b, q);
		pond_buf_putc(b, *p);
	}
	pond_buf_putc(b, q);
}

void pond_sql_quote_literal(pond_buf *b, const char *s)
{
	quote_with(b, s, '\'');
}

void pond_sql_quote_ident(pond_buf *b, const char *s)
{
	quote_with(b, s, '"');
}

bool pond_utf8_valid(const void *bytes, size_t len)
{
	const unsigned char *s = bytes;
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += n + 1;
	}
	return true;
}
