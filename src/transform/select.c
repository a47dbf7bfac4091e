/*
 * Selectors: which models a run takes. A selector is a union of terms
 * (several --select values, or words in one value); a term is the
 * intersection of comma-joined atoms; an atom is a model ("marts.x", "x"
 * when one model has that table name, or its file "models/marts/x.sql"),
 * "tag:NAME", "path:FOLDER/" (under models/), "state:modified" (changed
 * since its last successful run, or never run), with "+" in front for its
 * ancestors and "+" behind for its descendants. --exclude takes the same.
 */
#include "transform_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static void mark_up(const pond_transform_graph *g, int i, bool *set)
{
	for (size_t j = 0; j < g->nodes[i].ndeps; j++) {
		int d = g->nodes[i].deps[j];
		if (pond__transform_is_model(&g->nodes[d]) && !set[d]) {
			set[d] = true;
			mark_up(g, d, set);
		}
	}
}

static void mark_down(const pond_transform_graph *g, int i, bool *set)
{
	for (size_t j = 0; j < g->nodes[i].nusers; j++) {
		int u = g->nodes[i].users[j];
		if (pond__transform_is_model(&g->nodes[u]) && !set[u]) {
			set[u] = true;
			mark_down(g, u, set);
		}
	}
}

static bool atom_matches(const pond_transform_graph *g, const tf_node *n, size_t index, const char *atom,
                         const char *const *prev_hash)
{
	if (pond_str_starts_with(atom, "tag:")) {
		for (size_t t = 0; t < n->ntags; t++)
			if (pond_str_ieq(n->tags[t], atom + 4))
				return true;
		return false;
	}
	if (pond_str_starts_with(atom, "path:")) {
		const char *p = atom + 5;
		if (pond_str_starts_with(p, "models/"))
			p += 7;
		const char *rel = n->path + strlen("models/");
		size_t len = strlen(p);
		return len && strncmp(rel, p, len) == 0 && (p[len - 1] == '/' || rel[len] == '/' || rel[len] == '\0' ||
		                                             strcmp(rel + len, ".sql") == 0);
	}
	if (pond_str_starts_with(atom, "state:"))
		return !prev_hash[index] || strcmp(prev_hash[index], n->hash_hex) != 0;
	if (strcasecmp(n->name, atom) == 0 || strcmp(n->path, atom) == 0)
		return true;
	return !strchr(atom, '.') && strcasecmp(n->id.name, atom) == 0;
}

/* Marks the models one atom (with its + marks) selects; false when it
 * selects none. */
static int select_atom(const pond_transform_graph *g, const char *text, const char *const *prev_hash, bool *set,
                       pond_error *err)
{
	size_t len = strlen(text);
	bool up = text[0] == '+', down = len > 1 && text[len - 1] == '+';
	char atom[512];
	size_t from = up ? 1 : 0, to = down ? len - 1 : len;
	if (to <= from || to - from >= sizeof(atom))
		return pond_error_set(err, POND_EUSAGE, "bad selector \"%s\"", text);
	memcpy(atom, text + from, to - from);
	atom[to - from] = '\0';
	if (pond_str_starts_with(atom, "state:") && strcmp(atom, "state:modified") != 0)
		return pond_error_set(err, POND_EUSAGE, "unknown selector \"%s\" (state:modified)", atom);
	if (strchr(atom, ':') && !pond_str_starts_with(atom, "tag:") && !pond_str_starts_with(atom, "path:") &&
	    !pond_str_starts_with(atom, "state:"))
		return pond_error_set(err, POND_EUSAGE, "unknown selector \"%s\" (a model, tag:, path:, state:modified)",
		                      atom);
	size_t found = 0, by_table_name = 0;
	for (size_t i = 0; i < g->nnodes; i++) {
		const tf_node *n = &g->nodes[i];
		if (!pond__transform_is_model(n) || !atom_matches(g, n, i, atom, prev_hash))
			continue;
		found++;
		by_table_name += !strchr(atom, ':') && strcasecmp(n->name, atom) != 0 && strcmp(n->path, atom) != 0;
		set[i] = true;
		if (up)
			mark_up(g, (int)i, set);
		if (down)
			mark_down(g, (int)i, set);
	}
	if (by_table_name > 1)
		return pond_error_set(err, POND_EUSAGE, "selector \"%s\" names %zu models: write ns.%s", atom, by_table_name,
		                      atom);
	if (found == 0 && !pond_str_starts_with(atom, "state:"))
		return pond_error_set(err, POND_EUSAGE, "selector \"%s\" matches no model", text);
	return 0;
}

/* Adds (or, for exclude, removes) what the selectors select. */
static int apply_selectors(const pond_transform_graph *g, const char *const *sel, size_t nsel,
                           const char *const *prev_hash, bool *out, bool remove, pond_error *err)
{
	size_t n = g->nnodes;
	bool *term = pond_calloc(n + 1, sizeof(bool)), *atom = pond_calloc(n + 1, sizeof(bool));
	char *copy = NULL;
	int rc = term && atom ? 0 : pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t s = 0; rc == 0 && s < nsel; s++) {
		pond_free(copy);
		if (!(copy = pond_strdup(sel[s]))) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		char *save = NULL;
		for (char *word = strtok_r(copy, " \t", &save); rc == 0 && word; word = strtok_r(NULL, " \t", &save)) {
			for (size_t i = 0; i < n; i++)
				term[i] = true;
			char *save2 = NULL;
			for (char *a = strtok_r(word, ",", &save2); rc == 0 && a; a = strtok_r(NULL, ",", &save2)) {
				memset(atom, 0, n * sizeof(bool));
				rc = select_atom(g, a, prev_hash, atom, err);
				for (size_t i = 0; i < n; i++)
					term[i] = term[i] && atom[i];
			}
			for (size_t i = 0; rc == 0 && i < n; i++)
				if (term[i])
					out[i] = !remove;
		}
	}
	pond_free(copy);
	pond_free(term);
	pond_free(atom);
	return rc;
}

int pond__transform_select(const pond_transform_graph *g, const pond_transform_options *opts,
                           const char *const *prev_hash, bool *selected, pond_error *err)
{
	for (size_t i = 0; i < g->nnodes; i++)
		selected[i] = opts->nselect == 0 && pond__transform_is_model(&g->nodes[i]);
	int rc = apply_selectors(g, opts->select, opts->nselect, prev_hash, selected, false, err);
	if (rc == 0)
		rc = apply_selectors(g, opts->exclude, opts->nexclude, prev_hash, selected, true, err);
	return rc;
}
