# The two commands of the README, plus helpers. Nothing here is needed beyond cargo, Node.js/npm
# (for the web UI) and, for the full test suite, the tools tests/run.sh installs or names.

.PHONY: run test release fmt lint need-cargo

## Build (web UI included) and start the server on http://127.0.0.1:8080, data in ./plane-data.
run: need-cargo
	cargo run --release -- serve

## Run the whole test suite (SQLite and Postgres, S3, ACME, browser).
test:
	./tests/run.sh

## The release binary alone: target/release/plane-aio.
release: need-cargo
	cargo build --release

# Without Rust, make's own "cargo: No such file or directory" says little.
need-cargo:
	@command -v cargo >/dev/null 2>&1 || { \
	  echo "error: cargo is needed to build plane-aio: install Rust with rustup (https://rustup.rs)," >&2; \
	  echo "       then open a new shell (or run: . \"\$$HOME/.cargo/env\") and run make again" >&2; \
	  exit 1; }

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
