/* libFuzzer target for the hook runner: the input is a Lua script, run offline under small caps
 * (1 MiB, 200000 instructions, 2 s) with params and an instance, as a hook, then through
 * kd_lua_eval (whose results go back through the Lua -> JSON conversion), then as a syntax
 * check. Whatever the script does, the run must end, within the caps, without a leak or a
 * sanitizer report. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../base/base.h"
#include "../../lua/lua.h"

static void drop(void *payload, const char *line)
{
	(void)payload;
	(void)line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static cJSON *params;
	if (!params) {
		kd_base_init();
		params = cJSON_Parse("{\"replicas\":\"3\",\"enabled\":\"true\",\"list\":[1,\"a\",null],\"map\":{\"k\":{\"n\":[]}}}");
	}
	kd_lua_hook_options o = KD_LUA_HOOK_OPTIONS_INIT;
	o.params = params;
	o.instance = "fuzz";
	o.namespace_ = "fuzz-ns";
	o.plan = "deploy";
	o.revision = 1;
	o.mem_limit = (size_t)1 << 20;
	o.instr_limit = 200000;
	o.wall_ms = 2000;
	o.log = drop;
	const char *src = (const char *)data;
	bool healthy;
	char *reason = NULL;
	if (kd_lua_hook_run(&healthy, &reason, "hooks/fuzz.lua", src, size, &o) == 0)
		free(reason);
	cJSON *out = NULL;
	cJSON *args = cJSON_Parse("[1,\"two\",{\"three\":[3]}]");
	if (kd_lua_eval(&out, "hooks/fuzz.lua", src, size, args, &o) == 0)
		cJSON_Delete(out);
	cJSON_Delete(args);
	kd_lua_check("hooks/fuzz.lua", src, size);
	kd_error_clear();
	return 0;
}
