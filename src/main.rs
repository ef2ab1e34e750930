/// mimalloc: request handling allocates many small objects on several threads, where glibc's
/// malloc spent a third of the CPU of a 50-project list.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    plane_aio::cli::main()
}
