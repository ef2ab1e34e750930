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
    // Given from outside where there is no repository to ask (a Docker build context).
    println!("cargo:rerun-if-env-changed=PLANE_BUILD_GIT_REVISION");
    if let Some(given) = std::env::var("PLANE_BUILD_GIT_REVISION")
        .ok()
        .filter(|r| !r.trim().is_empty())
    {
        println!("cargo:rustc-env=PLANE_BUILD_GIT_REVISION={}", given.trim());
        return;
    }
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

/// The oldest Node.js the UI's tools run on: `engines.node` (`>=MAJOR.MINOR`) in
/// web/package.json, the one place it is written.
fn needed_node(package_json: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(package_json)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", package_json.display())));
    let declared = text
        .split_once("\"engines\"")
        .and_then(|(_, rest)| rest.split_once("\"node\""))
        .and_then(|(_, rest)| rest.split_once(">="))
        .and_then(|(_, rest)| parse_version(rest));
    declared.unwrap_or_else(|| {
        fail(&format!(
            "{} does not declare `\"engines\": {{\"node\": \">=MAJOR.MINOR\"}}`",
            package_json.display()
        ))
    })
}

/// `20.19`, `v20.19.2`, `20.19.2"…`: the major and minor numbers at the start.
fn parse_version(text: &str) -> Option<(u32, u32)> {
    let text = text.trim_start().trim_start_matches('v');
    let mut numbers = text.split('.').map(|part| {
        part.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
    });
    let major = numbers.next()?.ok()?;
    let minor = numbers.next().and_then(Result::ok).unwrap_or(0);
    Some((major, minor))
}

fn show((major, minor): (u32, u32)) -> String {
    format!("{major}.{minor}")
}

/// Older Node.js fails deep inside the build tools with a cryptic message: say it first.
fn check_node(needed: (u32, u32)) {
    let found = Command::new("node")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let Some(found) = found else {
        fail(&format!(
            "Node.js {} or newer is needed to build the web UI in web/ but `node` was not found.\n\
             Install it (https://nodejs.org), then build again.",
            show(needed)
        ));
    };
    match parse_version(&found) {
        Some(version) if version >= needed => {}
        _ => fail(&format!(
            "Node.js {} or newer is needed to build the web UI in web/ (web/package.json, engines), \
             but `node --version` says {found}.\n\
             Install a newer Node.js (https://nodejs.org), then build again \
             (or set PLANE_BUILD_SKIP_WEB=1 to embed an already built web/dist/).",
            show(needed)
        )),
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
    let needed = needed_node(&web.join("package.json"));
    let npm_ok = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_ok {
        fail(&format!(
            "Node.js and npm are needed to build the web UI in web/ but `npm` was not found.\n\
             Install Node.js {} or newer (https://nodejs.org, or `apt-get install nodejs npm`), then build again\n\
             (or set PLANE_BUILD_SKIP_WEB=1 to embed an already built web/dist/).",
            show(needed)
        ));
    }
    check_node(needed);
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
