/*
 * Base64 (RFC 4648, the standard alphabet, padded): binary values kept in
 * text columns of the catalog database, whose interface binds text; and
 * its URL-safe, unpadded form (section 5) that JWTs are written in.
 */
#include "pond/util.h"

#include <string.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/* RFC 4648 section 5: '-' and '_' for '+' and '/'. */
static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void encode(pond_buf *buf, const void *data, size_t len, const char *digits, bool pad)
{
	const unsigned char *p = data;
	char quad[4];
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		size_t n = i + 2 < len ? 4 : i + 1 < len ? 3 : 2; /* digits the bytes fill */
		quad[0] = digits[v >> 18 & 63];
		quad[1] = digits[v >> 12 & 63];
		quad[2] = n > 2 ? digits[v >> 6 & 63] : '=';
		quad[3] = n > 3 ? digits[v & 63] : '=';
		pond_buf_put(buf, quad, pad ? 4 : n);
	}
}

void pond_base64_encode(pond_buf *buf, const void *data, size_t len)
{
	encode(buf, data, len, alphabet, true);
}

void pond_base64url_encode(pond_buf *buf, const void *data, size_t len)
{
	encode(buf, data, len, url_alphabet, false); /* unpadded, as JWTs are */
}

static int digit(char c)
{
	const char *at = c ? strchr(alphabet, c) : NULL;
	return at ? (int)(at - alphabet) : -1;
}

int pond_base64_decode(unsigned char **out, size_t *len, const char *text, pond_error *err)
{
	size_t n = strlen(text);
	*out = NULL;
	*len = 0;
	if (n % 4)
		return pond_error_set(err, POND_ECORRUPT, "base64 text of %zu characters is not a multiple of 4", n);
	unsigned char *bytes = pond_malloc(n / 4 * 3 + 1);
	if (!bytes)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t m = 0;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int pad = last ? (text[i + 3] == '=') + (text[i + 2] == '=' && text[i + 3] == '=') : 0;
		int d[4];
		bool ok = true;
		for (int k = 0; k < 4 - pad; k++)
			ok &= (d[k] = digit(text[i + k])) >= 0;
		if (!ok) {
			pond_free(bytes);
			return pond_error_set(err, POND_ECORRUPT, "bad base64 text at character %zu", i);
		}
		for (int k = 4 - pad; k < 4; k++)
			d[k] = 0;
		uint32_t v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 | (uint32_t)d[3];
		bytes[m++] = (unsigned char)(v >> 16);
		if (pad < 2)
			bytes[m++] = (unsigned char)(v >> 8);
		if (pad < 1)
			bytes[m++] = (unsigned char)v;
	}
	*out = bytes;
	*len = m;
	return 0;
}
