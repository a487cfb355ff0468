// The one build of kudoc (zig 0.14.1, pinned in ./dev).
//
//   zig build                       zig-out/bin/kubectl-kudo
//   zig build test                  unit tests + data-driven cases (tests/unit, tests/render, ...)
//   zig build -Dsanitize=true test  the same tests built by gcc with ASan + UBSan
//   zig build asan-exe              zig-out/bin/kubectl-kudo-asan, what the e2e suite runs
//   zig build fuzz                  libFuzzer targets (clang) in zig-out/fuzz/
//   zig build bench                 render benchmarks (ReleaseFast), prints figures
//
// Sources are found by walking the module folders, so adding a .c file needs no edit here.
// zig's bundled clang has no AddressSanitizer runtime, so the sanitizer and fuzz builds drive
// the system gcc / clang through the same source list and pkg-config flags.
const std = @import("std");

const modules = [_][]const u8{ "base", "templates", "operator", "params", "plans", "lua", "kube", "gitops", "cli" };
const pkgs = [_][]const u8{ "yaml-0.1", "libcjson", "libcurl", "libpcre2-8", "lua5.4", "libgit2", "libarchive", "libcrypto", "zlib" };
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

fn sorted(list: *std.ArrayList([]const u8)) []const []const u8 {
    std.mem.sort([]const u8, list.items, {}, struct {
        fn lt(_: void, a: []const u8, c: []const u8) bool {
            return std.mem.lessThan(u8, a, c);
        }
    }.lt);
    return list.items;
}

fn pkgFlags(b: *std.Build) []const []const u8 {
    var argv = std.ArrayList([]const u8).init(b.allocator);
    argv.appendSlice(&.{ "pkg-config", "--cflags", "--libs" }) catch @panic("oom");
    argv.appendSlice(&pkgs) catch @panic("oom");
    const outp = b.run(argv.items);
    var res = std.ArrayList([]const u8).init(b.allocator);
    var it = std.mem.tokenizeAny(u8, outp, " \n\t");
    while (it.next()) |t| res.append(t) catch @panic("oom");
    res.append("-lm") catch @panic("oom");
    return res.items;
}

fn linkAll(c: *std.Build.Step.Compile) void {
    c.linkLibC();
    for (pkgs) |p| c.root_module.linkSystemLibrary(p, .{ .use_pkg_config = .force });
}

pub fn build(b: *std.Build) void {
    const target = b.standardTargetOptions(.{});
    const optimize = b.standardOptimizeOption(.{});
    const sanitize = b.option(bool, "sanitize", "build the tests with gcc -fsanitize=address,undefined") orelse false;
    const version = b.option([]const u8, "version", "version string") orelse "0.1.0-dev";

    var lib_srcs = std.ArrayList([]const u8).init(b.allocator);
    for (modules) |m| collect(b, m, &lib_srcs, std.mem.eql(u8, m, "cli"));
    const lib_files = sorted(&lib_srcs);

    var test_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/unit", &test_srcs, false);
    const test_files = sorted(&test_srcs);

    const version_flag = b.fmt("-DKD_VERSION=\"{s}\"", .{version});
    var cflags = std.ArrayList([]const u8).init(b.allocator);
    cflags.appendSlice(&warn_flags) catch @panic("oom");
    cflags.append(version_flag) catch @panic("oom");

    // The binary.
    const exe = b.addExecutable(.{ .name = "kubectl-kudo", .target = target, .optimize = optimize });
    exe.addCSourceFiles(.{ .files = lib_files, .flags = cflags.items });
    exe.addCSourceFile(.{ .file = b.path("cli/main.c"), .flags = cflags.items });
    linkAll(exe);
    b.installArtifact(exe);

    const run_exe = b.addRunArtifact(exe);
    if (b.args) |args| run_exe.addArgs(args);
    b.step("run", "run kubectl-kudo").dependOn(&run_exe.step);

    // Tools for tests: tests/tools/<name>.c -> zig-out/bin/kudoc-<name>.
    var tool_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/tools", &tool_srcs, false);
    for (sorted(&tool_srcs)) |f| {
        const tool = b.addExecutable(.{ .name = b.fmt("kudoc-{s}", .{std.fs.path.stem(f)}), .target = target, .optimize = optimize });
        tool.addCSourceFiles(.{ .files = lib_files, .flags = cflags.items });
        tool.addCSourceFile(.{ .file = b.path(f), .flags = cflags.items });
        linkAll(tool);
        b.installArtifact(tool);
    }

    // Unit tests.
    const test_step = b.step("test", "run the unit tests and data-driven cases");
    if (!sanitize) {
        const t = b.addExecutable(.{ .name = "kudoc-test", .target = target, .optimize = optimize });
        t.addCSourceFiles(.{ .files = lib_files, .flags = cflags.items });
        t.addCSourceFiles(.{ .files = test_files, .flags = cflags.items });
        linkAll(t);
        b.installArtifact(t);
        const run = b.addRunArtifact(t);
        run.addArg(b.build_root.path orelse ".");
        run.addArtifactArg(exe);
        run.has_side_effects = true;
        test_step.dependOn(&run.step);
    } else {
        const cc = b.addSystemCommand(&.{ "gcc", "-g", "-O1", "-fsanitize=address,undefined", san_extra[0], san_extra[1], "-fno-omit-frame-pointer" });
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg("kudoc-test-asan");
        for (lib_files) |f| cc.addFileArg(b.path(f));
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
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg("kubectl-kudo-asan");
        for (lib_files) |f| cc.addFileArg(b.path(f));
        cc.addFileArg(b.path("cli/main.c"));
        cc.addArgs(pkgFlags(b));
        const inst = b.addInstallFileWithDir(bin, .bin, "kubectl-kudo-asan");
        asan_step.dependOn(&inst.step);
    }

    // Fuzz targets: tests/fuzz/fuzz_*.c, each a LLVMFuzzerTestOneInput, built by clang-14.
    const fuzz_step = b.step("fuzz", "build the libFuzzer targets into zig-out/fuzz/");
    var fuzz_srcs = std.ArrayList([]const u8).init(b.allocator);
    collect(b, "tests/fuzz", &fuzz_srcs, false);
    for (sorted(&fuzz_srcs)) |f| {
        const base = std.fs.path.stem(f);
        if (!std.mem.startsWith(u8, base, "fuzz_")) continue;
        const cc = b.addSystemCommand(&.{ "clang-14", "-g", "-O1", "-fsanitize=fuzzer,address,undefined", san_extra[0], san_extra[1], "-fno-omit-frame-pointer" });
        cc.addArgs(cflags.items);
        cc.addArg("-o");
        const bin = cc.addOutputFileArg(base);
        cc.addFileArg(b.path(f));
        for (lib_files) |l| cc.addFileArg(b.path(l));
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
        be.addCSourceFiles(.{ .files = lib_files, .flags = cflags.items });
        be.addCSourceFiles(.{ .files = sorted(&bench_srcs), .flags = cflags.items });
        linkAll(be);
        const run = b.addRunArtifact(be);
        run.addArg(b.build_root.path orelse ".");
        run.has_side_effects = true;
        bench_step.dependOn(&run.step);
    }
}
