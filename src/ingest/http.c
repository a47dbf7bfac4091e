/*
 * HTTP for ingestion, over libcurl: one client per run carrying the
 * source's headers and auth, a requests-per-second limit, and retries with
 * exponential backoff and jitter for 429 (honouring Retry-After), 5xx,
 * timeouts and failed connections. Single requests (pages) use an easy
 * handle; fan-out (one request per id) runs up to N transfers at once on a
 * multi handle. Downloads stream to a temporary file.
 */
#include "ingest_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* A response body larger than this is refused (a page, not a download). */
#define BODY_LIMIT ((size_t)512 << 20)

struct ingest_http {
	const pond_source *source;
	CURL *easy;
	struct curl_slist *headers;
	const char *userpwd;
	ingest_retry retry;
	long timeout_ms;
	int64_t stall_ms;       /* no byte for this long fails a transfer */
	bool download;          /* timeouts are final: the load's limit, not a blip */
	double rps;
	int64_t next_slot_ns;   /* earliest start of the next request */
	int64_t requests, retries, bytes;
	pond_arena *arena;
	const volatile int *cancel;
};

void pond__ingest_http_set_cancel(ingest_http *h, const volatile int *cancel)
{
	h->cancel = cancel;
}

static bool cancelled(const ingest_http *h)
{
	return h->cancel && *h->cancel;
}

#define DEFAULT_STALL_MS 60000

void pond__ingest_http_set_stall(ingest_http *h, int64_t stall_ms)
{
	h->stall_ms = stall_ms > 0 ? stall_ms : DEFAULT_STALL_MS;
}

static void sleep_ms(int64_t ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Waits for the rate limit's next slot and takes it. */
static void rate_wait(ingest_http *h)
{
	if (h->rps <= 0)
		return;
	int64_t now = pond_time_mono_ns();
	if (h->next_slot_ns > now)
		sleep_ms((h->next_slot_ns - now + 999999) / 1000000);
	now = pond_time_mono_ns();
	int64_t interval = (int64_t)(1e9 / h->rps);
	h->next_slot_ns = (h->next_slot_ns > now ? h->next_slot_ns : now) + interval;
}

void pond__ingest_response_reset(ingest_response *r)
{
	pond_buf_dispose(&r->body);
	pond_free(r->link);
	pond_free(r->retry_after);
	pond_free(r->content_type);
	memset(r, 0, sizeof(*r));
}

int pond__ingest_http_new(ingest_http **out, const pond_source *s, pond_error *err)
{
	ingest_http *h = pond_calloc(1, sizeof(*h));
	if (!h || !(h->arena = pond_arena_new()) || !(h->easy = curl_easy_init())) {
		if (h)
			pond_arena_free(&h->arena);
		pond_free(h);
		return pond_error_set(err, POND_ENOMEM, "could not start an HTTP client");
	}
	h->source = s;
	ingest_retry defaults = INGEST_RETRY_INIT;
	h->retry = s ? s->retry : defaults;
	h->timeout_ms = s && s->timeout_ms > 0 ? (long)s->timeout_ms : 60000;
	h->rps = s ? s->requests_per_second : 0;
	pond__ingest_http_set_stall(h, s ? s->stall_ms : 0);
	struct curl_slist *l = NULL;
	bool agent = false, accept = false;  /* a source's own replace pond's */
	for (size_t i = 0; s && i < s->nheaders; i++) {
		l = curl_slist_append(l, pond_arena_sprintf(h->arena, "%s: %s", s->headers[i].name, s->headers[i].value));
		agent |= strcasecmp(s->headers[i].name, "User-Agent") == 0;
		accept |= strcasecmp(s->headers[i].name, "Accept") == 0;
	}
	if (!accept)
		l = curl_slist_append(l, "Accept: application/json, */*;q=0.5");
	if (!agent)
		l = curl_slist_append(l, "User-Agent: pond/" POND_VERSION);
	if (s && s->auth == AUTH_BEARER)
		l = curl_slist_append(l, pond_arena_sprintf(h->arena, "Authorization: Bearer %s", s->auth_token));
	if (s && s->auth == AUTH_API_KEY && !s->auth_in_query)
		l = curl_slist_append(l, pond_arena_sprintf(h->arena, "%s: %s", s->auth_name, s->auth_token));
	if (s && s->body)
		l = curl_slist_append(l, "Content-Type: application/json");
	if (s && s->auth == AUTH_BASIC)
		h->userpwd = pond_arena_sprintf(h->arena, "%s:%s", s->auth_user, s->auth_password ? s->auth_password : "");
	h->headers = l;
	*out = h;
	return 0;
}

void pond__ingest_http_free(ingest_http **hp)
{
	ingest_http *h = *hp;
	if (!h)
		return;
	curl_slist_free_all(h->headers);
	curl_easy_cleanup(h->easy);
	pond_arena_free(&h->arena);
	pond_free(h);
	*hp = NULL;
}

int64_t pond__ingest_http_requests(const ingest_http *h) { return h->requests; }
int64_t pond__ingest_http_retries(const ingest_http *h) { return h->retries; }
int64_t pond__ingest_http_bytes(const ingest_http *h) { return h->bytes; }

/* ---- one transfer ---------------------------------------------------------------------- */

typedef struct {
	ingest_response *resp;
	FILE *sink;
	int64_t bytes;
	bool too_big;
	ingest_http *http;
	int64_t last_ns;        /* when a byte last came (or the transfer began) */
	curl_off_t last_now;
	bool stalled;
} transfer;

/* Aborts a transfer (returning non-zero) once the run is cancelled, or
 * when no byte came for the stall limit. libcurl calls this at least once
 * a second, also while it waits for a connection or a first byte. */
static int on_xfer(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal; (void)ultotal; (void)ulnow;
	transfer *t = clientp;
	if (cancelled(t->http))
		return 1;
	int64_t now = pond_time_mono_ns();
	if (t->last_ns == 0 || dlnow != t->last_now) {
		t->last_ns = now;
		t->last_now = dlnow;
		return 0;
	}
	if (t->http->stall_ms > 0 && now - t->last_ns >= t->http->stall_ms * 1000000) {
		t->stalled = true;
		return 1;
	}
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	transfer *t = userdata;
	size_t n = size * nmemb;
	t->bytes += (int64_t)n;
	if (t->sink)
		return fwrite(ptr, 1, n, t->sink);
	if (t->resp->body.len + n > BODY_LIMIT) {
		t->too_big = true;
		return 0;
	}
	pond_buf_put(&t->resp->body, ptr, n);
	return pond_buf_ok(&t->resp->body) ? n : 0;
}

static char *header_value(const char *line, size_t n, const char *name)
{
	size_t nl = strlen(name);
	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	const char *v = line + nl + 1;
	const char *e = line + n;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	return pond_strndup(v, (size_t)(e - v));
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	transfer *t = userdata;
	size_t n = size * nmemb;
	char *v;
	/* A new status line (after a redirect or 100-continue) starts over. */
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		pond_free(t->resp->link);
		pond_free(t->resp->retry_after);
		pond_free(t->resp->content_type);
		t->resp->link = t->resp->retry_after = t->resp->content_type = NULL;
	}
	if ((v = header_value(line, n, "Link"))) {
		if (t->resp->link) {
			/* Several Link headers are one list. */
			char *both = pond_malloc(strlen(t->resp->link) + strlen(v) + 3);
			if (both)
				sprintf(both, "%s, %s", t->resp->link, v);
			pond_free(t->resp->link);
			pond_free(v);
			v = both;
		}
		t->resp->link = v;
	} else if ((v = header_value(line, n, "Retry-After"))) {
		pond_free(t->resp->retry_after);
		t->resp->retry_after = v;
	} else if ((v = header_value(line, n, "Content-Type"))) {
		pond_free(t->resp->content_type);
		t->resp->content_type = v;
	}
	return n;
}

static void setup_easy(ingest_http *h, CURL *c, const char *url, const char *method, const char *body, transfer *t,
                       char *errbuf)
{
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->timeout_ms < 30000 ? h->timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	t->http = h;
	t->last_ns = 0;
	t->stalled = false;
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	if (h->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
	}
	if (method && strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	}
	errbuf[0] = '\0';
}

/* Whether a failed transfer is worth another try. */
static bool retryable(CURLcode cc, long status)
{
	if (cc != CURLE_OK)
		return cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_COULDNT_CONNECT || cc == CURLE_RECV_ERROR ||
		       cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
		       cc == CURLE_COULDNT_RESOLVE_HOST;
	return status == 429 || status == 408 || (status >= 500 && status <= 599);
}

/* The delay before the next try: Retry-After when the server gave one
 * (capped by the policy), else backoff. */
static int64_t retry_delay(const ingest_http *h, const ingest_response *r, int attempt)
{
	int64_t ms = pond__ingest_retry_after_ms(r->retry_after, (int64_t)time(NULL));
	if (ms < 0)
		return pond__ingest_backoff_ms(&h->retry, attempt);
	int64_t cap = h->retry.max_backoff_ms > 0 ? h->retry.max_backoff_ms : 30000;
	return ms > cap ? cap : ms;
}

static const char *status_text(long status)
{
	switch (status) {
	case 400: return " Bad Request";
	case 401: return " Unauthorized";
	case 403: return " Forbidden";
	case 404: return " Not Found";
	case 429: return " Too Many Requests";
	case 500: return " Internal Server Error";
	case 502: return " Bad Gateway";
	case 503: return " Service Unavailable";
	case 504: return " Gateway Timeout";
	default: return "";
	}
}

int pond__ingest_http_request(ingest_http *h, const char *url, const char *method, const char *body, FILE *sink,
                              ingest_response *resp, pond_error *err)
{
	int max = h->retry.max_attempts > 0 ? h->retry.max_attempts : 1;
	long sink_start = sink ? ftell(sink) : 0;
	for (int attempt = 1;; attempt++) {
		pond__ingest_response_reset(resp);
		if (sink) {
			fflush(sink);
			if (fseek(sink, sink_start, SEEK_SET) != 0 || ftruncate(fileno(sink), sink_start) != 0)
				return pond_error_set(err, POND_EIO, "could not rewind a download of %s: %m", url);
		}
		transfer t = {resp, sink, 0, false, h, 0, 0, false};
		char errbuf[CURL_ERROR_SIZE];
		setup_easy(h, h->easy, url, method, body, &t, errbuf);
		rate_wait(h);
		CURLcode cc = curl_easy_perform(h->easy);
		h->requests++;
		if (cancelled(h))
			return pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
		h->bytes += t.bytes;
		curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &resp->status);
		if (t.too_big)
			return pond_error_set(err, POND_ELIMIT, "%s: response is larger than %zu MB", url, BODY_LIMIT >> 20);
		if (cc == CURLE_OK && resp->status >= 200 && resp->status < 300)
			return 0;
		/* A stall is not retried: a server that stopped sending once
		 * usually does again, and each try would wait the limit out. */
		if (t.stalled)
			return pond_error_set(err, POND_EIO, "could not fetch %s: no data for %" PRId64
			                      " s (stall limit; raise it with stall_timeout)", url, (h->stall_ms + 999) / 1000);
		if (cc == CURLE_OPERATION_TIMEDOUT && h->download && h->timeout_ms > 0)
			return pond_error_set(err, POND_EIO, "could not fetch %s: not done after %ld s (timeout)", url,
			                      (h->timeout_ms + 999) / 1000);
		if (attempt < max && retryable(cc, resp->status)) {
			int64_t ms = retry_delay(h, resp, attempt);
			pond_debug("%s: %s, retry %d in %" PRId64 " ms", url,
			           cc != CURLE_OK ? curl_easy_strerror(cc) : "bad status", attempt, ms);
			h->retries++;
			/* Sleep in slices so a cancel is noticed. */
			for (int64_t left = ms; left > 0 && !cancelled(h); left -= 100)
				sleep_ms(left < 100 ? left : 100);
			continue;
		}
		const char *tries = attempt > 1 ? pond_arena_sprintf(h->arena, " (after %d attempts)", attempt) : "";
		if (cc != CURLE_OK)
			return pond_error_set(err, POND_EIO, "could not fetch %s: %s%s", url,
			                      errbuf[0] ? errbuf : curl_easy_strerror(cc), tries);
		return pond_error_set(err, resp->status == 404 ? POND_ENOTFOUND : POND_EIO, "could not fetch %s: %ld%s%s",
		                      url, resp->status, status_text(resp->status), tries);
	}
}

/* ---- downloads ------------------------------------------------------------------------- */

static const char *suffix_for(const char *url, const char *content_type, const unsigned char *head, size_t n,
                              pond_arena *a)
{
	/* Keep the URL's own extension (".csv.gz" included). */
	pond_ingest_format f = pond__ingest_format_from_name(url);
	if (f != POND_FORMAT_AUTO) {
		const char *q = strchr(url, '?');
		size_t len = q ? (size_t)(q - url) : strlen(url);
		const char *slash = url + len;
		while (slash > url && slash[-1] != '/')
			slash--;
		const char *dot = memchr(slash, '.', (size_t)(url + len - slash));
		if (dot && url + len - dot < 32)
			return pond_arena_strndup(a, dot, (size_t)(url + len - dot));
	}
	bool gz = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
	bool zst = n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
	if (n >= 4 && memcmp(head, "PAR1", 4) == 0)
		return ".parquet";
	if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
		return ".xlsx";  /* a zip: the only one pond reads */
	const char *ct = content_type ? content_type : "";
	const char *base = ".csv";
	if (strstr(ct, "ndjson") || strstr(ct, "jsonl") || strstr(ct, "json-seq"))
		base = ".ndjson";
	else if (strstr(ct, "json"))
		base = ".json";
	else if (strstr(ct, "parquet"))
		base = ".parquet";
	else if (strstr(ct, "tab-separated"))
		base = ".tsv";
	else if (!gz && !zst) {
		size_t i = 0;
		while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
			i++;
		if (i < n && (head[i] == '[' || head[i] == '{'))
			base = ".json";
	}
	return gz ? (strcmp(base, ".json") == 0 ? ".json.gz" : strcmp(base, ".ndjson") == 0 ? ".ndjson.gz" : ".csv.gz")
	          : zst ? ".csv.zst" : base;
}

/* The visible text of an HTML page's start: its <title>, else the text
 * between tags, squeezed to one short line. */
static const char *html_text(const unsigned char *head, size_t n, pond_arena *a)
{
	char text[81];
	size_t len = 0;
	const char *h = (const char *)head;
	const char *from = h, *end = h + n;
	for (size_t i = 0; i + 7 <= n; i++)
		if (strncasecmp(h + i, "<title>", 7) == 0) {
			from = h + i + 7;
			break;
		}
	bool in_tag = false, space = false;
	for (const char *p = from; p < end && len < sizeof(text) - 1; p++) {
		if (*p == '<') {
			in_tag = true;
			if (from != h && len && strncasecmp(p, "</title", 7) == 0)
				break;
			continue;
		}
		if (*p == '>') {
			in_tag = false;
			space = len > 0;
			continue;
		}
		if (in_tag)
			continue;
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = len > 0;
			continue;
		}
		if ((unsigned char)*p < 0x20)
			continue;
		if (space && len < sizeof(text) - 2)
			text[len++] = ' ';
		space = false;
		text[len++] = *p;
	}
	text[len] = '\0';
	return pond_arena_strdup(a, text);
}

static const char *format_label(pond_ingest_format f)
{
	switch (f) {
	case POND_FORMAT_CSV: return "CSV";
	case POND_FORMAT_TSV: return "TSV";
	case POND_FORMAT_JSON: return "JSON";
	case POND_FORMAT_NDJSON: return "NDJSON";
	case POND_FORMAT_PARQUET: return "Parquet";
	case POND_FORMAT_XLSX: return "an xlsx workbook";
	default: return "data";
	}
}

const char *pond__ingest_body_mismatch(const char *content_type, const unsigned char *head, size_t n,
                                       pond_ingest_format format, pond_arena *a)
{
	const char *ct = content_type && *content_type ? content_type : "no content type";
	size_t i = 0;
	if (n >= 3 && head[0] == 0xef && head[1] == 0xbb && head[2] == 0xbf)
		i = 3;  /* a UTF-8 byte order mark */
	while (i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
		i++;
	const char *first = (const char *)head + i;
	size_t left = n - i;
	bool gz = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
	bool zst = n >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd;
	bool parquet = n >= 4 && memcmp(head, "PAR1", 4) == 0;
	bool html_type = strstr(ct, "text/html") || strstr(ct, "application/xhtml");
	bool html_body = (left >= 14 && strncasecmp(first, "<!doctype html", 14) == 0) ||
	                 (left >= 5 && strncasecmp(first, "<html", 5) == 0) ||
	                 (left >= 5 && strncasecmp(first, "<head", 5) == 0) ||
	                 (left >= 5 && strncasecmp(first, "<body", 5) == 0);
	if (!gz && !zst && !parquet && (html_type || html_body)) {
		const char *text = html_text(head, n, a);
		return pond_arena_sprintf(a, "got an HTML page (%s), not %s%s%s%s", ct, format_label(format),
		                          text && *text ? ": \"" : "", text ? text : "", text && *text ? "\"" : "");
	}
	if (gz || zst)
		return NULL;  /* the reader says what is inside */
	if (format == POND_FORMAT_PARQUET && !parquet)
		return pond_arena_sprintf(a, "expected Parquet, got %s that does not start with PAR1", ct);
	if (format == POND_FORMAT_XLSX && (n < 4 || memcmp(head, "PK\3\4", 4) != 0))
		return pond_arena_sprintf(a, "expected an xlsx workbook, got %s that is not a zip", ct);
	if ((format == POND_FORMAT_JSON || format == POND_FORMAT_NDJSON) && left && first[0] != '[' && first[0] != '{') {
		size_t m = 0;
		while (m < left && m < 40 && first[m] != '\n' && first[m] != '\r')
			m++;
		return pond_arena_sprintf(a, "expected %s, got %s starting \"%.*s\"", format_label(format), ct, (int)m,
		                          first);
	}
	return NULL;
}

int pond__ingest_download(const char **path, int64_t *bytes, const char *url, pond_ingest_format format,
                          const pond_ingest_options *opts, pond_arena *arena, pond_error *err)
{
	ingest_http *h;
	int rc = pond__ingest_http_new(&h, NULL, err);
	if (rc)
		return rc;
	FILE *f;
	const char *tmp;
	if ((rc = pond__ingest_tmpfile(&f, &tmp, opts->tmpdir, ".download", arena, err)) != 0) {
		pond__ingest_http_free(&h);
		return rc;
	}
	/* Downloads may be large and slow: a stall limit, and an overall
	 * timeout only when one is asked for. */
	h->download = true;
	h->timeout_ms = opts->timeout_ms > 0 ? (long)opts->timeout_ms : 0;
	pond__ingest_http_set_stall(h, opts->stall_timeout_ms);
	pond__ingest_http_set_cancel(h, opts->cancel);
	ingest_response resp;
	memset(&resp, 0, sizeof(resp));
	rc = pond__ingest_http_request(h, url, "GET", NULL, f, &resp, err);
	*bytes = h->bytes;
	unsigned char head[4096];
	size_t n = 0;
	if (rc == 0 && (fflush(f) != 0 || ferror(f)))
		rc = pond_error_set(err, POND_EIO, "could not write a download of %s to %s: %m", url, tmp);
	if (rc == 0) {
		rewind(f);
		n = fread(head, 1, sizeof(head), f);
	}
	fclose(f);
	if (rc == 0) {
		if (format == POND_FORMAT_AUTO)
			format = pond__ingest_format_from_name(url);
		const char *why = pond__ingest_body_mismatch(resp.content_type, head, n, format, arena);
		if (why)
			rc = pond_error_set(err, POND_ECORRUPT, "could not load %s: %ld %s", url, resp.status, why);
	}
	if (rc == 0) {
		const char *final = pond_arena_sprintf(arena, "%.*s%s", (int)(strlen(tmp) - strlen(".download")), tmp,
		                                       suffix_for(url, resp.content_type, head, n < 64 ? n : 64, arena));
		if (!final || rename(tmp, final) != 0)
			rc = pond_error_set(err, POND_EIO, "could not rename %s: %m", tmp);
		else
			*path = final;
	}
	if (rc)
		unlink(tmp);
	pond__ingest_response_reset(&resp);
	pond__ingest_http_free(&h);
	return rc;
}

/* ---- fan-out ------------------------------------------------------------------------------- */

typedef struct {
	CURL *easy;
	size_t index;         /* into ids */
	int attempt;
	const char *url;
	ingest_response resp;
	transfer t;
	char errbuf[CURL_ERROR_SIZE];
} slot;

typedef struct {
	size_t index;
	int attempt;
	int64_t not_before_ns;
} pending;

static const char *detail_url(const char *tmpl, const char *id, pond_arena *a)
{
	char *esc = curl_easy_escape(NULL, id, 0);
	if (!esc)
		return NULL;
	pond_buf b = POND_BUF_INIT;
	const char *p = tmpl, *m;
	while ((m = strstr(p, "{id}"))) {
		pond_buf_put(&b, p, (size_t)(m - p));
		pond_buf_puts(&b, esc);
		p = m + 4;
	}
	pond_buf_puts(&b, p);
	curl_free(esc);
	const char *out = pond_buf_ok(&b) ? pond_arena_strdup(a, pond_buf_cstr(&b)) : NULL;
	pond_buf_dispose(&b);
	return out;
}

/* A fan-out under way. */
typedef struct {
	ingest_http *h;
	CURLM *multi;
	const char *tmpl;
	const char *const *ids;
	size_t nids;
	int parallel;
	slot *slots;          /* parallel of them */
	/* Retries wait in a queue of their own; fresh ids are taken in order. */
	pending *retry_q;
	size_t next_id, nretry, active, finished;
	int max_attempts;
	ingest_detail_fn on_body;
	void *payload;
	pond_arena *arena;
	pond_error *err;
} fan_out;

/* Fills free slots with due work: a retry whose time has come, else the
 * next fresh id. */
static int fill_slots(fan_out *f, int64_t now)
{
	for (int s = 0; s < f->parallel; s++) {
		if (f->slots[s].easy)
			continue;
		size_t idx;
		int attempt;
		size_t due = f->nretry;
		for (size_t r = 0; r < f->nretry; r++)
			if (f->retry_q[r].not_before_ns <= now) {
				due = r;
				break;
			}
		if (due < f->nretry) {
			idx = f->retry_q[due].index;
			attempt = f->retry_q[due].attempt;
			f->retry_q[due] = f->retry_q[--f->nretry];
		} else if (f->next_id < f->nids) {
			idx = f->next_id++;
			attempt = 1;
		} else {
			break;
		}
		slot *sl = &f->slots[s];
		if (!(sl->easy = curl_easy_init()) || !(sl->url = detail_url(f->tmpl, f->ids[idx], f->arena)))
			return pond_error_set(f->err, POND_ENOMEM, "out of memory");
		sl->index = idx;
		sl->attempt = attempt;
		memset(&sl->resp, 0, sizeof(sl->resp));
		sl->t = (transfer){&sl->resp, NULL, 0, false, f->h, 0, 0, false};
		setup_easy(f->h, sl->easy, sl->url, "GET", NULL, &sl->t, sl->errbuf);
		curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
		rate_wait(f->h);
		curl_multi_add_handle(f->multi, sl->easy);
		f->active++;
	}
	return 0;
}

/* Sleeps until the first waiting retry is due (100 ms at the most). */
static void wait_for_retries(const fan_out *f, int64_t now)
{
	int64_t wait = INT64_MAX;
	for (size_t r = 0; r < f->nretry; r++)
		if (f->retry_q[r].not_before_ns - now < wait)
			wait = f->retry_q[r].not_before_ns - now;
	sleep_ms(wait / 1000000 + 1 < 100 ? wait / 1000000 + 1 : 100);
}

/* A finished transfer: its body handed on, a retry queued, or the error;
 * its slot freed either way. */
static int finish_transfer(fan_out *f, CURLMsg *msg)
{
	ingest_http *h = f->h;
	pond_error *err = f->err;
	slot *sl;
	int rc = 0;
	curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
	CURLcode cc = msg->data.result;
	curl_easy_getinfo(sl->easy, CURLINFO_RESPONSE_CODE, &sl->resp.status);
	h->requests++;
	h->bytes += sl->t.bytes;
	if (sl->t.too_big) {
		rc = pond_error_set(err, POND_ELIMIT, "%s: response is larger than %zu MB", sl->url, BODY_LIMIT >> 20);
	} else if (cc == CURLE_OK && sl->resp.status >= 200 && sl->resp.status < 300) {
		rc = f->on_body(f->ids[sl->index], sl->url, pond_buf_cstr(&sl->resp.body), sl->resp.body.len, f->payload,
		                err);
		f->finished++;
	} else if (sl->attempt < f->max_attempts && retryable(cc, sl->resp.status)) {
		int64_t ms = retry_delay(h, &sl->resp, sl->attempt);
		h->retries++;
		f->retry_q[f->nretry++] = (pending){sl->index, sl->attempt + 1, pond_time_mono_ns() + ms * 1000000};
	} else if (sl->t.stalled) {
		rc = pond_error_set(err, POND_EIO, "could not fetch %s: no data for %" PRId64
		                    " s (stall limit; raise it with stall_timeout)", sl->url,
		                    (h->stall_ms + 999) / 1000);
	} else if (cc != CURLE_OK) {
		rc = pond_error_set(err, POND_EIO, "could not fetch %s: %s", sl->url,
		                    sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(cc));
	} else {
		rc = pond_error_set(err, POND_EIO, "could not fetch %s: %ld%s", sl->url, sl->resp.status,
		                    status_text(sl->resp.status));
	}
	curl_multi_remove_handle(f->multi, sl->easy);
	curl_easy_cleanup(sl->easy);
	sl->easy = NULL;
	pond__ingest_response_reset(&sl->resp);
	f->active--;
	return rc;
}

int pond__ingest_http_fan_out(ingest_http *h, const char *tmpl, const char *const *ids, size_t nids, int parallel,
                              ingest_detail_fn on_body, void *payload, pond_error *err)
{
	if (parallel < 1)
		parallel = 1;
	if (parallel > 64)
		parallel = 64;
	fan_out f;
	memset(&f, 0, sizeof(f));
	f.h = h;
	f.tmpl = tmpl;
	f.ids = ids;
	f.nids = nids;
	f.parallel = parallel;
	f.max_attempts = h->retry.max_attempts > 0 ? h->retry.max_attempts : 1;
	f.on_body = on_body;
	f.payload = payload;
	f.err = err;
	f.multi = curl_multi_init();
	f.slots = pond_calloc((size_t)parallel, sizeof(*f.slots));
	f.retry_q = pond_calloc(nids ? nids : 1, sizeof(*f.retry_q));
	f.arena = pond_arena_new();
	int rc = 0;
	if (!f.multi || !f.slots || !f.retry_q || !f.arena)
		rc = pond_error_set(err, POND_ENOMEM, "out of memory");
	while (rc == 0 && f.finished < nids) {
		if (cancelled(h)) {
			rc = pond_error_set(err, POND_ECANCELED, "interrupted: nothing was committed");
			break;
		}
		int64_t now = pond_time_mono_ns();
		if ((rc = fill_slots(&f, now)) != 0)
			break;
		if (f.active == 0) {
			/* Only retries waiting for their time. */
			wait_for_retries(&f, now);
			continue;
		}
		int running;
		curl_multi_perform(f.multi, &running);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(f.multi, &left)) && rc == 0)
			if (msg->msg == CURLMSG_DONE)
				rc = finish_transfer(&f, msg);
		if (rc == 0 && running > 0)
			curl_multi_poll(f.multi, NULL, 0, 100, NULL);
	}
	for (int s = 0; f.slots && s < parallel; s++)
		if (f.slots[s].easy) {
			curl_multi_remove_handle(f.multi, f.slots[s].easy);
			curl_easy_cleanup(f.slots[s].easy);
			pond__ingest_response_reset(&f.slots[s].resp);
		}
	pond_free(f.slots);
	pond_free(f.retry_q);
	pond_arena_free(&f.arena);
	if (f.multi)
		curl_multi_cleanup(f.multi);
	return rc;
}
