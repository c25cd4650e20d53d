//! `trailwatch`: run compliance checks and detection rules over CloudTrail, locally or on AWS.

mod serve;

use clap::{Parser, Subcommand};

/// The sample data shipped in the repository, relative to the workspace root.
pub const DEFAULT_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/cloudtrail");

#[derive(Debug, Parser)]
#[command(name = "trailwatch", version, about = "CloudTrail compliance checks and security alerts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the local CloudTrail (Lake, LookupEvents) and SNS service.
    Serve(serve::ServeArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::serve(args).await.map(|_| 0u8),
    };
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
