#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../base/json.h"
#include "test.h"

TEST(base_buf_grows_and_caps)
{
	kd_buf b = KD_BUF_INIT;
	CHECK_INT(kd_buf_puts(&b, "abc"), 0);
	CHECK_INT(kd_buf_printf(&b, "-%d-", 42), 0);
	CHECK_STR(kd_buf_cstr(&b), "abc-42-");
	b.max = 8;
	CHECK(kd_buf_puts(&b, "xyz") == KD_ELIMIT);
	CHECK_STR(kd_buf_cstr(&b), "abc-42-");
	kd_buf_free(&b);
	CHECK_STR(kd_buf_cstr(&b), "");
}

TEST(base_error_keeps_last_message)
{
	kd_error_set(KD_ERR_YAML, "a.yaml:%d:%d: %s", 3, 4, "bad");
	CHECK_STR(kd_error_last(), "a.yaml:3:4: bad");
	CHECK(kd_error_last_class() == KD_ERR_YAML);
	kd_error_clear();
	CHECK(kd_error_last() == NULL);
}

TEST(base_buf_failure_is_sticky)
{
	/* A caller that ignores single writes must still learn that the text is incomplete. */
	kd_buf b = KD_BUF_INIT;
	b.max = 4;
	kd_buf_puts(&b, "ab");
	kd_buf_puts(&b, "cdef"); /* over the cap */
	CHECK(kd_buf_putc(&b, 'x') == KD_ELIMIT); /* would fit, but the buffer already failed */
	CHECK(kd_buf_printf(&b, "%d", 1) == KD_ELIMIT);
	CHECK_STR(kd_buf_cstr(&b), "ab");
	kd_error_clear();
	CHECK(kd_buf_check(&b, "the rendered template") == KD_ELIMIT);
	CHECK_STR(kd_error_last(), "the rendered template exceeds the limit of 4 bytes");
	kd_buf_clear(&b);
	CHECK_INT(kd_buf_check(&b, NULL), 0);
	CHECK_INT(kd_buf_puts(&b, "ok"), 0);
	kd_buf_free(&b);
}

TEST(base_error_position_and_cause)
{
	kd_error_set_at(KD_ERR_YAML, "pkg/params.yaml", 7, 3, "bad %s", "value");
	const kd_error *e = kd_error_last_info();
	CHECK(e != NULL);
	CHECK_STR(e->message, "pkg/params.yaml:7:3: bad value");
	CHECK_STR(e->file, "pkg/params.yaml");
	CHECK_INT(e->line, 7);
	CHECK_INT(e->col, 3);
	CHECK(e->cause == NULL);
	kd_error_set_at(KD_ERR_YAML, "f", 2, 0, "x");
	CHECK_STR(kd_error_last(), "f:2: x");
	kd_error_set_cause(KD_ERR_KUBE, "connection refused", "GET /api: %s", "no answer");
	CHECK_STR(kd_error_last(), "GET /api: no answer: connection refused");
	CHECK_STR(kd_error_last_info()->cause, "connection refused");
	/* The message may quote the one it replaces. */
	kd_error_set(KD_ERR_PLAN, "step x: %s", kd_error_last());
	CHECK_STR(kd_error_last(), "step x: GET /api: no answer: connection refused");
	kd_buf b = KD_BUF_INIT;
	kd_buf_put_pos(&b, "a.yaml", 1, 2);
	kd_buf_put_pos(&b, "b.yaml", 0, 0);
	CHECK_STR(kd_buf_cstr(&b), "a.yaml:1:2: b.yaml: ");
	kd_buf_free(&b);
	kd_error_clear();
}

TEST(base_error_long_message_is_cut_visibly)
{
	size_t n = (size_t)200 << 10;
	char *big = kd_malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	kd_error_set(KD_ERR_TEMPLATE, "%s", big);
	const char *m = kd_error_last();
	size_t len = strlen(m);
	CHECK(len < n);
	CHECK(len > 1000);
	CHECK(strcmp(m + len - 3, "...") == 0);
	free(big);
	kd_error_clear();
}

TEST(base_go_float_format)
{
	char b[64];
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 3), "3");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 0.5), "0.5");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 1e6), "1e+06");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 123456), "123456");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 1234567), "1.234567e+06");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 0.0001), "0.0001");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 0.00001), "1e-05");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, -2.25), "-2.25");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 0.1 + 0.2), "0.30000000000000004");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 0), "0");
	CHECK_STR(kd_json_fmt_float(b, sizeof b, 1e21), "1e+21");
}

TEST(base_json_case_sensitive_get)
{
	cJSON *o = cJSON_Parse("{\"Name\":1,\"name\":2}");
	CHECK_INT(kd_json_get(o, "name")->valueint, 2);
	CHECK_INT(kd_json_get(o, "Name")->valueint, 1);
	CHECK(kd_json_get(o, "NAME") == NULL);
	cJSON_Delete(o);
	cJSON *i = kd_json_new_int(7);
	cJSON *d = cJSON_Duplicate(i, 1);
	CHECK(kd_json_is_int(d));
	cJSON_Delete(i);
	cJSON_Delete(d);
}

TEST(base_base64_as_go_std_encoding)
{
	kd_buf b = KD_BUF_INIT;
	size_t bad = 0;
	CHECK_INT(kd_base64_encode(&b, "world", 5), 0);
	CHECK_STR(kd_buf_cstr(&b), "d29ybGQ=");
	kd_buf_clear(&b);
	CHECK_INT(kd_base64_encode(&b, "", 0), 0);
	CHECK_STR(kd_buf_cstr(&b), "");
	CHECK_INT(kd_base64_decode(&b, "aGVs\r\nbG8=", 10, &bad), 0);
	CHECK_STR(kd_buf_cstr(&b), "hello");
	kd_buf_clear(&b);
	/* Unpadded input is refused, as Go's StdEncoding (and so kubectl) refuses it. */
	CHECK_INT(kd_base64_decode(&b, "d29ybGQ", 7, &bad), KD_EINVALID);
	CHECK_INT(bad, 4);
	CHECK_INT(kd_base64_decode(&b, "ab!d", 4, &bad), KD_EINVALID);
	CHECK_INT(bad, 2);
	kd_buf_free(&b);
}
