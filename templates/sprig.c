/* The function table: sprig v2.22.0's TxtFuncMap as KUDO 0.19 uses it (without env,
 * expandenv, base, dir, clean, ext, isAbs), plus KUDO's toYaml. Sorted by name.
 *
 * Not provided (not in sprig v2.22.0's map, so Go fails them at parse time too): get, dig,
 * seq, required, fromJson, toRawJson, must* variants, duration, durationRound. In v2.22.0's
 * map but not here (a template using them fails at parse time): genPrivateKey,
 * derivePassword, buildCustomCert, genCA, genSelfSignedCert, genSignedCert, encryptAES,
 * decryptAES. getHostByName exists but fails when called: kudoc does no network lookups. */
#include "sprig_priv.h"

KD_SP_FN(abbrev);
KD_SP_FN(abbrevboth);
KD_SP_FN(add);
KD_SP_FN(add1);
KD_SP_FN(adler32sum);
KD_SP_FN(ago);
KD_SP_FN(atoi);
KD_SP_FN(b32dec);
KD_SP_FN(b32enc);
KD_SP_FN(b64dec);
KD_SP_FN(b64enc);
KD_SP_FN(camelcase);
KD_SP_FN(cat);
KD_SP_FN(ceil);
KD_SP_FN(coalesce);
KD_SP_FN(compact);
KD_SP_FN(concat);
KD_SP_FN(contains);
KD_SP_FN(date);
KD_SP_FN(dateInZone);
KD_SP_FN(dateModify);
KD_SP_FN(deepCopy);
KD_SP_FN(deepEqual);
KD_SP_FN(default);
KD_SP_FN(dict);
KD_SP_FN(div);
KD_SP_FN(empty);
KD_SP_FN(fail);
KD_SP_FN(first);
KD_SP_FN(float64);
KD_SP_FN(floor);
KD_SP_FN(getHostByName);
KD_SP_FN(has);
KD_SP_FN(hasKey);
KD_SP_FN(hasPrefix);
KD_SP_FN(hasSuffix);
KD_SP_FN(hello);
KD_SP_FN(htmlDate);
KD_SP_FN(htmlDateInZone);
KD_SP_FN(indent);
KD_SP_FN(initial);
KD_SP_FN(initials);
KD_SP_FN(int);
KD_SP_FN(int64);
KD_SP_FN(join);
KD_SP_FN(kebabcase);
KD_SP_FN(keys);
KD_SP_FN(kindIs);
KD_SP_FN(kindOf);
KD_SP_FN(last);
KD_SP_FN(list);
KD_SP_FN(lower);
KD_SP_FN(max);
KD_SP_FN(merge);
KD_SP_FN(mergeOverwrite);
KD_SP_FN(min);
KD_SP_FN(mod);
KD_SP_FN(mul);
KD_SP_FN(nindent);
KD_SP_FN(nospace);
KD_SP_FN(now);
KD_SP_FN(omit);
KD_SP_FN(pick);
KD_SP_FN(pluck);
KD_SP_FN(plural);
KD_SP_FN(prepend);
KD_SP_FN(push);
KD_SP_FN(quote);
KD_SP_FN(randAlpha);
KD_SP_FN(randAlphaNum);
KD_SP_FN(randAscii);
KD_SP_FN(randNumeric);
KD_SP_FN(regexFind);
KD_SP_FN(regexFindAll);
KD_SP_FN(regexMatch);
KD_SP_FN(regexReplaceAll);
KD_SP_FN(regexReplaceAllLiteral);
KD_SP_FN(regexSplit);
KD_SP_FN(repeat);
KD_SP_FN(replace);
KD_SP_FN(rest);
KD_SP_FN(reverse);
KD_SP_FN(round);
KD_SP_FN(semver);
KD_SP_FN(semverCompare);
KD_SP_FN(set);
KD_SP_FN(sha1sum);
KD_SP_FN(sha256sum);
KD_SP_FN(shuffle);
KD_SP_FN(slice);
KD_SP_FN(snakecase);
KD_SP_FN(sortAlpha);
KD_SP_FN(split);
KD_SP_FN(splitList);
KD_SP_FN(splitn);
KD_SP_FN(squote);
KD_SP_FN(sub);
KD_SP_FN(substr);
KD_SP_FN(swapcase);
KD_SP_FN(ternary);
KD_SP_FN(title);
KD_SP_FN(toDate);
KD_SP_FN(toDecimal);
KD_SP_FN(toJson);
KD_SP_FN(toPrettyJson);
KD_SP_FN(toString);
KD_SP_FN(toStrings);
KD_SP_FN(toYaml);
KD_SP_FN(trim);
KD_SP_FN(trimAll);
KD_SP_FN(trimPrefix);
KD_SP_FN(trimSuffix);
KD_SP_FN(trunc);
KD_SP_FN(typeIs);
KD_SP_FN(typeIsLike);
KD_SP_FN(typeOf);
KD_SP_FN(uniq);
KD_SP_FN(unixEpoch);
KD_SP_FN(unset);
KD_SP_FN(until);
KD_SP_FN(untilStep);
KD_SP_FN(untitle);
KD_SP_FN(upper);
KD_SP_FN(urlJoin);
KD_SP_FN(urlParse);
KD_SP_FN(uuidv4);
KD_SP_FN(values);
KD_SP_FN(without);
KD_SP_FN(wrap);
KD_SP_FN(wrapWith);

const kd_tpl__fndef kd_tpl__sprig_fns[] = {
	{"abbrev", kd_tpl__spf_abbrev, 2, 2},
	{"abbrevboth", kd_tpl__spf_abbrevboth, 3, 3},
	{"add", kd_tpl__spf_add, 0, -1},
	{"add1", kd_tpl__spf_add1, 1, 1},
	{"adler32sum", kd_tpl__spf_adler32sum, 1, 1},
	{"ago", kd_tpl__spf_ago, 1, 1},
	{"append", kd_tpl__spf_push, 2, 2},
	{"atoi", kd_tpl__spf_atoi, 1, 1},
	{"b32dec", kd_tpl__spf_b32dec, 1, 1},
	{"b32enc", kd_tpl__spf_b32enc, 1, 1},
	{"b64dec", kd_tpl__spf_b64dec, 1, 1},
	{"b64enc", kd_tpl__spf_b64enc, 1, 1},
	{"biggest", kd_tpl__spf_max, 1, -1},
	{"camelcase", kd_tpl__spf_camelcase, 1, 1},
	{"cat", kd_tpl__spf_cat, 0, -1},
	{"ceil", kd_tpl__spf_ceil, 1, 1},
	{"coalesce", kd_tpl__spf_coalesce, 0, -1},
	{"compact", kd_tpl__spf_compact, 1, 1},
	{"concat", kd_tpl__spf_concat, 0, -1},
	{"contains", kd_tpl__spf_contains, 2, 2},
	{"date", kd_tpl__spf_date, 2, 2},
	{"dateInZone", kd_tpl__spf_dateInZone, 3, 3},
	{"dateModify", kd_tpl__spf_dateModify, 2, 2},
	{"date_in_zone", kd_tpl__spf_dateInZone, 3, 3},
	{"date_modify", kd_tpl__spf_dateModify, 2, 2},
	{"deepCopy", kd_tpl__spf_deepCopy, 1, 1},
	{"deepEqual", kd_tpl__spf_deepEqual, 2, 2},
	{"default", kd_tpl__spf_default, 1, -1},
	{"dict", kd_tpl__spf_dict, 0, -1},
	{"div", kd_tpl__spf_div, 2, 2},
	{"empty", kd_tpl__spf_empty, 1, 1},
	{"fail", kd_tpl__spf_fail, 1, 1},
	{"first", kd_tpl__spf_first, 1, 1},
	{"float64", kd_tpl__spf_float64, 1, 1},
	{"floor", kd_tpl__spf_floor, 1, 1},
	{"getHostByName", kd_tpl__spf_getHostByName, 1, 1},
	{"has", kd_tpl__spf_has, 2, 2},
	{"hasKey", kd_tpl__spf_hasKey, 2, 2},
	{"hasPrefix", kd_tpl__spf_hasPrefix, 2, 2},
	{"hasSuffix", kd_tpl__spf_hasSuffix, 2, 2},
	{"hello", kd_tpl__spf_hello, 0, 0},
	{"htmlDate", kd_tpl__spf_htmlDate, 1, 1},
	{"htmlDateInZone", kd_tpl__spf_htmlDateInZone, 2, 2},
	{"indent", kd_tpl__spf_indent, 2, 2},
	{"initial", kd_tpl__spf_initial, 1, 1},
	{"initials", kd_tpl__spf_initials, 1, 1},
	{"int", kd_tpl__spf_int, 1, 1},
	{"int64", kd_tpl__spf_int64, 1, 1},
	{"join", kd_tpl__spf_join, 2, 2},
	{"kebabcase", kd_tpl__spf_kebabcase, 1, 1},
	{"keys", kd_tpl__spf_keys, 0, -1},
	{"kindIs", kd_tpl__spf_kindIs, 2, 2},
	{"kindOf", kd_tpl__spf_kindOf, 1, 1},
	{"last", kd_tpl__spf_last, 1, 1},
	{"list", kd_tpl__spf_list, 0, -1},
	{"lower", kd_tpl__spf_lower, 1, 1},
	{"max", kd_tpl__spf_max, 1, -1},
	{"merge", kd_tpl__spf_merge, 1, -1},
	{"mergeOverwrite", kd_tpl__spf_mergeOverwrite, 1, -1},
	{"min", kd_tpl__spf_min, 1, -1},
	{"mod", kd_tpl__spf_mod, 2, 2},
	{"mul", kd_tpl__spf_mul, 1, -1},
	{"nindent", kd_tpl__spf_nindent, 2, 2},
	{"nospace", kd_tpl__spf_nospace, 1, 1},
	{"now", kd_tpl__spf_now, 0, 0},
	{"omit", kd_tpl__spf_omit, 1, -1},
	{"pick", kd_tpl__spf_pick, 1, -1},
	{"pluck", kd_tpl__spf_pluck, 1, -1},
	{"plural", kd_tpl__spf_plural, 3, 3},
	{"prepend", kd_tpl__spf_prepend, 2, 2},
	{"push", kd_tpl__spf_push, 2, 2},
	{"quote", kd_tpl__spf_quote, 0, -1},
	{"randAlpha", kd_tpl__spf_randAlpha, 1, 1},
	{"randAlphaNum", kd_tpl__spf_randAlphaNum, 1, 1},
	{"randAscii", kd_tpl__spf_randAscii, 1, 1},
	{"randNumeric", kd_tpl__spf_randNumeric, 1, 1},
	{"regexFind", kd_tpl__spf_regexFind, 2, 2},
	{"regexFindAll", kd_tpl__spf_regexFindAll, 3, 3},
	{"regexMatch", kd_tpl__spf_regexMatch, 2, 2},
	{"regexReplaceAll", kd_tpl__spf_regexReplaceAll, 3, 3},
	{"regexReplaceAllLiteral", kd_tpl__spf_regexReplaceAllLiteral, 3, 3},
	{"regexSplit", kd_tpl__spf_regexSplit, 3, 3},
	{"repeat", kd_tpl__spf_repeat, 2, 2},
	{"replace", kd_tpl__spf_replace, 3, 3},
	{"rest", kd_tpl__spf_rest, 1, 1},
	{"reverse", kd_tpl__spf_reverse, 1, 1},
	{"round", kd_tpl__spf_round, 2, 3},
	{"semver", kd_tpl__spf_semver, 1, 1},
	{"semverCompare", kd_tpl__spf_semverCompare, 2, 2},
	{"set", kd_tpl__spf_set, 3, 3},
	{"sha1sum", kd_tpl__spf_sha1sum, 1, 1},
	{"sha256sum", kd_tpl__spf_sha256sum, 1, 1},
	{"shuffle", kd_tpl__spf_shuffle, 1, 1},
	{"slice", kd_tpl__spf_slice, 1, -1},
	{"snakecase", kd_tpl__spf_snakecase, 1, 1},
	{"sortAlpha", kd_tpl__spf_sortAlpha, 1, 1},
	{"split", kd_tpl__spf_split, 2, 2},
	{"splitList", kd_tpl__spf_splitList, 2, 2},
	{"splitn", kd_tpl__spf_splitn, 3, 3},
	{"squote", kd_tpl__spf_squote, 0, -1},
	{"sub", kd_tpl__spf_sub, 2, 2},
	{"substr", kd_tpl__spf_substr, 3, 3},
	{"swapcase", kd_tpl__spf_swapcase, 1, 1},
	{"ternary", kd_tpl__spf_ternary, 3, 3},
	{"title", kd_tpl__spf_title, 1, 1},
	{"toDate", kd_tpl__spf_toDate, 2, 2},
	{"toDecimal", kd_tpl__spf_toDecimal, 1, 1},
	{"toJson", kd_tpl__spf_toJson, 1, 1},
	{"toPrettyJson", kd_tpl__spf_toPrettyJson, 1, 1},
	{"toString", kd_tpl__spf_toString, 1, 1},
	{"toStrings", kd_tpl__spf_toStrings, 1, 1},
	{"toYaml", kd_tpl__spf_toYaml, 1, 1},
	{"trim", kd_tpl__spf_trim, 1, 1},
	{"trimAll", kd_tpl__spf_trimAll, 2, 2},
	{"trimPrefix", kd_tpl__spf_trimPrefix, 2, 2},
	{"trimSuffix", kd_tpl__spf_trimSuffix, 2, 2},
	{"trimall", kd_tpl__spf_trimAll, 2, 2},
	{"trunc", kd_tpl__spf_trunc, 2, 2},
	{"tuple", kd_tpl__spf_list, 0, -1},
	{"typeIs", kd_tpl__spf_typeIs, 2, 2},
	{"typeIsLike", kd_tpl__spf_typeIsLike, 2, 2},
	{"typeOf", kd_tpl__spf_typeOf, 1, 1},
	{"uniq", kd_tpl__spf_uniq, 1, 1},
	{"unixEpoch", kd_tpl__spf_unixEpoch, 1, 1},
	{"unset", kd_tpl__spf_unset, 2, 2},
	{"until", kd_tpl__spf_until, 1, 1},
	{"untilStep", kd_tpl__spf_untilStep, 3, 3},
	{"untitle", kd_tpl__spf_untitle, 1, 1},
	{"upper", kd_tpl__spf_upper, 1, 1},
	{"urlJoin", kd_tpl__spf_urlJoin, 1, 1},
	{"urlParse", kd_tpl__spf_urlParse, 1, 1},
	{"uuidv4", kd_tpl__spf_uuidv4, 0, 0},
	{"values", kd_tpl__spf_values, 1, 1},
	{"without", kd_tpl__spf_without, 1, -1},
	{"wrap", kd_tpl__spf_wrap, 2, 2},
	{"wrapWith", kd_tpl__spf_wrapWith, 3, 3},
	{NULL, NULL, 0, 0},
};
