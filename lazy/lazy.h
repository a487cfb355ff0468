/* lazy: shared libraries that the binary loads on first use instead of at start-up.
 *
 * The shipped kubectl-kudo does not name libcurl, libarchive, libgit2 or libcrypto as needed
 * libraries (with their dependencies they are ~40 shared objects, whose loading and relocation
 * cost ~20 M instructions before main). build.zig instead generates, for every function a library
 * exports, a stub of the same name (hidden, so the binary never exports it): the first call of
 * any stub dlopen()s the library by its soname and looks that one function up; every call after
 * that jumps straight to it. The program's code calls the libraries as always. A command that
 * never calls into a library never loads it: `template`, `package` and `version` load none.
 *
 * Only the x86-64 System V ABI is supported (the stubs are assembly); on other targets build.zig
 * links the libraries as usual. Nothing here is part of any module's API. */
#ifndef KD_LAZY_H
#define KD_LAZY_H

/* One lazily loaded library, defined by the generated stubs file. */
typedef struct kd_lazy_lib {
	const char *soname;         /* what dlopen() is given: "libcurl.so.4" */
	unsigned nfuncs;            /* number of stubs */
	const char *names;          /* the functions' names, each ending in NUL */
	const unsigned *offsets;    /* offsets[i]: where function i's name starts in names */
	void **table;               /* table[i]: function i once resolved, else NULL */
	void *handle;               /* dlopen's handle, NULL until the first call */
} kd_lazy_lib;

/* Called by the stubs (through kd_lazy__miss, which keeps the caller's argument registers) on
 * the first call of function `index`: loads the library when needed, resolves the function,
 * stores it in lib->table and returns it. A library or function that cannot be loaded ends the
 * process with exit status 1 and a message naming it (the command cannot run without it). */
void *kd_lazy__resolve(kd_lazy_lib *lib, unsigned index);

#endif
