fn main() -> std::process::ExitCode {
    plane_aio::cli::main()
}
