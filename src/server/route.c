/*
 * The route table: every endpoint of the JSON API, matched on decoded
 * path segments. A path that matches with another method is a 405 (with
 * Allow), one that matches nothing a 404. HEAD is answered as GET.
 */
#include "server_internal.h"

#include <string.h>

static const srv_route routes[] = {
	{"GET", "/api/health", srv_health},
	{"GET", "/api/pipelines", srv_pipelines_list},
	{"GET", "/api/pipelines/*", srv_pipeline_get},
	{"POST", "/api/pipelines/*/runs", srv_pipeline_trigger},
	{"GET", "/api/runs", srv_runs_list},
	{"GET", "/api/runs/*", srv_run_get},
	{"GET", "/api/runs/*/steps", srv_run_steps},
	{"GET", "/api/runs/*/logs", srv_run_logs},
	{"GET", "/api/tables", srv_tables_list},
	{"GET", "/api/tables/*", srv_table_get},
	{"GET", "/api/tables/*/snapshots", srv_table_snapshots},
	{"POST", "/api/sql", srv_sql},
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

const srv_route *srv_route_find(const char *method, char *const *segments, size_t nsegments, const char **allow)
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
