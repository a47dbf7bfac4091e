/*
 * The XML documents S3 answers with, read through libxml2: errors,
 * ListObjectsV2 pages, InitiateMultipartUpload and DeleteObjects results.
 * Elements match by local name (S3's namespace is not required; MinIO and
 * s3rver differ in whether they send it). Bodies are outside input: the
 * parser never reaches the network, never expands external entities, and
 * keeps libxml2's default size limits.
 */
#include "io/io_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

static xmlDocPtr parse(const char *body, size_t len)
{
	pthread_once(&xml_once, xml_init);
	if (!body || len == 0 || len > (size_t)INT32_MAX)
		return NULL;
	return xmlReadMemory(body, (int)len, "s3.xml", NULL,
	                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
}

static bool named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (named(n, name))
			return n;
	return NULL;
}

/* The text of a child element, in arena ("" for an empty element), or
 * NULL when there is no such child (or out of memory). */
static char *child_text(xmlNodePtr parent, const char *name, pond_arena *arena)
{
	xmlNodePtr n = child(parent, name);
	if (!n)
		return NULL;
	xmlChar *text = xmlNodeGetContent(n);
	char *r = pond_arena_strdup(arena, text ? (const char *)text : "");
	xmlFree(text);
	return r;
}

static void copy_text(xmlNodePtr parent, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	xmlNodePtr n = child(parent, name);
	if (!n)
		return;
	xmlChar *text = xmlNodeGetContent(n);
	if (text)
		snprintf(out, cap, "%s", (const char *)text);
	xmlFree(text);
}

bool pond__s3_xml_error(const char *body, size_t len, char *code, size_t code_cap, char *message,
                        size_t message_cap)
{
	code[0] = message[0] = '\0';
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	bool ok = named(root, "Error");
	if (ok) {
		copy_text(root, "Code", code, code_cap);
		copy_text(root, "Message", message, message_cap);
	}
	xmlFreeDoc(doc);
	return ok;
}

bool pond__s3_xml_is_error(const char *body, size_t len)
{
	xmlDocPtr doc = parse(body, len);
	bool is = doc && named(xmlDocGetRootElement(doc), "Error");
	xmlFreeDoc(doc);
	return is;
}

int64_t pond__s3_parse_time(const char *s)
{
	int64_t us;
	pond_error err = POND_ERROR_INIT;
	if (!s || pond_time_parse_us(s, &us, &err) != 0)
		return 0;
	return us / 1000;
}

void pond__s3_xml_escape(pond_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': pond_buf_puts(b, "&lt;"); break;
		case '>': pond_buf_puts(b, "&gt;"); break;
		case '&': pond_buf_puts(b, "&amp;"); break;
		case '"': pond_buf_puts(b, "&quot;"); break;
		case '\'': pond_buf_puts(b, "&apos;"); break;
		default: pond_buf_putc(b, *s);
		}
	}
}

/* Undoes encoding-type=url: %XX escapes (and '+' is a space there). */
static char *url_decode(const char *s, pond_arena *arena)
{
	char *out = pond_arena_alloc(arena, strlen(s) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *p = s; *p; p++) {
		int b = *p == '%' ? pond_hex_byte(p + 1) : -1;
		if (b >= 0) {
			out[o++] = (char)b;
			p += 2;
		} else {
			out[o++] = *p == '+' ? ' ' : *p;
		}
	}
	out[o] = '\0';
	return out;
}

static int list_entry(pond_s3_object *o, xmlNodePtr contents, bool url_encoded, pond_arena *arena)
{
	char *key = child_text(contents, "Key", arena);
	char *size = child_text(contents, "Size", arena);
	if (!key || !size)
		return POND_ECORRUPT;
	if (url_encoded && !(key = url_decode(key, arena)))
		return POND_ENOMEM;
	o->key = key;
	if (!pond_str_to_i64(size, &o->size) || o->size < 0)
		return POND_ECORRUPT;
	o->etag = child_text(contents, "ETag", arena);
	if (!o->etag)
		o->etag = "";
	o->last_modified_ms = pond__s3_parse_time(child_text(contents, "LastModified", arena));
	return 0;
}

int pond__s3_xml_list(pond__s3_list_page *out, const char *body, size_t len, pond_arena *arena, pond_error *err)
{
	memset(out, 0, sizeof *out);
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!named(root, "ListBucketResult")) {
		xmlFreeDoc(doc);
		return pond_error_set(err, POND_ECORRUPT, "a listing that is not a ListBucketResult document");
	}
	char *encoding = child_text(root, "EncodingType", arena);
	bool url_encoded = encoding && strcmp(encoding, "url") == 0;
	char *truncated = child_text(root, "IsTruncated", arena);
	out->truncated = truncated && strcmp(truncated, "true") == 0;
	out->next_token = out->truncated ? child_text(root, "NextContinuationToken", arena) : NULL;
	size_t cap = 0;
	int rc = 0;
	size_t pcap = 0;
	for (xmlNodePtr n = root->children; n && rc == 0; n = n->next) {
		if (named(n, "CommonPrefixes")) {
			if (!child(n, "Prefix")) {
				rc = pond_error_set(err, POND_ECORRUPT, "a listing's CommonPrefixes entry without a Prefix");
				break;
			}
			char *prefix = child_text(n, "Prefix", arena);
			if (prefix && url_encoded)
				prefix = url_decode(prefix, arena);
			if (!prefix || !pond_arena_grow(arena, (void **)&out->prefixes, out->nprefixes, &pcap,
			                                sizeof *out->prefixes))
				rc = pond_error_set(err, POND_ENOMEM, "out of memory reading a listing");
			else
				out->prefixes[out->nprefixes++] = prefix;
			continue;
		}
		if (!named(n, "Contents"))
			continue;
		if (!pond_arena_grow(arena, (void **)&out->objects, out->n, &cap, sizeof *out->objects)) {
			rc = pond_error_set(err, POND_ENOMEM, "out of memory reading a listing");
			break;
		}
		int erc = list_entry(&out->objects[out->n], n, url_encoded, arena);
		if (erc == POND_ENOMEM)
			rc = pond_error_set(err, POND_ENOMEM, "out of memory reading a listing");
		else if (erc)
			rc = pond_error_set(err, POND_ECORRUPT, "a listing entry without a key or a valid size");
		else
			out->n++;
	}
	if (rc == 0 && out->truncated && (!out->next_token || !*out->next_token))
		rc = pond_error_set(err, POND_ECORRUPT, "a truncated listing without a NextContinuationToken");
	xmlFreeDoc(doc);
	return rc;
}

int pond__s3_xml_upload_id(char **out, const char *body, size_t len, pond_arena *arena, pond_error *err)
{
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	*out = named(root, "InitiateMultipartUploadResult") ? child_text(root, "UploadId", arena) : NULL;
	xmlFreeDoc(doc);
	if (!*out || !**out)
		return pond_error_set(err, POND_ECORRUPT, "an InitiateMultipartUpload answer without an UploadId");
	return 0;
}

int pond__s3_xml_delete_result(bool *failed, char **key, char **code, char **message, const char *body,
                               size_t len, pond_arena *arena, pond_error *err)
{
	*failed = false;
	*key = *code = *message = NULL;
	xmlDocPtr doc = parse(body, len);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!named(root, "DeleteResult")) {
		xmlFreeDoc(doc);
		return pond_error_set(err, POND_ECORRUPT, "a DeleteObjects answer that is not a DeleteResult document");
	}
	xmlNodePtr e = child(root, "Error");
	if (e) {
		*failed = true;
		*key = child_text(e, "Key", arena);
		*code = child_text(e, "Code", arena);
		*message = child_text(e, "Message", arena);
	}
	xmlFreeDoc(doc);
	return 0;
}
