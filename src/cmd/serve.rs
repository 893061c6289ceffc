//! `kapok serve`: the all-in-one server (API, UI, ingest worker, channels on air) or, with
//! `--role api`, an API-only node of a network deployment.

use std::path::Path;
use std::process::ExitCode;

use super::{load_config, runtime, Failure};

/// What a server process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// API, UI, an ingest worker and this server's channels on air.
    All,
    /// API and UI only; ingest and playout run in other processes.
    Api,
}

#[derive(clap::Args)]
pub struct Args {
    /// What this process runs.
    #[arg(long, value_enum, default_value_t = Role::All)]
    role: Role,
}

pub fn run(config: Option<&Path>, args: Args) -> Result<ExitCode, Failure> {
    let runtime = runtime()?;
    let config = load_config(config)?;
    crate::telemetry::init(config.log_format);
    ingest::allocator::start_giving_back();
    runtime.block_on(async {
        let shutdown = crate::shutdown_signal();
        let app = crate::Application::build(&config).await?;
        let password = std::env::var("KAPOK_ADMIN_PASSWORD").ok();
        match web::auth::accounts::bootstrap_admin(&app.state().store, password).await {
            Ok(Some(generated)) => eprintln!(
                "kapok: first run: created user `admin` (network administrator) with password {generated}\n       (shown once; set KAPOK_ADMIN_PASSWORD to choose it)"
            ),
            Ok(None) => {}
            Err(e) => return Err(Failure::usage(format!("KAPOK_ADMIN_PASSWORD: {e}"))),
        }
        let app = if args.role == Role::All { app.with_in_process_components(&config) } else { app };
        app.run(shutdown).await.map_err(|e| Failure::failed(format!("server: {e}")))
    })?;
    Ok(ExitCode::SUCCESS)
}
