//! Which packages are build tools: compilers, headers and build systems that a program needs
//! to be built and not to run, so a multi-stage build leaves them out of the final image.
//! Names as the distributions and language registries spell them (Debian/Ubuntu, Alpine,
//! Fedora/RHEL, PyPI, npm).

use crate::model::packages::{Ecosystem, Record};

/// Exact package names of build tools, across distributions.
const TOOLS: &[&str] = &[
    "build-essential",
    "build-base",
    "make",
    "cmake",
    "ninja-build",
    "autoconf",
    "automake",
    "libtool",
    "pkg-config",
    "pkgconf",
    "pkgconf-pkg-config",
    "bison",
    "flex",
    "gcc",
    "g++",
    "gcc-c++",
    "cpp",
    "clang",
    "llvm",
    "lld",
    "binutils",
    "musl-dev",
    "libc-dev",
    "libc6-dev",
    "linux-libc-dev",
    "glibc-devel",
    "glibc-headers",
    "kernel-headers",
    "golang",
    "golang-go",
    "go",
    "rustc",
    "cargo",
    "node-gyp",
    "dpkg-dev",
    "rpm-build",
];

/// Prefixes of versioned tool packages (`gcc-12`, `g++-12`, `cpp-12`, `clang-16`,
/// `binutils-x86-64-linux-gnu`, `libgcc-12-dev`, `golang-1.21-go`).
const TOOL_PREFIXES: &[&str] = &[
    "gcc-",
    "g++-",
    "cpp-",
    "clang-",
    "llvm-",
    "binutils-",
    "golang-1.",
];

/// Whether a record is a build tool.
pub fn is_toolchain(record: &Record) -> bool {
    let name = record.name.as_str();
    match record.ecosystem {
        // `gcc-12-base` (libgcc's runtime dependency, in every Debian image) and docs are
        // not tools.
        Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm
            if name.ends_with("-base") || name.ends_with("-doc") =>
        {
            false
        }
        Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm => {
            TOOLS.contains(&name)
                || TOOL_PREFIXES.iter().any(|p| name.starts_with(p))
                // Headers and static libraries: Debian `-dev`, Alpine `-dev`, Fedora `-devel`.
                || name.ends_with("-dev")
                || name.ends_with("-devel")
                || name.ends_with("-headers")
        }
        Ecosystem::Npm => name == "node-gyp",
        Ecosystem::Python => false,
        Ecosystem::Go => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_tools_are_known_by_name_in_each_ecosystem() {
        let tool = |eco, name| is_toolchain(&Record::new(eco, name, "1"));
        for name in [
            "gcc-12",
            "g++",
            "libssl-dev",
            "build-essential",
            "linux-libc-dev",
        ] {
            assert!(tool(Ecosystem::Dpkg, name), "{name}");
        }
        assert!(tool(Ecosystem::Apk, "musl-dev"));
        assert!(tool(Ecosystem::Rpm, "openssl-devel"));
        assert!(tool(Ecosystem::Npm, "node-gyp"));
        for name in ["libgcc-s1", "libc6", "gcc-12-doc", "gcc-12-base", "python3"] {
            assert!(!tool(Ecosystem::Dpkg, name), "{name}");
        }
        assert!(!tool(Ecosystem::Python, "gcc"));
    }
}
