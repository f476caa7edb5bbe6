//! The `migproj` binary: parse arguments, call the library, print errors, exit.

use clap::Parser;

fn main() {
    let cli = migproj::cli::Cli::parse();
    migproj::output::folder::remove_temporaries_on_signal();
    match migproj::commands::dispatch(cli) {
        Ok(()) => {}
        Err(err) => {
            let text = err.to_string();
            if text.starts_with("error:") {
                eprintln!("{text}");
            } else {
                eprintln!("error: {text}");
            }
            std::process::exit(err.exit_code());
        }
    }
}
