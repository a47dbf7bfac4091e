/*
 * A Google service account's key, and the assertion it signs to get an
 * access token (OAuth 2.0 JWT bearer grant, RFC 7523): a JWT whose header
 * names the key (kid) and whose claims say who asks (iss: the account's
 * email), for what (scope: BigQuery read-only), of whom (aud: the key's
 * token_uri), and for how long (iat, exp: an hour, Google's maximum),
 * signed RS256 by pond_jwt_sign_rs256 (io layer).
 */
#include "bigquery.h"

#include <stddef.h>
#include <string.h>

#include "pond/io.h"

int pond__bq_key_parse(bq_key *out, const char *text, size_t len, const char *what, pond_arena *arena, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	json_t *root;
	int rc = pond_json_parse(&root, text, len, what, err);
	if (rc)
		return pond_error_set(err, POND_EINVAL, "%s is not a service-account key: not JSON", what);
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
	        {"project_id", offsetof(bq_key, project_id)},   {"private_key_id", offsetof(bq_key, private_key_id)},
	        {"private_key", offsetof(bq_key, private_key)}, {"client_email", offsetof(bq_key, client_email)},
	        {"token_uri", offsetof(bq_key, token_uri)},
	};
	const char *type = json_string_value(json_object_get(root, "type"));
	if (!json_is_object(root) || !type || strcmp(type, "service_account") != 0) {
		json_decref(root);
		return pond_error_set(err, POND_EINVAL,
		                      "%s is not a service-account key (\"type\": \"service_account\")", what);
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = json_string_value(json_object_get(root, fields[i].key));
		if (!v || !*v) {
			json_decref(root);
			return pond_error_set(err, POND_EINVAL, "%s: the service-account key has no \"%s\"", what,
			                      fields[i].key);
		}
		const char **slot = (const char **)((char *)out + fields[i].offset);
		if (!(*slot = pond_arena_strdup(arena, v))) {
			json_decref(root);
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		}
	}
	json_decref(root);
	if (!pond_str_starts_with(out->token_uri, "https://") && !pond_str_starts_with(out->token_uri, "http://"))
		return pond_error_set(err, POND_EINVAL, "%s: \"token_uri\" must be an http(s) URL", what);
	return 0;
}

int pond__bq_assertion(char **out, const bq_key *key, int64_t now_s, pond_error *err)
{
	*out = NULL;
	json_t *header = json_pack("{ssssss}", "alg", "RS256", "typ", "JWT", "kid", key->private_key_id);
	json_t *claims = json_pack("{sssssssIsI}", "iss", key->client_email, "scope", BQ_SCOPE, "aud", key->token_uri,
	                           "iat", (json_int_t)now_s, "exp", (json_int_t)(now_s + 3600));
	char *h = header ? pond_json_dumps(header, false) : NULL;
	char *c = claims ? pond_json_dumps(claims, false) : NULL;
	int rc = h && c ? pond_jwt_sign_rs256(out, h, c, key->private_key, err)
	                : pond_error_set(err, POND_ENOMEM, "out of memory");
	pond_free(h);
	pond_free(c);
	json_decref(header);
	json_decref(claims);
	return rc;
}

const char *pond__bq_error_message(const char *body, size_t len, pond_arena *arena)
{
	json_error_t je;
	json_t *root = body && len ? json_loadb(body, len, 0, &je) : NULL;
	const json_t *e = json_object_get(root, "error");
	const char *msg = json_string_value(json_object_get(e, "message"));
	const char *out = NULL;
	if (msg) {
		out = pond_arena_strdup(arena, msg);
	} else if (json_is_string(e)) {
		const char *desc = json_string_value(json_object_get(root, "error_description"));
		out = desc ? pond_arena_sprintf(arena, "%s: %s", json_string_value(e), desc)
		           : pond_arena_strdup(arena, json_string_value(e));
	}
	json_decref(root);
	/* One line: BigQuery's messages may hold newlines. */
	for (char *p = (char *)out; p && *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return out;
}
