//! Build script: records the git revision for `plane-aio version`, and builds the web UI
//! (`web/` → `web/dist/`, embedded by rust-embed) with npm when its sources change.
//!
//! Set PLANE_BUILD_SKIP_WEB=1 to embed an existing `web/dist/` without running npm
//! (packaging from a prebuilt UI).

use std::{
    path::{Path, PathBuf},
    process::Command,
};

fn main() {
    git_revision();
    build_web();
}

fn git_revision() {
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "unknown revision".to_string());
    println!("cargo:rustc-env=PLANE_BUILD_GIT_REVISION={revision}");
    for path in [".git/HEAD", ".git/refs/heads"] {
        if Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("\nerror: {message}\n");
    std::process::exit(1);
}

fn run(web: &Path, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run npm {}: {e}", args.join(" "))));
    if !status.success() {
        fail(&format!(
            "`npm {}` failed in web/ (see its output above)",
            args.join(" ")
        ));
    }
}

fn build_web() {
    let web = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()))
        .join("web");
    for input in [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
        "public",
        "scripts",
    ] {
        let path = web.join(input);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    println!("cargo:rerun-if-env-changed=PLANE_BUILD_SKIP_WEB");
    let dist = web.join("dist").join("index.html");
    if std::env::var_os("PLANE_BUILD_SKIP_WEB").is_some() {
        if !dist.exists() {
            fail("PLANE_BUILD_SKIP_WEB is set but web/dist/index.html does not exist");
        }
        return;
    }
    let npm_ok = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_ok {
        fail(
            "Node.js and npm are needed to build the web UI in web/ but `npm` was not found.\n\
             Install Node.js 20 or newer (https://nodejs.org, or `apt-get install nodejs npm`), then build again.",
        );
    }
    let installed = web.join("node_modules").join(".package-lock.json");
    let lock = web.join("package-lock.json");
    let stale = match (std::fs::metadata(&installed), std::fs::metadata(&lock)) {
        (Ok(i), Ok(l)) => match (i.modified(), l.modified()) {
            (Ok(i), Ok(l)) => l > i,
            _ => true,
        },
        _ => true,
    };
    if stale {
        run(&web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    run(&web, &["run", "build", "--silent"]);
    if !dist.exists() {
        fail("the web build finished but web/dist/index.html is missing");
    }
}
