/*
 * The web page's files, built from web/ by esbuild at make time and
 * embedded gzip-compressed (the generated build/web/assets.c holds them
 * with their types and ETags). Served as stored to a client that accepts
 * gzip (every browser), inflated for one that does not; an ETag lets the
 * browser revalidate with a 304 instead of fetching again. The page and
 * its assets need no token: what they show comes from the API, which does.
 */
#include "server_internal.h"

#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* Paths a request may make without the token: the page, its assets, and
 * the session endpoints the page logs in with. */
bool pond__server_web_open(const char *target)
{
	static const char *const exact[] = {"/", "/api/session", "/api/login", NULL};
	size_t len = strcspn(target, "?");
	for (const char *const *e = exact; *e; e++)
		if (strlen(*e) == len && strncmp(target, *e, len) == 0)
			return true;
	return strncmp(target, "/assets/", 8) == 0;
}

const pond_web_asset *pond__server_web_find(const char *path)
{
	for (size_t i = 0; i < pond__web_nassets; i++)
		if (strcmp(pond__web_assets[i].path, path) == 0)
			return &pond__web_assets[i];
	return NULL;
}

/* Whether an Accept-Encoding header takes gzip: named, and not with q=0. */
static bool accepts_gzip(const char *header)
{
	const char *p = header ? strstr(header, "gzip") : NULL;
	if (!p)
		return false;
	p += 4;
	while (*p == ' ')
		p++;
	if (strncmp(p, ";q=0", 4) != 0)
		return true;
	p += 4;
	while (*p == '0' || *p == '.')
		p++;
	return !(*p == '\0' || *p == ',' || *p == ' ');
}

/* Inflates a stored asset for a client without gzip. */
static int inflate_asset(srv_ctx *ctx, const pond_web_asset *a, srv_reply *reply)
{
	char *out = pond_malloc(a->raw_len ? a->raw_len : 1);
	if (!out)
		return pond__server_fail(ctx, 503, "out of memory");
	z_stream z;
	memset(&z, 0, sizeof(z));
	int zrc = inflateInit2(&z, 16 + MAX_WBITS);
	if (zrc == Z_OK) {
		z.next_in = (unsigned char *)a->gz;
		z.avail_in = (unsigned)a->gz_len;
		z.next_out = (unsigned char *)out;
		z.avail_out = (unsigned)a->raw_len;
		zrc = inflate(&z, Z_FINISH);
		inflateEnd(&z);
	}
	if (zrc != Z_STREAM_END) {
		pond_free(out);
		return pond__server_fail(ctx, 500, "embedded asset %s is damaged", a->path);
	}
	reply->raw = out;
	reply->raw_len = a->raw_len;
	return 0;
}

int pond__server_web_send(srv_ctx *ctx, const pond_web_asset *a, srv_reply *reply)
{
	reply->status = 200;
	reply->content_type = a->content_type;
	reply->cache_control = "no-cache";
	snprintf(reply->etag, sizeof(reply->etag), "\"%s\"", a->etag);
	const char *inm = ctx->req->if_none_match;
	if (inm && strstr(inm, reply->etag)) {
		reply->status = 304;
		return 0;
	}
	if (!accepts_gzip(ctx->req->accept_encoding))
		return inflate_asset(ctx, a, reply);
	if (!(reply->raw = pond_malloc(a->gz_len ? a->gz_len : 1)))
		return pond__server_fail(ctx, 503, "out of memory");
	memcpy(reply->raw, a->gz, a->gz_len);
	reply->raw_len = a->gz_len;
	reply->content_encoding = "gzip";
	return 0;
}

/* GET / */
int pond__server_web_index(srv_ctx *ctx, srv_reply *reply)
{
	const pond_web_asset *a = pond__server_web_find("index.html");
	if (!a)
		return pond__server_fail(ctx, 404, "this pond was built without its web page");
	return pond__server_web_send(ctx, a, reply);
}

/* GET /assets/NAME */
int pond__server_web_asset(srv_ctx *ctx, srv_reply *reply)
{
	const char *name = ctx->url.segments[1];
	const pond_web_asset *a = strcmp(name, "index.html") != 0 ? pond__server_web_find(name) : NULL;
	if (!a)
		return pond__server_fail(ctx, 404, "no asset %.100s", name);
	return pond__server_web_send(ctx, a, reply);
}
