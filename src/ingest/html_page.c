/*
 * A web page for the html source: its charset found (HTTP Content-Type,
 * else <meta charset> or http-equiv, else UTF-8 when the bytes are, else
 * windows-1252), its bytes converted to UTF-8 with iconv and parsed by
 * libxml2's HTML parser, the text of an element as a reader sees it, and
 * a <table> laid out as a grid (colspan and rowspan expanded, nested
 * tables left out) with names for its columns.
 */
#include "html.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#define HTML_OPTIONS (HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | \
                      HTML_PARSE_COMPACT | XML_PARSE_HUGE)

/* ---- charsets ---------------------------------------------------------------------------- */

/* The charset=VALUE in a Content-Type or a meta content, in arena. */
static const char *charset_param(const char *value, pond_arena *a)
{
	for (const char *p = value; p && *p; p++) {
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		const char *v = p + 7;
		while (*v == ' ')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ' || *v == '"' || *v == '\'')
			v++;
		size_t n = 0;
		while (v[n] && v[n] != ';' && v[n] != ' ' && v[n] != '"' && v[n] != '\'')
			n++;
		return n ? pond_arena_strndup(a, v, n) : NULL;
	}
	return NULL;
}

/* The charset a <meta> in the tree declares, or NULL. */
static const char *meta_charset(xmlNode *n, pond_arena *a)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrcasecmp(n->name, BAD_CAST "meta") == 0) {
			xmlChar *cs = xmlGetProp(n, BAD_CAST "charset");
			const char *out = cs && *cs ? pond_arena_strdup(a, (const char *)cs) : NULL;
			xmlFree(cs);
			if (out)
				return out;
			xmlChar *equiv = xmlGetProp(n, BAD_CAST "http-equiv");
			xmlChar *content = xmlGetProp(n, BAD_CAST "content");
			if (equiv && content && xmlStrcasecmp(equiv, BAD_CAST "content-type") == 0)
				out = charset_param((const char *)content, a);
			xmlFree(equiv);
			xmlFree(content);
			if (out)
				return out;
		}
		const char *inner = meta_charset(n->children, a);
		if (inner)
			return inner;
	}
	return NULL;
}

const char *pond__html_charset(const char *content_type, const char *body, size_t len, pond_arena *arena)
{
	const char *cs = content_type ? charset_param(content_type, arena) : NULL;
	if (cs)
		return cs;
	/* The declaration must come early (HTML: in the first 1024 bytes); a
	 * byte-transparent charset reads the tags whatever the page's is. */
	int n = len < 4096 ? (int)len : 4096;
	xmlInitParser();
	htmlDocPtr head = htmlReadMemory(body, n, NULL, "ISO-8859-1", HTML_OPTIONS);
	if (!head)
		return NULL;
	cs = meta_charset(head->children, arena);
	xmlFreeDoc(head);
	return cs;
}

static bool is_utf8_name(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0;
}

/* body in charset cs as UTF-8 in out; bytes the charset does not define
 * become U+FFFD. */
static int to_utf8(pond_buf *out, const char *body, size_t len, const char *cs, const char *what, pond_error *err)
{
	/* WHATWG: pages labelled latin1 or ASCII are windows-1252. */
	if (strcasecmp(cs, "iso-8859-1") == 0 || strcasecmp(cs, "latin1") == 0 || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "iso8859-1") == 0)
		cs = "WINDOWS-1252";
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: unknown charset \"%s\"", what, cs);
	char *in = (char *)body;
	size_t left = len;
	int rc = 0;
	while (left > 0 && rc == 0) {
		if (!pond_buf_reserve(out, left * 2 + 16)) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		char *dst = out->ptr + out->len;
		size_t room = out->cap - out->len - 1;
		size_t r = iconv(cd, &in, &left, &dst, &room);
		out->len = (size_t)(dst - out->ptr);
		out->ptr[out->len] = '\0';
		if (r == (size_t)-1 && (errno == EILSEQ || errno == EINVAL)) {
			pond_buf_puts(out, "\xef\xbf\xbd");
			in++;
			left--;
		} else if (r == (size_t)-1 && errno != E2BIG) {
			rc = pond_error_set(err, POND_EIO, "%s: could not convert from %s: %m", what, cs);
		}
	}
	iconv_close(cd);
	return rc;
}

int pond__html_parse(htmlDocPtr *out, const char *body, size_t len, const char *content_type, const char *what,
                     pond_error *err)
{
	pond_arena *a = pond_arena_new();
	if (!a)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		body += 3;  /* a UTF-8 byte order mark says it all */
		len -= 3;
		content_type = "text/html; charset=utf-8";
	}
	const char *cs = pond__html_charset(content_type, body, len, a);
	if (!cs)
		cs = pond_utf8_valid(body, len) ? "utf-8" : "windows-1252";
	pond_buf utf8 = POND_BUF_INIT;
	int rc = 0;
	if (!is_utf8_name(cs)) {
		rc = to_utf8(&utf8, body, len, cs, what, err);
		body = utf8.ptr ? utf8.ptr : "";
		len = utf8.len;
	}
	if (rc == 0 && len > INT32_MAX)
		rc = pond_error_set(err, POND_ELIMIT, "%s: page is larger than 2 GB", what);
	if (rc == 0) {
		xmlInitParser();
		/* Told UTF-8, libxml2 does not switch on the page's <meta>. */
		*out = htmlReadMemory(body, (int)len, NULL, "UTF-8", HTML_OPTIONS);
		if (!*out)
			rc = pond_error_set(err, POND_ECORRUPT, "%s: could not parse the page as HTML", what);
	}
	pond_buf_dispose(&utf8);
	pond_arena_free(&a);
	return rc;
}

/* ---- text ---------------------------------------------------------------------------------- */

typedef struct {
	pond_buf buf;
	bool space;       /* a space is due before the next character */
	bool skip_tables;
} text_acc;

static void put_text(text_acc *t, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
			t->space = true;
		} else if (p[0] == 0xc2 && p[1] == 0xa0) {
			t->space = true;
			p++;
		} else {
			if (t->space && t->buf.len)
				pond_buf_putc(&t->buf, ' ');
			t->space = false;
			pond_buf_putc(&t->buf, (char)*p);
		}
	}
}

/* Elements whose start or end separates words even without spaces. */
static bool separates(const xmlChar *name)
{
	static const char *const names[] = {"br", "p", "div", "li", "td", "th", "tr", "h1", "h2", "h3",
	                                    "h4", "h5", "h6", "dd", "dt", "hr", NULL};
	for (const char *const *n = names; *n; n++)
		if (xmlStrcasecmp(name, BAD_CAST *n) == 0)
			return true;
	return false;
}

static void walk_text(text_acc *t, xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				put_text(t, (const char *)n->content);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE || depth > 512)
			continue;
		if (xmlStrcasecmp(n->name, BAD_CAST "script") == 0 || xmlStrcasecmp(n->name, BAD_CAST "style") == 0 ||
		    xmlStrcasecmp(n->name, BAD_CAST "template") == 0 ||
		    (t->skip_tables && xmlStrcasecmp(n->name, BAD_CAST "table") == 0))
			continue;
		bool sep = separates(n->name);
		t->space |= sep;
		walk_text(t, n->children, depth + 1);
		t->space |= sep;
	}
}

const char *pond__html_text(xmlNode *el, bool skip_tables, pond_arena *arena)
{
	text_acc t = {POND_BUF_INIT, false, skip_tables};
	walk_text(&t, el->children, 0);
	const char *out = pond_buf_ok(&t.buf) ? pond_arena_strdup(arena, t.buf.ptr ? t.buf.ptr : "") : NULL;
	pond_buf_dispose(&t.buf);
	return out;
}

/* ---- tables -------------------------------------------------------------------------------- */

static bool named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && xmlStrcasecmp(n->name, BAD_CAST name) == 0;
}

/* The rows of table (its own, not those of tables nested in its cells),
 * in document order, into *rows. */
static int table_rows(xmlNode ***rows, size_t *nrows, xmlNode *table, pond_arena *a)
{
	size_t cap = 0;
	*rows = NULL;
	*nrows = 0;
	xmlNode *n = table->children;
	while (n) {
		bool descend = n->type == XML_ELEMENT_NODE && !named(n, "table") && !named(n, "tr");
		if (named(n, "tr")) {
			if (!pond_arena_grow(a, (void **)rows, *nrows, &cap, sizeof(**rows)))
				return POND_ENOMEM;
			(*rows)[(*nrows)++] = n;
		}
		if (descend && n->children) {
			n = n->children;
			continue;
		}
		while (n && n != table && !n->next)
			n = n->parent;
		n = n && n != table ? n->next : NULL;
	}
	return 0;
}

static int64_t span_attr(xmlNode *cell, const char *name, int64_t dflt, int64_t max)
{
	xmlChar *v = xmlGetProp(cell, BAD_CAST name);
	int64_t n = dflt;
	if (v) {
		const char *p = (const char *)v;
		while (*p == ' ')
			p++;
		int64_t k = 0;
		bool digits = false;
		while (isdigit((unsigned char)*p) && k <= max)
			k = k * 10 + (*p++ - '0'), digits = true;
		n = digits ? (k > max ? max : k) : dflt;
	}
	xmlFree(v);
	return n;
}

/* Cells carried down by rowspan, per column. */
typedef struct {
	int64_t left;
	const char *text;
} carry;

typedef struct {
	const char **cells;    /* this row's, by column */
	size_t n, cap;
} grid_row;

static bool row_put(grid_row *r, size_t col, const char *text, pond_arena *a)
{
	while (r->n <= col) {
		if (!pond_arena_grow(a, (void **)&r->cells, r->n, &r->cap, sizeof(char *)))
			return false;
		r->cells[r->n++] = NULL;
	}
	r->cells[col] = text;
	return true;
}

/* Places carried cells into r from column *col while they occupy it. */
static bool place_carried(grid_row *r, size_t *col, carry *carries, size_t ncarries, pond_arena *a)
{
	while (*col < ncarries && carries[*col].left > 0) {
		if (!row_put(r, *col, carries[*col].text, a))
			return false;
		carries[*col].left--;
		(*col)++;
	}
	return true;
}

/* Lays out one <tr>; header tells whether all its cells are <th>. */
static bool layout_row(grid_row *r, bool *header, xmlNode *tr, size_t rows_left, carry **carries, size_t *ncarries,
                       pond_arena *a)
{
	size_t col = 0;
	bool any = false;
	*header = true;
	for (xmlNode *c = tr->children; c; c = c->next) {
		if (!named(c, "td") && !named(c, "th"))
			continue;
		any = true;
		*header &= named(c, "th");
		if (!place_carried(r, &col, *carries, *ncarries, a))
			return false;
		int64_t colspan = span_attr(c, "colspan", 1, 1000), rowspan = span_attr(c, "rowspan", 1, 65534);
		if (colspan < 1)
			colspan = 1;
		if (rowspan == 0 || (size_t)rowspan > rows_left)
			rowspan = (int64_t)rows_left;  /* 0: to the end of the table */
		const char *text = pond__html_text(c, true, a);
		for (int64_t k = 0; k < colspan; k++, col++) {
			if (!text || !row_put(r, col, text, a))
				return false;
			if (col >= *ncarries) {
				size_t cap = *ncarries;
				carry *grown = pond_arena_calloc(a, col + 16, sizeof(carry));
				if (!grown)
					return false;
				if (cap)
					memcpy(grown, *carries, cap * sizeof(carry));
				*carries = grown;
				*ncarries = col + 16;
			}
			(*carries)[col] = (carry){rowspan - 1, text};
		}
	}
	/* Cells carried past the row's own. */
	for (; col < *ncarries; col++)
		if ((*carries)[col].left > 0 && !place_carried(r, &col, *carries, *ncarries, a))
			return false;
	*header &= any;
	return true;
}

int pond__html_table_grid(html_grid *out, xmlNode *table, pond_arena *a, pond_error *err)
{
	memset(out, 0, sizeof(*out));
	xmlNode **trs;
	size_t ntrs;
	if (table_rows(&trs, &ntrs, table, a) != 0)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	grid_row *rows = pond_arena_calloc(a, ntrs ? ntrs : 1, sizeof(*rows));
	bool *header = pond_arena_calloc(a, ntrs ? ntrs : 1, sizeof(bool));
	carry *carries = NULL;
	size_t ncarries = 0, ncols = 0;
	if (!rows || !header)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < ntrs; i++) {
		if (!layout_row(&rows[i], &header[i], trs[i], ntrs - i, &carries, &ncarries, a))
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		if (rows[i].n > ncols)
			ncols = rows[i].n;
	}
	size_t total;
	if (pond_mul_overflows(ntrs, ncols, &total) || !(out->cells = pond_arena_calloc(a, total ? total : 1,
	                                                                                  sizeof(char *))))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < ntrs; i++)
		for (size_t c = 0; c < rows[i].n; c++)
			out->cells[i * ncols + c] = rows[i].cells[c];
	out->is_header_row = header;
	out->nrows = ntrs;
	out->ncols = ncols;
	return 0;
}

const char **pond__html_column_names(const char *const *headers, size_t n, pond_arena *a)
{
	const char **names = pond_arena_calloc(a, n ? n : 1, sizeof(char *));
	if (!names)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *h = headers[i] ? headers[i] : "";
		char *name = pond_arena_alloc(a, strlen(h) + 48);
		if (!name)
			return NULL;
		size_t len = 0;
		for (const unsigned char *p = (const unsigned char *)h; *p; p++) {
			bool nbsp = p[0] == 0xc2 && p[1] == 0xa0;
			p += nbsp;
			if (!nbsp && (isalnum(*p) || *p >= 0x80))
				name[len++] = (char)tolower(*p);
			else if (len && name[len - 1] != '_')
				name[len++] = '_';
		}
		while (len && name[len - 1] == '_')
			len--;
		name[len] = '\0';
		if (len == 0)
			sprintf(name, "column_%zu", i + 1);
		/* A repeat (a colspan header, two empty ones) gets _2, _3. */
		const char *base = pond_arena_strdup(a, name);
		for (int k = 2;; k++) {
			bool taken = false;
			for (size_t j = 0; j < i && !taken; j++)
				taken = strcmp(names[j], name) == 0;
			if (!taken)
				break;
			sprintf(name, "%s_%d", base, k);
		}
		names[i] = name;
	}
	return names;
}
