/*
 * S3 settings and credentials, resolved in the AWS CLI's order (see
 * pond_s3_config_resolve in pond/io.h): what pond.yml says, the standard
 * AWS_* environment variables, then the profile in the shared credentials
 * and config files. The environment is read through a callback, so tests
 * resolve against an environment of their own.
 */
#include "io/io_internal.h"

#include <stdlib.h>
#include <string.h>

/* The AWS files are small; anything larger is not one. */
#define AWS_FILE_MAX ((size_t)1 << 20)

typedef struct {
	pond_env_fn env;
	void *payload;
	pond_arena *arena;
	const char *profile;
	bool profile_named;        /* by settings or AWS_PROFILE: must exist */
	pond__ini config, credentials;
	char *config_path, *credentials_path;
	bool have_config, have_credentials;
} resolver;

static const char *env_get(const resolver *r, const char *name)
{
	const char *v = r->env ? r->env(name, r->payload) : getenv(name);
	return v && *v ? v : NULL;
}

static char *home_path(resolver *r, const char *rest)
{
	const char *home = env_get(r, "HOME");
	return home ? pond_arena_sprintf(r->arena, "%s/%s", home, rest) : NULL;
}

/* Reads one AWS file; a missing file is no error. */
static int load_file(resolver *r, pond__ini *ini, bool *have, char **path_out, const char *var, const char *dflt,
                     pond_error *err)
{
	const char *named = env_get(r, var);
	char *path = named ? pond_arena_strdup(r->arena, named) : home_path(r, dflt);
	*have = false;
	*path_out = path;
	if (!path)
		return 0;
	char *text = NULL;
	size_t len = 0;
	pond_error ferr = POND_ERROR_INIT;
	int rc = pond_file_read(&text, &len, path, AWS_FILE_MAX, &ferr);
	if (rc == POND_ENOTFOUND)
		return 0;
	if (rc)
		return pond_error_set(err, rc, "%s", ferr.msg);
	rc = pond__ini_parse(ini, text, len, path, r->arena, err);
	pond_free(text);
	*have = rc == 0;
	return rc;
}

/* The config file's section for a profile: "[default]" (or "[profile
 * default]") and "[profile NAME]", with any spacing after "profile". */
static const char *config_section(const resolver *r, const char *profile)
{
	if (!r->have_config)
		return NULL;
	for (size_t i = 0; i < r->config.nsections; i++) {
		const char *s = r->config.sections[i];
		if (strcmp(profile, "default") == 0 && strcmp(s, "default") == 0)
			return s;
		if (strncmp(s, "profile", 7) == 0 && (s[7] == ' ' || s[7] == '\t')) {
			const char *name = s + 7;
			while (*name == ' ' || *name == '\t')
				name++;
			if (strcmp(name, profile) == 0)
				return s;
		}
	}
	return NULL;
}

static const char *config_get(const resolver *r, const char *key)
{
	const char *section = config_section(r, r->profile);
	return section ? pond__ini_get(&r->config, section, key) : NULL;
}

static const char *credentials_get(const resolver *r, const char *key)
{
	return r->have_credentials ? pond__ini_get(&r->credentials, r->profile, key) : NULL;
}

static int set(char **dst, const char *value, pond_error *err)
{
	pond_free(*dst);
	*dst = value ? pond_strdup(value) : NULL;
	if (value && !*dst)
		return pond_error_set(err, POND_ENOMEM, "out of memory resolving S3 settings");
	return 0;
}

/* The variables pond.yml names: each one named must be set. */
static int named_env(const resolver *r, const char *var, const char *setting, const char **out, pond_error *err)
{
	*out = NULL;
	if (!var)
		return 0;
	*out = env_get(r, var);
	if (!*out)
		return pond_error_set(err, POND_EINVAL,
		                      "environment variable %s (named by storage setting %s) is not set", var,
		                      setting);
	return 0;
}

static int resolve_credentials(pond_s3_config *out, const resolver *r, const pond_s3_settings *s, pond_error *err)
{
	const char *id, *secret, *token;
	int rc = named_env(r, s->access_key_id_env, "access_key_id_env", &id, err);
	if (!rc)
		rc = named_env(r, s->secret_access_key_env, "secret_access_key_env", &secret, err);
	if (!rc)
		rc = named_env(r, s->session_token_env, "session_token_env", &token, err);
	if (rc)
		return rc;
	const char *source = "storage settings";
	if ((id != NULL) != (secret != NULL))
		return pond_error_set(err, POND_EINVAL, "storage settings name %s but not %s",
		                      id ? "access_key_id_env" : "secret_access_key_env",
		                      id ? "secret_access_key_env" : "access_key_id_env");
	if (!id && env_get(r, "AWS_ACCESS_KEY_ID") && env_get(r, "AWS_SECRET_ACCESS_KEY")) {
		id = env_get(r, "AWS_ACCESS_KEY_ID");
		secret = env_get(r, "AWS_SECRET_ACCESS_KEY");
		token = env_get(r, "AWS_SESSION_TOKEN");
		source = "environment";
	}
	if (!id && credentials_get(r, "aws_access_key_id") && credentials_get(r, "aws_secret_access_key")) {
		id = credentials_get(r, "aws_access_key_id");
		secret = credentials_get(r, "aws_secret_access_key");
		token = credentials_get(r, "aws_session_token");
		if (!token)
			token = credentials_get(r, "aws_security_token");
		source = pond_arena_sprintf(r->arena, "%s [%s]", r->credentials_path, r->profile);
	}
	if (!id && config_get(r, "aws_access_key_id") && config_get(r, "aws_secret_access_key")) {
		id = config_get(r, "aws_access_key_id");
		secret = config_get(r, "aws_secret_access_key");
		token = config_get(r, "aws_session_token");
		source = pond_arena_sprintf(r->arena, "%s [%s]", r->config_path, config_section(r, r->profile));
	}
	if (!id)
		source = "none (anonymous requests)";
	if ((rc = set(&out->access_key_id, id, err)) || (rc = set(&out->secret_access_key, secret, err)) ||
	    (rc = set(&out->session_token, id ? token : NULL, err)) ||
	    (rc = set(&out->credentials_source, source, err)))
		return rc;
	return 0;
}

static bool truthy(const char *v)
{
	return v && (pond_str_ieq(v, "true") || strcmp(v, "1") == 0);
}

static const char *config_endpoint(const resolver *r)
{
	/* [profile x] services = NAME, then [services NAME] s3 = endpoint_url = ... */
	const char *services = config_get(r, "services");
	if (services) {
		char *section = pond_arena_sprintf(r->arena, "services %s", services);
		const char *url = section ? pond__ini_get(&r->config, section, "s3.endpoint_url") : NULL;
		if (url)
			return url;
	}
	return config_get(r, "endpoint_url");
}

static int resolve_settings(pond_s3_config *out, const resolver *r, const pond_s3_settings *s, pond_error *err)
{
	const char *region = s->region;
	if (!region)
		region = env_get(r, "AWS_REGION");
	if (!region)
		region = env_get(r, "AWS_DEFAULT_REGION");
	if (!region)
		region = config_get(r, "region");
	if (!region)
		region = "us-east-1";
	const char *endpoint = s->endpoint;
	if (!endpoint && !truthy(env_get(r, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
		endpoint = env_get(r, "AWS_ENDPOINT_URL_S3");
		if (!endpoint)
			endpoint = env_get(r, "AWS_ENDPOINT_URL");
		if (!endpoint)
			endpoint = config_endpoint(r);
	}
	if (endpoint && strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0)
		return pond_error_set(err, POND_EINVAL, "S3 endpoint \"%s\" is not an http:// or https:// URL", endpoint);
	int rc;
	if ((rc = set(&out->region, region, err)) || (rc = set(&out->endpoint, endpoint, err)))
		return rc;
	/* Drop a trailing slash: URLs are built as endpoint + "/bucket". */
	if (out->endpoint) {
		size_t n = strlen(out->endpoint);
		while (n > 8 && out->endpoint[n - 1] == '/')
			out->endpoint[--n] = '\0';
	}
	const char *style = config_get(r, "s3.addressing_style");
	if (s->path_style >= 0)
		out->path_style = s->path_style == 1;
	else if (style && strcmp(style, "path") == 0)
		out->path_style = true;
	else if (style && strcmp(style, "virtual") == 0)
		out->path_style = false;
	else if (style && strcmp(style, "auto") != 0)
		return pond_error_set(err, POND_EINVAL, "%s: s3 addressing_style \"%s\" is not auto, path or virtual",
		                      r->config_path, style);
	else
		out->path_style = out->endpoint != NULL;
	return 0;
}

int pond_s3_config_resolve(pond_s3_config *out, const pond_s3_settings *settings, pond_env_fn env,
                           void *payload, pond_error *err)
{
	memset(out, 0, sizeof *out);
	resolver r = {.env = env, .payload = payload, .arena = pond_arena_new()};
	if (!r.arena)
		return pond_error_set(err, POND_ENOMEM, "out of memory resolving S3 settings");
	r.profile = settings->profile;
	if (!r.profile)
		r.profile = env_get(&r, "AWS_PROFILE");
	r.profile_named = r.profile != NULL;
	if (!r.profile)
		r.profile = "default";
	int rc = load_file(&r, &r.config, &r.have_config, &r.config_path, "AWS_CONFIG_FILE", ".aws/config", err);
	if (!rc)
		rc = load_file(&r, &r.credentials, &r.have_credentials, &r.credentials_path,
		               "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials", err);
	if (!rc && r.profile_named && !config_section(&r, r.profile) &&
	    !(r.have_credentials && pond__ini_has_section(&r.credentials, r.profile)))
		rc = pond_error_set(err, POND_ENOTFOUND, "AWS profile \"%s\" is in neither %s nor %s", r.profile,
		                    r.config_path ? r.config_path : "~/.aws/config",
		                    r.credentials_path ? r.credentials_path : "~/.aws/credentials");
	if (!rc)
		rc = resolve_credentials(out, &r, settings, err);
	if (!rc)
		rc = resolve_settings(out, &r, settings, err);
	pond_arena_free(&r.arena);
	return rc;
}

void pond_s3_config_dispose(pond_s3_config *cfg)
{
	if (!cfg)
		return;
	if (cfg->secret_access_key)
		memset(cfg->secret_access_key, 0, strlen(cfg->secret_access_key));
	pond_free(cfg->endpoint);
	pond_free(cfg->region);
	pond_free(cfg->access_key_id);
	pond_free(cfg->secret_access_key);
	pond_free(cfg->session_token);
	pond_free(cfg->credentials_source);
	memset(cfg, 0, sizeof *cfg);
}
