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

/* A float64 as Go's encoding/json writes it: the shortest digits that read back as the same
 * number, in fixed notation for 1e-6 <= |v| < 1e21 and as "1.5e-7"/"1e+21" otherwise. */
static void put_number(kd_buf *b, double v)
{
	char s[40];
	if (v == floor(v) && fabs(v) < 1e21) {
		snprintf(s, sizeof s, "%.0f", v);
		kd_buf_puts(b, s);
		return;
	}
	int prec = 0;
	for (; prec < 17; prec++) {
		snprintf(s, sizeof s, "%.*e", prec, v);
		if (strtod(s, NULL) == v)
			break;
	}
	/* s is "-d.ddde[+-]XX": the digits and the exponent */
	char digits[24];
	size_t nd = 0;
	const char *p = s;
	bool neg = *p == '-';
	if (neg)
		p++;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	digits[nd] = '\0';
	int exp = (int)strtol(p + 1, NULL, 10);
	double a = fabs(v);
	if (neg)
		kd_buf_putc(b, '-');
	if (a >= 1e-6 && a < 1e21) {
		if (exp >= 0) {
			/* the integral case is handled above, so there are digits after the point */
			kd_buf_put(b, digits, (size_t)exp + 1);
			kd_buf_putc(b, '.');
			kd_buf_puts(b, digits + exp + 1);
		} else {
			kd_buf_puts(b, "0.");
			for (int i = 0; i < -exp - 1; i++)
				kd_buf_putc(b, '0');
			kd_buf_puts(b, digits);
		}
		return;
	}
	kd_buf_putc(b, digits[0]);
	if (nd > 1) {
		kd_buf_putc(b, '.');
		kd_buf_puts(b, digits + 1);
	}
	/* strconv writes at least two exponent digits; encoding/json drops a leading zero of a
	 * negative one ("e-07" -> "e-7") */
	if (exp < 0 && exp > -10)
		kd_buf_printf(b, "e-%d", -exp);
	else
		kd_buf_printf(b, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
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
