/*
 * The `server:` section of pond.yml:
 *   server:
 *     listen: 127.0.0.1:8765
 *     token_env: POND_TOKEN
 *     header_timeout: 5s                # a request's headers must be in by then
 *     max_connections_per_address: 16
 * The token itself never lives in pond.yml (which is committed); only the
 * name of the environment variable that holds it.
 */
#include "pond/server.h"

#include <stdlib.h>
#include <string.h>

/* "250ms", "5s" or a number of seconds, within (0, 1 h]. */
static bool parse_timeout_ms(const char *text, int *out)
{
	char *end;
	double v = strtod(text, &end);
	if (end == text)
		return false;
	double ms = strcmp(end, "ms") == 0 ? v : (strcmp(end, "s") == 0 || *end == '\0') ? v * 1000 : -1;
	if (!(ms > 0 && ms <= 3600000))
		return false;
	*out = (int)ms;
	return true;
}

/* The top-level pond.yml key read here. */
POND_PROJECT_KEYS(server, "server")

int pond_server_options_from_project(pond_server_options *opts, const pond_project *project, pond_error *err)
{
	static const char *const keys[] = {"listen", "token_env", "header_timeout", "max_connections_per_address", NULL};
	const pond_yaml_node *server = pond_yaml_get(project->config, "server");
	if (!server || pond_yaml_is_null(server))
		return 0;
	const char *what = project->config_path;
	if (server->kind != POND_YAML_MAP)
		return pond_error_set(err, POND_EINVAL, "%s:%d: \"server\" must be a map (listen, token_env)", what,
		                      server->line);
	int rc = pond_yaml_check_keys(server, keys, what, err);
	const pond_yaml_node *listen = pond_yaml_get(server, "listen");
	const pond_yaml_node *token_env = pond_yaml_get(server, "token_env");
	const pond_yaml_node *header_timeout = pond_yaml_get(server, "header_timeout");
	const pond_yaml_node *per_address = pond_yaml_get(server, "max_connections_per_address");
	const char *v;
	if (rc == 0 && header_timeout && !pond_yaml_is_null(header_timeout) &&
	    (rc = pond_yaml_string(header_timeout, &v, what, "header_timeout", err)) == 0 && !opts->header_timeout_ms &&
	    !parse_timeout_ms(v, &opts->header_timeout_ms))
		return pond_error_set(err, POND_EINVAL, "%s:%d: header_timeout must be a duration like 5s or 500ms", what,
		                      header_timeout->line);
	int64_t n;
	if (rc == 0 && per_address && !pond_yaml_is_null(per_address) &&
	    (rc = pond_yaml_int(per_address, &n, what, "max_connections_per_address", err)) == 0) {
		if (n < 1 || n > 100000)
			return pond_error_set(err, POND_EINVAL, "%s:%d: max_connections_per_address must be at least 1", what,
			                      per_address->line);
		if (!opts->max_connections_per_address)
			opts->max_connections_per_address = (int)n;
	}
	if (rc == 0 && listen && !pond_yaml_is_null(listen) && (rc = pond_yaml_string(listen, &v, what, "listen", err)) == 0 &&
	    !opts->listen)
		opts->listen = v;
	if (rc == 0 && token_env && !pond_yaml_is_null(token_env) &&
	    (rc = pond_yaml_string(token_env, &v, what, "token_env", err)) == 0 && !opts->token) {
		const char *token = getenv(v);
		if (!token || !token[0])
			return pond_error_set(err, POND_EUSAGE, "%s:%d: token_env names %s, which is not set", what,
			                      token_env->line, v);
		opts->token = token;
	}
	return rc;
}
