/*
 * Taking requests apart: request targets (percent-decoded path segments
 * and query pairs), bearer tokens compared in constant time, and listen
 * addresses. Pure functions over util only, so the fuzz target compiles
 * this file on its own.
 */
#include "pond/server.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int pond_url_decode(char **out, const char *text, size_t len, bool plus_is_space, pond_arena *arena, pond_error *err)
{
	char *s = pond_arena_alloc(arena, len + 1);
	if (!s)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '%') {
			int byte = i + 2 < len ? pond_hex_byte(text + i + 1) : -1;
			if (byte < 0)
				return pond_error_set(err, POND_EINVAL, "malformed percent escape in URL");
			c = (unsigned char)byte;
			/* 0x1F, the unit separator, is how the Iceberg REST catalog
			 * writes multi-level namespaces (a%1Fb). */
			if ((c < 0x20 && c != 0x1f) || c == 0x7f)
				return pond_error_set(err, POND_EINVAL, "control character in URL");
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c < 0x20 || c == 0x7f) {
			return pond_error_set(err, POND_EINVAL, "control character in URL");
		}
		s[n++] = (char)c;
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

/* Appends decoded text[0..len) to a growing array of strings. */
static int push(char ***items, size_t *n, size_t max, const char *text, size_t len, bool plus, pond_arena *a,
                pond_error *err)
{
	if (*n == max)
		return pond_error_set(err, POND_ELIMIT, "URL has more than %zu %s", max,
		                      max == POND_URL_MAX_SEGMENTS ? "path segments" : "query parameters");
	if (!*items && !(*items = pond_arena_calloc(a, max, sizeof(char *))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	return pond_url_decode(&(*items)[(*n)++], text, len, plus, a, err);
}

int pond_url_parse(pond_url *out, const char *target, pond_arena *arena, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	size_t len = strlen(target);
	if (len > POND_URL_MAX_LEN)
		return pond_error_set(err, POND_ELIMIT, "URL longer than %d bytes", POND_URL_MAX_LEN);
	if (target[0] != '/')
		return pond_error_set(err, POND_EINVAL, "request target is not an absolute path");
	const char *query = strchr(target, '?');
	const char *path_end = query ? query : target + len;
	for (const char *p = target; p < path_end;) {
		const char *slash = memchr(p + 1, '/', (size_t)(path_end - p - 1));
		const char *seg = p + 1, *seg_end = slash ? slash : path_end;
		int rc;
		if (seg_end > seg) {
			size_t n = out->nsegments;
			if ((rc = push(&out->segments, &out->nsegments, POND_URL_MAX_SEGMENTS, seg, (size_t)(seg_end - seg), false,
			               arena, err)) != 0)
				return rc;
			if (!out->raw_segments && !(out->raw_segments = pond_arena_calloc(arena, POND_URL_MAX_SEGMENTS, sizeof(char *))))
				return pond_error_set(err, POND_ENOMEM, "out of memory");
			if (!(out->raw_segments[n] = pond_arena_strndup(arena, seg, (size_t)(seg_end - seg))))
				return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
		p = seg_end;
	}
	if (!query)
		return 0;
	const char *q = query + 1, *q_end = target + len;
	while (q < q_end) {
		const char *amp = memchr(q, '&', (size_t)(q_end - q));
		const char *pair_end = amp ? amp : q_end;
		if (pair_end > q) {
			const char *eq = memchr(q, '=', (size_t)(pair_end - q));
			const char *key_end = eq ? eq : pair_end;
			size_t before = out->nparams;
			int rc = push(&out->keys, &out->nparams, POND_URL_MAX_PARAMS, q, (size_t)(key_end - q), true, arena, err);
			if (rc == 0) {
				size_t nvalues = before;
				const char *v = eq ? eq + 1 : pair_end;
				rc = push(&out->values, &nvalues, POND_URL_MAX_PARAMS, v, (size_t)(pair_end - v), true, arena, err);
			}
			if (rc)
				return rc;
		}
		q = amp ? amp + 1 : q_end;
	}
	return 0;
}

const char *pond_url_param(const pond_url *url, const char *key)
{
	for (size_t i = url->nparams; i-- > 0;)
		if (strcmp(url->keys[i], key) == 0)
			return url->values[i];
	return NULL;
}

bool pond_server_token_ok(const char *token, const char *authorization)
{
	if (!token || !token[0])
		return true;
	if (!authorization)
		return false;
	static const char scheme[] = "Bearer ";
	if (strncasecmp(authorization, scheme, sizeof(scheme) - 1) != 0)
		return false;
	const char *given = authorization + sizeof(scheme) - 1;
	while (*given == ' ')
		given++;
	/* The loop runs over the secret's length whatever was given, so the time
	 * taken tells nothing about where the first difference is. */
	size_t want_len = strlen(token), given_len = strlen(given);
	volatile unsigned char diff = want_len != given_len;
	for (size_t i = 0; i < want_len; i++) {
		unsigned char g = i < given_len ? (unsigned char)given[i] : 0;
		diff |= g ^ (unsigned char)token[i];
	}
	return diff == 0;
}

/* ---- listen addresses ---- */

static bool parse_port(const char *s, uint16_t *out)
{
	int64_t v;
	if (!*s || strspn(s, "0123456789") != strlen(s) || !pond_str_to_i64(s, &v) || v < 0 || v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

int pond_listen_addr_parse(pond_listen_addr *out, const char *text, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *colon, *host = text;
	size_t host_len;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return pond_error_set(err, POND_EUSAGE, "invalid listen address \"%s\" (expected [V6ADDR]:PORT)", text);
		host = text + 1;
		host_len = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || memchr(text, ':', (size_t)(colon - text)))
			return pond_error_set(err, POND_EUSAGE, "invalid listen address \"%s\" (expected HOST:PORT)", text);
		host_len = (size_t)(colon - text);
	}
	if (!parse_port(colon + 1, &out->port))
		return pond_error_set(err, POND_EUSAGE, "invalid port in listen address \"%s\"", text);
	if (host_len >= sizeof(out->host))
		return pond_error_set(err, POND_EUSAGE, "invalid listen address \"%s\"", text);
	if (host_len == 0 || (host_len == 9 && strncasecmp(host, "localhost", 9) == 0))
		strcpy(out->host, "127.0.0.1");
	else
		memcpy(out->host, host, host_len);
	unsigned char bytes[16];
	if (inet_pton(AF_INET, out->host, bytes) == 1) {
		out->loopback = bytes[0] == 127;
	} else if (inet_pton(AF_INET6, out->host, bytes) == 1) {
		static const unsigned char v6_loopback[16] = {[15] = 1};
		out->ipv6 = true;
		out->loopback = memcmp(bytes, v6_loopback, 16) == 0;
	} else {
		return pond_error_set(err, POND_EUSAGE,
		                      "invalid listen address \"%s\": give a numeric IP address (127.0.0.1, 0.0.0.0, [::1])",
		                      text);
	}
	return 0;
}
