//! `trailwatch`: run compliance checks and detection rules over CloudTrail, locally or on AWS.

mod checks;
mod deliver;
mod hunt;
mod ledger;
mod local_args;
mod lookup;
mod output;
mod rules;
mod run;
mod serve;
mod table;
mod target;

use clap::{Parser, Subcommand};

/// The sample data shipped in the repository.
pub const DEFAULT_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/cloudtrail");

#[derive(Debug, Parser)]
#[command(
    name = "trailwatch",
    version,
    about = "CloudTrail compliance checks and security alerts"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run compliance checks (CloudTrail Lake queries); exit 1 when any has findings.
    Run(run::RunArgs),
    /// List the check catalog.
    Checks {
        #[arg(long, value_enum, default_value = "table")]
        output: output::Output,
        /// Extra checks folder.
        #[arg(long, env = "TRAILWATCH_CHECKS_DIR")]
        checks_dir: Option<String>,
    },
    /// Try Sigma rules over history: each converted to SQL and run as a check (as `run`).
    Hunt(hunt::HuntArgs),
    /// Scan event history (LookupEvents) with the detection rules; exit 1 when any matched.
    Lookup(lookup::LookupArgs),
    /// List the detection rules (`rules test`: run each rule's own test events).
    Rules {
        #[command(subcommand)]
        action: Option<rules::Action>,
        #[arg(long, value_enum, default_value = "table", global = true)]
        output: output::Output,
        /// Extra Sigma rules folder (its `*.json` files are test cases).
        #[arg(long, env = "TRAILWATCH_RULES_DIR", global = true)]
        rules: Option<String>,
    },
    /// Serve the local CloudTrail (Lake, LookupEvents) and SNS service.
    Serve(serve::ServeArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: called once at start-up, before any other thread exists or any I/O is done.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Checks { output, checks_dir } => checks::list(output, checks_dir.as_deref()),
        Command::Hunt(args) => hunt::hunt(args).await,
        Command::Lookup(args) => lookup::lookup(args).await,
        Command::Rules {
            action: None,
            output,
            rules: dir,
        } => rules::list(output, dir.as_deref()),
        Command::Rules {
            action: Some(rules::Action::Test),
            output,
            rules: dir,
        } => rules::test(output, dir.as_deref()),
        Command::Serve(args) => serve::serve(args).await.map(|()| 0u8),
    };
    match result {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
