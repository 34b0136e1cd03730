//! `kit`: the command line. The only place that touches argv, the terminal and exit codes.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: generation allocates and frees many small token
/// and syntax-tree nodes (see the commit message for the measured gain).
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc through its plain `mi_malloc` / `mi_realloc` when that already gives the alignment
/// asked for (as std's system allocator does with `malloc`), and the `_aligned` calls only
/// otherwise: the `mimalloc` crate calls `mi_malloc_aligned` for everything, whose checks and
/// slow path cost about 4 % of `kit gen`'s instructions (callgrind, googleapis subset).
struct MiMalloc;

/// What `mi_malloc` guarantees: blocks aligned to 16 bytes, or to their size rounded down to
/// a power of two below 16 (a size that is a multiple of a smaller alignment keeps it).
const MI_MIN_ALIGN: usize = 16;

// SAFETY: every call forwards to mimalloc with an alignment it honours (`align <= 16` and
// `align <= size` is exactly the case `mi_malloc` already aligns, as for glibc's `malloc`);
// `mi_free` frees blocks from all of them.
unsafe impl std::alloc::GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= MI_MIN_ALIGN && layout.align() <= layout.size() {
            libmimalloc_sys::mi_malloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        if layout.align() <= MI_MIN_ALIGN && layout.align() <= layout.size() {
            libmimalloc_sys::mi_zalloc(layout.size()).cast()
        } else {
            libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()).cast()
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        libmimalloc_sys::mi_free(ptr.cast());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= MI_MIN_ALIGN && layout.align() <= new_size {
            libmimalloc_sys::mi_realloc(ptr.cast(), new_size).cast()
        } else {
            libmimalloc_sys::mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast()
        }
    }
}

/// For every subcommand (`kit check` parses as `kit gen` does, `kit new` also generates):
/// tells the allocator (mimalloc, above) to keep the memory it frees instead of giving
/// it back to the system 10 ms later, and, on Linux, the kernel to back this process with
/// ordinary pages rather than transparent huge pages. A run allocates and frees token trees
/// file after file: with the default purge delay the same memory went back and forth, and the
/// kernel zeroed it again on each return (googleapis-full: 93k page faults, about 0.8 s of
/// system time; 600 faults with this). With huge pages (mimalloc asks for them) each first
/// touch zeroes, and may first compact, 2 MiB: about 0.9 s more system time on googleapis-full
/// and no less user time. Peak memory stays about the same (a little lower without huge pages),
/// and all of it is returned when the process exits.
fn keep_freed_memory() {
    unsafe extern "C" {
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_purge_delay` in the `mi_option_e` of the mimalloc that libmimalloc-sys
    /// 0.1.49 builds (v3; the same in v2).
    const PURGE_DELAY: std::ffi::c_int = 15;
    // SAFETY: mimalloc is linked in (the global allocator) and exports `mi_option_set`;
    // options may be set at any time, and this runs before any subcommand starts a thread.
    unsafe { mi_option_set(PURGE_DELAY, -1) }
    #[cfg(target_os = "linux")]
    {
        unsafe extern "C" {
            fn prctl(option: std::ffi::c_int, ...) -> std::ffi::c_int;
        }
        const PR_SET_THP_DISABLE: std::ffi::c_int = 41;
        // SAFETY: prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) only sets a flag of this process; it
        // fails harmlessly (EINVAL) on kernels without it, and the result is not needed.
        unsafe {
            prctl(
                PR_SET_THP_DISABLE,
                1 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
                0 as std::ffi::c_ulong,
            );
        }
    }
}

mod check;
mod config;
mod gen;
mod new;
mod stubs;

/// kit turns Thrift and Protobuf IDL into fast, typed, zero-copy Rust.
#[derive(Parser, Debug)]
#[command(name = "kit", version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  kit check -I idl idl/echo.thrift\n  kit gen -o src/gen idl/echo.thrift\n  kit gen -I proto -o src/gen proto/api/v1/service.proto\n  kit new echo-svc --idl idl/echo.thrift"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct Global {
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more about what kit does.
    #[arg(short, long, global = true)]
    verbose: bool,
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    color: ColorChoice,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse, resolve and check IDL files and everything they include.
    #[command(
        after_help = "Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error.\n\n\
Examples:\n  kit check idl/echo.thrift\n  kit check -I proto -I third_party/googleapis proto/api/v1/service.proto\n  kit check --dump-ir idl/echo.thrift > ir.json"
    )]
    Check(CheckArgs),
    /// Generate Rust from IDL files into a module tree rooted at OUT/mod.rs.
    #[command(
        after_help = "Files are written atomically and only when their content changes; files an earlier\n\
run generated that the IDL no longer produces are removed. Use the tree with `mod gen;`\n\
and one dependency, `kit-runtime`.\n\n\
Exit status: 0 success, 1 errors in the IDL or writing, 2 usage error.\n\n\
With no FILE and no -o, kit gen reads them from kit.toml ([gen] idl, include, out,\n\
btree_maps, serde), found in this directory or a parent; flags override it setting by setting.\n\n\
Extra attributes on types or fields come from kit.toml only (no flags): rules applied in\n\
order, each an IDL path and Rust attributes. A type path is `.` (every type), `.pkg` (a\n\
package, namespace or Thrift file), `.pkg.Type` (one type and what it nests) or `Type` (any\n\
type of that name); a field path is `.pkg.Type.field` or `Type.field`:\n  \
[[gen.type_attributes]]\n  \
path = \".echo.Echo\"\n  \
attr = \"#[derive(PartialOrd)]\"\n  \
[[gen.field_attributes]]\n  \
path = \"Echo.message\"\n  \
attr = \"#[doc = \\\"The text to echo.\\\"]\"\n\n\
Fields to store as Arc<T> (struct, message or container fields), by the same paths, in\n\
[gen]: arc = [\"Order.items\"]; a Thrift field can say (kit.arc = \"true\") instead.\n\n\
Examples:\n  kit gen                        # as kit.toml says\n  kit gen -o src/gen idl/echo.thrift\n  kit gen -I proto -o src/gen proto/api/v1/service.proto"
    )]
    Gen(GenArgs),
    /// Scaffold a service crate (server, client, handler stubs, generated code) from IDL.
    #[command(
        after_help = "Creates NAME/ (the crate is named after its last component): Cargo.toml, kit.toml,\n\
the IDL and everything it includes under idl/, the generated code under src/gen/,\n\
src/handler.rs with a stub answering a default for every method, src/bin/server.rs and\n\
src/bin/client.rs (--addr HOST:PORT, default 127.0.0.1:8080), a logging tower::Layer,\n\
an end-to-end test, .gitignore and README.md. A Thrift IDL gives a Thrift service, a\n\
Protobuf IDL a gRPC one. NAME must not exist or be empty; on failure nothing is left.\n\
Later, after editing the IDL, `kit gen` in NAME/ regenerates src/gen/ and adds stubs\n\
for new methods to src/handler.rs.\n\n\
Exit status: 0 success, 1 errors in the IDL or NAME not empty, 2 usage error.\n\n\
Examples:\n  kit new echo-svc --idl idl/echo.thrift\n  kit new api --idl proto/api/v1/service.proto -I proto\n  kit new demo --idl echo.proto --runtime-path ../kit/runtime   # kit-runtime from a checkout"
    )]
    New(NewArgs),
}

#[derive(Args, Debug)]
pub struct NewArgs {
    /// Directory to create; its last component is the crate name.
    #[arg(value_name = "NAME")]
    name: PathBuf,
    /// The IDL to serve (`.thrift` or `.proto`; repeatable). Its includes are copied too.
    #[arg(long, value_name = "FILE", required = true)]
    idl: Vec<PathBuf>,
    /// Add an include root, searched in order (repeatable). Default: the IDL file's directory.
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Depend on kit-runtime at this path (a checkout's `runtime/`) instead of by version.
    #[arg(long, value_name = "DIR")]
    runtime_path: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Add an include root, searched in order (repeatable).
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Output directory (the module tree's root; `mod.rs` goes here). Default: `out` in kit.toml.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
    /// Settings file to use instead of the nearest kit.toml in this directory or a parent.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use `BTreeMap` instead of `HashMap` for maps.
    #[arg(long)]
    btree_maps: bool,
    /// Derive serde's Serialize/Deserialize on generated types (needs kit-runtime's `serde` feature).
    #[arg(long)]
    serde: bool,
    /// Write nothing: exit 0 when OUT is current, 1 with the stale files and a diff when not.
    #[arg(long)]
    check: bool,
    /// IDL files (`.thrift` or `.proto`). Default: `idl` in kit.toml.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Add an include root, searched in order (repeatable). A file given on the command line is
    /// named relative to the root that contains it, as protoc does.
    #[arg(short = 'I', long = "include", value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Print the resolved IR as JSON on stdout.
    #[arg(long)]
    dump_ir: bool,
    /// IDL files (`.thrift` or `.proto`).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

/// Why a command could not do its job.
pub enum Failure {
    /// The arguments (with kit.toml) do not say what to do: exit 2.
    Usage(String),
    /// kit.toml is unreadable or invalid: exit 1.
    Config(String),
    Io(std::io::Error),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// How output should look, decided once from flags and the environment.
pub struct Term {
    pub color: bool,
    pub quiet: bool,
    pub verbose: bool,
    /// Standard error is a terminal (progress bars are drawn only then).
    pub tty: bool,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(2),
            };
        }
    };
    keep_freed_memory();
    let stderr_tty = std::io::stderr().is_terminal();
    let color = match cli.global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stderr_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let term = Term {
        color,
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
        // Progress output (carriage returns, erase-line escapes) only on a terminal, and not
        // when the user asked for plain output.
        tty: stderr_tty
            && !matches!(cli.global.color, ColorChoice::Never)
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::env::var_os("TERM").is_none_or(|t| t != "dumb"),
    };
    let result = match cli.command {
        Command::Check(args) => check::run(&args, &term).map_err(Failure::Io),
        Command::Gen(args) => gen::run(&args, &term),
        Command::New(args) => new::run(&args, &term),
    };
    let _ = std::io::stdout().flush();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Failure::Io(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Config(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(e)) => {
            eprintln!("error: {e}\n\nFor more information, try '--help'.");
            ExitCode::from(2)
        }
    }
}
