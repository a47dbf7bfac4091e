/*
 * The route table: every endpoint of the JSON API and of the Iceberg REST
 * catalog, matched on decoded path segments. A path that matches with another method is a 405 (with
 * Allow), one that matches nothing a 404. HEAD is answered as GET.
 */
#include "server_internal.h"

#include <string.h>

static const srv_route routes[] = {
	{"GET", "", pond__server_web_index},
	{"GET", "/assets/*", pond__server_web_asset},
	{"GET", "/api/session", pond__server_session_get},
	{"POST", "/api/login", pond__server_login},
	{"POST", "/api/logout", pond__server_logout},
	{"GET", "/api/health", pond__server_health},
	{"GET", "/api/pipelines", pond__server_pipelines_list},
	{"GET", "/api/pipelines/*", pond__server_pipeline_get},
	{"POST", "/api/pipelines/*/runs", pond__server_pipeline_trigger},
	{"GET", "/api/runs", pond__server_runs_list},
	{"GET", "/api/runs/*", pond__server_run_get},
	{"GET", "/api/runs/*/steps", pond__server_run_steps},
	{"GET", "/api/runs/*/logs", pond__server_run_logs},
	{"GET", "/api/runs/*/events", pond__server_run_events},
	{"GET", "/api/lineage", pond__server_lineage},
	{"GET", "/api/queries", pond__server_queries_list},
	{"POST", "/api/queries", pond__server_query_save},
	{"DELETE", "/api/queries/*", pond__server_query_delete},
	{"GET", "/api/tables", pond__server_tables_list},
	{"GET", "/api/tables/*", pond__server_table_get},
	{"GET", "/api/tables/*/snapshots", pond__server_table_snapshots},
	{"POST", "/api/sql", pond__server_sql},
	/* The Iceberg REST catalog (rest*.c); HEAD of a namespace or table is
	 * its GET handler's "exists". */
	{"GET", POND_REST_PATH "/v1/config", pond__rest_config},
	{"POST", POND_REST_PATH "/v1/oauth/tokens", pond__rest_oauth_tokens},
	{"GET", POND_REST_PATH "/v1/namespaces", pond__rest_namespaces_list},
	{"POST", POND_REST_PATH "/v1/namespaces", pond__rest_namespace_create},
	{"GET", POND_REST_PATH "/v1/namespaces/*", pond__rest_namespace_load},
	{"DELETE", POND_REST_PATH "/v1/namespaces/*", pond__rest_namespace_drop},
	{"POST", POND_REST_PATH "/v1/namespaces/*/properties", pond__rest_namespace_properties},
	{"GET", POND_REST_PATH "/v1/namespaces/*/tables", pond__rest_tables_list},
	{"POST", POND_REST_PATH "/v1/namespaces/*/tables", pond__rest_table_create},
	{"GET", POND_REST_PATH "/v1/namespaces/*/tables/*", pond__rest_table_load},
	{"POST", POND_REST_PATH "/v1/namespaces/*/tables/*", pond__rest_table_commit},
	{"DELETE", POND_REST_PATH "/v1/namespaces/*/tables/*", pond__rest_table_drop},
	{"POST", POND_REST_PATH "/v1/namespaces/*/tables/*/metrics", pond__rest_table_metrics},
	{"POST", POND_REST_PATH "/v1/namespaces/*/register", pond__rest_table_register},
	{"POST", POND_REST_PATH "/v1/tables/rename", pond__rest_table_rename},
	{"POST", POND_REST_PATH "/v1/transactions/commit", pond__rest_transaction_commit},
	{"GET", POND_REST_PATH "/v1/namespaces/*/views", pond__rest_views_list},
	{"POST", POND_REST_PATH "/v1/namespaces/*/views", pond__rest_view_create},
	{"GET", POND_REST_PATH "/v1/namespaces/*/views/*", pond__rest_view_load},
	{"POST", POND_REST_PATH "/v1/namespaces/*/views/*", pond__rest_view_replace},
	{"DELETE", POND_REST_PATH "/v1/namespaces/*/views/*", pond__rest_view_drop},
	{"POST", POND_REST_PATH "/v1/views/rename", pond__rest_view_rename},
};

static bool path_matches(const char *pattern, char *const *segments, size_t nsegments)
{
	size_t i = 0;
	const char *p = pattern;
	while (*p == '/') {
		const char *seg = p + 1, *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (i == nsegments)
			return false;
		if (!(len == 1 && seg[0] == '*') && (strlen(segments[i]) != len || memcmp(segments[i], seg, len) != 0))
			return false;
		i++;
		p = seg + len;
	}
	return i == nsegments;
}

const srv_route *pond__server_route_find(const char *method, char *const *segments, size_t nsegments,
                                         const char **allow)
{
	*allow = NULL;
	bool head = strcmp(method, "HEAD") == 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_matches(routes[i].pattern, segments, nsegments))
			continue;
		if (strcmp(routes[i].method, method) == 0 || (head && strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
		if (!*allow)
			*allow = strcmp(routes[i].method, "GET") == 0 ? "GET, HEAD" : routes[i].method;
	}
	return NULL;
}
