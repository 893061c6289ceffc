//! `kapok user add` and `kapok token create`: accounts and API tokens, straight against the
//! configured database (for the first operator, scripts and playout nodes).

use std::path::Path;
use std::process::ExitCode;

use catalog::user::Role;

use super::{load_config, print_json, runtime, Failure};

/// A role named on the command line (`network_admin`, `centre_admin`, `editor`,
/// `scheduler`, `emergency_operator`, `viewer`, `playout_node`).
fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).map_err(|e| e.to_string())
}

#[derive(clap::Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Add {
        username: String,
        /// network_admin, centre_admin, editor, scheduler, emergency_operator, viewer, playout_node
        #[arg(long, value_parser = role)]
        role: Role,
        /// The user's centre (GB/T 2260 code, e.g. 510421).
        #[arg(long)]
        centre: String,
        #[arg(long, default_value = "")]
        display_name: String,
    },
}

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user; the secret is printed once.
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Defaults to the user's role.
        #[arg(long, value_parser = role)]
        role: Option<Role>,
        #[arg(long)]
        expires_days: Option<u32>,
    },
}

pub fn run_user(config: Option<&Path>, command: UserCommand) -> Result<ExitCode, Failure> {
    let UserCommand::Add { username, role, centre, display_name } = command;
    let config = load_config(config)?;
    let mut password = String::new();
    std::io::stdin().read_line(&mut password).map_err(|e| Failure::usage(format!("password on stdin: {e}")))?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    runtime()?.block_on(async {
        let (store, _) = crate::server::connect(&config).await?;
        let user = web::auth::accounts::user_add(&store, &username, &display_name, role.as_str(), &centre, &password)
            .await
            .map_err(Failure::failed)?;
        print_json(&user)
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_token(config: Option<&Path>, command: TokenCommand) -> Result<ExitCode, Failure> {
    let TokenCommand::Create { user, name, role, expires_days } = command;
    let config = load_config(config)?;
    runtime()?.block_on(async {
        let (store, _) = crate::server::connect(&config).await?;
        let secret =
            web::auth::accounts::token_create(&store, &user, &name, role.map(Role::as_str), None, expires_days)
                .await
                .map_err(Failure::failed)?;
        print_json(&serde_json::json!({ "token": secret }))
    })?;
    Ok(ExitCode::SUCCESS)
}
