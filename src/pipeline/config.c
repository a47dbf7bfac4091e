/*
 * Pipelines from pond.yml: the `pipelines:` map (schedule, time zone,
 * catch-up, failure alerts, steps) and the scheduler settings in
 * `defaults:`. Every error names pond.yml:LINE:COLUMN. The result lives in
 * one arena and is read-only afterwards, so threads may share it.
 */
#include "pipeline_internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The top-level pond.yml keys read here (pond_pipelines_load). */
POND_PROJECT_KEYS(pipeline, "pipelines", "defaults")

static const char *const kind_names[] = {"ingest", "transform", "test", "export", "shell", "maintain"};
#define NKINDS ((int)(sizeof kind_names / sizeof kind_names[0]))

const char *pond_step_kind_name(pond_step_kind kind)
{
	return (unsigned)kind < NKINDS ? kind_names[kind] : "?";
}


typedef struct cfg {
	const char *what;
	pond_arena *arena;
	pond_error *err;
} cfg;

static int at(cfg *c, const pond_yaml_node *n, const char *fmt, ...) POND_PRINTF(3, 4);
static int at(cfg *c, const pond_yaml_node *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pond_error_set(c->err, POND_EINVAL, "%s:%d:%d: %s", c->what, n->line, n->column, msg);
}

static int get_duration(cfg *c, const pond_yaml_node *n, const char *key, int64_t *out)
{
	if (!n)
		return 0;
	if (n->kind != POND_YAML_SCALAR || !pond_duration_parse(n->value, out))
		return at(c, n, "\"%s\" must be a duration like 30s, 10m or 2h", key);
	return 0;
}

static int get_count(cfg *c, const pond_yaml_node *n, const char *key, int64_t max, int64_t *out)
{
	if (!n)
		return 0;
	int64_t v;
	if (n->kind != POND_YAML_SCALAR || !pond_str_to_i64(n->value, &v) || v < 0 || v > max)
		return at(c, n, "\"%s\" must be a whole number from 0 to %lld", key, (long long)max);
	*out = v;
	return 0;
}

/* Step defaults from `defaults:`. */
typedef struct step_defaults {
	int64_t retries, retry_delay_ms, timeout_ms;
} step_defaults;

static int read_defaults(cfg *c, const pond_yaml_node *d, pond_pipeline_settings *s, step_defaults *sd)
{
	*s = (pond_pipeline_settings){4, 60000, 10000, 1000, 64 * 1024};
	*sd = (step_defaults){0, 10000, 0};
	if (!d || pond_yaml_is_null(d))
		return 0;
	if (d->kind != POND_YAML_MAP)
		return at(c, d, "\"defaults\" must be a map");
	/* Other layers may keep their own keys in `defaults:`; only ours are read. */
	int64_t conc = s->concurrency, cap = (int64_t)s->log_cap;
	int rc;
	if ((rc = get_count(c, pond_yaml_get(d, "retries"), "retries", 100, &sd->retries)) ||
	    (rc = get_duration(c, pond_yaml_get(d, "retry_delay"), "retry_delay", &sd->retry_delay_ms)) ||
	    (rc = get_duration(c, pond_yaml_get(d, "timeout"), "timeout", &sd->timeout_ms)) ||
	    (rc = get_count(c, pond_yaml_get(d, "concurrency"), "concurrency", 256, &conc)) ||
	    (rc = get_duration(c, pond_yaml_get(d, "lease"), "lease", &s->lease_ms)) ||
	    (rc = get_duration(c, pond_yaml_get(d, "grace"), "grace", &s->grace_ms)) ||
	    (rc = get_duration(c, pond_yaml_get(d, "poll"), "poll", &s->poll_ms)) ||
	    (rc = get_count(c, pond_yaml_get(d, "log_cap"), "log_cap", 64 << 20, &cap)))
		return rc;
	if (conc < 1)
		return at(c, pond_yaml_get(d, "concurrency"), "\"concurrency\" must be at least 1");
	if (s->lease_ms < 1000)
		return at(c, pond_yaml_get(d, "lease"), "\"lease\" must be at least 1s");
	if (s->poll_ms < 10)
		s->poll_ms = 10;
	s->concurrency = (int)conc;
	s->log_cap = (size_t)(cap < 1024 ? 1024 : cap);
	return 0;
}

static const char *const step_keys[] = {"ingest", "transform", "test", "export", "shell", "maintain", "name",
                                        "retries", "retry_delay", "timeout", "on_failure", "after", NULL};

static bool name_matches(const pond_step *s, const char *name)
{
	return strcmp(s->name, name) == 0 || strcmp(pond_step_kind_name(s->kind), name) == 0;
}

static int parse_step(cfg *c, const pond_yaml_node *n, const step_defaults *sd, pond_step *s)
{
	memset(s, 0, sizeof(*s));
	s->line = n->line;
	s->retries = (int)sd->retries;
	s->retry_delay_ms = sd->retry_delay_ms;
	s->timeout_ms = sd->timeout_ms;
	int kind = -1;
	const pond_yaml_node *arg = NULL;
	if (n->kind == POND_YAML_SCALAR) {
		for (int k = 0; k < NKINDS; k++)
			if (strcmp(n->value, kind_names[k]) == 0)
				kind = k;
		if (kind != POND_STEP_TRANSFORM && kind != POND_STEP_TEST && kind != POND_STEP_MAINTAIN)
			return at(c, n, "a step must be a map like \"ingest: SOURCE\" (or just transform, test or "
			                "maintain), got \"%s\"", n->value);
		s->kind = (pond_step_kind)kind;
		return 0;
	}
	if (n->kind != POND_YAML_MAP)
		return at(c, n, "a step must be a map like \"ingest: SOURCE\"");
	int rc = pond_yaml_check_keys(n, step_keys, c->what, c->err);
	if (rc)
		return rc;
	for (int k = 0; k < NKINDS; k++) {
		const pond_yaml_node *v = pond_yaml_get(n, kind_names[k]);
		if (!v)
			continue;
		if (kind >= 0)
			return at(c, v, "a step has one kind, got %s and %s", kind_names[kind], kind_names[k]);
		kind = k;
		arg = v;
	}
	if (kind < 0)
		return at(c, n, "a step needs one of ingest, transform, test, export, shell or maintain");
	s->kind = (pond_step_kind)kind;
	if (!pond_yaml_is_null(arg)) {
		if (arg->kind != POND_YAML_SCALAR)
			return at(c, arg, "\"%s\" must be a single value", kind_names[kind]);
		s->arg = arg->value;
	}
	if (!s->arg && (kind == POND_STEP_INGEST || kind == POND_STEP_EXPORT || kind == POND_STEP_SHELL))
		return at(c, arg, "\"%s\" needs a %s", kind_names[kind], kind == POND_STEP_SHELL ? "command" : "name");
	const pond_yaml_node *v;
	int64_t retries = s->retries;
	if ((v = pond_yaml_get(n, "name")) && (rc = pond_yaml_string(v, &s->name, c->what, "name", c->err)))
		return rc;
	if ((rc = get_count(c, pond_yaml_get(n, "retries"), "retries", 100, &retries)) ||
	    (rc = get_duration(c, pond_yaml_get(n, "retry_delay"), "retry_delay", &s->retry_delay_ms)) ||
	    (rc = get_duration(c, pond_yaml_get(n, "timeout"), "timeout", &s->timeout_ms)))
		return rc;
	s->retries = (int)retries;
	if ((v = pond_yaml_get(n, "on_failure"))) {
		if (v->kind == POND_YAML_SCALAR && strcmp(v->value, "continue") == 0)
			s->continue_on_failure = true;
		else if (!(v->kind == POND_YAML_SCALAR && strcmp(v->value, "stop") == 0))
			return at(c, v, "\"on_failure\" of a step must be stop or continue");
	}
	return 0;
}

/* Default names, unique names, and `after` resolved to earlier steps. */
static int resolve_steps(cfg *c, const pond_yaml_node *list, pond_pipeline *p)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		pond_step *s = &p->steps[i];
		if (!s->name) {
			if (s->kind == POND_STEP_INGEST || s->kind == POND_STEP_EXPORT)
				s->name = pond_arena_sprintf(c->arena, "%s:%s", kind_names[s->kind], s->arg);
			else
				s->name = kind_names[s->kind];
			int n = 1;
			for (size_t j = 0; j < i; j++)
				if (strncmp(p->steps[j].name, s->name, strlen(s->name)) == 0 &&
				    (p->steps[j].name[strlen(s->name)] == '\0' || p->steps[j].name[strlen(s->name)] == '#'))
					n++;
			if (n > 1)
				s->name = pond_arena_sprintf(c->arena, "%s#%d", s->name, n);
			if (!s->name)
				return pond_error_set(c->err, POND_ENOMEM, "out of memory");
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->steps[j].name, s->name) == 0)
				return at(c, list->items[i], "pipeline %s: two steps are named \"%s\"", p->name, s->name);
	}
	for (size_t i = 0; i < p->nsteps; i++) {
		pond_step *s = &p->steps[i];
		const pond_yaml_node *after = list->items[i]->kind == POND_YAML_MAP ? pond_yaml_get(list->items[i], "after")
		                                                                    : NULL;
		if (!after) {
			if (i > 0) {
				s->after = pond_arena_alloc(c->arena, sizeof(size_t));
				if (!s->after)
					return pond_error_set(c->err, POND_ENOMEM, "out of memory");
				s->after[0] = i - 1;
				s->nafter = 1;
			}
			continue;
		}
		size_t nnames = after->kind == POND_YAML_SEQ ? after->count : 1;
		s->after = pond_arena_calloc(c->arena, i + 1, sizeof(size_t));
		if (!s->after)
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
		for (size_t k = 0; k < nnames; k++) {
			const pond_yaml_node *item = after->kind == POND_YAML_SEQ ? after->items[k] : after;
			if (item->kind != POND_YAML_SCALAR || pond_yaml_is_null(item)) {
				if (after->kind != POND_YAML_SEQ && pond_yaml_is_null(item))
					break;
				return at(c, item, "\"after\" must list step names");
			}
			bool found = false;
			for (size_t j = 0; j < i; j++) {
				if (!name_matches(&p->steps[j], item->value))
					continue;
				found = true;
				bool dup = false;
				for (size_t q = 0; q < s->nafter; q++)
					dup |= s->after[q] == j;
				if (!dup)
					s->after[s->nafter++] = j;
			}
			if (!found)
				return at(c, item, "pipeline %s: step %s: after \"%s\": no earlier step of that name or kind",
				          p->name, s->name, item->value);
		}
	}
	return 0;
}

static const char *const pipeline_keys[] = {"schedule", "timezone", "catchup", "on_failure", "steps",
                                            "description", NULL};

static int parse_pipeline(cfg *c, const char *name, const pond_yaml_node *n, const step_defaults *sd,
                          pond_pipeline *p)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->line = n->line;
	p->timezone = "UTC";
	int rc;
	for (const char *q = name; *q; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
			return at(c, n, "pipeline name \"%s\": use letters, digits, _ - and .", name);
	if (n->kind != POND_YAML_MAP)
		return at(c, n, "pipeline %s must be a map with steps", name);
	if ((rc = pond_yaml_check_keys(n, pipeline_keys, c->what, c->err)))
		return rc;
	const pond_yaml_node *v;
	if ((v = pond_yaml_get(n, "schedule")) && !pond_yaml_is_null(v)) {
		if ((rc = pond_yaml_string(v, &p->schedule, c->what, "schedule", c->err)))
			return rc;
		pond_error cerr = POND_ERROR_INIT;
		if (pond_cron_parse(&p->cron, p->schedule, &cerr) != 0)
			return at(c, v, "pipeline %s: %s", name, cerr.msg);
	}
	if ((v = pond_yaml_get(n, "timezone")) && (rc = pond_yaml_string(v, &p->timezone, c->what, "timezone", c->err)))
		return rc;
	pond_tz *tz;
	pond_error tzerr = POND_ERROR_INIT;
	if (pond_tz_load(&tz, p->timezone, c->arena, &tzerr) != 0)
		return at(c, v ? v : n, "pipeline %s: %s", name, tzerr.msg);
	p->tz = tz;
	if ((v = pond_yaml_get(n, "catchup")) && (rc = pond_yaml_bool(v, &p->catchup, c->what, "catchup", c->err)))
		return rc;
	if ((v = pond_yaml_get(n, "on_failure")) && !pond_yaml_is_null(v)) {
		static const char *const keys[] = {"webhook", "command", NULL};
		const pond_yaml_node *w;
		if ((rc = pond_yaml_check_keys(v, keys, c->what, c->err)))
			return rc;
		if ((w = pond_yaml_get(v, "webhook")) &&
		    (rc = pond_yaml_string(w, &p->on_failure_webhook, c->what, "webhook", c->err)))
			return rc;
		if (p->on_failure_webhook && !pond_str_starts_with(p->on_failure_webhook, "http://") &&
		    !pond_str_starts_with(p->on_failure_webhook, "https://"))
			return at(c, w, "pipeline %s: webhook must be an http:// or https:// URL", name);
		if ((w = pond_yaml_get(v, "command")) &&
		    (rc = pond_yaml_string(w, &p->on_failure_command, c->what, "command", c->err)))
			return rc;
	}
	const pond_yaml_node *steps = pond_yaml_get(n, "steps");
	if (!steps || steps->kind != POND_YAML_SEQ || steps->count == 0)
		return at(c, steps ? steps : n, "pipeline %s needs a list of steps", name);
	p->steps = pond_arena_calloc(c->arena, steps->count, sizeof(pond_step));
	if (!p->steps)
		return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	p->nsteps = steps->count;
	for (size_t i = 0; i < steps->count; i++)
		if ((rc = parse_step(c, steps->items[i], sd, &p->steps[i])))
			return rc;
	if ((rc = resolve_steps(c, steps, p)))
		return rc;
	/* the YAML tree belongs to the project: keep copies */
	const char **strs[] = {&p->name, &p->schedule, &p->timezone, &p->on_failure_webhook, &p->on_failure_command};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (*strs[i] && !(*strs[i] = pond_arena_strdup(c->arena, *strs[i])))
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nsteps; i++)
		if ((p->steps[i].arg && !(p->steps[i].arg = pond_arena_strdup(c->arena, p->steps[i].arg))) ||
		    !(p->steps[i].name = pond_arena_strdup(c->arena, p->steps[i].name)))
			return pond_error_set(c->err, POND_ENOMEM, "out of memory");
	return 0;
}

static int cmp_pipeline(const void *a, const void *b)
{
	return strcmp(((const pond_pipeline *)a)->name, ((const pond_pipeline *)b)->name);
}

int pond_pipelines_parse(pond_pipelines **out, const pond_yaml_node *config, const char *root, const char *what,
                         pond_error *err)
{
	pond_pipelines *ps = NULL;
	pond_arena *arena = pond_arena_new();
	if (!arena || !(ps = pond_arena_calloc(arena, 1, sizeof(*ps))) ||
	    !(ps->root = pond_arena_strdup(arena, root ? root : ".")))
		goto oom;
	ps->arena = arena;
	cfg c = {what, arena, err};
	step_defaults sd;
	int rc = read_defaults(&c, pond_yaml_get(config, "defaults"), &ps->settings, &sd);
	const pond_yaml_node *list = pond_yaml_get(config, "pipelines");
	if (rc == 0 && list && !pond_yaml_is_null(list)) {
		if (list->kind != POND_YAML_MAP) {
			rc = at(&c, list, "\"pipelines\" must be a map of pipeline names to pipelines");
		} else if (!(ps->items = pond_arena_calloc(arena, list->count + 1, sizeof(pond_pipeline)))) {
			goto oom;
		} else {
			ps->count = list->count;
			for (size_t i = 0; i < list->count && rc == 0; i++)
				rc = parse_pipeline(&c, list->keys[i], list->values[i], &sd, &ps->items[i]);
			/* after an error the pipelines past it are unnamed */
			if (rc == 0)
				qsort(ps->items, ps->count, sizeof(pond_pipeline), cmp_pipeline);
		}
	}
	if (rc) {
		pond_arena_free(&arena);
		return rc;
	}
	*out = ps;
	return 0;
oom:
	pond_arena_free(&arena);
	return pond_error_set(err, POND_ENOMEM, "out of memory");
}

int pond_pipelines_load(pond_pipelines **out, const pond_project *project, pond_error *err)
{
	return pond_pipelines_parse(out, project->config, project->root, "pond.yml", err);
}

void pond_pipelines_free(pond_pipelines **pipelines)
{
	if (!pipelines || !*pipelines)
		return;
	pond_arena *a = (*pipelines)->arena;
	pond_arena_free(&a);
	*pipelines = NULL;
}

const pond_pipeline *pond_pipelines_find(const pond_pipelines *pipelines, const char *name)
{
	for (size_t i = 0; pipelines && i < pipelines->count; i++)
		if (strcmp(pipelines->items[i].name, name) == 0)
			return &pipelines->items[i];
	return NULL;
}

long pond_pipeline_step_index(const pond_pipeline *pipeline, const char *name)
{
	for (size_t i = 0; i < pipeline->nsteps; i++)
		if (strcmp(pipeline->steps[i].name, name) == 0)
			return (long)i;
	for (size_t i = 0; i < pipeline->nsteps; i++)
		if (name_matches(&pipeline->steps[i], name))
			return (long)i;
	return -1;
}

json_t *pond_pipeline_to_json(const pond_pipeline *p, int64_t now_ms)
{
	json_t *steps = json_array();
	for (size_t i = 0; i < p->nsteps; i++) {
		const pond_step *s = &p->steps[i];
		json_t *after = json_array();
		for (size_t j = 0; j < s->nafter; j++)
			json_array_append_new(after, json_string(p->steps[s->after[j]].name));
		json_array_append_new(steps, json_pack("{s:s, s:s, s:o, s:i, s:I, s:I, s:s, s:o}", "name", s->name, "kind",
		                                       pond_step_kind_name(s->kind), "arg",
		                                       s->arg ? json_string(s->arg) : json_null(), "retries", s->retries,
		                                       "retry_delay_ms", (json_int_t)s->retry_delay_ms, "timeout_ms",
		                                       (json_int_t)s->timeout_ms, "on_failure",
		                                       s->continue_on_failure ? "continue" : "stop", "after", after));
	}
	json_t *next = json_null();
	int64_t next_ms;
	pond_error err = POND_ERROR_INIT;
	if (p->schedule && pond_cron_next(&p->cron, p->tz, now_ms, &next_ms, &err) == 0)
		next = json_integer(next_ms);
	return json_pack("{s:s, s:o, s:s, s:b, s:o, s:o, s:o, s:o}", "name", p->name, "schedule",
	                 p->schedule ? json_string(p->schedule) : json_null(), "timezone", p->timezone, "catchup",
	                 p->catchup, "on_failure_webhook",
	                 p->on_failure_webhook ? json_string(p->on_failure_webhook) : json_null(),
	                 "on_failure_command", p->on_failure_command ? json_string(p->on_failure_command) : json_null(),
	                 "next_run_ms", next, "steps", steps);
}
