/* The S3 XML documents the client reads: listings, errors, results. */
#include "../test.h"

#include <string.h>

#include "io/io_internal.h"

TEST(s3_xml_list_page_reads_keys_sizes_and_the_next_token)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>t/</Prefix>"
		"<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
		"<Contents><Key>t/a%20b%2Bc.txt</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>"
		"<ETag>&quot;fba9dede5f27731c9771645a39863328&quot;</ETag><Size>434234</Size></Contents>"
		"<Contents><Key>t/%C3%A9</Key><Size>0</Size></Contents>"
		"<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
		"</ListBucketResult>";
	pond_arena *a = pond_arena_new();
	pond__s3_list_page page;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__s3_xml_list(&page, xml, strlen(xml), a, &err), &err);
	CHECK_INT(page.n, 2);
	CHECK_STR(page.objects[0].key, "t/a b+c.txt");
	CHECK_INT(page.objects[0].size, 434234);
	CHECK_STR(page.objects[0].etag, "\"fba9dede5f27731c9771645a39863328\"");
	CHECK_INT(page.objects[0].last_modified_ms, 1255369830000LL);
	CHECK_STR(page.objects[1].key, "t/\xc3\xa9");
	CHECK(page.truncated);
	CHECK_STR(page.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	pond_arena_free(&a);
}

TEST(s3_xml_list_without_url_encoding_keeps_percent_signs)
{
	const char *xml = "<ListBucketResult><IsTruncated>false</IsTruncated>"
	                  "<Contents><Key>100%25 &amp; more</Key><Size>5</Size></Contents></ListBucketResult>";
	pond_arena *a = pond_arena_new();
	pond__s3_list_page page;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__s3_xml_list(&page, xml, strlen(xml), a, &err), &err);
	CHECK_INT(page.n, 1);
	CHECK_STR(page.objects[0].key, "100%25 & more");
	CHECK(!page.truncated);
	CHECK(page.next_token == NULL);
	pond_arena_free(&a);
}

TEST(s3_xml_list_page_reads_common_prefixes)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix>"
		"<StartAfter>000000000012</StartAfter><Delimiter>/</Delimiter><EncodingType>url</EncodingType>"
		"<IsTruncated>false</IsTruncated><Contents><Key>top.json</Key><Size>3</Size></Contents>"
		"<CommonPrefixes><Prefix>000000000012%2F</Prefix></CommonPrefixes>"
		"<CommonPrefixes><Prefix>000000000015/</Prefix></CommonPrefixes>"
		"<CommonPrefixes><Prefix>a%20b/</Prefix></CommonPrefixes></ListBucketResult>";
	pond_arena *a = pond_arena_new();
	pond__s3_list_page page;
	pond_error err = POND_ERROR_INIT;
	CHECK_OK(pond__s3_xml_list(&page, xml, strlen(xml), a, &err), &err);
	CHECK_INT(page.n, 1);
	CHECK_STR(page.objects[0].key, "top.json");
	CHECK_INT(page.nprefixes, 3);
	CHECK_STR(page.prefixes[0], "000000000012/");
	CHECK_STR(page.prefixes[1], "000000000015/");
	CHECK_STR(page.prefixes[2], "a b/");
	CHECK(!page.truncated);
	const char *bad = "<ListBucketResult><CommonPrefixes></CommonPrefixes></ListBucketResult>";
	CHECK_INT(pond__s3_xml_list(&page, bad, strlen(bad), a, &err), POND_ECORRUPT);
	CHECK_STR(err.msg, "a listing's CommonPrefixes entry without a Prefix");
	pond_arena_free(&a);
}

TEST(s3_xml_bad_listings_are_refused)
{
	pond_arena *a = pond_arena_new();
	pond__s3_list_page page;
	pond_error err = POND_ERROR_INIT;
	const char *truncated = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
	CHECK_INT(pond__s3_xml_list(&page, truncated, strlen(truncated), a, &err), POND_ECORRUPT);
	CHECK_STR(err.msg, "a truncated listing without a NextContinuationToken");
	const char *bad_size = "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>";
	CHECK_INT(pond__s3_xml_list(&page, bad_size, strlen(bad_size), a, &err), POND_ECORRUPT);
	CHECK_INT(pond__s3_xml_list(&page, "<ListBucketResult", 17, a, &err), POND_ECORRUPT);
	CHECK_INT(pond__s3_xml_list(&page, "", 0, a, &err), POND_ECORRUPT);
	/* no entity from outside is ever read */
	const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	                  "<ListBucketResult><Contents><Key>&x;</Key><Size>1</Size></Contents></ListBucketResult>";
	int rc = pond__s3_xml_list(&page, xxe, strlen(xxe), a, &err);
	CHECK(rc != 0 || (page.n == 1 && strstr(page.objects[0].key, "root:") == NULL));
	pond_arena_free(&a);
}

TEST(s3_xml_error_documents_give_code_and_message)
{
	char code[64], message[128];
	const char *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
	                  "<Message>The resource you requested does not exist</Message><Resource>/b/k</Resource></Error>";
	CHECK(pond__s3_xml_error(xml, strlen(xml), code, sizeof code, message, sizeof message));
	CHECK_STR(code, "NoSuchKey");
	CHECK_STR(message, "The resource you requested does not exist");
	CHECK(pond__s3_xml_is_error(xml, strlen(xml)));
	CHECK(!pond__s3_xml_error("not xml", 7, code, sizeof code, message, sizeof message));
	CHECK_STR(code, "");
	const char *ok = "<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>";
	CHECK(!pond__s3_xml_is_error(ok, strlen(ok)));
}

TEST(s3_xml_upload_id_and_delete_results)
{
	pond_arena *a = pond_arena_new();
	pond_error err = POND_ERROR_INIT;
	char *id;
	const char *init = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
	                   "<UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>";
	CHECK_OK(pond__s3_xml_upload_id(&id, init, strlen(init), a, &err), &err);
	CHECK_STR(id, "VXBsb2FkIElE");
	CHECK_INT(pond__s3_xml_upload_id(&id, "<x/>", 4, a, &err), POND_ECORRUPT);
	bool failed;
	char *key, *code, *message;
	const char *res = "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b/c</Key><Code>AccessDenied</Code>"
	                  "<Message>Access Denied</Message></Error></DeleteResult>";
	CHECK_OK(pond__s3_xml_delete_result(&failed, &key, &code, &message, res, strlen(res), a, &err), &err);
	CHECK(failed);
	CHECK_STR(key, "b/c");
	CHECK_STR(code, "AccessDenied");
	const char *quiet = "<DeleteResult></DeleteResult>";
	CHECK_OK(pond__s3_xml_delete_result(&failed, &key, &code, &message, quiet, strlen(quiet), a, &err), &err);
	CHECK(!failed);
	pond_arena_free(&a);
}
