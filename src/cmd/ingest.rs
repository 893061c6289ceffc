//! `kapok ingest FILE`: queue a file for ingest against the configured database and store,
//! optionally waiting until it is ready (processing it here when no other worker does).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{load_config, print_json, runtime, Failure};

#[derive(clap::Args)]
pub struct Args {
    file: PathBuf,
    /// Producing centre's GB/T 2260 code, e.g. 510421.
    #[arg(long)]
    centre: String,
    #[arg(long)]
    title: String,
    /// Category from the controlled list, e.g. 涉农, 新闻.
    #[arg(long, default_value = "新闻")]
    category: String,
    /// Wait until the programme is ready (exit 0) or failed (exit 1), processing it here
    /// when no other worker does.
    #[arg(long)]
    wait: bool,
}

pub fn run(config: Option<&Path>, args: Args) -> Result<ExitCode, Failure> {
    let config = load_config(config)?;
    let bad = |setting: &str, e: &dyn std::fmt::Display| Failure::usage(format!("{setting}: {e}"));
    let centre = catalog::ids::CentreCode::parse(&args.centre).map_err(|e| bad("--centre", &e))?;
    let category = catalog::programme::Category::parse(&args.category).map_err(|e| bad("--category", &e))?;
    let new = catalog::programme::NewProgramme::new(centre, args.title, category);
    runtime()?.block_on(async {
        let (store, media) = crate::server::connect(&config).await?;
        let actor = catalog::audit::Actor::system("cli");
        let mut programme =
            ingest::submit::submit_file(&store, &media, &actor, &args.file, &new).await.map_err(Failure::failed)?;
        if args.wait {
            let worker = crate::components::ingest_worker(&config, store.clone(), media.clone(), 1);
            programme = ingest::wait::until_settled(&store, &worker, programme.id).await.map_err(Failure::failed)?;
        }
        let view = ingest::wait::programme_json(&store, &programme).await.map_err(Failure::failed)?;
        print_json(&view)?;
        let failed = programme.status == catalog::programme::ProgrammeStatus::Failed;
        Ok(if args.wait && failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
    })
}
