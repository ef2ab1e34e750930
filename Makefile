# The two commands of the README, plus helpers. Nothing here is needed beyond cargo, Node.js/npm
# (for the web UI) and, for the full test suite, the tools tests/run.sh installs or names.

.PHONY: run test release fmt lint

## Build (web UI included) and start the server on http://127.0.0.1:8080, data in ./plane-data.
run:
	cargo run --release -- serve

## Run the whole test suite (SQLite and Postgres, S3, ACME, browser).
test:
	./tests/run.sh

## The release binary alone: target/release/plane-aio.
release:
	cargo build --release

fmt:
	cargo fmt --all

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
