/*
 * An xlsx workbook's parts other than its sheets' cells: the zip (libzip),
 * a streaming XML reader over one of its entries (libxml2's xmlTextReader
 * fed by zip_fread, so nothing is inflated whole), the package
 * relationships that say where the workbook, its sheets, styles and shared
 * strings are, the date system, the number format of each cell style
 * (which is what makes a number a date), and the shared strings, rich-text
 * runs joined and phonetic runs left out. ECMA-376 Part 1, sections 18.2
 * (workbook), 18.4 (shared strings), 18.8 (styles, built-in formats in
 * 18.8.30) and Part 2 (relationships).
 */
#include "xlsx.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>
#include <zip.h>

struct xlsx_book {
	const char *what;
	zip_t *zip;
	pond_arena *arena;
	bool date1904;
	size_t nsheets;
	const char **sheet_names;
	const char **sheet_entries;   /* NULL for a chart sheet */
	uint8_t *style_kinds;         /* per cellXfs index */
	size_t nstyles;
	const char **strings;         /* shared strings (pond_malloc'd array, texts in arena) */
	size_t nstrings;
};

/* ---- XML over a zip entry ------------------------------------------------------- */

/* A streaming XML reader over one zip entry. */
typedef struct {
	zip_file_t *zf;
	xmlTextReaderPtr reader;
	char error[256];
} xlsx_xml;

static int xml_read(void *ctx, char *buf, int len)
{
	xlsx_xml *x = ctx;
	zip_int64_t n = zip_fread(x->zf, buf, (zip_uint64_t)len);
	if (n < 0) {
		snprintf(x->error, sizeof(x->error), "zip: %s", zip_file_strerror(x->zf));
		return -1;
	}
	return (int)n;
}

static int xml_close(void *ctx)
{
	(void)ctx;
	return 0;
}

static void xml_on_error(void *ctx, xmlErrorPtr e)
{
	xlsx_xml *x = ctx;
	if (x->error[0] || !e || e->level < XML_ERR_ERROR)
		return;
	snprintf(x->error, sizeof(x->error), "%s", e->message ? e->message : "malformed XML");
	size_t n = strlen(x->error);
	while (n && (x->error[n - 1] == '\n' || x->error[n - 1] == ' '))
		x->error[--n] = '\0';
}

int pond__xlsx_entry_open(void **out, xlsx_book *book, const char *entry, pond_error *err)
{
	if (!(*out = zip_fopen(book->zip, entry, ZIP_FL_NOCASE)))
		return pond_error_set(err, POND_ECORRUPT, "%s: the workbook has no part %s: %s", book->what, entry,
		                      zip_strerror(book->zip));
	return 0;
}

int64_t pond__xlsx_entry_read(void *zf, void *buf, size_t n, const char **why)
{
	zip_int64_t got = zip_fread(zf, buf, n);
	if (got < 0)
		*why = zip_file_strerror(zf);
	return got;
}

void pond__xlsx_entry_close(void **zf)
{
	if (*zf)
		zip_fclose(*zf);
	*zf = NULL;
}

static int xml_open(xlsx_xml **out, xlsx_book *book, const char *entry, pond_error *err)
{
	xlsx_xml *x = pond_calloc(1, sizeof(*x));
	if (!x)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (!(x->zf = zip_fopen(book->zip, entry, ZIP_FL_NOCASE))) {
		pond_free(x);
		return pond_error_set(err, POND_ECORRUPT, "%s: the workbook has no part %s: %s", book->what, entry,
		                      zip_strerror(book->zip));
	}
	/* No network, no entity expansion, no DTD loading: a workbook is
	 * outside input. */
	x->reader = xmlReaderForIO(xml_read, xml_close, x, entry, NULL, XML_PARSE_NONET | XML_PARSE_COMPACT);
	if (!x->reader) {
		zip_fclose(x->zf);
		pond_free(x);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	xmlTextReaderSetStructuredErrorHandler(x->reader, xml_on_error, x);
	*out = x;
	return 0;
}

/* Why the last read failed: the parser's or the zip's message. */
static const char *xml_error(xlsx_xml *x) { return x->error[0] ? x->error : "malformed XML"; }

static void xml_close_reader(xlsx_xml **px)
{
	xlsx_xml *x = *px;
	if (!x)
		return;
	xmlFreeTextReader(x->reader);
	zip_fclose(x->zf);
	pond_free(x);
	*px = NULL;
}

/* The next start element at or below the current position: 1 with *name
 * (local name) and *depth, 0 at the end, -1 on a parse error. */
static int next_element(xmlTextReaderPtr r, const char **name, int *depth)
{
	int rc;
	while ((rc = xmlTextReaderRead(r)) == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT)
			continue;
		*name = (const char *)xmlTextReaderConstLocalName(r);
		*depth = xmlTextReaderDepth(r);
		return 1;
	}
	return rc;
}

/* The value of the current element's attribute with this local name (any
 * namespace); borrowed until the reader moves. NULL when absent. */
static const char *attr(xmlTextReaderPtr r, const char *local)
{
	const char *value = NULL;
	if (xmlTextReaderMoveToFirstAttribute(r) != 1)
		return NULL;
	do {
		if (strcmp((const char *)xmlTextReaderConstLocalName(r), local) == 0) {
			value = (const char *)xmlTextReaderConstValue(r);
			break;
		}
	} while (xmlTextReaderMoveToNextAttribute(r) == 1);
	xmlTextReaderMoveToElement(r);
	return value;
}

static int part_error(xlsx_book *b, xlsx_xml *x, const char *entry, pond_error *err)
{
	return pond_error_set(err, POND_ECORRUPT, "%s: %s: %s", b->what, entry, xml_error(x));
}

/* ---- relationships ----------------------------------------------------------------- */

/* The part a relationship's target names: absolute ("/xl/x.xml"), or
 * relative to the folder of the part the relationships belong to. */
static const char *resolve_target(pond_arena *a, const char *source_part, const char *target)
{
	if (target[0] == '/')
		return pond_arena_strdup(a, target + 1);
	const char *slash = strrchr(source_part, '/');
	char *path = pond_arena_sprintf(a, "%.*s%s", slash ? (int)(slash - source_part + 1) : 0, source_part, target);
	if (!path)
		return NULL;
	/* "a/b/../c" -> "a/c" */
	char *up;
	while ((up = strstr(path, "/../"))) {
		char *start = up;
		while (start > path && start[-1] != '/')
			start--;
		memmove(start, up + 4, strlen(up + 4) + 1);
	}
	return path;
}

typedef struct {
	const char *id, *type, *target;
} xlsx_rel;

/* Reads the relationships of part (in its _rels folder); none when the
 * file is absent. */
static int read_rels(xlsx_book *b, const char *part, xlsx_rel **out, size_t *n, pond_error *err)
{
	*out = NULL;
	*n = 0;
	const char *slash = strrchr(part, '/');
	const char *rels = slash ? pond_arena_sprintf(b->arena, "%.*s_rels/%s.rels", (int)(slash - part + 1), part,
	                                              slash + 1)
	                         : pond_arena_sprintf(b->arena, "_rels/%s.rels", part);
	if (!rels)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	if (zip_name_locate(b->zip, rels, ZIP_FL_NOCASE) < 0)
		return 0;
	xlsx_xml *x;
	int rc = xml_open(&x, b, rels, err);
	if (rc)
		return rc;
	size_t cap = 0;
	const char *name;
	int depth, more;
	xmlTextReaderPtr r = x->reader;
	while ((more = next_element(r, &name, &depth)) == 1) {
		if (strcmp(name, "Relationship") != 0)
			continue;
		if (!attr(r, "Id") || !attr(r, "Type") || !attr(r, "Target"))
			continue;
		if (!pond_arena_grow(b->arena, (void **)out, *n, &cap, sizeof(**out))) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
		/* Reading an attribute moves the reader: read each again to copy it. */
		xlsx_rel *rel = &(*out)[(*n)++];
		rel->id = pond_arena_strdup(b->arena, attr(r, "Id"));
		rel->type = pond_arena_strdup(b->arena, attr(r, "Type"));
		rel->target = resolve_target(b->arena, part, attr(r, "Target"));
		if (!rel->id || !rel->type || !rel->target) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory");
			break;
		}
	}
	if (rc == 0 && more < 0)
		rc = part_error(b, x, rels, err);
	xml_close_reader(&x);
	return rc;
}

/* The target of the first relationship whose type ends with suffix. */
static const char *rel_of_type(const xlsx_rel *rels, size_t n, const char *suffix)
{
	for (size_t i = 0; i < n; i++)
		if (pond_str_ends_with(rels[i].type, suffix))
			return rels[i].target;
	return NULL;
}

/* ---- workbook -------------------------------------------------------------------------- */

/* The sheets (names and relationship ids, in order) and the date system. */
static int read_workbook(xlsx_book *b, const char *part, const char ***ids, pond_error *err)
{
	xlsx_xml *x;
	int rc = xml_open(&x, b, part, err);
	if (rc)
		return rc;
	size_t cap = 0, idcap = 0, nids = 0;
	const char *name;
	int depth, more;
	xmlTextReaderPtr r = x->reader;
	*ids = NULL;
	while (rc == 0 && (more = next_element(r, &name, &depth)) == 1) {
		if (strcmp(name, "workbookPr") == 0) {
			const char *v = attr(r, "date1904");
			b->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
		} else if (strcmp(name, "sheet") == 0) {
			const char *sheet = attr(r, "name");
			const char *sname = pond_arena_strdup(b->arena, sheet ? sheet : "");
			const char *id = attr(r, "id");
			const char *sid = pond_arena_strdup(b->arena, id ? id : "");
			if (!sname || !sid || !pond_arena_grow(b->arena, (void **)&b->sheet_names, b->nsheets, &cap,
			                                       sizeof(char *)) ||
			    !pond_arena_grow(b->arena, (void **)ids, nids, &idcap, sizeof(char *))) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			b->sheet_names[b->nsheets++] = sname;
			(*ids)[nids++] = sid;
		}
	}
	if (rc == 0 && more < 0)
		rc = part_error(b, x, part, err);
	xml_close_reader(&x);
	return rc;
}

/* ---- styles --------------------------------------------------------------------------------- */

typedef struct {
	int id;
	const char *code;
} custom_format;

static int read_styles(xlsx_book *b, const char *part, pond_error *err)
{
	xlsx_xml *x;
	int rc = xml_open(&x, b, part, err);
	if (rc)
		return rc;
	custom_format *formats = NULL;
	size_t nformats = 0, fcap = 0, scap = 0;
	int *style_ids = NULL;
	const char *name, *section = "";
	int depth, more;
	xmlTextReaderPtr r = x->reader;
	while (rc == 0 && (more = next_element(r, &name, &depth)) == 1) {
		if (depth == 1) {
			section = strcmp(name, "cellXfs") == 0 ? "cellXfs" : "";
		} else if (strcmp(name, "numFmt") == 0) {
			if (!attr(r, "numFmtId") || !attr(r, "formatCode"))
				continue;
			if (!pond_arena_grow(b->arena, (void **)&formats, nformats, &fcap, sizeof(*formats))) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			formats[nformats].id = atoi(attr(r, "numFmtId"));
			formats[nformats++].code = pond_arena_strdup(b->arena, attr(r, "formatCode"));
		} else if (depth == 2 && section[0] && strcmp(name, "xf") == 0) {
			const char *id = attr(r, "numFmtId");
			if (!pond_arena_grow(b->arena, (void **)&style_ids, b->nstyles, &scap, sizeof(int))) {
				rc = pond_error_set(err, POND_ENOMEM, "out of memory");
				break;
			}
			style_ids[b->nstyles++] = id ? atoi(id) : 0;
		}
	}
	if (rc == 0 && more < 0)
		rc = part_error(b, x, part, err);
	xml_close_reader(&x);
	if (rc)
		return rc;
	b->style_kinds = pond_arena_calloc(b->arena, b->nstyles ? b->nstyles : 1, 1);
	if (!b->style_kinds)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->nstyles; i++) {
		const char *code = NULL;
		for (size_t f = 0; f < nformats; f++)
			if (formats[f].id == style_ids[i] && formats[f].code)
				code = formats[f].code;
		b->style_kinds[i] = (uint8_t)pond__xlsx_format_kind(style_ids[i], code);
	}
	return 0;
}

/* ---- shared strings --------------------------------------------------------------------------- */

/* Appends the text nodes inside the current (non-empty) element to buf,
 * up to its end. */
static int collect_text(xmlTextReaderPtr r, pond_buf *buf)
{
	int depth = xmlTextReaderDepth(r), rc;
	while ((rc = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		if (type == XML_READER_TYPE_END_ELEMENT && xmlTextReaderDepth(r) == depth)
			return 1;
		if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE || type == XML_READER_TYPE_WHITESPACE)
			pond_buf_puts(buf, (const char *)xmlTextReaderConstValue(r));
	}
	return rc;
}

static int add_string(xlsx_book *b, pond_buf *text, size_t *cap, pond_error *err)
{
	if (b->nstrings == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		const char **grown = pond_reallocarray(b->strings, ncap, sizeof(char *));
		if (!grown)
			return pond_error_set(err, POND_ENOMEM, "out of memory");
		b->strings = grown;
		*cap = ncap;
	}
	char *s = pond_arena_strndup(b->arena, text->ptr ? text->ptr : "", text->len);
	if (!s || !pond_buf_ok(text))
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	pond__xlsx_unescape(s);
	b->strings[b->nstrings++] = s;
	return 0;
}

/* <si> holds one <t>, or rich-text runs <r><rPr/><t/></r> whose texts
 * join; <rPh> phonetic runs are a reading aid, not the text. */
static int read_shared_strings(xlsx_book *b, const char *part, pond_error *err)
{
	xlsx_xml *x;
	int rc = xml_open(&x, b, part, err);
	if (rc)
		return rc;
	pond_buf text = POND_BUF_INIT;
	size_t cap = 0;
	bool in_si = false, run = false;
	const char *name;
	int depth, more;
	xmlTextReaderPtr r = x->reader;
	while (rc == 0 && (more = next_element(r, &name, &depth)) == 1) {
		if (depth == 1) {
			if (in_si && (rc = add_string(b, &text, &cap, err)) != 0)
				break;
			in_si = strcmp(name, "si") == 0;
			pond_buf_clear(&text);
			if (in_si && xmlTextReaderIsEmptyElement(r)) {
				rc = add_string(b, &text, &cap, err);
				in_si = false;
			}
		} else if (depth == 2) {
			run = strcmp(name, "r") == 0;
		}
		if (in_si && strcmp(name, "t") == 0 && (depth == 2 || (depth == 3 && run)) &&
		    !xmlTextReaderIsEmptyElement(r) && (more = collect_text(r, &text)) != 1)
			break;
	}
	if (rc == 0 && more < 0)
		rc = part_error(b, x, part, err);
	if (rc == 0 && in_si)
		rc = add_string(b, &text, &cap, err);
	pond_buf_dispose(&text);
	xml_close_reader(&x);
	return rc;
}

void pond__xlsx_unescape(char *s)
{
	char *out = s;
	const char *p = s;
	while (*p) {
		unsigned cp;
		int used = 0;
		if (p[0] == '_' && p[1] == 'x' && sscanf(p + 2, "%4x%n", &cp, &used) == 1 && used == 4 && p[6] == '_' &&
		    isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[5])) {
			p += 7;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				unsigned lo;
				if (p[0] == '_' && p[1] == 'x' && sscanf(p + 2, "%4x%n", &lo, &used) == 1 && used == 4 &&
				    p[6] == '_' && lo >= 0xDC00 && lo <= 0xDFFF) {
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
					p += 7;
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			/* Each escape is 7 bytes and its UTF-8 at most 4: out stays behind p. */
			if (cp < 0x80) {
				*out++ = (char)cp;
			} else if (cp < 0x800) {
				*out++ = (char)(0xC0 | (cp >> 6));
				*out++ = (char)(0x80 | (cp & 0x3F));
			} else if (cp < 0x10000) {
				*out++ = (char)(0xE0 | (cp >> 12));
				*out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*out++ = (char)(0x80 | (cp & 0x3F));
			} else {
				*out++ = (char)(0xF0 | (cp >> 18));
				*out++ = (char)(0x80 | ((cp >> 12) & 0x3F));
				*out++ = (char)(0x80 | ((cp >> 6) & 0x3F));
				*out++ = (char)(0x80 | (cp & 0x3F));
			}
			continue;
		}
		*out++ = *p++;
	}
	*out = '\0';
}

/* ---- number formats ------------------------------------------------------------------------ */

xlsx_kind pond__xlsx_format_kind(int id, const char *code)
{
	if (!code) {
		if ((id >= 14 && id <= 17))
			return XLSX_DATE;
		if ((id >= 18 && id <= 21) || id == 45 || id == 47)
			return XLSX_TIME;
		if (id == 22)
			return XLSX_DATETIME;
		return XLSX_NUMBER;  /* 46 ([h]:mm:ss) is a duration */
	}
	bool date = false, time = false, month = false;
	/* Only the first section (positive numbers) counts. */
	for (const char *p = code; *p && *p != ';'; p++) {
		switch (*p) {
		case '"':
			while (p[1] && p[1] != '"')
				p++;
			if (p[1])
				p++;
			break;
		case '\\': case '_': case '*':
			if (p[1])
				p++;
			break;
		case '[': {
			const char *end = strchr(p, ']');
			if (!end)
				return XLSX_NUMBER;
			char c = (char)tolower((unsigned char)p[1]);
			if (c == 'h' || c == 'm' || c == 's')
				return XLSX_NUMBER;  /* elapsed time: a duration */
			p = end;
			break;
		}
		default: {
			char c = (char)tolower((unsigned char)*p);
			if (c == 'y' || c == 'd')
				date = true;
			else if (c == 'h' || c == 's')
				time = true;
			else if (c == 'm')
				month = true;
			break;
		}
		}
	}
	/* m is a month unless it stands with hours or seconds only. */
	if (month && !time)
		date = true;
	if (date && time)
		return XLSX_DATETIME;
	return date ? XLSX_DATE : time ? XLSX_TIME : XLSX_NUMBER;
}

/* ---- the book ----------------------------------------------------------------------------------- */

/* Where the workbook part is (the package's officeDocument relationship),
 * its sheets, styles and shared strings. */
static int read_structure(xlsx_book *b, pond_error *err)
{
	xlsx_rel *rels;
	size_t nrels;
	int rc = read_rels(b, "", &rels, &nrels, err);
	if (rc)
		return rc;
	const char *part = rel_of_type(rels, nrels, "/officeDocument");
	if (!part)
		part = "xl/workbook.xml";
	if (zip_name_locate(b->zip, part, ZIP_FL_NOCASE) < 0)
		return pond_error_set(err, POND_ECORRUPT, "%s: not an xlsx workbook (no %s in the zip)", b->what, part);
	const char **ids;
	if ((rc = read_workbook(b, part, &ids, err)) != 0 || (rc = read_rels(b, part, &rels, &nrels, err)) != 0)
		return rc;
	b->sheet_entries = pond_arena_calloc(b->arena, b->nsheets ? b->nsheets : 1, sizeof(char *));
	if (!b->sheet_entries)
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	for (size_t i = 0; i < b->nsheets; i++)
		for (size_t j = 0; j < nrels; j++)
			if (strcmp(rels[j].id, ids[i]) == 0 && pond_str_ends_with(rels[j].type, "/worksheet"))
				b->sheet_entries[i] = rels[j].target;
	const char *styles = rel_of_type(rels, nrels, "/styles");
	const char *strings = rel_of_type(rels, nrels, "/sharedStrings");
	if (styles && zip_name_locate(b->zip, styles, ZIP_FL_NOCASE) >= 0 && (rc = read_styles(b, styles, err)) != 0)
		return rc;
	if (strings && zip_name_locate(b->zip, strings, ZIP_FL_NOCASE) >= 0)
		rc = read_shared_strings(b, strings, err);
	return rc;
}

int pond__xlsx_book_open(xlsx_book **out, const char *path, const char *what, pond_error *err)
{
	xlsx_book *b = pond_calloc(1, sizeof(*b));
	if (!b || !(b->arena = pond_arena_new())) {
		pond_free(b);
		return pond_error_set(err, POND_ENOMEM, "out of memory");
	}
	b->what = pond_arena_strdup(b->arena, what);
	xmlInitParser();
	int zerr = 0;
	b->zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
	int rc = 0;
	if (!b->zip) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		rc = pond_error_set(err, zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN ? POND_ENOTFOUND : POND_ECORRUPT,
		                    "%s: %s: %s", what,
		                    zerr == ZIP_ER_NOENT || zerr == ZIP_ER_OPEN ? "could not open"
		                                                                : "not an xlsx workbook (a zip)",
		                    zip_error_strerror(&ze));
		zip_error_fini(&ze);
	}
	if (rc == 0)
		rc = read_structure(b, err);
	if (rc) {
		pond__xlsx_book_close(&b);
		return rc;
	}
	*out = b;
	return 0;
}

void pond__xlsx_book_close(xlsx_book **pb)
{
	xlsx_book *b = *pb;
	if (!b)
		return;
	if (b->zip)
		zip_discard(b->zip);
	pond_free(b->strings);
	pond_arena_free(&b->arena);
	pond_free(b);
	*pb = NULL;
}

const char *pond__xlsx_book_what(const xlsx_book *b) { return b->what; }

bool pond__xlsx_book_date1904(const xlsx_book *b) { return b->date1904; }

xlsx_kind pond__xlsx_style_kind(const xlsx_book *b, size_t style)
{
	return style < b->nstyles ? (xlsx_kind)b->style_kinds[style] : XLSX_NUMBER;
}

const char *pond__xlsx_shared_string(const xlsx_book *b, size_t idx, size_t *count)
{
	*count = b->nstrings;
	return idx < b->nstrings ? b->strings[idx] : NULL;
}

int pond__xlsx_book_find_sheet(const xlsx_book *b, const char *sheet, const char **entry, const char **name,
                               pond_error *err)
{
	if (b->nsheets == 0)
		return pond_error_set(err, POND_ECORRUPT, "%s: the workbook has no sheets", b->what);
	size_t found = b->nsheets;
	if (!sheet) {
		found = 0;
	} else {
		for (size_t i = 0; i < b->nsheets && found == b->nsheets; i++)
			if (strcmp(b->sheet_names[i], sheet) == 0)
				found = i;
		for (size_t i = 0; i < b->nsheets && found == b->nsheets; i++)
			if (strcasecmp(b->sheet_names[i], sheet) == 0)
				found = i;
		int64_t index;
		if (found == b->nsheets && pond_str_to_i64(sheet, &index) && index >= 1 && (uint64_t)index <= b->nsheets)
			found = (size_t)index - 1;
	}
	if (found == b->nsheets) {
		pond_buf names = POND_BUF_INIT;
		for (size_t i = 0; i < b->nsheets && i < 20; i++)
			pond_buf_printf(&names, "%s\"%s\"", i ? ", " : "", b->sheet_names[i]);
		pond_error_set(err, POND_ENOTFOUND, "%s: no sheet \"%s\" (the workbook has %s%s)", b->what, sheet,
		               pond_buf_ok(&names) ? pond_buf_cstr(&names) : "", b->nsheets > 20 ? ", ..." : "");
		pond_buf_dispose(&names);
		return err ? err->code : POND_ENOTFOUND;
	}
	*name = b->sheet_names[found];
	if (!b->sheet_entries[found] || zip_name_locate(b->zip, b->sheet_entries[found], ZIP_FL_NOCASE) < 0)
		return pond_error_set(err, POND_EUNSUPPORTED, "%s: sheet \"%s\" is not a worksheet (a chart sheet?)",
		                      b->what, *name);
	*entry = b->sheet_entries[found];
	return 0;
}
