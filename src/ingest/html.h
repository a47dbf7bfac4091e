/*
 * Internals of the web-page source (type: html): a small CSS selector
 * engine over libxml2's HTML tree (css.c), the parsers of typed cell text
 * (html_value.c), a page's decoding and the tables and rows taken from it
 * (html_page.c), and the polite fetching of pages (html_source.c). Unit
 * tests reach them through this header.
 */
#ifndef POND_INGEST_HTML_H
#define POND_INGEST_HTML_H

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "ingest_internal.h"

/* ---- CSS selectors (css.c) -------------------------------------------------------------
 * The supported subset: type selectors (tag, *), #id, .class, [attr],
 * [attr=v], [attr~=v], [attr^=v], [attr$=v], [attr*=v], :first-child,
 * :last-child, :nth-child(an+b | odd | even), :nth-of-type(...), the
 * descendant (space) and child (>) combinators, and comma lists. A
 * selector used relative to an element (a row) matches that element's
 * descendants; a leading ">" asks for its children. */

typedef struct pond_css pond_css;

/* Parses text; errors name the selector and the position. */
int pond__css_parse(pond_css **out, const char *text, pond_arena *arena, pond_error *err);
/* Whether el (an element under scope) matches; scope bounds the
 * combinators' walk up (NULL: the document). */
bool pond__css_matches(const pond_css *sel, xmlNode *el, xmlNode *scope);
/* The elements under scope (a document or an element; not scope itself)
 * that match, in document order; *out in arena. Returns the count, or
 * (size_t)-1 when out of memory. */
size_t pond__css_select(xmlNode ***out, const pond_css *sel, xmlNode *scope, pond_arena *arena);
/* The first such element, or NULL. */
xmlNode *pond__css_first(const pond_css *sel, xmlNode *scope);
/* The selector's text as given. */
const char *pond__css_text(const pond_css *sel);

/* ---- typed cell text (html_value.c) ---------------------------------------------------- */

typedef enum {
	HTML_TEXT = 0,
	HTML_INTEGER,     /* BIGINT */
	HTML_NUMBER,      /* DOUBLE; a trailing % is allowed and ignored */
	HTML_PERCENT,     /* DOUBLE; "12.5%" is 0.125 */
	HTML_DATE,        /* DATE, read with a format */
	HTML_TIMESTAMP,   /* TIMESTAMP, read with a format */
} html_type;

/* How numbers are written on a page. */
typedef struct {
	char decimal;      /* '.' or ',' */
	char thousands;    /* ',', '.', ' ', '\'' or 0 (none); spaces are always allowed */
} html_number_format;

/* Reads a number as pages write them: thousands separators, a decimal
 * mark, a sign (also U+2212), parentheses for negatives, currency symbols
 * ($ € £ ¥ and letters such as USD) before or after, a trailing %. The
 * value as a plain decimal ("-1234.5") in out (at most outcap bytes); *pct
 * tells whether a % was there. False when the text is not a number. */
bool pond__html_parse_number(const char *text, const html_number_format *fmt, char *out, size_t outcap, bool *pct);
/* Reads text with a strptime-like format: %Y %y %m %d %e %H %I %M %S %f
 * %p %b %B %j %z and %% (English month names; any other character
 * matches itself, a space any run of spaces). *days gets the date (days
 * since 1970-01-01), *us the time of day plus an offset from %z in
 * microseconds. False when text does not match the format. */
bool pond__html_parse_datetime(const char *text, const char *format, int64_t *days, int64_t *us);
/* Whether text is one of the null strings (NULL: the defaults "", "-",
 * "–", "—", "n/a", "N/A", "NA"), compared without case for ASCII. */
bool pond__html_is_null(const char *text, const char *const *nulls);

/* ---- the source's configuration ---------------------------------------------------------- */

typedef struct {
	const char *name;          /* the table column */
	html_type type;
	const char *format;        /* dates and timestamps */
	bool optional;             /* rows: a selector that matches nothing is NULL, not an error */
	/* rows: where the value is: a selector relative to the row (NULL: the
	 * row itself) and an attribute (NULL: the text). */
	const char *spec;          /* as written, for errors */
	pond_css *select;
	const char *attr;
} html_column;

typedef struct html_config {
	/* Pages: url, with {page} over a range; or a next link. */
	const char *url;
	bool range;
	int64_t range_from, range_to, range_step;
	pond_css *next;              /* NULL: no next link */
	int64_t max_pages;           /* default 100 */
	int64_t delay_ms;            /* between requests to one host; default 1000 */
	/* Rows: a <table> (by selector or 1-based index), or repeated elements. */
	pond_css *table;
	int64_t table_index;         /* 0: by selector */
	bool header;                 /* table: the first row names the columns (default true) */
	pond_css *rows;
	html_column *columns;        /* rows: the columns; table: types by column name */
	size_t ncolumns;
	html_number_format number;
	const char *const *nulls;    /* NULL: the defaults */
	const char *cursor_field;    /* incremental: rows at or below the last maximum are skipped */
} html_config;

/* ---- pages (html_page.c) ---------------------------------------------------------------- */

/* The charset of a page: the HTTP Content-Type's, else a <meta charset>
 * or http-equiv in its first bytes, else NULL. In arena. */
const char *pond__html_charset(const char *content_type, const char *body, size_t len, pond_arena *arena);
/* Parses a page (any charset; converted to UTF-8 with iconv) into a tree;
 * the caller xmlFreeDoc's it. what names the page in errors. */
int pond__html_parse(htmlDocPtr *out, const char *body, size_t len, const char *content_type, const char *what,
                     pond_error *err);
/* An element's text: entities decoded, <br> a space, script and style
 * left out (and nested tables when skip_tables), whitespace runs (the
 * no-break space included) one space, trimmed. In arena. */
const char *pond__html_text(xmlNode *el, bool skip_tables, pond_arena *arena);

/* A table as a grid: colspan and rowspan expanded, nested tables left
 * out; cells[r * ncols + c] (NULL: no cell there). In arena. */
typedef struct {
	const char **cells;
	bool *is_header_row;         /* rows of <th> cells only */
	size_t nrows, ncols;
} html_grid;

int pond__html_table_grid(html_grid *out, xmlNode *table, pond_arena *arena, pond_error *err);
/* Column names from header texts: lower case, runs of other characters
 * "_", empty ones column_N, repeats given _2, _3. In arena. */
const char **pond__html_column_names(const char *const *headers, size_t n, pond_arena *arena);

/* ---- politeness (html_source.c) ---------------------------------------------------------- */

/* The clock and sleep of a run; tests inject their own. */
typedef struct {
	int64_t (*now_ms)(void *payload);
	void (*sleep_ms)(int64_t ms, void *payload);
	void *payload;
} html_clock;

/* Requests to one host are made one at a time with delay_ms between the
 * end of one and the start of the next. */
typedef struct {
	html_clock clock;
	int64_t delay_ms;
	struct { const char *host; int64_t last_ms; } *hosts;
	size_t nhosts, cap;
	pond_arena *arena;
} html_polite;

/* Waits until url's host may be asked again. */
void pond__html_polite_wait(html_polite *p, const char *url);
/* Notes that a request to url's host just ended. */
int pond__html_polite_done(html_polite *p, const char *url);

/* A relative link resolved against the page's URL, in arena; NULL when it
 * cannot be. */
const char *pond__html_resolve_url(const char *base, const char *href, pond_arena *arena);

#endif
