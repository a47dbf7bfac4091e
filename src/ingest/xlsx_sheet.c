/*
 * A worksheet's cells (ECMA-376 Part 1, 18.3.1): <row r="N"> elements in
 * order, each with <c r="B3" s="style" t="type"> cells holding a value in
 * <v> (a number, a shared string's index, a boolean, an error, a formula's
 * cached result) or an inline string in <is>. r attributes may be left
 * out: a row is then the one after the last, a cell the column after the
 * last. Each cell in the
 * region is kept, typed, in its column, and numbers whose style has a date
 * or time format become microseconds in the book's date system. The sheet
 * streams through libxml2's SAX2 push parser in 64 kB pieces of the
 * inflating zip entry.
 */
#include "xlsx.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#define XLSX_MAX_COLS 16384
#define XLSX_MAX_ROWS 1048576
#define US_PER_DAY 86400000000LL

#define XLSX_MAX_REGION_CELLS 100000000



/* ---- references and ranges ------------------------------------------------------ */

/* Column letters at *p (advanced past them); 0 when none or too many. */
static int32_t parse_letters(const char **p)
{
	int32_t col = 0;
	int n = 0;
	while (isalpha((unsigned char)**p)) {
		if (++n > 3)
			return 0;
		col = col * 26 + (toupper((unsigned char)**p) - 'A' + 1);
		(*p)++;
	}
	return col <= XLSX_MAX_COLS ? col : 0;
}

/* A row number at *p (advanced); 0 when none, -1 when out of bounds. */
static int32_t parse_row(const char **p)
{
	int64_t row = 0;
	int n = 0;
	while (isdigit((unsigned char)**p)) {
		row = row * 10 + (**p - '0');
		(*p)++;
		if (++n > 8)
			return -1;
	}
	return row > XLSX_MAX_ROWS || (n && row == 0) ? -1 : (int32_t)row;
}

bool pond__xlsx_ref_parse(const char *ref, int32_t *col, int32_t *row)
{
	const char *p = ref;
	if (*p == '$')
		p++;
	*col = parse_letters(&p);
	if (*p == '$')
		p++;
	*row = parse_row(&p);
	return *col > 0 && *row >= 0 && *p == '\0';
}

bool pond__xlsx_range_parse(const char *text, xlsx_range *out)
{
	memset(out, 0, sizeof(*out));
	const char *colon = strchr(text, ':');
	char first[32], second[32] = "";
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	if (n == 0 || n >= sizeof(first) || (colon && strlen(colon + 1) >= sizeof(second)))
		return false;
	memcpy(first, text, n);
	first[n] = '\0';
	if (colon)
		snprintf(second, sizeof(second), "%s", colon + 1);
	if (!pond__xlsx_ref_parse(first, &out->col1, &out->row1))
		return false;
	if (!colon)
		return true;
	if (!pond__xlsx_ref_parse(second, &out->col2, &out->row2))
		return false;
	/* "B:F" and "B3:F200"; "B3:F" is every row from 3. "B:F9" is not. */
	if (out->row1 == 0 && out->row2 != 0)
		return false;
	return out->col2 >= out->col1 && (out->row2 == 0 || out->row2 >= out->row1);
}

void pond__xlsx_col_name(char out[4], int32_t col)
{
	char rev[4];
	int n = 0;
	while (col > 0 && n < 3) {
		col--;
		rev[n++] = (char)('A' + col % 26);
		col /= 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
}

/* ---- dates ------------------------------------------------------------------------------ */

bool pond__xlsx_serial_to_us(double serial, bool date1904, int64_t *out)
{
	/* 9999-12-31 is serial 2958465 (1900) or 2957003 (1904). */
	if (!(serial >= 0 && serial < (date1904 ? 2957004.0 : 2958466.0)))
		return false;
	double day = floor(serial);
	int64_t d = (int64_t)day;
	/* Excel keeps times to the millisecond, and at today's serials a
	 * double's last bit is over half a microsecond. */
	int64_t us = llround((serial - day) * 86400000.0) * 1000;
	if (us >= US_PER_DAY) {
		d++;
		us -= US_PER_DAY;
	}
	int64_t unix_days;
	if (date1904) {
		unix_days = d - 24107;  /* 1904-01-01 */
	} else {
		/* Serial 60 is Excel's 1900-02-29, which did not exist; the
		 * serials before it count from 1899-12-31. */
		if (d >= 1 && d < 60)
			d++;
		unix_days = d - 25569;  /* 1899-12-30 */
	}
	*out = unix_days * US_PER_DAY + us;
	return true;
}

/* An ISO 8601 date or date-time (t="d" cells): *kind DATE or DATETIME. */
static bool parse_iso(const char *s, int64_t *us, xlsx_kind *kind)
{
	int y, m, d, hh = 0, mm = 0, n = 0;
	double ss = 0;
	if (sscanf(s, "%d-%d-%d%n", &y, &m, &d, &n) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	*kind = XLSX_DATE;
	if (s[n] == 'T' || s[n] == ' ') {
		if (sscanf(s + n + 1, "%d:%d:%lf", &hh, &mm, &ss) < 2)
			return false;
		*kind = XLSX_DATETIME;
	}
	*us = pond_days_from_civil(y, (unsigned)m, (unsigned)d) * US_PER_DAY + (int64_t)hh * 3600000000LL +
	      (int64_t)mm * 60000000LL + llround(ss * 1e6);
	return true;
}

/* What a number in a cell of this style is. */
static void number_cell(xlsx_cell *cell, double v, xlsx_kind style, bool date1904)
{
	cell->kind = XLSX_NUMBER;
	cell->v.num = v;
	if (style == XLSX_NUMBER)
		return;
	if (style == XLSX_TIME && v >= 0 && v < 1) {
		int64_t us = llround(v * 86400000.0) * 1000;
		cell->kind = XLSX_TIME;
		cell->v.us = us < US_PER_DAY ? us : US_PER_DAY - 1;
		return;
	}
	int64_t us;
	if (!pond__xlsx_serial_to_us(v, date1904, &us))
		return;
	cell->kind = style == XLSX_DATE && v == floor(v) ? XLSX_DATE : XLSX_DATETIME;
	cell->v.us = us;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct {
	xlsx_book *book;
	xmlParserCtxtPtr ctxt;
	const char *sheet;        /* name, for errors */
	xlsx_range range;
	bool date1904;
	const volatile int *cancel;
	pond_arena *arena;        /* inline strings */
	pond_buf text;
	pond_error *err;
	int rc;                   /* the first failure; the parser is stopped */
	bool done;                /* past the rows wanted: stopped */
	/* element names, interned in the parser's dictionary */
	const xmlChar *n_sheetdata, *n_row, *n_c, *n_v, *n_is, *n_r, *n_t;
	int depth;
	bool in_data, in_cell, in_is, run, collect, has_value;
	int cell_depth, is_depth;
	char type;                /* the cell's t: n, s, t (str), i (inlineStr), b, e, d */
	size_t style;
	int64_t rows_seen;
	int32_t row, col;         /* the cell being read */
	int32_t start_row;        /* the region's first row; 0 until known */
	int32_t min_col, max_col, last_row;
	struct xlsx_column_cells *cols;   /* by column - 1 */
	size_t ncols;
	int64_t errors;
} sheet_reader;

/* An error naming the file, the sheet and the cell being read (the row
 * when between cells; neither before the first row). */
static int cell_error(sheet_reader *s, int code, const char *fmt, const char *arg)
{
	char where[32] = "";
	if (s->row > 0 && s->col > 0) {
		memcpy(where, ": cell ", 8);
		pond__xlsx_col_name(where + 7, s->col);
		snprintf(where + strlen(where), sizeof(where) - strlen(where), "%d", s->row);
	} else if (s->row > 0) {
		snprintf(where, sizeof(where), ": row %d", s->row);
	}
	pond_error_set(s->err, code, fmt, arg);
	return pond_error_prefix(s->err, "%s: sheet \"%s\"%s", pond__xlsx_book_what(s->book), s->sheet, where);
}

/* Stops the parse with rc (the error already set). */
static void stop(sheet_reader *s, int rc)
{
	if (rc && !s->rc)
		s->rc = rc;
	xmlStopParser(s->ctxt);
}

/* Puts cell (not empty) at the current row and column. A column keeps
 * only the cells it has, with their rows: memory follows the cells in the
 * file, not the region they span. */
static int store(sheet_reader *s, const xlsx_cell *cell)
{
	if (s->start_row == 0)
		s->start_row = s->row;
	if (s->row < s->start_row)
		return cell_error(s, POND_ECORRUPT, "%s", "rows out of order");
	if ((size_t)s->col > s->ncols) {
		struct xlsx_column_cells *grown = pond_reallocarray(s->cols, (size_t)s->col, sizeof(*grown));
		if (!grown)
			return pond_error_set(s->err, POND_ENOMEM, "out of memory");
		memset(grown + s->ncols, 0, ((size_t)s->col - s->ncols) * sizeof(*grown));
		s->cols = grown;
		s->ncols = (size_t)s->col;
	}
	struct xlsx_column_cells *c = &s->cols[s->col - 1];
	uint32_t idx = (uint32_t)(s->row - s->start_row);
	if (c->len && c->rows[c->len - 1] >= idx) {
		if (c->rows[c->len - 1] > idx)
			return cell_error(s, POND_ECORRUPT, "%s", "rows out of order");
		c->cells[c->len - 1] = *cell;  /* the same cell again: the last one counts */
		return 0;
	}
	if (c->len == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		xlsx_cell *cells = pond_reallocarray(c->cells, cap, sizeof(*cells));
		if (cells)
			c->cells = cells;
		uint32_t *rows = cells ? pond_reallocarray(c->rows, cap, sizeof(*rows)) : NULL;
		if (!rows)
			return pond_error_set(s->err, POND_ENOMEM, "out of memory");
		c->rows = rows;
		c->cap = cap;
	}
	c->cells[c->len] = *cell;
	c->rows[c->len++] = idx;
	if (s->min_col == 0 || s->col < s->min_col)
		s->min_col = s->col;
	if (s->col > s->max_col)
		s->max_col = s->col;
	if (s->row > s->last_row)
		s->last_row = s->row;
	return 0;
}

/* Most numbers in a sheet are whole: read up to 15 digits without
 * strtod (exact in a double). False for anything else. */
static bool parse_integer(const char *p, double *out)
{
	bool neg = *p == '-';
	p += neg;
	int64_t v = 0;
	int n = 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || ++n > 15)
			return false;
		v = v * 10 + (*p - '0');
	}
	if (n == 0)
		return false;
	*out = neg ? -(double)v : (double)v;
	return true;
}

/* The cell's value from its type attribute and text. */
static int make_cell(sheet_reader *s, xlsx_cell *cell)
{
	const char *text = s->text.ptr ? s->text.ptr : "";
	cell->kind = XLSX_EMPTY;
	/* An empty <v/>: a formula never calculated (openpyxl writes these). */
	if (!text[0] && s->type != 'i' && s->type != 't')
		return 0;
	switch (s->type) {
	case 's': {
		char *end;
		size_t count;
		unsigned long idx = strtoul(text, &end, 10);
		const char *str = pond__xlsx_shared_string(s->book, end != text && *end == '\0' ? idx : SIZE_MAX, &count);
		if (!str) {
			char msg[128];
			snprintf(msg, sizeof(msg), "shared string \"%.40s\" does not exist (the workbook has %zu)", text, count);
			return cell_error(s, POND_ECORRUPT, "%s", msg);
		}
		cell->kind = XLSX_TEXT;
		cell->v.text = str;
		return 0;
	}
	case 'i': case 't': {  /* inlineStr, str (a formula's text) */
		char *copy = pond_arena_strndup(s->arena, text, s->text.len);
		if (!copy || !pond_buf_ok(&s->text))
			return pond_error_set(s->err, POND_ENOMEM, "out of memory");
		pond__xlsx_unescape(copy);
		cell->kind = XLSX_TEXT;
		cell->v.text = copy;
		return 0;
	}
	case 'b':
		cell->kind = XLSX_BOOL;
		cell->v.num = strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0;
		return 0;
	case 'e':
		cell->kind = XLSX_ERROR;
		return 0;
	case 'd': {
		xlsx_kind kind;
		if (!parse_iso(text, &cell->v.us, &kind))
			return cell_error(s, POND_ECORRUPT, "\"%.40s\" is not an ISO 8601 date", text);
		cell->kind = kind;
		return 0;
	}
	default: {
		double v;
		if (!parse_integer(text, &v)) {
			char *end;
			v = strtod(text, &end);
			while (isspace((unsigned char)*end))
				end++;
			if (end == text || *end || !isfinite(v))
				return cell_error(s, POND_ECORRUPT, "\"%.40s\" is not a number", text);
		}
		number_cell(cell, v, pond__xlsx_style_kind(s->book, s->style), s->date1904);
		return 0;
	}
	}
}

/* SAX2 gives an attribute as 5 pointers: local name, prefix, URI, and the
 * value's start and end (not NUL-terminated). Copies a short value. */
static const char *attr_value(const xmlChar **a, char *buf, size_t cap)
{
	size_t n = (size_t)(a[4] - a[3]);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, a[3], n);
	buf[n] = '\0';
	return buf;
}

/* <row r="N">: the row (the one after the last when r is missing). */
static int start_row(sheet_reader *s, int nattr, const xmlChar **attrs)
{
	int32_t row = s->row + 1;
	for (int i = 0; i < nattr; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (a[0][0] == 'r' && a[0][1] == '\0') {
			char v[24];
			const char *p = attr_value(a, v, sizeof(v));
			int32_t given = parse_row(&p);
			if (given <= 0 || *p) {
				/* Named as the row after the last one read. */
				s->row = row;
				s->col = 0;
				return cell_error(s, POND_ECORRUPT, "bad row number \"%.20s\"", v);
			}
			row = given;
		}
	}
	s->row = row;
	s->col = 0;
	if (s->range.row2 && row > s->range.row2)
		s->done = true;
	if ((++s->rows_seen & 4095) == 0 && s->cancel && *s->cancel)
		return pond_error_set(s->err, POND_ECANCELED, "interrupted: nothing was committed");
	return 0;
}

/* <c r="B3" s="1" t="s">: where the cell is (the column after the last
 * when r is missing), its style and type. */
static int start_cell(sheet_reader *s, int nattr, const xmlChar **attrs)
{
	s->type = 'n';
	s->style = 0;
	s->col++;
	for (int i = 0; i < nattr; i++) {
		const xmlChar **a = attrs + 5 * i;
		if (a[0][1] != '\0')
			continue;
		char v[24];
		switch (a[0][0]) {
		case 'r': {
			int32_t col, row;
			if (!pond__xlsx_ref_parse(attr_value(a, v, sizeof(v)), &col, &row))
				return cell_error(s, POND_ECORRUPT, "bad cell reference \"%.20s\"", v);
			s->col = col;
			if (row > 0)
				s->row = row;
			break;
		}
		case 's': s->style = strtoul(attr_value(a, v, sizeof(v)), NULL, 10); break;
		case 't':
			attr_value(a, v, sizeof(v));
			/* s, str, inlineStr, b, e, n, d */
			s->type = v[0] == 's' && v[1] == 't' ? 't' : v[0];
			break;
		default: break;
		}
	}
	pond_buf_clear(&s->text);
	s->in_cell = true;
	s->has_value = false;
	s->cell_depth = s->depth;
	return 0;
}

/* </c>: stores the value when the cell has one within the region. */
static int end_cell(sheet_reader *s)
{
	s->in_cell = s->in_is = s->collect = false;
	if (!s->has_value || s->col < s->range.col1 || (s->range.col2 && s->col > s->range.col2) ||
	    (s->range.row1 && s->row < s->range.row1))
		return 0;
	xlsx_cell cell;
	int rc = make_cell(s, &cell);
	if (rc || cell.kind == XLSX_EMPTY)
		return rc;
	if (cell.kind == XLSX_ERROR)
		s->errors++;
	return store(s, &cell);
}

static void on_start(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri, int nns,
                     const xmlChar **ns, int nattr, int ndefaulted, const xmlChar **attrs)
{
	(void)prefix, (void)uri, (void)nns, (void)ns, (void)ndefaulted;
	sheet_reader *s = ctx;
	s->depth++;
	int rc = 0;
	if (!s->in_data) {
		s->in_data = name == s->n_sheetdata;
	} else if (s->in_cell) {
		/* <v>text</v>, or <is><t/></is>, or <is><r><rPr/><t/></r>...</is>;
		 * not <f> (the formula) nor <rPh> (phonetic runs). */
		if (name == s->n_v) {
			s->has_value = s->collect = true;
		} else if (name == s->n_is && s->type == 'i') {
			s->has_value = s->in_is = true;
			s->is_depth = s->depth;
		} else if (s->in_is) {
			if (s->depth == s->is_depth + 1)
				s->run = name == s->n_r;
			s->collect = name == s->n_t && (s->depth == s->is_depth + 1 || (s->depth == s->is_depth + 2 && s->run));
		}
	} else if (name == s->n_c) {
		rc = start_cell(s, nattr, attrs);
	} else if (name == s->n_row) {
		rc = start_row(s, nattr, attrs);
	}
	if (rc || s->done)
		stop(s, rc);
}

static void on_end(void *ctx, const xmlChar *name, const xmlChar *prefix, const xmlChar *uri)
{
	(void)prefix, (void)uri;
	sheet_reader *s = ctx;
	int rc = 0;
	if (s->in_cell) {
		if (s->depth == s->cell_depth)
			rc = end_cell(s);
		else
			s->collect = false;
	} else if (s->in_data && name == s->n_sheetdata) {
		s->in_data = false;
		s->done = true;
	}
	s->depth--;
	if (rc || s->done)
		stop(s, rc);
}

static void on_text(void *ctx, const xmlChar *ch, int len)
{
	sheet_reader *s = ctx;
	if (s->collect)
		pond_buf_put(&s->text, ch, (size_t)len);
}

static void on_error(void *ctx, xmlErrorPtr e)
{
	sheet_reader *s = ctx;
	if (s->rc || !e || e->level < XML_ERR_ERROR)
		return;
	char msg[256];
	snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "malformed XML");
	for (size_t n = strlen(msg); n && (msg[n - 1] == '\n' || msg[n - 1] == ' ');)
		msg[--n] = '\0';
	s->rc = cell_error(s, POND_ECORRUPT, "malformed XML: %s", msg);
}

/* Streams the sheet's XML from the zip through libxml2's SAX2 push
 * parser: no tree, no node per element, which is what makes it several
 * times faster than xmlTextReader on a big sheet. */
static int parse_sheet(sheet_reader *s, const char *entry)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.serror = on_error;
	void *zf;
	int rc = pond__xlsx_entry_open(&zf, s->book, entry, s->err);
	if (rc)
		return rc;
	char buf[1 << 16];
	const char *why = NULL;
	int64_t n = pond__xlsx_entry_read(zf, buf, sizeof(buf), &why);
	s->ctxt = n >= 0 ? xmlCreatePushParserCtxt(&sax, s, buf, (int)n, entry) : NULL;
	if (s->ctxt) {
		xmlCtxtUseOptions(s->ctxt, XML_PARSE_NONET);
		xmlDictPtr dict = s->ctxt->dict;
		s->n_sheetdata = xmlDictLookup(dict, BAD_CAST "sheetData", -1);
		s->n_row = xmlDictLookup(dict, BAD_CAST "row", -1);
		s->n_c = xmlDictLookup(dict, BAD_CAST "c", -1);
		s->n_v = xmlDictLookup(dict, BAD_CAST "v", -1);
		s->n_is = xmlDictLookup(dict, BAD_CAST "is", -1);
		s->n_r = xmlDictLookup(dict, BAD_CAST "r", -1);
		s->n_t = xmlDictLookup(dict, BAD_CAST "t", -1);
		while (n > 0 && !s->rc && !s->done) {
			if ((n = pond__xlsx_entry_read(zf, buf, sizeof(buf), &why)) < 0)
				break;
			xmlParseChunk(s->ctxt, buf, (int)n, n == 0);
		}
		if (n == 0 && !s->rc && !s->done)
			xmlParseChunk(s->ctxt, NULL, 0, 1);
	}
	if (n < 0 && !s->rc)
		s->rc = cell_error(s, POND_ECORRUPT, "could not inflate the sheet: %s", why);
	else if (!s->ctxt && !s->rc)
		s->rc = pond_error_set(s->err, POND_ENOMEM, "out of memory");
	else if (!s->rc && !s->done && !s->ctxt->wellFormed)
		s->rc = cell_error(s, POND_ECORRUPT, "%s", "malformed XML");
	if (s->ctxt) {
		xmlFreeDoc(s->ctxt->myDoc);
		xmlFreeParserCtxt(s->ctxt);
	}
	pond__xlsx_entry_close(&zf);
	return s->rc;
}

/* The region of what was read: the range's sides where it gives them,
 * else the cells that hold values. Takes s->cols. */
static int make_sheet(xlsx_sheet **out, sheet_reader *s, const char *name)
{
	xlsx_sheet *sh = pond_calloc(1, sizeof(*sh));
	if (!sh)
		return pond_error_set(s->err, POND_ENOMEM, "out of memory");
	int32_t first_col = s->range.col1 ? s->range.col1 : s->min_col;
	int32_t last_col = s->range.col2 ? s->range.col2 : s->max_col;
	sh->name = pond_arena_strdup(s->arena, name);
	sh->arena = s->arena;
	s->arena = NULL;
	sh->first_col = first_col;
	sh->first_row = s->start_row ? s->start_row : 1;
	sh->ncols = first_col > 0 && last_col >= first_col ? (size_t)(last_col - first_col + 1) : 0;
	sh->nrows = s->last_row >= sh->first_row && s->last_row > 0 ? (size_t)(s->last_row - sh->first_row + 1) : 0;
	sh->errors = s->errors;
	if (sh->ncols && sh->nrows > XLSX_MAX_REGION_CELLS / sh->ncols) {
		pond_error_set(s->err, POND_ELIMIT,
		               "%s: sheet \"%s\": %zu rows by %zu columns is over %d cells: give a range (--range, range:)",
		               pond__xlsx_book_what(s->book), s->sheet, sh->nrows, sh->ncols, XLSX_MAX_REGION_CELLS);
		pond__xlsx_sheet_free(&sh);
		return s->err ? s->err->code : POND_ELIMIT;
	}
	sh->cols = pond_calloc(sh->ncols ? sh->ncols : 1, sizeof(*sh->cols));
	if (!sh->cols || !sh->name) {
		pond__xlsx_sheet_free(&sh);
		return pond_error_set(s->err, POND_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->ncols; i++) {
		if ((int32_t)i + 1 >= first_col && (size_t)((int32_t)i + 1 - first_col) < sh->ncols) {
			sh->cols[i + 1 - (size_t)first_col] = s->cols[i];
		} else {
			pond_free(s->cols[i].cells);
			pond_free(s->cols[i].rows);
		}
	}
	pond_free(s->cols);
	s->cols = NULL;
	s->ncols = 0;
	*out = sh;
	return 0;
}

int pond__xlsx_sheet_read(xlsx_sheet **out, xlsx_book *book, const char *sheet, const char *range,
                          const volatile int *cancel, pond_error *err)
{
	sheet_reader s;
	memset(&s, 0, sizeof(s));
	s.book = book;
	s.err = err;
	s.date1904 = pond__xlsx_book_date1904(book);
	if (range && !pond__xlsx_range_parse(range, &s.range))
		return pond_error_set(err, POND_EINVAL, "%s: bad range \"%s\" (expected cells such as B3:F200, B3 or B:F)",
		                      pond__xlsx_book_what(book), range);
	s.start_row = s.range.row1;
	const char *entry;
	int rc = pond__xlsx_book_find_sheet(book, sheet, &entry, &s.sheet, err);
	if (rc)
		return rc;
	if (!(s.arena = pond_arena_new()))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	s.cancel = cancel;
	rc = parse_sheet(&s, entry);
	if (rc == 0 && !pond_buf_ok(&s.text))
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	if (rc == 0)
		rc = make_sheet(out, &s, s.sheet);
	pond_buf_dispose(&s.text);
	for (size_t i = 0; i < s.ncols; i++) {
		pond_free(s.cols[i].cells);
		pond_free(s.cols[i].rows);
	}
	pond_free(s.cols);
	pond_arena_free(&s.arena);
	return rc;
}

const xlsx_cell *pond__xlsx_cell(const xlsx_sheet *sh, size_t r, size_t c)
{
	static const xlsx_cell empty;
	const struct xlsx_column_cells *col = &sh->cols[c];
	size_t lo = 0, hi = col->len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (col->rows[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < col->len && col->rows[lo] == r ? &col->cells[lo] : &empty;
}

void pond__xlsx_sheet_free(xlsx_sheet **psh)
{
	xlsx_sheet *sh = *psh;
	if (!sh)
		return;
	for (size_t i = 0; sh->cols && i < sh->ncols; i++) {
		pond_free(sh->cols[i].cells);
		pond_free(sh->cols[i].rows);
	}
	pond_free(sh->cols);
	pond_arena_free(&sh->arena);
	pond_free(sh);
	*psh = NULL;
}
