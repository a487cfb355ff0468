// The one build of kudoc (zig 0.14.1, pinned in ./dev).
//
//   zig build                       zig-out/bin/kubectl-kudo (Debug, for development)
//   zig build -Doptimize=ReleaseSafe  the build ./dev build, ./dev demo and ./dev install make
//   zig build dist --prefix P       P/bin/kubectl-kudo and P/share/kudoc/packages/ (./dev install)
//   zig build test                  unit tests + data-driven cases (tests/unit, tests/render, ...)
//   zig build -Dsanitize=true test  the same tests built by gcc with ASan + UBSan
//   zig build asan-exe              zig-out/bin/kubectl-kudo-asan, what the e2e suite runs
//   zig build fuzz                  libFuzzer targets (clang) in zig-out/fuzz/
//   zig build bench                 render benchmarks (ReleaseFast), prints figures
//
// Sources are found by walking the module folders, so adding a .c file needs no edit here.
// They are compiled once into a static library that every zig-built program links.
// zig's bundled clang has no AddressSanitizer runtime, so the sanitizer and fuzz builds drive
// the system gcc / clang through the same source list and pkg-config flags.
//
// How the zig-built programs link the system libraries (-Dlink, default lazy): see `libs`.
// Every program is built for the baseline CPU of its architecture unless -Dcpu says otherwise,
// so the binary runs on any machine of that architecture (and under valgrind).
const std = @import("std");
const builtin = @import("builtin");

const modules = [_][]const u8{ "base", "templates", "operator", "params", "plans", "lua", "kube", "gitops", "cli" };
const pkgs = [_][]const u8{ "yaml-0.1", "libcjson", "libcurl", "libpcre2-8", "lua5.4", "libgit2", "libarchive", "libcrypto", "zlib" };

// -Dlink=lazy: what the programs do at start-up is load and relocate their shared libraries,
// and libcurl, libarchive and libgit2 bring ~40 more (TLS, Kerberos, LDAP, ICU, XML, ...):
// ~20 M instructions before main, more than most commands need in all. So:
//   static  the Debian archive (lib*.a) is linked in: no loading, no symbol lookups;
//   shared  a normal needed library (libcjson ships no archive; it is one small object);
//   lazy    not a needed library at all: lazy/ stubs dlopen() it at its first call, so only the
//           commands that use it (cluster commands: libcurl; .tgz packages: libarchive; git
//           sources: libgit2; digests and key wiping: libcrypto) pay for it, once.
// libcurl has no static form worth having: its archive needs a dozen libraries Debian ships only
// shared (nghttp2, rtmp, psl, gssapi, ldap, zstd, ...), which bring the rest along.
// -Dlink=system links all of them as needed libraries (the gcc builds always do).
const How = enum { static, shared, lazy };
const Lib = struct { pkg: []const u8, name: []const u8, how: How };
const libs = [_]Lib{
    .{ .pkg = "yaml-0.1", .name = "yaml", .how = .static },
    .{ .pkg = "libcjson", .name = "cjson", .how = .shared },
    .{ .pkg = "libpcre2-8", .name = "pcre2-8", .how = .static },
    .{ .pkg = "zlib", .name = "z", .how = .static },
    .{ .pkg = "lua5.4", .name = "lua5.4", .how = .static },
    .{ .pkg = "libcurl", .name = "curl", .how = .lazy },
    .{ .pkg = "libarchive", .name = "archive", .how = .lazy },
    .{ .pkg = "libgit2", .name = "git2", .how = .lazy },
    .{ .pkg = "libcrypto", .name = "crypto", .how = .lazy },
};
const LinkMode = enum { lazy, system };

// Sanitizer builds (tests and fuzz targets): every report stops the run (a UBSan report that
// only prints would let the test pass), and float-cast-overflow, which neither gcc nor clang
// puts in "undefined", catches (long) of a huge JSON number.
const san_extra = [_][]const u8{ "-fsanitize=float-cast-overflow", "-fno-sanitize-recover=all" };
const warn_flags = [_][]const u8{ "-std=c11", "-D_GNU_SOURCE", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-fno-strict-aliasing" };

fn collect(b: *std.Build, dir: []const u8, out: *std.ArrayList([]const u8), skip_main: bool) void {
    var d = std.fs.cwd().openDir(dir, .{ .iterate = true }) catch return;
    defer d.close();
    var walker = d.walk(b.allocator) catch @panic("oom");
    defer walker.deinit();
    while (walker.next() catch @panic("walk")) |e| {
        if (e.kind != .file or !std.mem.endsWith(u8, e.path, ".c")) continue;
        if (skip_main and std.mem.eql(u8, e.path, "main.c")) continue;
        out.append(b.pathJoin(&.{ dir, e.path })) catch @panic("oom");
    }
}

// Every header of the tree: the compiler commands that build.zig runs itself (the gcc sanitizer
// builds, the fuzz targets) name only .c files, so their cached results would outlive a change
// to a header; these make every header an input of each of those commands.
fn headers(b: *std.Build) []const []const u8 {
    var out = std.ArrayList([]const u8).init(b.allocator);
    for (modules ++ [_][]const u8{ "lazy", "tests/unit", "tests/fuzz" }) |dir| {
        var d = std.fs.cwd().openDir(dir, .{ .iterate = true }) catch continue;
        defer d.close();
        var walker = d.walk(b.allocator) catch @panic("oom");
        defer walker.deinit();
        while (walker.next() catch @panic("walk")) |e| {
            if (e.kind == .file and std.mem.endsWith(u8, e.path, ".h"))
                out.append(b.pathJoin(&.{ dir, e.path })) catch @panic("oom");
        }
    }
    return sorted(&out);
}

fn headerInputs(b: *std.Build, run: *std.Build.Step.Run, hs: []const []const u8) void {
    for (hs) |h| run.addFileInput(b.path(h));
}

fn sorted(list: *std.ArrayList([]const u8)) []const []const u8 {
    std.mem.sort([]const u8, list.items, {}, struct {
        fn lt(_: void, a: []const u8, c: []const u8) bool {
            return std.mem.lessThan(u8, a, c);
        }
    }.lt);
    return list.items;
}

// lua/lib/*.lua built into the binary: a generated C file holding each library's text as
// bytes, found by walking the folder (a new .lua file needs no edit here). lua/lua_internal.h
// declares what it defines.
fn luaLibs(b: *std.Build) std.Build.LazyPath {
    var names = std.ArrayList([]const u8).init(b.allocator);
    if (std.fs.cwd().openDir("lua/lib", .{ .iterate = true })) |dir_const| {
        var dir = dir_const;
        defer dir.close();
        var it = dir.iterate();
        while (it.next() catch @panic("lua/lib")) |e| {
            if (e.kind == .file and std.mem.endsWith(u8, e.name, ".lua")) names.append(b.dupe(e.name)) catch @panic("oom");
        }
    } else |_| {}
    const list = sorted(&names);
    var src = std.ArrayList(u8).init(b.allocator);
    const w = src.writer();
    w.writeAll("/* Generated by build.zig from the files in lua/lib; do not edit. */\n#include <stddef.h>\n" ++
        "typedef struct {\n\tconst char *name;\n\tconst unsigned char *text;\n\tsize_t len;\n} kd_lua__lib;\n") catch @panic("oom");
    for (list, 0..) |n, i| {
        const text = std.fs.cwd().readFileAlloc(b.allocator, b.pathJoin(&.{ "lua/lib", n }), 1 << 24) catch @panic("cannot read a lua/lib file");
        w.print("static const unsigned char lib{d}[] = {{", .{i}) catch @panic("oom");
        for (text, 0..) |c, k| {
            if (k % 24 == 0) w.writeAll("\n\t") catch @panic("oom");
            w.print("{d},", .{c}) catch @panic("oom");
        }
        w.writeAll("\n\t0};\n") catch @panic("oom");
    }
    w.writeAll("const kd_lua__lib kd_lua__libs[] = {\n") catch @panic("oom");
    for (list, 0..) |n, i| w.print("\t{{\"{s}\", lib{d}, sizeof lib{d} - 1}},\n", .{ n[0 .. n.len - 4], i, i }) catch @panic("oom");
    if (list.len == 0) w.writeAll("\t{NULL, NULL, 0},\n") catch @panic("oom");
    w.print("}};\nconst size_t kd_lua__nlibs = {d};\n", .{list.len}) catch @panic("oom");
    const wf = b.addWriteFiles();
    return wf.add("lua_libs.c", src.items);
}

fn tokens(b: *std.Build, text: []const u8) []const []const u8 {
    var res = std.ArrayList([]const u8).init(b.allocator);
    var it = std.mem.tokenizeAny(u8, text, " \n\t");
    while (it.next()) |t| res.append(t) catch @panic("oom");
    return res.items;
}

fn pkgFlags(b: *std.Build) []const []const u8 {
    var argv = std.ArrayList([]const u8).init(b.allocator);
    argv.appendSlice(&.{ "pkg-config", "--cflags", "--libs" }) catch @panic("oom");
    argv.appendSlice(&pkgs) catch @panic("oom");
    var res = std.ArrayList([]const u8).init(b.allocator);
    res.appendSlice(tokens(b, b.run(argv.items))) catch @panic("oom");
    res.append("-lm") catch @panic("oom");
    return res.items;
}

fn fileExists(path: []const u8) bool {
    std.fs.cwd().access(path, .{}) catch return false;
    return true;
}

fn runOrNull(b: *std.Build, argv: []const []const u8) ?[]const u8 {
    var code: u8 = 0;
    return b.runAllowFail(argv, &code, .Ignore) catch null;
}

// The stubs of one lazily loaded library (see lazy/lazy.h): its soname, then for every function
// it exports a hidden symbol of that name whose first call resolves it. null when the library
// cannot be inspected (no nm/objdump): it is then linked as a needed library.
fn lazyStubs(b: *std.Build, out: *std.ArrayList(u8), lib: Lib, so: []const u8) bool {
    const dump = runOrNull(b, &.{ "objdump", "-p", so }) orelse return false;
    var soname: ?[]const u8 = null;
    var lines = std.mem.tokenizeScalar(u8, dump, '\n');
    while (lines.next()) |l| {
        var f = std.mem.tokenizeAny(u8, l, " \t");
        if (std.mem.eql(u8, f.next() orelse continue, "SONAME")) soname = f.next();
    }
    // (without the version suffixes the list of libcrypto's 5,000 functions is a third shorter,
    // well inside what runAllowFail reads; older binutils lack the flag)
    const nm = runOrNull(b, &.{ "nm", "-D", "--defined-only", "--without-symbol-versions", so }) orelse
        runOrNull(b, &.{ "nm", "-D", "--defined-only", so }) orelse return false;
    var seen = std.StringHashMap(void).init(b.allocator);
    var names = std.ArrayList([]const u8).init(b.allocator);
    lines = std.mem.tokenizeScalar(u8, nm, '\n');
    while (lines.next()) |l| {
        var f = std.mem.tokenizeAny(u8, l, " \t");
        _ = f.next() orelse continue; // value
        const kind = f.next() orelse continue;
        const raw = f.next() orelse continue;
        // functions only (text, weak, indirect); a data symbol must be linked for real
        if (!(std.mem.eql(u8, kind, "T") or std.mem.eql(u8, kind, "W") or std.mem.eql(u8, kind, "i"))) continue;
        const name = raw[0 .. std.mem.indexOfScalar(u8, raw, '@') orelse raw.len];
        if (name.len == 0 or name[0] == '_') continue; // _init, _fini: the C runtime's
        if ((seen.getOrPut(name) catch @panic("oom")).found_existing) continue;
        names.append(name) catch @panic("oom");
    }
    if (soname == null or names.items.len == 0) return false;
    const w = out.writer();
    const id = lib.name;
    var ident = std.ArrayList(u8).init(b.allocator);
    for (id) |c| ident.append(if (std.ascii.isAlphanumeric(c)) c else '_') catch @panic("oom");
    const L = ident.items;
    w.print("\n/* {s}: {d} functions */\nstatic const char names_{s}[] =\n", .{ soname.?, names.items.len, L }) catch @panic("oom");
    for (names.items) |n| w.print("\t\"{s}\\0\"\n", .{n}) catch @panic("oom");
    w.print(";\nstatic const unsigned offsets_{s}[] = {{", .{L}) catch @panic("oom");
    var off: usize = 0;
    for (names.items, 0..) |n, i| {
        w.print("{s}{d}", .{ if (i % 16 == 0) "\n\t" else " ", off }) catch @panic("oom");
        w.writeAll(",") catch @panic("oom");
        off += n.len + 1;
    }
    w.print("\n}};\nKD_LAZY_HIDDEN void *kd_lazy__table_{s}[{d}];\n", .{ L, names.items.len }) catch @panic("oom");
    w.print("KD_LAZY_HIDDEN kd_lazy_lib kd_lazy__lib_{s} = {{\"{s}\", {d}, names_{s}, offsets_{s}, kd_lazy__table_{s}, 0}};\n", .{ L, soname.?, names.items.len, L, L, L }) catch @panic("oom");
    w.writeAll("__asm__(\".text\\n\"\n") catch @panic("oom");
    for (names.items, 0..) |n, i| {
        w.print("\t\".globl {0s}\\n.hidden {0s}\\n.type {0s},@function\\n{0s}:\\n" ++
            "\\tmovq kd_lazy__table_{1s}+{2d}(%rip), %r11\\n\\ttestq %r11, %r11\\n\\tjz 1f\\n\\tjmpq *%r11\\n" ++
            "1:\\tmovl ${3d}, %r11d\\n\\tleaq kd_lazy__lib_{1s}(%rip), %r10\\n\\tjmp kd_lazy__miss\\n.size {0s}, .-{0s}\\n\"\n", .{ n, L, i * 8, i }) catch @panic("oom");
    }
    w.writeAll(");\n") catch @panic("oom");
    return true;
}

const Linking = struct {
    cflags: []const []const u8, // include paths and defines of every library
    static_archives: []const []const u8,
    shared: []const []const u8, // names for linkSystemLibrary
    stubs: ?std.Build.LazyPath, // the generated stubs of the lazy libraries
};

fn planLinking(b: *std.Build, mode: LinkMode, target: std.Build.ResolvedTarget) Linking {
    var argv = std.ArrayList([]const u8).init(b.allocator);
    argv.appendSlice(&.{ "pkg-config", "--cflags" }) catch @panic("oom");
    argv.appendSlice(&pkgs) catch @panic("oom");
    const cflags = tokens(b, b.run(argv.items));
    var archives = std.ArrayList([]const u8).init(b.allocator);
    var shared = std.ArrayList([]const u8).init(b.allocator);
    var src = std.ArrayList(u8).init(b.allocator);
    src.appendSlice("/* Generated by build.zig: the stubs of the lazily loaded libraries (lazy/lazy.h). */\n" ++
        "#include \"lazy.h\"\n#define KD_LAZY_HIDDEN __attribute__((visibility(\"hidden\")))\n") catch @panic("oom");
    var any_lazy = false;
    // the stubs are x86-64 assembly, made from the libraries of this machine
    const lazy_ok = mode == .lazy and target.result.cpu.arch == .x86_64 and target.result.os.tag == .linux and
        builtin.cpu.arch == .x86_64 and builtin.os.tag == .linux;
    for (libs) |lib| {
        var how = lib.how;
        if (mode == .system) how = .shared;
        const libdir = std.mem.trim(u8, b.run(&.{ "pkg-config", "--variable=libdir", lib.pkg }), " \n\t");
        switch (how) {
            .static => {
                const a = b.fmt("{s}/lib{s}.a", .{ libdir, lib.name });
                if (fileExists(a)) archives.append(a) catch @panic("oom") else shared.append(lib.name) catch @panic("oom");
            },
            .lazy => {
                const so = b.fmt("{s}/lib{s}.so", .{ libdir, lib.name });
                if (lazy_ok and lazyStubs(b, &src, lib, so)) {
                    any_lazy = true;
                } else {
                    if (lazy_ok) std.log.warn("cannot make the stubs of {s} (nm, objdump?): linked as a needed library", .{so});
                    shared.append(lib.name) catch @panic("oom");
                }
            },
            .shared => shared.append(lib.name) catch @panic("oom"),
        }
    }
    var stubs: ?std.Build.LazyPath = null;
    if (any_lazy) stubs = b.addWriteFiles().add("lazy_stubs.c", src.items);
    return .{ .cflags = cflags, .static_archives = archives.items, .shared = shared.items, .stubs = stubs };
}

fn linkAll(b: *std.Build, c: *std.Build.Step.Compile, lk: Linking, flags: []const []const u8) void {
    c.linkLibC();
    for (lk.static_archives) |a| c.addObjectFile(.{ .cwd_relative = a });
    for (lk.shared) |n| c.linkSystemLibrary(n);
    c.linkSystemLibrary("m");
    if (lk.stubs) |s| {
        c.addIncludePath(b.path("lazy"));
        c.addCSourceFile(.{ .file = b.path("lazy/lazy.c"), .flags = flags });
        c.addCSourceFile(.{ .file = s, .flags = &.{"-w"} });
    }
}

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{ .default_target = .{ .cpu_model = .baseline } });
    const optimize = b.standardOptimizeOption(.{});
    const sanitize = b.option(bool, "sanitize", "build the tests with gcc -fsanitize=address,undefined") orelse false;
    const version = b.option([]const u8, "version", "version string") orelse "0.1.0-dev";
    const link_mode = b.option(LinkMode, "link", "lazy (default): static archives, lazily loaded libcurl/libarchive/libgit2/libcrypto; system: every library as a needed shared library") orelse .lazy;

    var lib_srcs = std.ArrayList([]const u8).init(b.allocator);
    for (modules) |m| collect(b, m, &lib_srcs, std.mem.eql(u8, m, "cli"));
    const lib_files = sorted(&lib_srcs);
    const all_headers = headers(b);
    const lua_libs = luaLibs(b);

    var test_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/unit", &test_srcs, false);
    const test_files = sorted(&test_srcs);

    const lk = planLinking(b, link_mode, target);
    const version_flag = b.fmt("-DKD_VERSION=\"{s}\"", .{version});
    var cflags = std.ArrayList([]const u8).init(b.allocator);
    cflags.appendSlice(&warn_flags) catch @panic("oom");
    cflags.append(version_flag) catch @panic("oom");
    cflags.appendSlice(lk.cflags) catch @panic("oom");

    // Every module, compiled once per optimize mode, for all the zig-built programs.
    const Kd = struct {
        fn lib(bb: *std.Build, t: std.Build.ResolvedTarget, o: std.builtin.OptimizeMode, files: []const []const u8, lua: std.Build.LazyPath, fl: []const []const u8) *std.Build.Step.Compile {
            const l = bb.addStaticLibrary(.{ .name = bb.fmt("kudoc-{s}", .{@tagName(o)}), .target = t, .optimize = o });
            l.addCSourceFiles(.{ .files = files, .flags = fl });
            l.addCSourceFile(.{ .file = lua, .flags = fl });
            l.linkLibC();
            return l;
        }
    };
    const kd = Kd.lib(b, target, optimize, lib_files, lua_libs, cflags.items);

    // The binary.
    const exe = b.addExecutable(.{ .name = "kubectl-kudo", .target = target, .optimize = optimize });
    exe.addCSourceFile(.{ .file = b.path("cli/main.c"), .flags = cflags.items });
    exe.linkLibrary(kd);
    linkAll(b, exe, lk, cflags.items);
    b.installArtifact(exe);

    const run_exe = b.addRunArtifact(exe);
    if (b.args) |args| run_exe.addArgs(args);
    b.step("run", "run kubectl-kudo").dependOn(&run_exe.step);

    // What a user installs (./dev install PREFIX): the binary and the packages kudoc ships, where
    // the binary looks for them (<exe dir>/../share/kudoc/packages/NAME).
    const dist = b.step("dist", "install kubectl-kudo and the shipped packages into the prefix (--prefix P)");
    dist.dependOn(&b.addInstallArtifact(exe, .{}).step);
    dist.dependOn(&b.addInstallDirectory(.{
        .source_dir = b.path("packages"),
        .install_dir = .prefix,
        .install_subdir = "share/kudoc/packages",
    }).step);

    // Tools for tests: tests/tools/<name>.c -> zig-out/bin/kudoc-<name>.
    var tool_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/tools", &tool_srcs, false);
    for (sorted(&tool_srcs)) |f| {
        const tool = b.addExecutable(.{ .name = b.fmt("kudoc-{s}", .{std.fs.path.stem(f)}), .target = target, .optimize = optimize });
        tool.addCSourceFile(.{ .file = b.path(f), .flags = cflags.items });
        tool.linkLibrary(kd);
        linkAll(b, tool, lk, cflags.items);
        b.installArtifact(tool);
    }

    // Unit tests.
    const test_step = b.step("test", "run the unit tests and data-driven cases");
    if (!sanitize) {
        const t = b.addExecutable(.{ .name = "kudoc-test", .target = target, .optimize = optimize });
        t.addCSourceFiles(.{ .files = test_files, .flags = cflags.items });
        t.linkLibrary(kd);
        linkAll(b, t, lk, cflags.items);
        b.installArtifact(t);
        const run = b.addRunArtifact(t);
        run.addArg(b.build_root.path orelse ".");
        run.addArtifactArg(exe);
        run.has_side_effects = true;
        test_step.dependOn(&run.step);
    } else {
        const cc = b.addSystemCommand(&.{ "gcc", "-g", "-O1", "-fsanitize=address,undefined", san_extra[0], san_extra[1], "-fno-omit-frame-pointer" });
        headerInputs(b, cc, all_headers);
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg("kudoc-test-asan");
        for (lib_files) |f| cc.addFileArg(b.path(f));
        cc.addFileArg(lua_libs);
        for (test_files) |f| cc.addFileArg(b.path(f));
        cc.addArgs(pkgFlags(b));
        const run = std.Build.Step.Run.create(b, "run kudoc-test (ASan+UBSan)");
        run.addFileArg(bin);
        run.addArg(b.build_root.path orelse ".");
        run.addArtifactArg(exe);
        run.setEnvironmentVariable("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=1");
        run.setEnvironmentVariable("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1");
        run.has_side_effects = true;
        test_step.dependOn(&run.step);
    }

    // kubectl-kudo itself under ASan + UBSan (gcc), for the end-to-end suite: every e2e test
    // then also checks that the commands it runs have no memory errors, UB or leaks.
    const asan_step = b.step("asan-exe", "build zig-out/bin/kubectl-kudo-asan (gcc ASan+UBSan) for the e2e suite");
    {
        const cc = b.addSystemCommand(&.{ "gcc", "-g", "-O1", "-fsanitize=address,undefined", san_extra[0], san_extra[1], "-fno-omit-frame-pointer" });
        headerInputs(b, cc, all_headers);
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg("kubectl-kudo-asan");
        for (lib_files) |f| cc.addFileArg(b.path(f));
        cc.addFileArg(lua_libs);
        cc.addFileArg(b.path("cli/main.c"));
        cc.addArgs(pkgFlags(b));
        const inst = b.addInstallFileWithDir(bin, .bin, "kubectl-kudo-asan");
        asan_step.dependOn(&inst.step);
    }

    // Fuzz targets: tests/fuzz/fuzz_*.c, each a LLVMFuzzerTestOneInput, built by clang-14. The
    // modules are compiled once (with the fuzzer's coverage, without its main) into objects that
    // every target links, not once per target.
    const fuzz_step = b.step("fuzz", "build the libFuzzer targets into zig-out/fuzz/");
    const fuzz_flags = [_][]const u8{ "-g", "-O1", san_extra[0], san_extra[1], "-fno-omit-frame-pointer" };
    var fuzz_objs = std.ArrayList(std.Build.LazyPath).init(b.allocator);
    {
        var all = std.ArrayList(std.Build.LazyPath).init(b.allocator);
        for (lib_files) |l| all.append(b.path(l)) catch @panic("oom");
        all.append(lua_libs) catch @panic("oom");
        for (all.items, 0..) |src, i| {
            const cc = b.addSystemCommand(&.{ "clang-14", "-c", "-fsanitize=fuzzer-no-link,address,undefined" });
            headerInputs(b, cc, all_headers);
            cc.addArgs(&fuzz_flags);
            cc.addArgs(cflags.items);
            cc.addArg("-o");
            fuzz_objs.append(cc.addOutputFileArg(b.fmt("m{d}.o", .{i}))) catch @panic("oom");
            cc.addFileArg(src);
        }
    }
    var fuzz_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/fuzz", &fuzz_srcs, false);
    for (sorted(&fuzz_srcs)) |f| {
        const base = std.fs.path.stem(f);
        if (!std.mem.startsWith(u8, base, "fuzz_")) continue;
        const cc = b.addSystemCommand(&.{ "clang-14", "-fsanitize=fuzzer,address,undefined" });
        headerInputs(b, cc, all_headers);
        cc.addArgs(&fuzz_flags);
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg(base);
        cc.addFileArg(b.path(f));
        for (fuzz_objs.items) |o| cc.addFileArg(o);
        cc.addArgs(pkgFlags(b));
        const inst = b.addInstallFileWithDir(bin, .{ .custom = "fuzz" }, base);
        fuzz_step.dependOn(&inst.step);
    }

    // Benchmarks: tests/bench/*.c with ReleaseFast.
    const bench_step = b.step("bench", "run the benchmarks and print figures");
    var bench_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/bench", &bench_srcs, false);
    if (bench_srcs.items.len > 0) {
        const be = b.addExecutable(.{ .name = "kudoc-bench", .target = target, .optimize = .ReleaseFast });
        be.addCSourceFiles(.{ .files = sorted(&bench_srcs), .flags = cflags.items });
        be.linkLibrary(if (optimize == .ReleaseFast) kd else Kd.lib(b, target, .ReleaseFast, lib_files, lua_libs, cflags.items));
        linkAll(b, be, lk, cflags.items);
        const run = b.addRunArtifact(be);
        run.addArg(b.build_root.path orelse ".");
        run.has_side_effects = true;
        bench_step.dependOn(&run.step);
    }
}
