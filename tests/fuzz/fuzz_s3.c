/*
 * libFuzzer target for what S3 servers and the AWS files send pond: the
 * XML documents (ListObjectsV2 pages, errors, multipart and delete
 * results) and the INI text of ~/.aws/config. Each parser must refuse bad
 * input with an error that says why, and never read outside the input.
 * src/io depends on util, libxml2, libcurl and libcrypto only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/io_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	pond_arena *arena = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	pond__s3_list_page page;
	if (pond__s3_xml_list(&page, text, size, arena, &err) != 0) {
		if (!err.msg[0])
			abort();
	} else {
		for (size_t i = 0; i < page.n; i++)
			if (!page.objects[i].key || page.objects[i].size < 0)
				abort();
	}
	char code[64], message[128];
	pond__s3_xml_error(text, size, code, sizeof code, message, sizeof message);
	char *id;
	pond__s3_xml_upload_id(&id, text, size, arena, &err);
	bool failed;
	char *key, *ecode, *emsg;
	pond__s3_xml_delete_result(&failed, &key, &ecode, &emsg, text, size, arena, &err);
	pond__ini ini;
	pond_error_clear(&err);
	if (pond__ini_parse(&ini, text, size, "config", arena, &err) != 0 && !err.msg[0])
		abort();
	pond_arena_free(&arena);
	return 0;
}
