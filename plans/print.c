/* Printing a render result the three ways `template -o` offers. Whatever the way, reading the
 * printed stream back as kubectl does (split on "---" lines, each document decoded as YAML or
 * JSON) gives exactly the objects of the result: the text is the rendered document only where
 * it reads back so (see display_text in render.c), YAML and JSON are printed from the objects. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/json.h"
#include "../base/yaml.h"
#include "plans.h"

int kd_render_result_print(kd_buf *out, const kd_render_result *res)
{
	for (size_t i = 0; i < res->ndocs; i++) {
		kd_buf_printf(out, "---\n# Source: templates/%s\n", res->docs[i].template_name);
		kd_buf_puts(out, res->docs[i].text);
		kd_buf_putc(out, '\n');
	}
	return kd_buf_check(out, "the rendered output");
}

int kd_render_result_print_yaml(kd_buf *out, const kd_render_result *res)
{
	for (size_t i = 0; i < res->ndocs; i++) {
		kd_buf_printf(out, "---\n# Source: templates/%s\n", res->docs[i].template_name);
		kd_yaml_emit(out, res->docs[i].object);
	}
	return kd_buf_check(out, "the rendered output");
}

static void put_number(kd_buf *b, double v)
{
	char s[64];
	kd_buf_puts(b, kd_json_fmt_number(s, sizeof s, v));
}

static void put_string(kd_buf *b, const char *s)
{
	kd_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			kd_buf_puts(b, "\\\"");
			break;
		case '\\':
			kd_buf_puts(b, "\\\\");
			break;
		case '\n':
			kd_buf_puts(b, "\\n");
			break;
		case '\r':
			kd_buf_puts(b, "\\r");
			break;
		case '\t':
			kd_buf_puts(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				kd_buf_printf(b, "\\u%04x", *p);
			else
				kd_buf_putc(b, (char)*p);
		}
	}
	kd_buf_putc(b, '"');
}

static void indent(kd_buf *b, int level)
{
	kd_buf_putc(b, '\n');
	for (int i = 0; i < level; i++)
		kd_buf_puts(b, "    ");
}

/* Values come from the YAML parser, which caps nesting (512), so recursion is bounded. */
static void put_value(kd_buf *b, const cJSON *v, int level)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
		bool obj = cJSON_IsObject(v);
		kd_buf_putc(b, obj ? '{' : '[');
		if (!v->child) {
			kd_buf_putc(b, obj ? '}' : ']');
			return;
		}
		for (const cJSON *it = v->child; it; it = it->next) {
			indent(b, level + 1);
			if (obj) {
				put_string(b, it->string ? it->string : "");
				kd_buf_puts(b, ": ");
			}
			put_value(b, it, level + 1);
			if (it->next)
				kd_buf_putc(b, ',');
		}
		indent(b, level);
		kd_buf_putc(b, obj ? '}' : ']');
	} else if (cJSON_IsString(v)) {
		put_string(b, v->valuestring);
	} else if (cJSON_IsNumber(v)) {
		put_number(b, v->valuedouble); /* finite: the render refuses .inf and .nan */
	} else if (cJSON_IsBool(v)) {
		kd_buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
	} else {
		kd_buf_puts(b, "null");
	}
}

int kd_render_result_print_json(kd_buf *out, const kd_render_result *res)
{
	kd_buf_puts(out, "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n    \"items\": [");
	for (size_t i = 0; i < res->ndocs; i++) {
		indent(out, 2);
		put_value(out, res->docs[i].object, 2);
		if (i + 1 < res->ndocs)
			kd_buf_putc(out, ',');
	}
	kd_buf_puts(out, res->ndocs ? "\n    ]\n}\n" : "]\n}\n");
	return kd_buf_check(out, "the rendered output");
}
