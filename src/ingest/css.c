/*
 * A small CSS selector engine over libxml2's HTML tree, for the web-page
 * source: the subset html.h lists (type, id, class and attribute
 * selectors, a few structural pseudo-classes, descendant and child
 * combinators, comma lists). A selector is parsed once into compounds;
 * matching runs right to left, walking up the tree for combinators, never
 * above the scope it was asked under. libxml2's HTML parser lower-cases
 * element and attribute names, so names compare without case.
 */
#include "html.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef struct {
	const char *name;
	char op;               /* 0: present; '=', '~', '^', '$', '*' */
	const char *value;
} css_attr;

typedef struct {
	int64_t a, b;          /* an+b */
	bool of_type;
} css_nth;

typedef struct {
	const char *tag;       /* NULL: any */
	const char *id;
	const char **classes;
	size_t nclasses, capclasses;
	css_attr *attrs;
	size_t nattrs, capattrs;
	css_nth *nths;
	size_t nnths, capnths;
	char combinator;       /* to the compound on its left: ' ' or '>'; the first: 0, or '>' (child of the scope) */
} css_compound;

typedef struct {
	css_compound *parts;
	size_t nparts, cap;
} css_complex;

struct pond_css {
	const char *text;
	css_complex *items;
	size_t nitems, cap;
};

/* ---- parsing ------------------------------------------------------------------------------- */

typedef struct {
	const char *text, *p;
	pond_arena *arena;
	pond_error *err;
} css_parser;

static int syntax(css_parser *c, const char *what)
{
	return pond_error_set(c->err, POND_EINVAL, "bad CSS selector \"%s\" at position %d: %s", c->text,
	                      (int)(c->p - c->text) + 1, what);
}

static bool ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '_' || (unsigned char)ch >= 0x80;
}

static void skip_space(css_parser *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

/* An identifier (lower-cased when fold), in the arena; NULL when none. */
static const char *ident(css_parser *c, bool fold)
{
	const char *s = c->p;
	while (ident_char(*c->p))
		c->p++;
	if (c->p == s)
		return NULL;
	char *out = pond_arena_strndup(c->arena, s, (size_t)(c->p - s));
	for (char *q = out; fold && q && *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return out;
}

static int grow(css_parser *c, void **items, size_t n, size_t *cap, size_t size)
{
	return pond_arena_grow(c->arena, items, n, cap, size) ? 0 : pond_error_set(c->err, POND_ENOMEM, "out of memory");
}

/* [name], [name=value], [name op= "value"] */
static int parse_attr(css_parser *c, css_compound *cp)
{
	c->p++;
	skip_space(c);
	css_attr at = {ident(c, true), 0, NULL};
	if (!at.name)
		return syntax(c, "expected an attribute name after \"[\"");
	skip_space(c);
	if (*c->p && strchr("~^$*", *c->p) && c->p[1] == '=') {
		at.op = *c->p;
		c->p += 2;
	} else if (*c->p == '=') {
		at.op = '=';
		c->p++;
	}
	if (at.op) {
		skip_space(c);
		if (*c->p == '"' || *c->p == '\'') {
			char q = *c->p++;
			const char *end = strchr(c->p, q);
			if (!end)
				return syntax(c, "unclosed quote");
			at.value = pond_arena_strndup(c->arena, c->p, (size_t)(end - c->p));
			c->p = end + 1;
		} else if (!(at.value = ident(c, false))) {
			return syntax(c, "expected a value after the attribute operator");
		}
		skip_space(c);
	}
	if (*c->p != ']')
		return syntax(c, "expected \"]\"");
	c->p++;
	int rc = grow(c, (void **)&cp->attrs, cp->nattrs, &cp->capattrs, sizeof(css_attr));
	if (rc == 0)
		cp->attrs[cp->nattrs++] = at;
	return rc;
}

/* The argument of :nth-child(): odd, even, b, an, an+b, -n+b. */
static int parse_nth_arg(css_parser *c, css_nth *nth)
{
	skip_space(c);
	if (strncasecmp(c->p, "odd", 3) == 0 || strncasecmp(c->p, "even", 4) == 0) {
		bool odd = tolower((unsigned char)*c->p) == 'o';
		*nth = (css_nth){2, odd ? 1 : 0, nth->of_type};
		c->p += odd ? 3 : 4;
	} else {
		int64_t sign = 1, a = 0, b = 0;
		bool has_n = false, digits = false;
		if (*c->p == '-' || *c->p == '+')
			sign = *c->p++ == '-' ? -1 : 1;
		int64_t v = 0;
		while (isdigit((unsigned char)*c->p) && v < 100000000)
			v = v * 10 + (*c->p++ - '0'), digits = true;
		if (*c->p == 'n' || *c->p == 'N') {
			has_n = true;
			a = sign * (digits ? v : 1);
			c->p++;
			skip_space(c);
			if (*c->p == '+' || *c->p == '-') {
				int64_t bs = *c->p++ == '-' ? -1 : 1;
				skip_space(c);
				int64_t bv = 0;
				bool bd = false;
				while (isdigit((unsigned char)*c->p) && bv < 100000000)
					bv = bv * 10 + (*c->p++ - '0'), bd = true;
				if (!bd)
					return syntax(c, "expected a number after the sign in an+b");
				b = bs * bv;
			}
		} else if (digits) {
			b = sign * v;
		}
		if (!has_n && !digits)
			return syntax(c, "expected an+b, odd or even");
		nth->a = a;
		nth->b = b;
	}
	skip_space(c);
	if (*c->p != ')')
		return syntax(c, "expected \")\"");
	c->p++;
	return 0;
}

static int parse_pseudo(css_parser *c, css_compound *cp)
{
	c->p++;
	const char *name = ident(c, true);
	css_nth nth = {0, 1, false};
	if (!name)
		return syntax(c, "expected a pseudo-class after \":\"");
	if (strcmp(name, "first-child") == 0) {
		nth = (css_nth){0, 1, false};
	} else if (strcmp(name, "last-child") == 0) {
		nth = (css_nth){0, -1, false};  /* b = -1: the last (see nth_matches) */
	} else if (strcmp(name, "nth-child") == 0 || strcmp(name, "nth-of-type") == 0) {
		nth.of_type = name[4] == 'o';
		if (*c->p != '(')
			return syntax(c, "expected \"(\"");
		c->p++;
		int rc = parse_nth_arg(c, &nth);
		if (rc)
			return rc;
		if (nth.a == 0 && nth.b < 1)
			nth.b = 0;  /* never matches */
	} else {
		return syntax(c, pond_arena_sprintf(c->arena, "unsupported pseudo-class \":%s\"", name));
	}
	int rc = grow(c, (void **)&cp->nths, cp->nnths, &cp->capnths, sizeof(css_nth));
	if (rc == 0)
		cp->nths[cp->nnths++] = nth;
	return rc;
}

/* One compound selector: tag.class#id[attr]:pseudo... */
static int parse_compound(css_parser *c, css_compound *cp)
{
	const char *start = c->p;
	if (*c->p == '*')
		c->p++;
	else
		cp->tag = ident(c, true);
	for (int rc;;) {
		if (*c->p == '#') {
			c->p++;
			if (!(cp->id = ident(c, false)))
				return syntax(c, "expected a name after \"#\"");
		} else if (*c->p == '.') {
			c->p++;
			const char *cls = ident(c, false);
			if (!cls)
				return syntax(c, "expected a class name after \".\"");
			if ((rc = grow(c, (void **)&cp->classes, cp->nclasses, &cp->capclasses, sizeof(char *))) != 0)
				return rc;
			cp->classes[cp->nclasses++] = cls;
		} else if (*c->p == '[') {
			if ((rc = parse_attr(c, cp)) != 0)
				return rc;
		} else if (*c->p == ':') {
			if ((rc = parse_pseudo(c, cp)) != 0)
				return rc;
		} else {
			break;
		}
	}
	if (c->p == start)
		return syntax(c, *c->p ? "unexpected character" : "expected a selector");
	return 0;
}

/* compound (combinator compound)*, up to a comma or the end. */
static int parse_complex(css_parser *c, css_complex *cx)
{
	char comb = 0;
	skip_space(c);
	if (*c->p == '>') {
		comb = '>';
		c->p++;
		skip_space(c);
	}
	for (;;) {
		int rc = grow(c, (void **)&cx->parts, cx->nparts, &cx->cap, sizeof(css_compound));
		if (rc)
			return rc;
		css_compound *cp = &cx->parts[cx->nparts++];
		memset(cp, 0, sizeof(*cp));
		cp->combinator = comb;
		if ((rc = parse_compound(c, cp)) != 0)
			return rc;
		const char *before = c->p;
		skip_space(c);
		if (*c->p == '\0' || *c->p == ',')
			return 0;
		if (*c->p == '>') {
			comb = '>';
			c->p++;
			skip_space(c);
		} else if (c->p != before) {
			comb = ' ';
		} else {
			return syntax(c, "unexpected character");
		}
	}
}

int pond__css_parse(pond_css **out, const char *text, pond_arena *arena, pond_error *err)
{
	css_parser c = {text, text, arena, err};
	pond_css *sel = pond_arena_calloc(arena, 1, sizeof(*sel));
	if (!sel || !(sel->text = pond_arena_strdup(arena, text)))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (;;) {
		int rc = grow(&c, (void **)&sel->items, sel->nitems, &sel->cap, sizeof(css_complex));
		if (rc)
			return rc;
		css_complex *cx = &sel->items[sel->nitems++];
		memset(cx, 0, sizeof(*cx));
		if ((rc = parse_complex(&c, cx)) != 0)
			return rc;
		if (*c.p == '\0')
			break;
		c.p++;  /* a comma */
	}
	*out = sel;
	return 0;
}

const char *pond__css_text(const pond_css *sel) { return sel->text; }

/* ---- matching -------------------------------------------------------------------------------- */

static bool is_element(const xmlNode *n)
{
	return n && n->type == XML_ELEMENT_NODE;
}

static const char *attr_value(xmlNode *el, const char *name)
{
	for (xmlAttr *a = el->properties; a; a = a->next)
		if (a->name && strcasecmp((const char *)a->name, name) == 0)
			return a->children && a->children->content ? (const char *)a->children->content : "";
	return NULL;
}

/* Whether the whitespace-separated list holds word. */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f')
			p++;
		if ((size_t)(p - s) == wl && wl && memcmp(s, word, wl) == 0)
			return true;
	}
	return false;
}

static bool attr_matches(xmlNode *el, const css_attr *at)
{
	const char *v = attr_value(el, at->name);
	if (!v)
		return false;
	size_t vl = strlen(v), al = at->value ? strlen(at->value) : 0;
	switch (at->op) {
	case 0: return true;
	case '=': return strcmp(v, at->value) == 0;
	case '~': return has_word(v, at->value);
	case '^': return al && strncmp(v, at->value, al) == 0;
	case '$': return al && vl >= al && strcmp(v + vl - al, at->value) == 0;
	default: return al && strstr(v, at->value) != NULL;
	}
}

/* el's 1-based position among its element siblings (of its type), from
 * the start or, with from_end, from the end. */
static int64_t position(xmlNode *el, bool of_type, bool from_end)
{
	int64_t pos = 1;
	for (xmlNode *s = from_end ? el->next : el->prev; s; s = from_end ? s->next : s->prev)
		if (is_element(s) && (!of_type || xmlStrcmp(s->name, el->name) == 0))
			pos++;
	return pos;
}

static bool nth_matches(xmlNode *el, const css_nth *nth)
{
	if (nth->a == 0 && nth->b == -1)
		return position(el, false, true) == 1;  /* :last-child */
	int64_t p = position(el, nth->of_type, false);
	if (nth->a == 0)
		return p == nth->b;
	int64_t d = p - nth->b;
	return d % nth->a == 0 && d / nth->a >= 0;
}

static bool compound_matches(const css_compound *cp, xmlNode *el)
{
	if (!is_element(el))
		return false;
	if (cp->tag && strcasecmp((const char *)el->name, cp->tag) != 0)
		return false;
	if (cp->id) {
		const char *id = attr_value(el, "id");
		if (!id || strcmp(id, cp->id) != 0)
			return false;
	}
	if (cp->nclasses) {
		const char *cls = attr_value(el, "class");
		for (size_t i = 0; i < cp->nclasses; i++)
			if (!cls || !has_word(cls, cp->classes[i]))
				return false;
	}
	for (size_t i = 0; i < cp->nattrs; i++)
		if (!attr_matches(el, &cp->attrs[i]))
			return false;
	for (size_t i = 0; i < cp->nnths; i++)
		if (!nth_matches(el, &cp->nths[i]))
			return false;
	return true;
}

/* Whether parts[0..i] match with parts[i] at el; ancestors stop below scope. */
static bool match_from(const css_complex *cx, size_t i, xmlNode *el, xmlNode *scope)
{
	const css_compound *cp = &cx->parts[i];
	if (!compound_matches(cp, el))
		return false;
	if (i == 0)
		return cp->combinator != '>' || el->parent == scope;
	if (cp->combinator == '>') {
		xmlNode *p = el->parent;
		return p != scope && is_element(p) && match_from(cx, i - 1, p, scope);
	}
	for (xmlNode *p = el->parent; p && p != scope && is_element(p); p = p->parent)
		if (match_from(cx, i - 1, p, scope))
			return true;
	return false;
}

bool pond__css_matches(const pond_css *sel, xmlNode *el, xmlNode *scope)
{
	for (size_t i = 0; i < sel->nitems; i++)
		if (match_from(&sel->items[i], sel->items[i].nparts - 1, el, scope))
			return true;
	return false;
}

/* The element after n in document order within scope, or NULL. */
static xmlNode *next_in(xmlNode *n, xmlNode *scope)
{
	if (n->children)
		return n->children;
	while (n && n != scope) {
		if (n->next)
			return n->next;
		n = n->parent;
	}
	return NULL;
}

size_t pond__css_select(xmlNode ***out, const pond_css *sel, xmlNode *scope, pond_arena *arena)
{
	xmlNode **found = NULL;
	size_t n = 0, cap = 0;
	for (xmlNode *el = scope->children; el; el = next_in(el, scope)) {
		if (!is_element(el) || !pond__css_matches(sel, el, scope))
			continue;
		if (!pond_arena_grow(arena, (void **)&found, n, &cap, sizeof(*found)))
			return (size_t)-1;
		found[n++] = el;
	}
	*out = found;
	return n;
}

xmlNode *pond__css_first(const pond_css *sel, xmlNode *scope)
{
	for (xmlNode *el = scope->children; el; el = next_in(el, scope))
		if (is_element(el) && pond__css_matches(sel, el, scope))
			return el;
	return NULL;
}
