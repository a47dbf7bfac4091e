/*
 * The `server:` section of pond.yml:
 *   server:
 *     listen: 127.0.0.1:8765
 *     token_env: POND_TOKEN
 * The token itself never lives in pond.yml (which is committed); only the
 * name of the environment variable that holds it.
 */
#include "pond/server.h"

#include <stdlib.h>

/* The top-level pond.yml key read here. */
POND_PROJECT_KEYS(server, "server")

int pond_server_options_from_project(pond_server_options *opts, const pond_project *project, pond_error *err)
{
	static const char *const keys[] = {"listen", "token_env", NULL};
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
	const char *v;
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
