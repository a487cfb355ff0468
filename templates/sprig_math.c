/* sprig's numbers (numeric.go): everything goes through its toInt64/toFloat64, results are
 * int64 (add, sub, mul, div, mod, max, min, add1, int64, toDecimal), int (int, atoi, until)
 * or float64 (float64, floor, ceil, round). Integer arithmetic wraps as Go's does. */
#include <math.h>
#include <stdio.h>

#include "sprig_priv.h"

static cJSON *new_int64(int64_t v)
{
	cJSON *n = kd_json_new_int(v);
	n->type |= KD_SP_INT64;
	return n;
}

static int ret64(cJSON **out, int64_t v)
{
	*out = new_int64(v);
	return 0;
}

static int64_t wrap_add(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a + (uint64_t)b);
}

KD_SP_FN(add)
{
	int64_t acc = 0;
	for (int i = 0; i < nargs; i++)
		acc = wrap_add(acc, kd_tpl__sp_toint64(args[i]));
	return ret64(out, acc);
}

KD_SP_FN(add1)
{
	return ret64(out, wrap_add(kd_tpl__sp_toint64(args[0]), 1));
}

KD_SP_FN(sub)
{
	return ret64(out, (int64_t)((uint64_t)kd_tpl__sp_toint64(args[0]) -
		(uint64_t)kd_tpl__sp_toint64(args[1])));
}

KD_SP_FN(mul)
{
	uint64_t acc = (uint64_t)kd_tpl__sp_toint64(args[0]);
	for (int i = 1; i < nargs; i++)
		acc *= (uint64_t)kd_tpl__sp_toint64(args[i]);
	return ret64(out, (int64_t)acc);
}

KD_SP_FN(div)
{
	int64_t a = kd_tpl__sp_toint64(args[0]), b = kd_tpl__sp_toint64(args[1]);
	if (b == 0)
		return kd_tpl__fn_fail(call, "runtime error: integer divide by zero");
	if (b == -1)
		return ret64(out, (int64_t)(0 - (uint64_t)a));
	return ret64(out, a / b);
}

KD_SP_FN(mod)
{
	int64_t a = kd_tpl__sp_toint64(args[0]), b = kd_tpl__sp_toint64(args[1]);
	if (b == 0)
		return kd_tpl__fn_fail(call, "runtime error: integer divide by zero");
	if (b == -1)
		return ret64(out, 0);
	return ret64(out, a % b);
}

KD_SP_FN(max)
{
	int64_t m = kd_tpl__sp_toint64(args[0]);
	for (int i = 1; i < nargs; i++) {
		int64_t v = kd_tpl__sp_toint64(args[i]);
		if (v > m)
			m = v;
	}
	return ret64(out, m);
}

KD_SP_FN(min)
{
	int64_t m = kd_tpl__sp_toint64(args[0]);
	for (int i = 1; i < nargs; i++) {
		int64_t v = kd_tpl__sp_toint64(args[i]);
		if (v < m)
			m = v;
	}
	return ret64(out, m);
}

KD_SP_FN(floor)
{
	*out = cJSON_CreateNumber(floor(kd_tpl__sp_tofloat64(args[0])));
	return 0;
}

KD_SP_FN(ceil)
{
	*out = cJSON_CreateNumber(ceil(kd_tpl__sp_tofloat64(args[0])));
	return 0;
}

KD_SP_FN(round)
{
	int64_t places;
	double on = 0.5;
	if (kd_tpl__sp_arg_int(call, args[1], &places) < 0)
		return KD_ERROR;
	if (nargs > 2 && kd_tpl__sp_arg_float(call, args[2], &on) < 0)
		return KD_ERROR;
	double val = kd_tpl__sp_tofloat64(args[0]);
	double pow10 = pow(10, (double)places);
	double digit = pow10 * val, ip;
	double frac = modf(digit, &ip);
	double r = frac >= on ? ceil(digit) : floor(digit);
	*out = cJSON_CreateNumber(r / pow10);
	return 0;
}

KD_SP_FN(atoi)
{
	const char *s;
	if (kd_tpl__sp_arg_str(call, args[0], &s) < 0)
		return KD_ERROR;
	int64_t v;
	if (kd_go_parse_int(s, 10, &v) < 0)
		v = 0;
	*out = kd_json_new_int(v);
	return 0;
}

KD_SP_FN(int)
{
	*out = kd_json_new_int(kd_tpl__sp_toint64(args[0]));
	return 0;
}

KD_SP_FN(int64)
{
	return ret64(out, kd_tpl__sp_toint64(args[0]));
}

KD_SP_FN(float64)
{
	*out = cJSON_CreateNumber(kd_tpl__sp_tofloat64(args[0]));
	return 0;
}

KD_SP_FN(toDecimal)
{
	kd_buf b = KD_SP_BUF;
	kd_buf_puts(&b, "");
	kd_tpl__sp_strval(&b, args[0]);
	int64_t v;
	if (!kd_tpl__sp_buf_ok(&b) || kd_go_parse_int(kd_buf_cstr(&b), 8, &v) < 0)
		v = 0;
	kd_buf_free(&b);
	return ret64(out, v);
}

#define MAX_SEQ (10 * 1000 * 1000)

static int until_step(cJSON **out, kd_tpl__call *call, int64_t start, int64_t stop, int64_t step)
{
	/* sprig's untilStep: start, start+step, ... while short of stop, counted in unsigned
	 * arithmetic (no overflow for extreme arguments) */
	uint64_t count = 0, span = 0, st = 0;
	if (stop < start && step < 0) {
		span = (uint64_t)start - (uint64_t)stop;
		st = (uint64_t)0 - (uint64_t)step;
	} else if (start < stop && step > 0) {
		span = (uint64_t)stop - (uint64_t)start;
		st = (uint64_t)step;
	}
	if (st)
		count = span / st + (span % st != 0);
	if (count > MAX_SEQ)
		return kd_tpl__fn_fail(call, "a list of %llu numbers is too long", (unsigned long long)count);
	cJSON *a = cJSON_CreateArray();
	a->type |= KD_SP_INTS;
	for (uint64_t i = 0; i < count; i++) {
		if ((i & 1023) == 0 && kd_tpl__budget_spent(call)) {
			kd_json_delete(a);
			return kd_tpl__fn_fail(call, "a list of %llu numbers takes more memory than the template may use",
				(unsigned long long)count);
		}
		cJSON_AddItemToArray(a, kd_json_new_int((int64_t)((uint64_t)start + i * (uint64_t)step)));
	}
	*out = a;
	return 0;
}

KD_SP_FN(until)
{
	int64_t n;
	if (kd_tpl__sp_arg_int(call, args[0], &n) < 0)
		return KD_ERROR;
	return until_step(out, call, 0, n, n < 0 ? -1 : 1);
}

KD_SP_FN(untilStep)
{
	int64_t a, b, c;
	if (kd_tpl__sp_arg_int(call, args[0], &a) < 0 || kd_tpl__sp_arg_int(call, args[1], &b) < 0 ||
		kd_tpl__sp_arg_int(call, args[2], &c) < 0)
		return KD_ERROR;
	return until_step(out, call, a, b, c);
}
