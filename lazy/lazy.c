/* The resolver behind the generated stubs (see lazy.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "lazy.h"

/* One lock for every library: the first calls are few, and two threads that miss on the same
 * library at once must not both dlopen it (harmless, but counted twice) or race on the table. */
static pthread_mutex_t lazy_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noreturn)) static void die(const kd_lazy_lib *lib, const char *what, const char *why)
{
	/* No stdio locks or atexit handlers: this may run in any thread, in the middle of anything. */
	char msg[1024];
	int n = snprintf(msg, sizeof msg, "kubectl-kudo: this command needs %s%s%s, which cannot be loaded: %s\n",
		lib->soname, what ? " function " : "", what ? what : "", why ? why : "unknown reason");
	if (n > 0) {
		size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
		ssize_t w = write(STDERR_FILENO, msg, len);
		(void)w;
	}
	_exit(1);
}

__attribute__((visibility("hidden"))) void *kd_lazy__resolve(kd_lazy_lib *lib, unsigned index)
{
	pthread_mutex_lock(&lazy_lock);
	void *fn = lib->table[index];
	if (!fn) {
		if (!lib->handle) {
			/* RTLD_NOW: a library that cannot be bound fails here, with its reason, rather than
			 * in the middle of a call; RTLD_LOCAL: its symbols never bind anyone else's. */
			lib->handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
			if (!lib->handle)
				die(lib, NULL, dlerror());
		}
		const char *name = lib->names + lib->offsets[index];
		dlerror();
		fn = dlsym(lib->handle, name);
		if (!fn)
			die(lib, name, dlerror());
		__atomic_store_n(&lib->table[index], fn, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lazy_lock);
	return fn;
}

/* kd_lazy__miss: where a stub goes while its table entry is NULL, with the library in %r10 and
 * the function's index in %r11 (neither carries arguments in the System V ABI). It keeps every
 * register that may hold an argument (the six integer ones, %rax for a variadic call's count of
 * vector registers, %xmm0-7), asks kd_lazy__resolve for the function, restores them and jumps
 * to it, so the function runs as if called directly (same arguments, same return address). */
__asm__(".text\n"
	".globl kd_lazy__miss\n"
	".hidden kd_lazy__miss\n"
	".type kd_lazy__miss,@function\n"
	".p2align 4\n"
	"kd_lazy__miss:\n"
	"	pushq %rbp\n"
	"	movq %rsp, %rbp\n"
	"	pushq %rdi\n"
	"	pushq %rsi\n"
	"	pushq %rdx\n"
	"	pushq %rcx\n"
	"	pushq %r8\n"
	"	pushq %r9\n"
	"	pushq %rax\n"
	"	pushq %r10\n" /* eight pushes after %rbp: %rsp is 16-byte aligned again */
	"	subq $128, %rsp\n"
	"	movdqu %xmm0, 0(%rsp)\n"
	"	movdqu %xmm1, 16(%rsp)\n"
	"	movdqu %xmm2, 32(%rsp)\n"
	"	movdqu %xmm3, 48(%rsp)\n"
	"	movdqu %xmm4, 64(%rsp)\n"
	"	movdqu %xmm5, 80(%rsp)\n"
	"	movdqu %xmm6, 96(%rsp)\n"
	"	movdqu %xmm7, 112(%rsp)\n"
	"	movq %r10, %rdi\n"
	"	movl %r11d, %esi\n"
	"	call kd_lazy__resolve\n"
	"	movq %rax, %r11\n"
	"	movdqu 0(%rsp), %xmm0\n"
	"	movdqu 16(%rsp), %xmm1\n"
	"	movdqu 32(%rsp), %xmm2\n"
	"	movdqu 48(%rsp), %xmm3\n"
	"	movdqu 64(%rsp), %xmm4\n"
	"	movdqu 80(%rsp), %xmm5\n"
	"	movdqu 96(%rsp), %xmm6\n"
	"	movdqu 112(%rsp), %xmm7\n"
	"	addq $128, %rsp\n"
	"	popq %r10\n"
	"	popq %rax\n"
	"	popq %r9\n"
	"	popq %r8\n"
	"	popq %rcx\n"
	"	popq %rdx\n"
	"	popq %rsi\n"
	"	popq %rdi\n"
	"	popq %rbp\n"
	"	jmpq *%r11\n"
	".size kd_lazy__miss, .-kd_lazy__miss\n");
